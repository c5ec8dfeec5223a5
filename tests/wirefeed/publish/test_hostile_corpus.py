"""The hostile corpus through the whole domain pipeline, and every document it produces.

Each fragment of tests/fixtures/hostile/fragments.txt is a story body, a headline, an
agency's correction note (ednote), an editor's correction note and an entry of an
upstream Atom, RSS and JSON feed (bench/hostile_feeds.py sends them: intake, ingest,
enrichment with the cheap taggers, publishing, on the storage interface). Every RSS,
Atom and JSON Feed document is then read back with an HTML parser: nothing active
may be left, and what the input showed as text must still show.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from lxml import etree

from bench.hostile_feeds import Case, Run, document_kind, load_fragments, run
from tests.hostile_html import (
    assert_clean_html,
    assert_inert_text,
    findings,
    same_text,
    squeeze,
    starts_with_text,
    visible_text,
)
from tests.wirefeed.publish.test_feeds import check_json_feed
from wirefeed.publish.feeds import ATOM_NS, story_guid
from wirefeed.sanitize import clean_html

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"


@dataclass
class Shown:
    """One entry as one format shows it: its title, summary and body, read as a reader would."""

    where: str
    title: str
    summary: str
    body_html: str
    texts: list[str] = field(default_factory=list)  # other plain-text slots


@pytest.fixture(scope="module")
def result() -> Iterator[Run]:
    # A log line per story stage would cost more than the pipeline itself here.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        yield run()
    finally:
        root.setLevel(level)


@pytest.fixture(scope="module")
def shown(result: Run) -> dict[str, list[Shown]]:
    """Every entry of every document, by guid."""
    entries: dict[str, list[Shown]] = {}
    for key, body in result.documents():
        for guid, entry in _entries(key, body):
            entries.setdefault(guid, []).append(entry)
    return entries


def _entries(key: str, body: bytes) -> Iterator[tuple[str, Shown]]:
    if key.endswith(".json"):
        for item in json.loads(body)["items"]:
            texts = [a["name"] for a in item.get("authors", [])] + item.get("tags", [])
            yield (
                item["id"],
                Shown(
                    f"{key} {item['id']}",
                    item["title"],
                    item["summary"],
                    item["content_html"],
                    texts,
                ),
            )
        return
    root = etree.fromstring(body)
    if key.endswith(".rss"):
        for item in root.iter("item"):
            texts = [e.text or "" for e in item.iter("category", f"{{{DC_NS}}}creator")]
            # RSS has no type for its title: it must read as text when taken for HTML.
            title = item.findtext("title") or ""
            assert_inert_text(title, f"{key} title")
            for text in texts:
                assert_inert_text(text, f"{key} category or creator")
            guid = item.findtext("guid") or ""
            yield (
                guid,
                Shown(
                    f"{key} {guid}",
                    title,
                    visible_text(item.findtext("description") or ""),
                    item.findtext(f"{{{CONTENT_NS}}}encoded") or "",
                ),
            )
            assert_clean_html(item.findtext("description") or "", f"{key} description")
        return
    ns = {"a": ATOM_NS}
    for entry in root.iterfind("a:entry", ns):
        typed = {}
        for name in ("title", "summary", "content"):
            element = entry.find(f"a:{name}", ns)
            assert element is not None and element.get("type") == "html", f"{key} {name}"
            typed[name] = element.text or ""
        untyped = [e.text or "" for e in entry.iterfind("a:author/a:name", ns)]
        untyped += [
            e.get(a) or "" for e in entry.iterfind("a:category", ns) for a in ("term", "label")
        ]
        untyped += [e.get("title") or "" for e in entry.iterfind("a:link", ns)]
        for text in untyped:
            assert_inert_text(text, f"{key} author, category or link title")
        for name in ("title", "summary"):
            assert_clean_html(typed[name], f"{key} {name}")
        guid = entry.findtext("a:id", namespaces=ns) or ""
        yield (
            guid,
            Shown(
                f"{key} {guid}",
                visible_text(typed["title"]),
                visible_text(typed["summary"]),
                typed["content"],
            ),
        )


def test_the_corpus_is_large_and_every_fragment_is_hostile_or_tricky() -> None:
    fragments = load_fragments()
    assert len(fragments) >= 150
    assert len(set(fragments)) == len(fragments), "fragments repeat"
    # Most fragments carry an active construct as a browser would parse them.
    active = [f for f in fragments if findings(f)]
    assert len(active) >= 150


def test_every_case_became_a_published_story(result: Run, shown: dict[str, list[Shown]]) -> None:
    fragments = load_fragments()
    roles = {c.role for c in result.cases}
    assert roles == {"body", "headline", "ednote", "upstream-atom", "upstream-rss", "upstream-json"}
    assert len(result.cases) == 6 * len(fragments)
    missing = [c for c in result.cases if story_guid(c.story_id, result.settings) not in shown]
    assert not missing, f"{len(missing)} cases not in any feed, e.g. {missing[:3]}"


def test_no_body_holds_anything_active(shown: dict[str, list[Shown]]) -> None:
    for entries in shown.values():
        for entry in entries:
            assert_clean_html(entry.body_html, f"{entry.where} body")


def test_plain_text_members_of_json_feed_are_the_text(shown: dict[str, list[Shown]]) -> None:
    """Summaries everywhere are the lead of the body as text: never markup, never escaped twice."""
    for entries in shown.values():
        for entry in entries:
            lead = entry.summary.removesuffix("…")
            assert starts_with_text(visible_text(entry.body_html), lead) or same_text(
                lead, entry.title
            ), f"{entry.where}: summary {entry.summary!r} is not the text of the body"


def _entries_of(case: Case, result: Run, shown: dict[str, list[Shown]]) -> list[Shown]:
    entries = shown[story_guid(case.story_id, result.settings)]
    assert {e.where.split()[0].rsplit(".", 1)[-1] for e in entries} == {"rss", "atom", "json"}
    return entries


def test_headlines_show_as_the_text_they_were(result: Run, shown: dict[str, list[Shown]]) -> None:
    for case in result.cases:
        if case.headline is None:
            continue
        for entry in _entries_of(case, result, shown):
            assert same_text(entry.title.replace("\u2060", ""), case.headline), (
                f"{entry.where}: title {entry.title!r} for headline {case.headline!r}"
            )


def test_correction_notes_show_as_the_text_they_were(
    result: Run, shown: dict[str, list[Shown]]
) -> None:
    for case in result.cases:
        if case.note is None:
            continue
        for entry in _entries_of(case, result, shown):
            body = visible_text(entry.body_html)
            assert starts_with_text(body, f"Correction: {case.note}"), (
                f"{entry.where}: body {body[:200]!r} for note {case.note!r}"
            )


def test_bodies_show_the_text_the_fragment_showed(
    result: Run, shown: dict[str, list[Shown]]
) -> None:
    for case in result.cases:
        if case.body_html is None:
            continue
        expected = visible_text(case.body_html)
        for entry in _entries_of(case, result, shown):
            got = visible_text(entry.body_html)
            if not squeeze(expected):
                continue  # nothing showed; the entry falls back to its title
            assert same_text(got, expected), (
                f"{entry.where}: {case.body_html!r} showed {expected!r}, the feed shows {got!r}"
            )


def test_the_run_counts_every_story_it_made(result: Run) -> None:
    """The count is of canonical stories: every one of them is in the firehose."""
    firehose = set()
    for key, body in result.documents():
        if key.startswith("feeds/all") and key.endswith(".json"):
            firehose |= {item["id"] for item in json.loads(body)["items"]}
    assert result.story_count() == len(firehose) > len(result.cases)


def test_every_kind_of_document_is_produced(result: Run) -> None:
    """What the validator is run over: public and private, current and archive pages."""
    kinds = {document_kind(key) for key, _ in result.documents()}
    assert kinds == {
        f"{scope} {page} {fmt}"
        for scope in ("public", "private")
        for page in ("current", "archive")
        for fmt in ("rss", "atom", "json")
    }


def test_every_json_feed_document_follows_the_spec(result: Run) -> None:
    # The W3C validator knows RSS and Atom only.
    for key, body in result.documents():
        if key.endswith(".json"):
            check_json_feed(json.loads(body))


def test_the_public_story_json_holds_only_clean_html(result: Run) -> None:
    keys = list(result.store.list("stories/"))
    assert len(keys) == result.story_count()
    for key in keys:
        story: dict[str, Any] = json.loads(result.store.get(key).body)
        for body in story.get("bodies", []):
            assert body["contenttype"] == "text/html"
            assert_clean_html(body["value"], key)
        # Plain-text fields say so: a consumer escapes them like any text.
        assert all(h.get("contenttype", "text/plain") == "text/plain" for h in story["headlines"])


def test_the_sanitizer_is_stable_on_its_own_output() -> None:
    """Sanitising twice changes nothing more: the feeds' second pass is not a second escape."""
    for fragment in load_fragments():
        for base in (None, "https://news.example.com/a/b.html"):
            once = clean_html(fragment, base)
            assert clean_html(once, base) == once, fragment
