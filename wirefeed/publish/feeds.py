"""Feed documents and their rendering as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

A feed's content is kept as a ``FeedDocument`` (the newest entries, already shaped
for rendering), so a render reads one object instead of every story. Archive pages
(RFC 5005) are ``FeedDocument`` objects too, holding the entries that rolled off.

RSS and Atom come from feedgen, then a small pass over the XML adds what feedgen 1.0
leaves out: Atom entry links lose their ``rel``/``type``/``length`` (so enclosures
would read as duplicate alternate links), and RSS drops every ``atom:link`` but
``self``. JSON Feed is written by hand against the 1.1 spec.

Escaping happens once per layer. The body is sanitised HTML (``clean_html``); every
other value is plain text, HTML-escaped where the slot holds HTML (RSS description,
content:encoded, Atom ``type="html"`` text, JSON Feed ``content_html``), made inert
where RSS or Atom cannot say a slot holds text (``inert_text``), and left alone in
JSON Feed's plain-text members. The XML serializer then escapes what it writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from feedgen.feed import FeedGenerator
from lxml import etree
from pydantic import BaseModel, Field, field_validator

from wirefeed.layout import FEED_FORMATS, feed_document_key, public_story_key
from wirefeed.model import Story, Tag
from wirefeed.publish.subscriptions import FeedSpec, subject_code
from wirefeed.sanitize import (
    clean_html,
    html_to_text,
    inert_text,
    language_tag,
    strip_xml_illegal,
    text_to_html,
)
from wirefeed.settings import Settings

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
VOCABULARIES = {
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
}
_ONE_MICROSECOND = timedelta(microseconds=1)


class Category(BaseModel):
    """A feed category: a term, with a scheme for coded vocabularies."""

    term: str
    label: str | None = None
    scheme: str | None = None


class Enclosure(BaseModel):
    """A media file of a story (a ninjs rendition) as feeds attach it."""

    href: str
    content_type: str = "application/octet-stream"
    length: int = 0
    title: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def medium(self) -> str | None:
        """The Media RSS medium (image, video, audio) from the content type."""
        kind = self.content_type.split("/", 1)[0]
        return kind if kind in {"image", "video", "audio"} else None


# Longest summary (RSS description, Atom summary, JSON Feed summary), in characters.
SUMMARY_CHARS = 300


class FeedEntry(BaseModel):
    """One story as a feed shows it."""

    story_id: str
    guid: str
    version: str
    title: str
    link: str
    content_html: str
    published: datetime
    updated: datetime
    author: str | None = None
    language: str | None = None
    correction_note: str | None = None
    categories: list[Category] = Field(default_factory=list)
    enclosures: list[Enclosure] = Field(default_factory=list)
    # A feed's stored state keeps entries without their body (``content_html`` empty)
    # and this digest of it instead; the body is read back from the story to render.
    body_sha256: str | None = None

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str | None) -> str | None:
        return language_tag(value)

    @property
    def body(self) -> str:
        """The HTML readers see: the correction note first, when there is one.

        The title and the note are plain text, so they are escaped here; the body
        itself is already sanitised HTML.
        """
        content = self.content_html or f"<p>{text_to_html(self.title)}</p>"
        if self.correction_note:
            note = text_to_html(self.correction_note)
            return f"<p><strong>Correction:</strong> {note}</p>{content}"
        return content

    @property
    def summary(self) -> str:
        """Plain text for list views: the correction note and the lead, at most ~300 chars.

        The full body goes in the content element only; repeating it as the summary
        would double every document's size for nothing. A body without text (a
        picture alone) gives the title, since a summary may not be blank.
        """
        lead = _paragraphs(self.body)
        text = " ".join(lead[:2] if self.correction_note else lead[:1]) or self.title
        if len(text) <= SUMMARY_CHARS:
            return text
        return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


@lru_cache(maxsize=2048)
def _paragraphs(body: str) -> tuple[str, ...]:
    """The text paragraphs of a body, kept: every render of every feed the story is in
    asks for the lead of the same body again, in each format."""
    return tuple(html_to_text(body).split("\n\n"))


class PageSpan(BaseModel):
    """The publication dates of the oldest and newest entry an archive page holds."""

    oldest: datetime
    newest: datetime

    def covers(self, published: datetime) -> bool:
        """Whether an entry first published then may be on the page."""
        return self.oldest <= published <= self.newest

    def widened(self, published: datetime) -> PageSpan:
        """The span once an entry first published then is on the page too."""
        return PageSpan(oldest=min(self.oldest, published), newest=max(self.newest, published))


class FeedDocument(BaseModel):
    """The entries of one feed (or one archive page of it), newest first."""

    feed_id: str
    entries: list[FeedEntry] = Field(default_factory=list)
    # Hash of the last uploaded rendering per format, to skip unchanged uploads.
    uploaded_hashes: dict[str, str] = Field(default_factory=dict)
    # RFC 5005 history (current documents only): archive page numbers, oldest first,
    # and the span of entries each page holds, so a kill or correction finds its page
    # without an index of every archived story (which would grow with the archive).
    archive_pages: list[int] = Field(default_factory=list)
    spans: dict[int, PageSpan] = Field(default_factory=dict)
    # Counters an operator (and the burst test) can read: renders that uploaded
    # anything, and rendered documents uploaded in all.
    renders: int = 0
    uploads: int = 0

    def find(self, story_id: str) -> FeedEntry | None:
        """The entry of a story, if the document holds it."""
        return next((e for e in self.entries if e.story_id == story_id), None)

    def upsert(self, entry: FeedEntry, size: int | None = None) -> list[FeedEntry]:
        """Put ``entry`` in place of any earlier version of the story; keep the newest ``size``.

        The first publication date is kept across versions, so a correction updates the
        entry in place instead of moving it. ``updated`` is made unique within the
        document (by microseconds), since validators flag entries that share it.
        Returns the entries pushed out past ``size``, oldest last.
        """
        earlier = self.find(entry.story_id)
        if earlier is not None:
            if earlier.version == entry.version and earlier.updated >= entry.updated:
                entry = entry.model_copy(update={"updated": earlier.updated})
            entry = entry.model_copy(update={"published": earlier.published})
            self.remove(entry.story_id)
        taken = {e.updated for e in self.entries}
        updated = entry.updated
        while updated in taken:
            updated += _ONE_MICROSECOND
        self.entries.append(entry.model_copy(update={"updated": updated}))
        self.entries.sort(key=lambda e: (e.published, e.story_id), reverse=True)
        if size is None:
            return []
        overflow = self.entries[size:]
        del self.entries[size:]
        return overflow

    def remove(self, story_id: str) -> bool:
        """Drop the story from the document; True if it was there."""
        before = len(self.entries)
        self.entries = [e for e in self.entries if e.story_id != story_id]
        return len(self.entries) != before


def story_guid(story_id: str, settings: Settings) -> str:
    """The permanent identity of a story in every feed: a tag: URI (RFC 4151)."""
    return f"tag:{settings.tag_authority}:story/{story_id}"


def subject_category(tag: Tag) -> Category:
    """An IPTC subject as a category: its qcode, the vocabulary as scheme, its name."""
    code = subject_code(tag.literal or tag.uri or tag.name)
    prefix, _, _ = code.partition(":")
    return Category(term=code, label=clean_text(tag.name), scheme=VOCABULARIES.get(prefix))


def clean_text(text: str) -> str:
    """A plain text value safe in XML."""
    return strip_xml_illegal(text).strip()


def entry_from_story(story: Story, settings: Settings) -> FeedEntry:
    """Shape a story as a feed entry."""
    categories = [subject_category(t) for t in story.subjects]
    categories += [
        Category(term=clean_text(t.name)) for t in story.people + story.organisations + story.places
    ]
    enclosures = [
        Enclosure(
            href=r.href,
            content_type=r.contenttype or "application/octet-stream",
            length=r.sizeinbytes or 0,
            title=clean_text(r.title) if r.title else None,
            width=r.width,
            height=r.height,
        )
        for r in story.renditions.values()
        if r.href.startswith(("http://", "https://"))
    ]
    return FeedEntry(
        story_id=story.id,
        guid=story_guid(story.id, settings),
        version=story.version,
        title=clean_text(story.headline),
        link=settings.public_url(public_story_key(story.id)),
        # Sanitised again on the way out (it was at intake), so a story stored by an
        # older version, or by any other path, cannot carry markup into a feed.
        content_html=clean_html(story.body_html, base=story.uri),
        published=story.firstcreated or story.versioncreated,
        updated=story.versioncreated,
        author=clean_text(story.by) if story.by else None,
        language=story.language,
        correction_note=clean_text(story.correction_note) if story.correction_note else None,
        categories=list({(c.term, c.scheme): c for c in categories}.values()),
        enclosures=enclosures,
    )


@dataclass(frozen=True)
class FeedLinks:
    """Where a document lives and what it links to (RFC 5005 and WebSub)."""

    spec: FeedSpec
    settings: Settings
    hubs: tuple[str, ...] = ()
    archive_page: int | None = None  # None: the current (subscription) document.
    prev_archive: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # The next newer archive page (archive pages only): with prev-archive, it links the
    # oldest page into the chain, which validators want of every archive document.
    next_archive: int | None = None

    def url(self, fmt: str, page: int | None = None) -> str:
        """Absolute URL of this feed in ``fmt``: the current document or an archive page."""
        key = feed_document_key(self.spec.id, fmt, self.spec.public, page)
        if self.spec.public:
            return self.settings.public_url(key)
        return f"{self.settings.gateway_base}/{key.removeprefix('private/')}"

    def related(self, fmt: str) -> list[tuple[str, str]]:
        """(rel, href) of the self, current, archive and hub links of this document."""
        links = [("self", self.url(fmt, self.archive_page))]
        if self.archive_page is not None:
            links.append(("current", self.url(fmt)))
        if self.prev_archive is not None:
            links.append(("prev-archive", self.url(fmt, self.prev_archive)))
        if self.next_archive is not None:
            links.append(("next-archive", self.url(fmt, self.next_archive)))
        links += [("hub", hub) for hub in self.hubs]
        return links


def _generator(doc: FeedDocument, links: FeedLinks, fmt: str) -> FeedGenerator:
    spec, settings = links.spec, links.settings
    fg = FeedGenerator()
    if fmt == "rss":
        fg.load_extension("dc", atom=False, rss=True)
        fg.load_extension("media", atom=False, rss=True)
    fg.id(links.url("atom"))
    # Atom's titles become type="html" in _finish_atom; RSS has no type to give.
    fg.title(inert_text(clean_text(_feed_title(links))))
    fg.subtitle(clean_text(spec.description))
    fg.description(inert_text(clean_text(spec.description)))
    fg.language(spec.language)
    fg.author(name=settings.feed_author)
    # RSS takes its <link> from the last link() call, so the self link goes first.
    media_type = FEED_FORMATS[fmt].split(";")[0]  # validators want a bare media type
    fg.link(href=links.url(fmt, links.archive_page), rel="self", type=media_type)
    fg.link(href=settings.public_base, rel="alternate", type="text/html")
    # Dates come from the entries, not the clock, so an unchanged feed renders the same
    # bytes and its upload can be skipped.
    newest = max((e.updated for e in doc.entries), default=_EPOCH)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for entry in reversed(doc.entries):  # add_entry prepends: feed newest first.
        _add_entry(fg, entry, fmt)
    return fg


_EPOCH = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


def _feed_title(links: FeedLinks) -> str:
    title = links.spec.title
    return title if links.archive_page is None else f"{title} (archive)"


def _add_entry(fg: FeedGenerator, entry: FeedEntry, fmt: str) -> None:
    fe = fg.add_entry()
    fe.id(entry.guid)
    fe.guid(entry.guid, permalink=False)
    # Atom's entry title becomes type="html" in _finish_atom.
    fe.title(inert_text(entry.title))
    fe.link(href=entry.link, rel="alternate")
    # RSS description and Atom summary: the lead, escaped as HTML (RSS readers take
    # description for HTML; Atom says so with its type). content:encoded and Atom
    # content: the body.
    fe.summary(text_to_html(entry.summary), type="html")
    fe.content(entry.body, type="html")
    fe.published(entry.published)
    fe.updated(entry.updated)
    if entry.author and fmt == "atom":
        fe.author(name=inert_text(entry.author))
    elif entry.author:
        # RSS <author> must be an e-mail address; a byline goes in dc:creator.
        fe.dc.dc_creator(inert_text(entry.author))
    for category in entry.categories:
        term = inert_text(category.term)
        if fmt == "atom":
            label = inert_text(category.label) if category.label else None
            fe.category(term=term, scheme=category.scheme, label=label)
        else:
            fe.category(term=term, scheme=category.scheme)
    if fmt == "rss":
        _rss_media(fe, entry.enclosures)


def _rss_media(fe: Any, enclosures: list[Enclosure]) -> None:
    """RSS allows one <enclosure>: the first picture; Media RSS lists every rendition."""
    if not enclosures:
        return
    first = enclosures[0]
    fe.enclosure(first.href, str(first.length), first.content_type)
    # A media:group holds alternatives: a single rendition stands on its own.
    group = "default" if len(enclosures) > 1 else None
    for enclosure in enclosures:
        attributes = {"url": enclosure.href, "type": enclosure.content_type}
        if enclosure.medium:
            attributes["medium"] = enclosure.medium
        if enclosure.length:
            attributes["fileSize"] = str(enclosure.length)
        if enclosure.width and enclosure.height:
            attributes.update(width=str(enclosure.width), height=str(enclosure.height))
        fe.media.content(group=group, **attributes)


def _finish_atom(xml: bytes, doc: FeedDocument, links: FeedLinks) -> bytes:
    """Add the links feedgen loses: feed-level archive/hub links, entry enclosures."""
    root = etree.fromstring(xml)
    ns = {"a": ATOM_NS}
    _html_text(root.find("a:title", ns), _feed_title(links))
    _html_text(root.find("a:subtitle", ns), links.spec.description)
    for link in root.findall("a:link", ns):
        root.remove(link)
    anchor = root.find("a:author", ns)
    position = list(root).index(anchor) + 1 if anchor is not None else 0
    feed_links = [*links.related("atom"), ("alternate", links.settings.public_base)]
    for offset, (rel, href) in enumerate(feed_links):
        attributes = {"rel": rel, "href": href}
        if rel in {"self", "current", "prev-archive", "next-archive"}:
            attributes["type"] = "application/atom+xml"
        elif rel == "alternate":
            attributes["type"] = "text/html"
        root.insert(position + offset, etree.Element(f"{{{ATOM_NS}}}link", attributes))
    if links.archive_page is not None:
        root.insert(position, etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS}))
    by_guid = {e.guid: e for e in doc.entries}
    for element in root.findall("a:entry", ns):
        entry = by_guid[element.findtext("a:id", namespaces=ns) or ""]
        if entry.language and entry.language != links.spec.language:
            element.set("{http://www.w3.org/XML/1998/namespace}lang", entry.language)
        _html_text(element.find("a:title", ns), entry.title)
        for link in element.findall("a:link", ns):
            link.set("rel", "alternate")
        for enclosure in entry.enclosures:
            attributes = {"rel": "enclosure", "href": enclosure.href}
            attributes["type"] = enclosure.content_type
            if enclosure.length:
                attributes["length"] = str(enclosure.length)
            if enclosure.title:
                attributes["title"] = inert_text(enclosure.title)
            etree.SubElement(element, f"{{{ATOM_NS}}}link", attributes)
    return _serialise(root)


def _html_text(element: Any, text: str) -> None:
    """Make an Atom text construct ``type="html"`` holding ``text`` escaped as HTML.

    As plain ``type="text"``, a title such as ``Why </b> breaks pages`` is taken for
    undeclared markup by validators and by readers that guess; escaped HTML is exact.
    """
    if element is not None:
        element.set("type", "html")
        element.text = text_to_html(clean_text(text))


def _finish_rss(xml: bytes, links: FeedLinks) -> bytes:
    """Add the atom:link elements feedgen's RSS drops: hubs and archive links."""
    root = etree.fromstring(xml)
    channel = root.find("channel")
    assert channel is not None  # feedgen always writes one
    existing = channel.find(f"{{{ATOM_NS}}}link")
    position = list(channel).index(existing) + 1 if existing is not None else 0
    extra = [(rel, href) for rel, href in links.related("rss") if rel != "self"]
    for offset, (rel, href) in enumerate(extra):
        attributes = {"rel": rel, "href": href}
        if rel != "hub":
            attributes["type"] = "application/rss+xml"
        channel.insert(position + offset, etree.Element(f"{{{ATOM_NS}}}link", attributes))
    if links.archive_page is not None:
        channel.insert(
            position, etree.Element(f"{{{HISTORY_NS}}}archive", nsmap={"fh": HISTORY_NS})
        )
    return _serialise(root)


