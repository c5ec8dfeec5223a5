"""Feed rendering: golden files, feedparser as a client, and structural checks per format."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from tests.hostile_html import findings, parse, visible_text
from wirefeed.model import Body, Headline, Rendition, Story, Tag
from wirefeed.publish.feeds import (
    ATOM_NS,
    HISTORY_NS,
    FeedDocument,
    FeedLinks,
    entry_from_story,
    render,
)
from wirefeed.publish.subscriptions import FeedSpec
from wirefeed.settings import Settings

GOLDEN = Path(__file__).parent / "golden"
HUB = "https://hub.example.net/"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
NS = {"a": ATOM_NS, "fh": HISTORY_NS}


def story(n: int, **fields: Any) -> Story:
    values: dict[str, Any] = {
        "uri": f"urn:test:{n}",
        "id": f"story{n}",
        "source": "wire",
        "firstcreated": T0 + timedelta(minutes=n),
        "versioncreated": T0 + timedelta(minutes=n),
        "headlines": [Headline(value=f"Headline number {n}")],
        "bodies": [Body(value=f"<p>Body of story {n}.</p>")],
        "language": "en",
    }
    values.update(fields)
    return Story(**values)


def sample_stories() -> list[Story]:
    """Three stories covering bylines, codes, pictures, corrections, languages, bad chars."""
    return [
        story(
            1,
            by="Jane Reporter",
            subjects=[
                Tag(
                    name="weather",
                    uri="http://cv.iptc.org/newscodes/mediatopic/17000000",
                    literal="medtop:17000000",
                )
            ],
            people=[Tag(name="Ana Lopes")],
            places=[Tag(name="Lisbon")],
            renditions={
                "picture": Rendition(
                    href="https://media.example.com/storm.jpg",
                    contenttype="image/jpeg",
                    sizeinbytes=48213,
                    width=1200,
                    height=800,
                    title="The storm",
                ),
                "thumbnail": Rendition(
                    href="https://media.example.com/storm-t.jpg", contenttype="image/jpeg"
                ),
            },
        ),
        story(
            2,
            version="2",
            correction_note="Corrects the name of the minister.",
            language="fr",
            headlines=[Headline(value="Le ministre s'exprime")],
        ),
        # Control characters must never reach an XML document.
        story(3, headlines=[Headline(value="Bell\x07 and \x0bvertical tab")], by="Desk\x00"),
    ]


@pytest.fixture
def spec() -> FeedSpec:
    return FeedSpec(id="weather", title="Weather", description="Weather news", language="en")


@pytest.fixture
def doc(settings: Settings) -> FeedDocument:
    doc = FeedDocument(feed_id="weather")
    for s in sample_stories():
        doc.upsert(entry_from_story(s, settings), size=100)
    return doc


def links_for(spec: FeedSpec, settings: Settings, page: int | None = None) -> FeedLinks:
    return FeedLinks(spec, settings, (HUB,), page, prev_archive=2 if page is None else 1)


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize("page", [None, 3], ids=["current", "archive"])
def test_rendering_matches_the_golden_file(
    doc: FeedDocument, spec: FeedSpec, settings: Settings, fmt: str, page: int | None
) -> None:
    body = render(doc, links_for(spec, settings, page), fmt)
    path = GOLDEN / f"{'current' if page is None else 'archive'}.{fmt}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
    assert body.decode() == path.read_text(), f"run with UPDATE_GOLDEN=1 after checking {path}"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feedparser_reads_every_entry_and_field(
    doc: FeedDocument, spec: FeedSpec, settings: Settings, fmt: str
) -> None:
    parsed = feedparser.parse(render(doc, links_for(spec, settings), fmt))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == [
        f"tag:{settings.tag_authority}:story/story{n}" for n in (3, 2, 1)
    ]
    assert parsed.entries[2].title == "Headline number 1"
    assert parsed.entries[0].title == "Bell and vertical tab"
    first = parsed.entries[2]
    assert first.link == "https://feeds.example.com/wirefeed/stories/story1.json"
    assert first.author == "Jane Reporter"
    assert {t.term for t in first.tags} >= {"Ana Lopes", "Lisbon"}
    assert first.enclosures[0].href == "https://media.example.com/storm.jpg"
    assert "Corrects the name" in (parsed.entries[1].get("summary") or "")


def _atom(doc: FeedDocument, spec: FeedSpec, settings: Settings, page: int | None = None) -> Any:
    return etree.fromstring(render(doc, links_for(spec, settings, page), "atom"))


def test_atom_enclosures_keep_rel_type_and_length(
    doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    """feedgen 1.0 drops rel/type/length from entry links (upstream issue 135)."""
    root = _atom(doc, spec, settings)
    entry = root.find("a:entry[a:id='tag:wirefeed.example,2026:story/story1']", NS)
    links = [dict(link.attrib) for link in entry.findall("a:link", NS)]
    assert links == [
        {"href": "https://feeds.example.com/wirefeed/stories/story1.json", "rel": "alternate"},
        {
            "rel": "enclosure",
            "href": "https://media.example.com/storm.jpg",
            "type": "image/jpeg",
            "length": "48213",
            "title": "The storm",
        },
        {"rel": "enclosure", "href": "https://media.example.com/storm-t.jpg", "type": "image/jpeg"},
    ]


def test_atom_structure_is_what_validators_want(
    doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    root = _atom(doc, spec, settings)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    feed_links = {link.get("rel"): link.get("href") for link in root.findall("a:link", NS)}
    assert feed_links["self"] == "https://feeds.example.com/wirefeed/feeds/weather.atom"
    assert feed_links["hub"] == HUB
    assert feed_links["prev-archive"].endswith("/feeds/weather/archive/2.atom")
    assert root.find("a:author/a:name", NS).text == "Wirefeed"
    updated = [e.findtext("a:updated", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert len(set(updated)) == len(updated)
    for entry in root.findall("a:entry", NS):
        assert re.match(r"^(tag|https?):", entry.findtext("a:id", namespaces=NS))
        assert entry.find("a:content", NS).get("type") == "html"
        alternates = [lk for lk in entry.findall("a:link", NS) if lk.get("rel") == "alternate"]
        assert len(alternates) == 1
        for link in entry.findall("a:link", NS):
            assert link.get("href").startswith("https://")
    french = root.find("a:entry[a:id='tag:wirefeed.example,2026:story/story2']", NS)
    assert french.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    category = root.find("a:entry/a:category[@term='medtop:17000000']", NS)
    assert category.get("scheme") == "http://cv.iptc.org/newscodes/mediatopic/"
    assert category.get("label") == "weather"


def test_archive_pages_are_marked_and_link_back(
    doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    root = _atom(doc, spec, settings, page=3)
    assert root.find("fh:archive", NS) is not None
    rels = {link.get("rel"): link.get("href") for link in root.findall("a:link", NS)}
    assert rels["self"].endswith("/feeds/weather/archive/3.atom")
    assert rels["current"].endswith("/feeds/weather.atom")
    assert rels["prev-archive"].endswith("/feeds/weather/archive/1.atom")


def test_rss_structure_follows_the_best_practices_profile(
    doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    channel = etree.fromstring(render(doc, links_for(spec, settings), "rss")).find("channel")
    assert channel.findtext("link") == settings.public_base
    assert channel.findtext("language") == "en"
    atom_links = {link.get("rel"): link.attrib for link in channel.findall(f"{{{ATOM_NS}}}link")}
    assert atom_links["self"]["href"].endswith("/feeds/weather.rss")
    assert atom_links["self"]["type"] == "application/rss+xml"
    assert atom_links["hub"]["href"] == HUB
    assert atom_links["prev-archive"]["href"].endswith("/feeds/weather/archive/2.rss")
    guids = [item.findtext("guid") for item in channel.findall("item")]
    assert len(set(guids)) == len(guids) == 3
    for item in channel.findall("item"):
        assert item.find("guid").get("isPermaLink") == "false"
        parsedate_to_datetime(item.findtext("pubDate"))
        assert item.find("author") is None  # RSS author must be an e-mail address
        assert item.findtext("description")
    first = channel.find("item[guid='tag:wirefeed.example,2026:story/story1']")
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    assert first.findtext(dc) == "Jane Reporter"
    assert dict(first.find("enclosure").attrib) == {
        "url": "https://media.example.com/storm.jpg",
        "length": "48213",
        "type": "image/jpeg",
    }
    media = first.findall(".//{http://search.yahoo.com/mrss/}content")
    assert [m.get("url") for m in media] == [
        "https://media.example.com/storm.jpg",
        "https://media.example.com/storm-t.jpg",
    ]
    category = first.find("category[@domain]")
    assert category.text == "medtop:17000000"


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def check_json_feed(feed: dict[str, Any]) -> None:
    """The JSON Feed 1.1 rules: required keys, types, absolute URLs, RFC 3339 dates."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for key in ("home_page_url", "feed_url", "next_url"):
        if key in feed:
            assert feed[key].startswith(("https://", "http://"))
    for author in feed.get("authors", []):
        assert set(author) <= {"name", "url", "avatar"} and author
    for hub in feed.get("hubs", []):
        assert set(hub) == {"type", "url"}
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str)
        assert "content_html" in item or "content_text" in item
        for key in ("date_published", "date_modified"):
            if key in item:
                assert RFC3339.match(item[key]), item[key]
        for attachment in item.get("attachments", []):
            assert attachment["url"].startswith("https://") and attachment["mime_type"]
        for key in item:
            assert key in {
                "id",
                "url",
                "external_url",
                "title",
                "content_html",
                "content_text",
                "summary",
                "image",
                "banner_image",
                "date_published",
                "date_modified",
                "authors",
                "tags",
                "language",
                "attachments",
            } or key.startswith("_"), key


