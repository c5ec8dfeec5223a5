"""Enrichment of a stored story: tag its current version and store it again."""

from __future__ import annotations

from wirefeed.enrich.taggers import TaggerPipeline
from wirefeed.model import Story
from wirefeed.progress import Stage, record_stage
from wirefeed.storage import BlobStore, until_written
from wirefeed.stories import load_story_tagged, save_story


def enrich(store: BlobStore, story_id: str, taggers: TaggerPipeline) -> Story | None:
    """Tag the current version of a story and store it; None if it is gone.

    The write is conditional: if a newer version was ingested meanwhile, the tags are
    computed again on that version instead of overwriting it with the old one.
    """

    def attempt() -> Story | None:
        story, etag = load_story_tagged(store, story_id)
        if story is None:
            return None
        tagged = taggers.enrich(story) if story.is_live else story
        if tagged != story:
            save_story(store, tagged, if_match=etag)
        record_stage(store, story_id, Stage.enriched, version=story.version)
        return tagged

    return until_written(attempt, subject=f"story {story_id}")
