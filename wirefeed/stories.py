"""Stored stories: ``stories/{id}.json``, read and written with their ETags."""

from __future__ import annotations

from wirefeed.layout import story_key
from wirefeed.model import Story
from wirefeed.storage import BlobStore, NotFound


def load_story(store: BlobStore, story_id: str) -> Story | None:
    """The current canonical story, or None."""
    return load_story_tagged(store, story_id)[0]


def load_story_tagged(store: BlobStore, story_id: str) -> tuple[Story | None, str | None]:
    """The current canonical story and its ETag, for a conditional write back."""
    try:
        blob = store.get(story_key(story_id))
    except NotFound:
        return None, None
    return Story.from_json(blob.body), blob.etag


def save_story(
    store: BlobStore, story: Story, *, if_match: str | None = None, if_none_match: bool = False
) -> str:
    """Store the canonical story (public as ninjs JSON beside the feeds); return its ETag.

    With ``if_match``/``if_none_match`` the write only lands over the version that was
    read, and raises PreconditionFailed when another writer got there first.
    """
    return store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        cache_control="public, max-age=60",
        if_match=if_match,
        if_none_match=if_none_match,
    )
