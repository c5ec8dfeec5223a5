"""Which feeds a story touches, and bringing one feed up to date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from wirefeed.feeds import FeedDocument, entry_from_story, render
from wirefeed.layout import FEED_FORMATS, feed_key, feed_state_key
from wirefeed.model import utcnow
from wirefeed.pipeline import load_story
from wirefeed.settings import Settings
from wirefeed.state import load_state
from wirefeed.storage import BlobStore, NotFound
from wirefeed.subscriptions import FeedSpec, Subscriptions

RENDERED_FORMATS = ("rss", "atom")


def feeds_to_update(store: BlobStore, subscriptions: Subscriptions, story_id: str) -> set[str]:
    """Feeds the story now belongs in, plus those it was in (a kill or retag leaves them)."""
    story = load_story(store, story_id)
    state = load_state(store, story_id)
    wanted = subscriptions.feeds_for(story) if story is not None else set()
    previous = set(state.feeds) if state is not None else set()
    return {f for f in wanted | previous if subscriptions.get(f) is not None}


def load_feed_document(store: BlobStore, feed_id: str) -> FeedDocument:
    """The stored entries of a feed (empty for a new feed)."""
    try:
        return FeedDocument.model_validate_json(store.get(feed_state_key(feed_id)).body)
    except NotFound:
        return FeedDocument(feed_id=feed_id)


@dataclass
class FeedUpdate:
    """The result of bringing one feed up to date."""

    feed_id: str
    membership: dict[str, bool] = field(default_factory=dict)
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def update_feed(
    store: BlobStore,
    settings: Settings,
    spec: FeedSpec,
    story_ids: list[str],
    *,
    force: bool = False,
) -> FeedUpdate:
    """Apply the current state of ``story_ids`` to a feed, then upload what changed.

    Each story is put in (or replaces its earlier version) when the feed selects it,
    and taken out otherwise. Formats whose rendering did not change are not uploaded,
    unless ``force`` (a rebuild) asks for every format to be written again.
    """
    doc = load_feed_document(store, spec.id)
    result = FeedUpdate(feed_id=spec.id)
    now = utcnow()
    for story_id in story_ids:
        story = load_story(store, story_id)
        released = story is not None and (story.embargoed is None or story.embargoed <= now)
        if story is not None and released and spec.matches(story):
            doc.upsert(entry_from_story(story, settings), spec.size)
            result.membership[story_id] = any(e.story_id == story_id for e in doc.entries)
        else:
            doc.remove(story_id)
            result.membership[story_id] = False
    for fmt in RENDERED_FORMATS:
        body = render(spec, doc, settings, fmt)
        digest = hashlib.sha256(body).hexdigest()
        if not force and doc.uploaded_hashes.get(fmt) == digest:
            result.unchanged.append(fmt)
            continue
        store.put(
            feed_key(spec.id, fmt),
            body,
            content_type=FEED_FORMATS[fmt],
            cache_control="public, max-age=30",
            metadata={"entries": str(len(doc.entries))},
        )
        doc.uploaded_hashes[fmt] = digest
        result.uploaded.append(fmt)
    store.put(
        feed_state_key(spec.id), doc.model_dump_json().encode(), content_type="application/json"
    )
    return result