def _serialise(root: Any) -> bytes:
    etree.cleanup_namespaces(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def render_json(doc: FeedDocument, links: FeedLinks) -> bytes:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""
    spec = links.spec
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": clean_text(_feed_title(links)),
        "home_page_url": links.settings.public_base,
        "feed_url": links.url("json", links.archive_page),
        "description": clean_text(spec.description),
        "language": spec.language,
        "authors": [{"name": links.settings.feed_author}],
    }
    if links.prev_archive is not None:
        # JSON Feed pages backwards through next_url: the older entries.
        feed["next_url"] = links.url("json", links.prev_archive)
    if links.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in links.hubs]
    feed["items"] = [_json_item(entry) for entry in doc.entries]
    return json.dumps(feed, ensure_ascii=False, indent=2).encode()


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.guid,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.body,
        "summary": entry.summary,
        "date_published": _rfc3339(entry.published),
        "date_modified": _rfc3339(entry.updated),
    }
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    if entry.language:
        item["language"] = entry.language
    tags = list(dict.fromkeys(c.label or c.term for c in entry.categories))
    if tags:
        item["tags"] = tags
    if entry.enclosures:
        item["attachments"] = [_json_attachment(e) for e in entry.enclosures]
    coded = [c.model_dump(exclude_none=True) for c in entry.categories if c.scheme]
    if coded:
        item["_wirefeed"] = {"about": "https://wirefeed.example/jsonfeed", "categories": coded}
    return item


def _json_attachment(enclosure: Enclosure) -> dict[str, Any]:
    attachment: dict[str, Any] = {"url": enclosure.href, "mime_type": enclosure.content_type}
    if enclosure.title:
        attachment["title"] = enclosure.title
    if enclosure.length:
        attachment["size_in_bytes"] = enclosure.length
    return attachment


def render(doc: FeedDocument, links: FeedLinks, fmt: str) -> bytes:
    """Render a feed document as ``rss``, ``atom`` or ``json``."""
    if fmt == "json":
        return render_json(doc, links)
    fg = _generator(doc, links, fmt)
    if fmt == "rss":
        return _finish_rss(bytes(fg.rss_str(pretty=False)), links)
    if fmt == "atom":
        return _finish_atom(bytes(fg.atom_str(pretty=False)), doc, links)
    raise ValueError(f"unknown feed format {fmt!r}")
