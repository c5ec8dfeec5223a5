"""Which feeds a story touches, and bringing one feed (and its archive) up to date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import format_datetime

from wirefeed.layout import FEED_FORMATS, feed_archive_state_key, feed_document_key, feed_state_key
from wirefeed.lease import Lease
from wirefeed.model import utcnow
from wirefeed.progress import Stage, StoryState, load_state, record_stage
from wirefeed.publish.coalesce import FeedScheduler
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
        """File an entry that rolled off the current document into the newest page.

        Opening a new page touches the one before it too, whose next-archive link
        now points at the new page.
        """
        pages = self.doc.archive_pages
        if not pages or len(self.page(pages[-1]).entries) >= self.page_size:
            pages.append(pages[-1] + 1 if pages else 1)
            if len(pages) > 1:
                self.page(pages[-2])
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

    def following(self, number: int) -> int | None:
        """The archive page after ``number`` (newer), if any."""
        pages = self.doc.archive_pages
        index = pages.index(number)
        return pages[index + 1] if index + 1 < len(pages) else None


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
    store: BlobStore,
    doc: FeedDocument,
    links: FeedLinks,
    result: FeedUpdate,
    force: bool,
    held: Lease | None,
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
        if held is not None:
            held.check()
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
    held: Lease | None = None,
) -> FeedUpdate:
    """Apply the current state of ``story_ids`` to a feed, then upload what changed.

    Each story is put in (or replaces its earlier version) when the feed selects it,
    and taken out otherwise, from the current document and from the archive alike.
    Entries pushed out of the newest ``size`` roll into archive pages (RFC 5005).
    Documents whose rendering did not change are not uploaded, unless ``force`` (a
    rebuild) asks for every document to be written again. With ``held``, the feed's
    render lease, nothing is written once the lease is lost (LeaseLost is raised).
    """
    spec = subscriptions.get(feed_id)
    if spec is None:
        raise KeyError(feed_id)
    doc = load_feed_document(store, feed_id)
    archive = _Archive(store, doc, spec.size)
    result = FeedUpdate(feed_id=feed_id)
    result.membership = _apply(store, settings, subscriptions, spec, story_ids, archive)
    for number in archive.expire(settings.archive_pages_max):
        if held is not None:
            held.check()
        _delete_archive_page(store, spec, number)
    hubs = tuple(subscriptions.config.hubs) if spec.public else ()
    for number, page in sorted(archive.pages.items()):
        links = FeedLinks(
            spec,
            settings,
            hubs,
            number,
            archive.previous(number),
            next_archive=archive.following(number),
        )
        _upload(store, page, links, result, force, held)
        store.put(
            feed_archive_state_key(feed_id, number),
            page.model_dump_json().encode(),
            content_type="application/json",
        )
    current = FeedLinks(spec, settings, hubs, None, archive.previous(None))
    _upload(store, doc, current, result, force, held)
    if result.uploaded:
        doc.renders += 1
        doc.uploads += len(result.uploaded)
    if held is not None:
        held.check()
    store.put(
        feed_state_key(feed_id), doc.model_dump_json().encode(), content_type="application/json"
    )
    return result


def _delete_archive_page(store: BlobStore, spec: FeedSpec, number: int) -> None:
    for fmt in RENDERED_FORMATS:
        store.delete(feed_document_key(spec.id, fmt, spec.public, number))
    store.delete(feed_archive_state_key(spec.id, number))


def render_and_record(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    held: Lease,
    feed_id: str,
    story_ids: list[str],
    *,
    rebuild: bool = False,
) -> tuple[FeedUpdate, dict[str, StoryState]]:
    """Bring one feed up to date under its render lease, and note it on each story.

    Every story the update placed or removed gets a ``published`` step naming the feed
    A rebuild also re-applies the stories the feed holds now, uploads every document,
    and notes only the stories whose membership changed. Returns the update and the
    states it recorded.
    """
    before = {e.story_id for e in load_feed_document(store, feed_id).entries} if rebuild else None
    wanted = sorted(set(story_ids) | (before or set()))
    update = update_feed(store, settings, subscriptions, feed_id, wanted, force=rebuild, held=held)
    states = {}
    for story_id, member in update.membership.items():
        if before is None or member != (story_id in before):
            in_feeds = {feed_id: member}
            states[story_id] = record_stage(store, story_id, Stage.published, in_feeds=in_feeds)
    return update, states


def render_pending(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    feed_id: str,
) -> tuple[FeedUpdate, dict[str, StoryState]] | None:
    """Render the stories pending on a feed, once; None when another render holds it.

    The pending stories are forgotten only after their feed was written, so a render
    that fails or loses its lease leaves them for the next one.
    """
    with scheduler.exclusive(feed_id) as held:
        if held is None:
            return None
        story_ids = scheduler.begin(feed_id)
        if not story_ids:
            return FeedUpdate(feed_id=feed_id), {}
        rendered = render_and_record(store, settings, subscriptions, held, feed_id, story_ids)
        scheduler.done(feed_id, story_ids)
    return rendered
