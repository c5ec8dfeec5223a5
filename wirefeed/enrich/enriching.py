"""Enrichment of a stored story: tag its current version and store it again."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wirefeed.enrich.taggers import TaggerPipeline
from wirefeed.model import Story
from wirefeed.progress import Stage, Timeline, start
from wirefeed.storage import BlobStore, until_written
from wirefeed.stories import StoredStory, load_stored, save_story

# Which feeds a tagged story goes to (given by the caller: routing is publishing's).
Router = Callable[[Story], Iterable[str]]


def enrich(
    store: BlobStore,
    story_id: str,
    taggers: TaggerPipeline,
    *,
    route: Router | None = None,
    timeline: Timeline | None = None,
    handed: str | None = None,
) -> StoredStory | None:
    """Tag the current version of a story and store it; return it as stored (None if
    it is gone).

    The write is conditional: if a newer version was ingested meanwhile, the tags are
    computed again on that version instead of overwriting it with the old one. The
    story is always written, even with unchanged tags: the write carries its progress
    (enriched, and the feeds ``route`` sends it to, added to those it went to before),
    which is how recovery knows the step was done. ``handed`` is the ETag ingest wrote,
    read from the hand-off on the first attempt; a lost race reads the bucket.
    """

    def attempt() -> StoredStory | None:
        nonlocal handed
        stored, handed = load_stored(store, story_id, handed=handed), None
        if stored is None:
            return None
        story = stored.story
        tagged = taggers.enrich(story) if story.is_live else story
        before = stored.progress or start(Stage.parsed, story.version)
        feeds = route(tagged) if route is not None else ()
        progress = before.moved(Stage.enriched, version=story.version, feeds=feeds)
        etag = save_story(store, tagged, progress=progress, if_match=stored.etag)
        return StoredStory(tagged, etag, progress)

    done = until_written(attempt, subject=f"story {story_id}")
    if done is not None and timeline is not None:
        timeline.note(story_id, Stage.enriched, version=done.story.version)
    return done
