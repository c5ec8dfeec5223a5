"""Stored stories: the private canonical copy, read and written with its ETag and the
progress it carries, and the public copy ``stories/{id}.json`` that publishing keeps in
step with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wirefeed.layout import public_story_key, story_key
from wirefeed.model import Story, utcnow
from wirefeed.progress import Progress
from wirefeed.storage import BlobStore, NotFound

# A public copy written from a version that changed meanwhile is written again.
_SYNC_ATTEMPTS = 4


@dataclass(frozen=True)
class StoredStory:
    """A story as stored: the canonical story, its ETag and the progress it carries."""

    story: Story
    etag: str
    progress: Progress | None


def load_story(store: BlobStore, story_id: str) -> Story | None:
    """The current canonical story, or None."""
    stored = load_stored(store, story_id)
    return stored.story if stored else None


def load_stored(
    store: BlobStore, story_id: str, *, handed: str | None = None
) -> StoredStory | None:
    """The current story with its ETag (for a conditional write back) and progress.

    ``handed`` is the ETag the stage before wrote: that version is taken from the
    hand-off when it is still there (wirefeed.handoff), without a request. It may have
    been replaced since, so only a caller that writes back with ``if_match`` passes it.
    """
    blob = store.recall(story_key(story_id), handed) if handed else None
    try:
        blob = blob or store.get(story_key(story_id))
    except NotFound:
        return None
    # Our own canonical JSON, validated when it was written: no wire parser runs on it,
    # so it needs no parse budget (wirefeed/intake/budget.py).
    return StoredStory(Story.from_json(blob.body), blob.etag, Progress.from_metadata(blob.metadata))


def save_story(
    store: BlobStore,
    story: Story,
    *,
    progress: Progress | None = None,
    if_match: str | None = None,
    if_none_match: bool = False,
) -> str:
    """Store the canonical story (private; see ``sync_public_copy``); return its ETag.

    ``progress`` travels in the same write, as the object's metadata: it is the durable
    record of how far the story got. With ``if_match``/``if_none_match`` the write only
    lands over the version that was read, and raises PreconditionFailed when another
    writer got there first.
    """
    return store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        metadata=progress.metadata() if progress else None,
        if_match=if_match,
        if_none_match=if_none_match,
    )


def is_public(story: Story, now: datetime) -> bool:
    """Whether anyone may see the story now: it is not under an embargo."""
    return story.embargoed is None or story.embargoed <= now


def sync_public_copy(
    store: BlobStore,
    story_id: str,
    now: datetime | None = None,
    *,
    known: StoredStory | None = None,
) -> StoredStory | None:
    """Make ``stories/{id}.json`` show the current story, or remove it while the story is
    embargoed (or gone); return the stored story the copy is in step with (None: gone).

    After writing, the canonical story is read again: if it changed meanwhile (an
    editor's embargo, say), the copy is brought in step again, so a copy written from
    an older version never stays public over an embargo. ``known``, the story as its
    caller just wrote it, saves the first read.
    """
    stored = None
    for _ in range(_SYNC_ATTEMPTS):
        stored, known = known or load_stored(store, story_id), None
        story = stored.story if stored is not None else None
        public = story is not None and is_public(story, now or utcnow())
        if story is not None and public:
            store.put(
                public_story_key(story_id),
                story.to_json(),
                content_type="application/json; charset=utf-8",
                cache_control="public, max-age=60",
            )
        else:
            store.delete(public_story_key(story_id))
        if _etag(store, story_id) == (stored.etag if stored is not None else None):
            break
    return stored


def _etag(store: BlobStore, story_id: str) -> str | None:
    """The canonical story's current ETag (one HEAD request), or None when it is gone."""
    try:
        return store.head(story_key(story_id)).etag
    except NotFound:
        return None
