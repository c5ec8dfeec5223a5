"""Stored stories: ``stories/{id}.json``, read and written with their ETags and progress."""

from __future__ import annotations

from dataclasses import dataclass

from wirefeed.layout import story_key
from wirefeed.model import Story
from wirefeed.progress import Progress
from wirefeed.storage import BlobStore, NotFound


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


def load_stored(store: BlobStore, story_id: str) -> StoredStory | None:
    """The current story with its ETag (for a conditional write back) and progress."""
    try:
        blob = store.get(story_key(story_id))
    except NotFound:
        return None
    return StoredStory(Story.from_json(blob.body), blob.etag, Progress.from_metadata(blob.metadata))


def save_story(
    store: BlobStore,
    story: Story,
    *,
    progress: Progress | None = None,
    if_match: str | None = None,
    if_none_match: bool = False,
) -> str:
    """Store the canonical story (public as ninjs JSON beside the feeds); return its ETag.

    ``progress`` travels in the same write, as the object's metadata: it is the durable
    record of how far the story got. With ``if_match``/``if_none_match`` the write only
    lands over the version that was read, and raises PreconditionFailed when another
    writer got there first.
    """
    return store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        cache_control="public, max-age=60",
        metadata=progress.metadata() if progress else None,
        if_match=if_match,
        if_none_match=if_none_match,
    )
