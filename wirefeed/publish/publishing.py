"""Which feeds a story touches, and bringing one feed (and its archive) up to date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import format_datetime

from wirefeed.layout import FEED_FORMATS, feed_archive_state_key, feed_document_key, feed_state_key
from wirefeed.model import utcnow
from wirefeed.progress import load_state
from wirefeed.publish.feeds import FeedDocument, FeedEntry, FeedLinks, entry_from_story, render
from wirefeed.publish.subscriptions import FeedSpec, Subscriptions
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, NotFound
from wirefeed.stories import is_public, load_story

RENDERED_FORMATS = ("rss", "atom", "json")


def feeds_to_update(store: BlobStore, subscriptions: Subscriptions, story_id: str) -> set[str]:
    """Feeds the story now belongs in, plus those it was in (a kill or retag leaves them)."""
    story = load_story(store, story_id)
    state = load_state(store, story_id)
    wanted = subscriptions.feeds_for(story) if story is not None else set()
    previous = set(state.feeds) if state is not None else set()
    return {f for f in wanted | previous if subscriptions.get(f) is not None}


def _load_document(store: BlobStore, key: str, feed_id: str) -> FeedDocument:
    try:
        return FeedDocument.model_validate_json(store.get(key).body)
    except NotFound:
        return FeedDocument(feed_id=feed_id)


def load_feed_document(store: BlobStore, feed_id: str) -> FeedDocument:
    """The stored entries of a feed (empty for a new feed)."""
    return _load_document(store, feed_state_key(feed_id), feed_id)


def load_archive_page(store: BlobStore, feed_id: str, page: int) -> FeedDocument:
    """The stored entries of one archive page of a feed."""
    return _load_document(store, feed_archive_state_key(feed_id, page), feed_id)


@dataclass
class FeedUpdate:
    """The result of bringing one feed up to date."""

    feed_id: str
    membership: dict[str, bool] = field(default_factory=dict)
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Public URLs of current documents that changed: the topics to ping hubs about.
    changed_topics: list[str] = field(default_factory=list)


class _Archive:
    """The archive pages of one feed touched during one update, loaded on demand."""

    def __init__(self, store: BlobStore, doc: FeedDocument, page_size: int) -> None:
        self.store = store
        self.doc = doc
        self.page_size = page_size
        self.pages: dict[int, FeedDocument] = {}

    def page(self, number: int) -> FeedDocument:
        if number not in self.pages:
            self.pages[number] = load_archive_page(self.store, self.doc.feed_id, number)
        return self.pages[number]

    def add(self, entry: FeedEntry) -> None:
        """File an entry that rolled off the current document into the newest page."""
        pages = self.doc.archive_pages
        if not pages or len(self.page(pages[-1]).entries) >= self.page_size:
            pages.append(pages[-1] + 1 if pages else 1)
        self.page(pages[-1]).upsert(entry)
        self.doc.archived[entry.story_id] = pages[-1]

    def update(self, entry: FeedEntry) -> None:
        """Correct an archived story where it is."""
        self.page(self.doc.archived[entry.story_id]).upsert(entry)

    def remove(self, story_id: str) -> None:
        """Take a story out of the archive page that holds it."""
        number = self.doc.archived.pop(story_id, None)
        if number is not None:
            self.page(number).remove(story_id)

    def expire(self, keep: int) -> list[int]:
        """Forget the oldest pages beyond ``keep``; return their numbers for deletion."""
        expired = self.doc.archive_pages[: max(0, len(self.doc.archive_pages) - keep)]
        if expired:
            del self.doc.archive_pages[: len(expired)]
            gone = set(expired)
            self.doc.archived = {s: p for s, p in self.doc.archived.items() if p not in gone}
            for number in expired:
                self.pages.pop(number, None)
        return expired

    def previous(self, number: int | None) -> int | None:
        """The page before ``number`` (None: before the current document), if any."""
        pages = self.doc.archive_pages
        if number is None:
            return pages[-1] if pages else None
        index = pages.index(number)
        return pages[index - 1] if index > 0 else None


def _apply(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    spec: FeedSpec,
    story_ids: list[str],
    archive: _Archive,
) -> dict[str, bool]:
    """Put each story in the feed, its archive, or neither; return where each one is."""
    doc, now, membership = archive.doc, utcnow(), {}
    for story_id in story_ids:
        story = load_story(store, story_id)
        if story is None or not is_public(story, now) or not subscriptions.matches(spec.id, story):
            doc.remove(story_id)
            archive.remove(story_id)
            membership[story_id] = False
            continue
        entry = entry_from_story(story, settings)
        if story_id in doc.archived:
            archive.update(entry)
        else:
            for old in doc.upsert(entry, spec.size):
                archive.add(old)
        membership[story_id] = True
    return membership


def _upload(
    store: BlobStore, doc: FeedDocument, links: FeedLinks, result: FeedUpdate, force: bool
) -> None:
    """Render every format of one document and upload those whose bytes changed."""
    cache_scope = "public" if links.spec.public else "private"
    max_age = 30 if links.archive_page is None else 300
    for fmt in RENDERED_FORMATS:
        body = render(doc, links, fmt)
        digest = hashlib.sha256(body).hexdigest()
        label = fmt if links.archive_page is None else f"archive/{links.archive_page}.{fmt}"
        if not force and doc.uploaded_hashes.get(fmt) == digest:
            result.unchanged.append(label)
            continue
        store.put(
            feed_document_key(links.spec.id, fmt, links.spec.public, links.archive_page),
            body,
            content_type=FEED_FORMATS[fmt],
            cache_control=f"{cache_scope}, max-age={max_age}",
            metadata={
                "entries": str(len(doc.entries)),
                "sha256": digest,
                "last-modified": format_datetime(utcnow(), usegmt=True),
            },
        )
        doc.uploaded_hashes[fmt] = digest
        result.uploaded.append(label)
        if links.archive_page is None and links.spec.public:
            result.changed_topics.append(links.url(fmt))


def update_feed(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    feed_id: str,
    story_ids: list[str],
    *,
    force: bool = False,
) -> FeedUpdate:
    """Apply the current state of ``story_ids`` to a feed, then upload what changed.

    Each story is put in (or replaces its earlier version) when the feed selects it,
    and taken out otherwise, from the current document and from the archive alike.
    Entries pushed out of the newest ``size`` roll into archive pages (RFC 5005).
    Documents whose rendering did not change are not uploaded, unless ``force`` (a
    rebuild) asks for every document to be written again.
    """
    spec = subscriptions.get(feed_id)
    if spec is None:
        raise KeyError(feed_id)
    doc = load_feed_document(store, feed_id)
    archive = _Archive(store, doc, spec.size)
    result = FeedUpdate(feed_id=feed_id)
    result.membership = _apply(store, settings, subscriptions, spec, story_ids, archive)
    for number in archive.expire(settings.archive_pages_max):
        _delete_archive_page(store, spec, number)
    hubs = tuple(subscriptions.config.hubs) if spec.public else ()
    for number, page in sorted(archive.pages.items()):
        links = FeedLinks(spec, settings, hubs, number, archive.previous(number))
        _upload(store, page, links, result, force)
        store.put(
            feed_archive_state_key(feed_id, number),
            page.model_dump_json().encode(),
            content_type="application/json",
        )
    current = FeedLinks(spec, settings, hubs, None, archive.previous(None))
    _upload(store, doc, current, result, force)
    if result.uploaded:
        doc.renders += 1
        doc.uploads += len(result.uploaded)
    store.put(
        feed_state_key(feed_id), doc.model_dump_json().encode(), content_type="application/json"
    )
    return result


def _delete_archive_page(store: BlobStore, spec: FeedSpec, number: int) -> None:
    for fmt in RENDERED_FORMATS:
        store.delete(feed_document_key(spec.id, fmt, spec.public, number))
    store.delete(feed_archive_state_key(spec.id, number))
