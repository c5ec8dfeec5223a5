"""Enrichment of a stored story: tag its current version and store it again."""

from __future__ import annotations

from wirefeed.enrich.taggers import TaggerPipeline
from wirefeed.model import Story
from wirefeed.progress import Stage, record_stage
from wirefeed.storage import BlobStore, PreconditionFailed
from wirefeed.stories import load_story_tagged, save_story

# Conditional writes that lose a race are decided again; this bounds a pathological loop.
_WRITE_RETRIES = 8


def enrich(store: BlobStore, story_id: str, taggers: TaggerPipeline) -> Story | None:
    """Tag the current version of a story and store it; None if it is gone.

    The write is conditional: if a newer version was ingested meanwhile, the tags are
    computed again on that version instead of overwriting it with the old one.
    """
    for _ in range(_WRITE_RETRIES):
        story, etag = load_story_tagged(store, story_id)
        if story is None:
            return None
        tagged = taggers.enrich(story) if story.is_live else story
        if tagged != story:
            try:
                save_story(store, tagged, if_match=etag)
            except PreconditionFailed:
                continue
        record_stage(store, story_id, Stage.enriched, version=story.version)
        return tagged
    raise PreconditionFailed(f"story {story_id} kept changing; gave up after retries")