def test_json_feed_follows_the_spec(doc: FeedDocument, spec: FeedSpec, settings: Settings) -> None:
    feed = json.loads(render(doc, links_for(spec, settings), "json"))
    check_json_feed(feed)
    # feedparser 6.0 has no JSON Feed support, so the client-side checks are ours.
    assert [i["id"] for i in feed["items"]] == [
        f"tag:{settings.tag_authority}:story/story{n}" for n in (3, 2, 1)
    ]
    assert feed["items"][0]["title"] == "Bell and vertical tab"
    assert feed["items"][1]["language"] == "fr"
    assert "Corrects the name" in feed["items"][1]["content_html"]
    assert feed["hubs"] == [{"type": "WebSub", "url": HUB}]
    assert feed["next_url"].endswith("/feeds/weather/archive/2.json")
    first = next(i for i in feed["items"] if i["id"].endswith("story1"))
    assert first["authors"] == [{"name": "Jane Reporter"}]
    assert first["attachments"][0] == {
        "url": "https://media.example.com/storm.jpg",
        "mime_type": "image/jpeg",
        "title": "The storm",
        "size_in_bytes": 48213,
    }
    assert "weather" in first["tags"]


def test_a_correction_replaces_the_entry_in_place(settings: Settings) -> None:
    doc = FeedDocument(feed_id="f")
    doc.upsert(entry_from_story(story(1), settings), size=10)
    doc.upsert(entry_from_story(story(2), settings), size=10)
    corrected = story(
        1,
        version="2",
        firstcreated=T0 + timedelta(hours=1),  # a re-send with a different first date
        versioncreated=T0 + timedelta(hours=2),
        headlines=[Headline(value="Corrected headline")],
    )
    doc.upsert(entry_from_story(corrected, settings), size=10)
    assert [e.story_id for e in doc.entries] == ["story2", "story1"]
    entry = doc.find("story1")
    assert entry is not None
    assert entry.guid == f"tag:{settings.tag_authority}:story/story1"
    assert entry.title == "Corrected headline"
    assert entry.published == T0 + timedelta(minutes=1)
    assert entry.updated == T0 + timedelta(hours=2)


