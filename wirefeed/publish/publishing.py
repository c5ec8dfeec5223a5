"""Which feeds a story touches, and bringing one feed (and its archive) up to date."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

import structlog

from wirefeed.layout import FEED_FORMATS, feed_archive_state_key, feed_document_key, feed_state_key
from wirefeed.lease import Lease
from wirefeed.model import Story, utcnow
from wirefeed.progress import Stage, Timeline, start
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.feeds import (
    FeedDocument,
    FeedEntry,
    FeedLinks,
    PageSpan,
    entry_from_story,
    render,
)
from wirefeed.publish.subscriptions import FeedSpec, Subscriptions
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, NotFound, until_written
from wirefeed.stories import (
    StoredStory,
    is_public,
    load_stored,
    load_story,
    save_story,
    sync_public_copy,
)

RENDERED_FORMATS = ("rss", "atom", "json")
log = structlog.get_logger(__name__)


def route(subscriptions: Subscriptions, story: Story, earlier: Iterable[str] = ()) -> list[str]:
    """Feeds the story now belongs in, plus those it went to before (a kill or retag
    must leave them), of the feeds that exist."""
    wanted = subscriptions.feeds_for(story) | set(earlier)
    return sorted(f for f in wanted if subscriptions.get(f) is not None)


def feeds_to_update(store: BlobStore, subscriptions: Subscriptions, story_id: str) -> set[str]:
    """Feeds the story now belongs in, plus those it went to before."""
    stored = load_stored(store, story_id)
    if stored is None:
        return set()
    return set(route(subscriptions, stored.story, stored.progress.feeds if stored.progress else ()))


def remember_feeds(store: BlobStore, story_id: str, feeds: Iterable[str]) -> None:
    """Add feeds to those a story's progress names (so a later kill reaches them)."""
    wanted = set(feeds)

    def attempt() -> None:
        stored = load_stored(store, story_id)
        if stored is None:
            return
        progress = stored.progress or start(Stage.enriched, stored.story.version)
        if wanted <= set(progress.feeds):
            return
        progress = progress.model_copy(update={"feeds": sorted(wanted | set(progress.feeds))})
        save_story(store, stored.story, progress=progress, if_match=stored.etag)

    until_written(attempt, subject=f"story {story_id}")


def publish_story(
    store: BlobStore,
    subscriptions: Subscriptions,
    story_id: str,
    timeline: Timeline | None = None,
    *,
    known: StoredStory | None = None,
) -> list[str]:
    """Bring the story's public copy in step, then return the feeds to mark pending,
    remembered with the story; [] if none.

    Enrichment routes a story as it stores it and passes it as ``known``, which saves
    reading it again; recovery, a released embargo and an editor's action read it here.
    """
    stored = sync_public_copy(store, story_id, known=known)
    if stored is None:
        return []
    earlier = stored.progress.feeds if stored.progress else []
    feeds = route(subscriptions, stored.story, earlier)
    if set(feeds) - set(earlier):
        remember_feeds(store, story_id, feeds)
    if not feeds and timeline is not None:
        timeline.note(story_id, Stage.published, detail="in no feed", version=stored.story.version)
    return feeds


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


def archived_story_ids(store: BlobStore, feed_id: str) -> dict[str, int]:
    """Every archived story of a feed and the page holding it (reads every page)."""
    doc = load_feed_document(store, feed_id)
    return {
        entry.story_id: number
        for number in doc.archive_pages
        for entry in load_archive_page(store, feed_id, number).entries
    }


@dataclass
class FeedUpdate:
    """The result of bringing one feed up to date."""

    feed_id: str
    membership: dict[str, bool] = field(default_factory=dict)
    # The version of each story the update placed, and when its payload arrived.
    versions: dict[str, str] = field(default_factory=dict)
    received: dict[str, datetime] = field(default_factory=dict)
    # Stories placed in the feed that their progress does not name yet (a rebuild).
    unrouted: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Public URLs of current documents that changed: the topics to ping hubs about.
    changed_topics: list[str] = field(default_factory=list)


class BodyCache:
    """Entry bodies by story and digest, kept across renders in this process.

    A feed's state keeps no bodies; a render takes them from here, and reads only the
    missing ones from the stories, the one place a body lives. Bounded (least recently
    used go first).
    """

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._bodies: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, story_id: str, digest: str) -> str | None:
        """The body of ``story_id`` with this digest, if kept."""
        with self._lock:
            body = self._bodies.get((story_id, digest))
            if body is not None:
                self._bodies.move_to_end((story_id, digest))
            return body

    def put(self, story_id: str, digest: str, body: str) -> None:
        """Keep a body, forgetting the least recently used beyond the capacity."""
        with self._lock:
            self._bodies[(story_id, digest)] = body
            self._bodies.move_to_end((story_id, digest))
            while len(self._bodies) > self.capacity:
                self._bodies.popitem(last=False)


