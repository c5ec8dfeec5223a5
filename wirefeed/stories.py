"""Stored stories: the private canonical copy, read and written with its ETag, and the
public copy ``stories/{id}.json`` that publishing keeps in step with it.
"""

from __future__ import annotations

from datetime import datetime

from wirefeed.layout import public_story_key, story_key
from wirefeed.model import Story, utcnow
from wirefeed.storage import BlobStore, NotFound

# A public copy written from a version that changed meanwhile is written again.
_SYNC_ATTEMPTS = 4


def load_story(store: BlobStore, story_id: str) -> Story | None:
    """The current canonical story, or None."""
    return load_story_tagged(store, story_id)[0]


def load_story_tagged(store: BlobStore, story_id: str) -> tuple[Story | None, str | None]:
    """The current canonical story and its ETag, for a conditional write back."""
    try:
        blob = store.get(story_key(story_id))
    except NotFound:
        return None, None
    # Our own canonical JSON, validated when it was written: no wire parser runs on it,
    # so it needs no parse budget (wirefeed/intake/budget.py).
    return Story.from_json(blob.body), blob.etag


def save_story(
    store: BlobStore, story: Story, *, if_match: str | None = None, if_none_match: bool = False
) -> str:
    """Store the canonical story (private; see ``sync_public_copy``); return its ETag.

    With ``if_match``/``if_none_match`` the write only lands over the version that was
    read, and raises PreconditionFailed when another writer got there first.
    """
    return store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        if_match=if_match,
        if_none_match=if_none_match,
    )


def is_public(story: Story, now: datetime) -> bool:
    """Whether anyone may see the story now: it is not under an embargo."""
    return story.embargoed is None or story.embargoed <= now


def sync_public_copy(store: BlobStore, story_id: str, now: datetime | None = None) -> bool:
    """Make ``stories/{id}.json`` show the current story, or remove it while the story is
    embargoed (or gone); return whether a public copy exists now.

    After writing, the canonical story is read again: if it changed meanwhile (an
    editor's embargo, say), the copy is brought in step again, so a copy written from
    an older version never stays public over an embargo.
    """
    public = False
    for _ in range(_SYNC_ATTEMPTS):
        story, etag = load_story_tagged(store, story_id)
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
        if load_story_tagged(store, story_id)[1] == etag:
            break
    return public