def test_entries_never_share_an_updated_value(settings: Settings) -> None:
    doc = FeedDocument(feed_id="f")
    same_time = [story(n, versioncreated=T0) for n in range(5)]
    for s in same_time:
        doc.upsert(entry_from_story(s, settings), size=10)
    assert len({e.updated for e in doc.entries}) == 5
    # Re-applying an unchanged version keeps its value: the rendering stays byte-identical.
    before = doc.model_dump_json()
    doc.upsert(entry_from_story(same_time[0], settings), size=10)
    assert doc.model_dump_json() == before


def test_the_oldest_entries_overflow(settings: Settings) -> None:
    doc = FeedDocument(feed_id="f")
    overflow = [doc.upsert(entry_from_story(story(n), settings), size=2) for n in range(4)]
    assert [e.story_id for e in doc.entries] == ["story3", "story2"]
    assert [[e.story_id for e in batch] for batch in overflow] == [[], [], ["story0"], ["story1"]]


LONG_LEAD = "Word " * 100


@pytest.mark.parametrize(
    ("body", "note", "summary"),
    [
        ("<p>Lead.</p><p>Second paragraph.</p>", None, "Lead."),
        ("<p>Lead.</p><p>Second.</p>", "Fixes a name.", "Correction: Fixes a name. Lead."),
        ("<p>Tom &amp; Jerry <em>meet</em>.</p>", None, "Tom & Jerry meet."),
        (f"<p>{LONG_LEAD}</p>", None, ("Word " * 60).strip() + "…"),
    ],
)
def test_the_summary_is_the_plain_lead_and_the_content_the_whole_body(
    settings: Settings, body: str, note: str | None, summary: str
) -> None:
    entry = entry_from_story(story(1, bodies=[Body(value=body)], correction_note=note), settings)
    assert entry.summary == summary
    assert len(entry.summary) <= 301
    assert body in entry.body


