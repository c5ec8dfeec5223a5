"""Feed documents and their rendering as RSS 2.0 and Atom 1.0.

A feed's content is kept as a ``FeedDocument`` (the newest entries, already shaped
for rendering), so a render reads one object instead of every story.
"""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator
from pydantic import BaseModel, Field

from wirefeed.layout import feed_key, story_key
from wirefeed.model import Story, utcnow
from wirefeed.sanitize import strip_xml_illegal
from wirefeed.settings import Settings
from wirefeed.subscriptions import FeedSpec


class Category(BaseModel):
    """A feed category: a term, with a scheme for coded vocabularies."""

    term: str
    label: str | None = None
    scheme: str | None = None


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


class FeedDocument(BaseModel):
    """The entries of one feed, newest first."""

    feed_id: str
    entries: list[FeedEntry] = Field(default_factory=list)
    # Hash of the last uploaded rendering per format, to skip unchanged uploads.
    uploaded_hashes: dict[str, str] = Field(default_factory=dict)

    def upsert(self, entry: FeedEntry, size: int) -> None:
        """Put ``entry`` in place of any earlier version of the story; keep the newest ``size``."""
        self.remove(entry.story_id)
        self.entries.append(entry)
        self.entries.sort(key=lambda e: (e.published, e.story_id), reverse=True)
        del self.entries[size:]

    def remove(self, story_id: str) -> bool:
        """Drop the story from the feed; True if it was there."""
        before = len(self.entries)
        self.entries = [e for e in self.entries if e.story_id != story_id]
        return len(self.entries) != before


def story_guid(story_id: str, settings: Settings) -> str:
    """The permanent identity of a story in every feed: a tag: URI (RFC 4151)."""
    return f"tag:{settings.tag_authority}:story/{story_id}"


def entry_from_story(story: Story, settings: Settings) -> FeedEntry:
    """Shape a story as a feed entry."""
    categories = [
        Category(term=t.literal or t.name, label=t.name, scheme=t.uri and t.uri.rsplit("/", 1)[0])
        for t in story.subjects
    ]
    categories += [Category(term=t.name) for t in story.people + story.organisations + story.places]
    return FeedEntry(
        story_id=story.id,
        guid=story_guid(story.id, settings),
        version=story.version,
        title=strip_xml_illegal(story.headline),
        link=settings.public_url(story_key(story.id)),
        content_html=story.body_html,
        published=story.firstcreated or story.versioncreated,
        updated=story.versioncreated,
        author=story.by,
        language=story.language,
        correction_note=story.correction_note,
        categories=categories,
    )


def _generator(spec: FeedSpec, doc: FeedDocument, settings: Settings, fmt: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(settings.public_url(feed_key(spec.id, "atom")))
    fg.title(spec.title)
    fg.subtitle(spec.description)
    fg.description(spec.description)
    fg.language("en")
    # RSS takes its <link> from the last link() call, so the self link goes first.
    fg.link(href=settings.public_url(feed_key(spec.id, fmt)), rel="self")
    fg.link(href=settings.public_base, rel="alternate")
    # Dates come from the entries, not the clock, so an unchanged feed renders the same
    # bytes and its upload can be skipped.
    newest = max((e.updated for e in doc.entries), default=utcnow())
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for entry in reversed(doc.entries):  # add_entry prepends: feed newest first.
        fe = fg.add_entry()
        fe.id(entry.guid)
        fe.guid(entry.guid, permalink=False)
        fe.title(entry.title)
        fe.link(href=entry.link, rel="alternate")
        content = entry.content_html or f"<p>{entry.title}</p>"
        if entry.correction_note:
            content = f"<p><strong>Correction:</strong> {entry.correction_note}</p>{content}"
        fe.content(content, type="html")
        fe.description(content)
        fe.published(entry.published)
        fe.updated(entry.updated)
        if entry.author:
            fe.author(name=entry.author)
        for category in entry.categories:
            fe.category(term=category.term, scheme=category.scheme, label=category.label)
    return fg


def render(spec: FeedSpec, doc: FeedDocument, settings: Settings, fmt: str) -> bytes:
    """Render a feed document as ``rss`` or ``atom``."""
    fg = _generator(spec, doc, settings, fmt)
    if fmt == "rss":
        return bytes(fg.rss_str(pretty=True))
    if fmt == "atom":
        return bytes(fg.atom_str(pretty=True))
    raise ValueError(f"unknown feed format {fmt!r}")