BODIES = BodyCache()


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _stored(entry: FeedEntry) -> FeedEntry:
    """The entry as a feed's state keeps it: its body's digest instead of the body."""
    if entry.body_sha256 is not None and not entry.content_html:
        return entry
    digest = _digest(entry.content_html)
    BODIES.put(entry.story_id, digest, entry.content_html)
    return entry.model_copy(update={"content_html": "", "body_sha256": digest})


def _body(store: BlobStore, settings: Settings, entry: FeedEntry) -> str:
    """The body of a stored entry: kept in this process, else read from the story."""
    if entry.content_html or entry.body_sha256 is None:
        return entry.content_html  # a state written before bodies left it
    kept = BODIES.get(entry.story_id, entry.body_sha256)
    if kept is not None:
        return kept
    story = load_story(store, entry.story_id)
    body = entry_from_story(story, settings).content_html if story is not None else ""
    # A story that moved on since the feed took it shows its current body until the
    # render of its new version (already pending) replaces the entry.
    if _digest(body) == entry.body_sha256:
        BODIES.put(entry.story_id, entry.body_sha256, body)
    else:
        log.info("feed.body_moved_on", story_id=entry.story_id)
    return body


def with_bodies(store: BlobStore, settings: Settings, doc: FeedDocument) -> FeedDocument:
    """A stored document with every entry's body, ready to render or show."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda e: _body(store, settings, e), doc.entries))
    entries = [
        e.model_copy(update={"content_html": b}) for e, b in zip(doc.entries, bodies, strict=True)
    ]
    return doc.model_copy(update={"entries": entries})


class _Archive:
    """The archive pages of one feed touched during one update, loaded on demand."""

    def __init__(self, store: BlobStore, doc: FeedDocument, page_size: int) -> None:
        self.store = store
        self.doc = doc
        self.page_size = page_size
        self.pages: dict[int, FeedDocument] = {}
        # Pages changed by this update: the only ones rendered and written again.
        self.touched: set[int] = set()

    def page(self, number: int) -> FeedDocument:
        if number not in self.pages:
            self.pages[number] = load_archive_page(self.store, self.doc.feed_id, number)
        return self.pages[number]

    def locate(self, entry: FeedEntry) -> int | None:
        """The page holding an earlier entry of the story, if it is archived.

        Only pages whose span covers the entry's first publication are read, newest
        first: a new story (newer than every archived one) reads none.
        """
        for number in reversed(self.doc.archive_pages):
            span = self.doc.spans.get(number)
            covered = span is not None and span.covers(entry.published)
            if covered and self.page(number).find(entry.story_id) is not None:
                return number
        return None

    def _file(self, number: int, entry: FeedEntry) -> None:
        self.page(number).upsert(entry)
        self.touched.add(number)
        published = (self.page(number).find(entry.story_id) or entry).published
        span = self.doc.spans.get(number)
        self.doc.spans[number] = (
            span.widened(published) if span else PageSpan(oldest=published, newest=published)
        )

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
                self.touched.add(pages[-2])
        self._file(pages[-1], entry)

    def update(self, number: int, entry: FeedEntry) -> None:
        """Correct an archived story where it is."""
        self._file(number, entry)

    def remove(self, number: int, story_id: str) -> None:
        """Take a story out of the archive page that holds it."""
        self.page(number).remove(story_id)
        self.touched.add(number)

    def expire(self, keep: int) -> list[int]:
        """Forget the oldest pages beyond ``keep``; return their numbers for deletion.

        The oldest page left is touched: its previous-archive link pointed at an
        expired page.
        """
        expired = self.doc.archive_pages[: max(0, len(self.doc.archive_pages) - keep)]
        if expired:
            del self.doc.archive_pages[: len(expired)]
            for number in expired:
                self.doc.spans.pop(number, None)
                self.pages.pop(number, None)
                self.touched.discard(number)
            if self.doc.archive_pages:
                oldest = self.doc.archive_pages[0]
                self.page(oldest)
                self.touched.add(oldest)
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
    result: FeedUpdate,
) -> None:
    """Put each story in the feed, its archive, or neither; note where each one is."""
    doc, now, membership = archive.doc, utcnow(), result.membership
    for story_id in story_ids:
        stored = load_stored(store, story_id)
        if stored is None:
            doc.remove(story_id)
            membership[story_id] = False
            continue
        story, progress = stored.story, stored.progress
        result.versions[story_id] = story.version
        if progress is not None and progress.received_at is not None:
            result.received[story_id] = progress.received_at
        entry = entry_from_story(story, settings)
        # The first publication date stays the same across versions (ingest keeps the
        # first ``firstcreated``), so it finds an archived earlier version.
        page = archive.locate(entry) if doc.find(story_id) is None else None
        if not is_public(story, now) or not subscriptions.matches(spec.id, story):
            doc.remove(story_id)
            if page is not None:
                archive.remove(page, story_id)
            membership[story_id] = False
            continue
        if page is not None:
            archive.update(page, _stored(entry))
        else:
            for old in doc.upsert(_stored(entry), spec.size):
                archive.add(old)
        membership[story_id] = True
        if progress is None or spec.id not in progress.feeds:
            result.unrouted.append(story_id)


def _upload(
    store: BlobStore,
    settings: Settings,
    doc: FeedDocument,
    links: FeedLinks,
    result: FeedUpdate,
    force: bool,
    held: Lease | None,
) -> None:
    """Render every format of one document and upload those whose bytes changed."""
    cache_scope = "public" if links.spec.public else "private"
    max_age = 30 if links.archive_page is None else 300
    full = with_bodies(store, settings, doc)
    for fmt in RENDERED_FORMATS:
        body = render(full, links, fmt)
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
    Entries pushed out of the newest ``size`` roll into archive pages (RFC 5005); only
    the pages entries rolled into or changed on are rendered and written. The stored
    state keeps entries without their bodies, so it stays small; a render reads only
    the bodies this process does not keep already. Documents whose rendering did not
    change are not uploaded, unless ``force`` (a rebuild) asks for every document
    touched to be written again. With ``held``, the feed's render lease, nothing is
    written once the lease is lost (LeaseLost is raised).
    """
    spec = subscriptions.get(feed_id)
    if spec is None:
        raise KeyError(feed_id)
    doc = load_feed_document(store, feed_id)
    archive = _Archive(store, doc, spec.size)
    result = FeedUpdate(feed_id=feed_id)
    _apply(store, settings, subscriptions, spec, story_ids, archive, result)
    for number in archive.expire(settings.archive_pages_max):
        if held is not None:
            held.check()
        _delete_archive_page(store, spec, number)
    hubs = tuple(subscriptions.config.hubs) if spec.public else ()
    for number in sorted(archive.touched):
        page = archive.pages[number]
        links = FeedLinks(
            spec,
            settings,
            hubs,
            number,
            archive.previous(number),
            next_archive=archive.following(number),
        )
        _upload(store, settings, page, links, result, force, held)
        store.put(
            feed_archive_state_key(feed_id, number),
            page.model_dump_json().encode(),
            content_type="application/json",
        )
    current = FeedLinks(spec, settings, hubs, None, archive.previous(None))
    _upload(store, settings, doc, current, result, force, held)
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
    timeline: Timeline | None = None,
) -> FeedUpdate:
    """Bring one feed up to date under its render lease, and note it on each story.

    Every story the update placed or removed gets a ``published`` step naming the feed
    and the version, in its timeline: the feed state itself is the durable record. A
    rebuild also re-applies the stories the feed holds now, uploads every document, and
    notes only the stories whose membership changed; stories it placed that their
    progress does not name yet get the feed added there.
    """
    before = {e.story_id for e in load_feed_document(store, feed_id).entries} if rebuild else None
    wanted = sorted(set(story_ids) | (before or set()))
    update = update_feed(store, settings, subscriptions, feed_id, wanted, force=rebuild, held=held)
    for story_id in update.unrouted:
        remember_feeds(store, story_id, [feed_id])
    if timeline is not None:
        for story_id, member in update.membership.items():
            if before is None or member != (story_id in before):
                timeline.note(
                    story_id,
                    Stage.published,
                    detail=f"{'in' if member else 'out of'} {feed_id}",
                    version=update.versions.get(story_id),
                    feed=feed_id,
                    member=member,
                )
    return update


def render_pending(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    feed_id: str,
    timeline: Timeline | None = None,
) -> FeedUpdate | None:
    """Render the stories pending on a feed, once; None when another render holds it.

    The pending stories are forgotten only after their feed was written, so a render
    that fails or loses its lease leaves them for the next one.
    """
    with scheduler.exclusive(feed_id) as held:
        if held is None:
            return None
        story_ids = scheduler.begin(feed_id)
        if not story_ids:
            return FeedUpdate(feed_id=feed_id)
        update = render_and_record(
            store, settings, subscriptions, held, feed_id, story_ids, timeline=timeline
        )
        scheduler.done(feed_id, story_ids)
    return update