HOSTILE_HEADLINE = "Why </b> & <svg onload=alert(1)> break pages"
HOSTILE_NOTE = "Corrects <img src=x onerror=alert(1)> &amp; a name"


@pytest.fixture
def hostile_doc(settings: Settings) -> FeedDocument:
    """One story whose plain-text fields look like markup, with no body of its own."""
    doc = FeedDocument(feed_id="weather")
    hostile = story(
        9,
        headlines=[Headline(value=HOSTILE_HEADLINE)],
        bodies=[],
        correction_note=HOSTILE_NOTE,
        by="Desk <desk@example.com>",
        people=[Tag(name="</a>O'Brien")],
        language="zxx",
    )
    doc.upsert(entry_from_story(hostile, settings), size=10)
    return doc


def test_plain_text_is_escaped_exactly_once_in_rss(
    hostile_doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    item = etree.fromstring(render(hostile_doc, links_for(spec, settings), "rss")).find(
        "channel/item"
    )
    # description and content:encoded are HTML: their text is escaped once (then by XML).
    description = item.findtext("description")
    assert visible_text(description) == f"Correction: {HOSTILE_NOTE} {HOSTILE_HEADLINE}"
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert visible_text(content) == f"Correction: {HOSTILE_NOTE}{HOSTILE_HEADLINE}"
    assert not findings(description) and not findings(content)
    # title, dc:creator and category have no type: they read the same and hold no markup.
    for text in (
        item.findtext("title"),
        item.findtext("{http://purl.org/dc/elements/1.1/}creator"),
        item.findtext("category"),
    ):
        assert not list(parse(text))
    assert item.findtext("title").replace("\u2060", "") == HOSTILE_HEADLINE


def test_plain_text_is_escaped_exactly_once_in_atom(
    hostile_doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    entry = _atom(hostile_doc, spec, settings).find("a:entry", NS)
    title, summary = entry.find("a:title", NS), entry.find("a:summary", NS)
    assert title.get("type") == summary.get("type") == "html"
    assert visible_text(title.text) == HOSTILE_HEADLINE
    assert visible_text(summary.text) == f"Correction: {HOSTILE_NOTE} {HOSTILE_HEADLINE}"
    assert not findings(entry.findtext("a:content", namespaces=NS))
    assert not list(parse(entry.findtext("a:author/a:name", namespaces=NS)))
    # "zxx" (no linguistic content) is no language: the entry carries no xml:lang.
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") is None


def test_json_feed_plain_text_members_are_the_text_itself(
    hostile_doc: FeedDocument, spec: FeedSpec, settings: Settings
) -> None:
    item = json.loads(render(hostile_doc, links_for(spec, settings), "json"))["items"][0]
    assert item["title"] == HOSTILE_HEADLINE
    assert item["summary"] == f"Correction: {HOSTILE_NOTE} {HOSTILE_HEADLINE}"
    assert item["authors"] == [{"name": "Desk <desk@example.com>"}]
    assert "</a>O'Brien" in item["tags"]
    assert "language" not in item
    html = item["content_html"]
    assert not findings(html)
    assert visible_text(html) == f"Correction: {HOSTILE_NOTE}{HOSTILE_HEADLINE}"


def test_a_stored_body_is_sanitised_again_on_the_way_out(settings: Settings) -> None:
    """Stories stored before the sanitizer's rules, or by any other path, are cleaned too."""
    raw = '<p onclick="x()">Text <a href="/editor/logout">out</a><script>s()</script></p>'
    entry = entry_from_story(story(1, bodies=[Body(value=raw)]), settings)
    assert entry.content_html == '<p>Text <a rel="noopener noreferrer">out</a></p>'
    web = entry_from_story(
        story(2, uri="https://agency.example.com/news/2", bodies=[Body(value=raw)]), settings
    )
    assert 'href="https://agency.example.com/editor/logout"' in web.content_html


def test_a_body_without_text_has_the_title_as_summary(settings: Settings) -> None:
    picture = '<p><img src="https://media.example.com/a.jpg" alt=""></p>'
    entry = entry_from_story(story(1, bodies=[Body(value=picture)]), settings)
    assert entry.summary == "Headline number 1"


def test_a_feed_language_must_be_a_language() -> None:
    assert FeedSpec(id="f", title="F", language="en_gb").language == "en-GB"
    for bad in ("zxx", "und", "klingon", ""):
        with pytest.raises(ValueError, match="BCP 47"):
            FeedSpec(id="f", title="F", language=bad)
