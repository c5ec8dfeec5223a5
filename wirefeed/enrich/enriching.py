"""Enrichment of a stored story: tag its current version and store it again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wirefeed.enrich.taggers import TaggerPipeline
from wirefeed.model import Story
from wirefeed.progress import Stage, record_stage
from wirefeed.storage import BlobStore, PreconditionFailed
from wirefeed.stories import load_story_tagged, save_story

# Conditional writes that lose a race are decided again; this bounds a pathological loop.
_WRITE_RETRIES = 8


@dataclass(frozen=True)
class Prepared:
    """A story as loaded (with the ETag its write is conditional on) and its tagged copy."""

    story: Story
    etag: str | None
    tagged: Story


def _tag(story: Story, taggers: TaggerPipeline) -> Story:
    return taggers.enrich(story) if story.is_live else story


def prepare_many(
    store: BlobStore, story_ids: Sequence[str], taggers: TaggerPipeline
) -> dict[str, Prepared]:
    """Load several stories and tag them in one batch (models run faster on batches).

    Nothing is written: ``enrich`` with the prepared result does that, conditionally,
    so a story that changed in between is simply tagged again. Stories that are gone
    are left out.
    """
    loaded = [load_story_tagged(store, story_id) for story_id in dict.fromkeys(story_ids)]
    found = [(story, etag) for story, etag in loaded if story is not None]
    live = [story for story, _ in found if story.is_live]
    tagged = dict(zip((s.id for s in live), taggers.enrich_many(live), strict=True))
    return {story.id: Prepared(story, etag, tagged.get(story.id, story)) for story, etag in found}


def enrich(
    store: BlobStore, story_id: str, taggers: TaggerPipeline, prepared: Prepared | None = None
) -> Story | None:
    """Tag the current version of a story and store it; None if it is gone.

    The write is conditional: if a newer version was ingested meanwhile, the tags are
    computed again on that version instead of overwriting it with the old one. A
    ``prepared`` result (from ``prepare_many``) stands in for the first load and tagging.
    """
    for _ in range(_WRITE_RETRIES):
        if prepared is not None:
            story, etag, tagged = prepared.story, prepared.etag, prepared.tagged
            prepared = None
        else:
            loaded, etag = load_story_tagged(store, story_id)
            if loaded is None:
                return None
            story, tagged = loaded, _tag(loaded, taggers)
        if tagged != story:
            try:
                save_story(store, tagged, if_match=etag)
            except PreconditionFailed:
                continue
        record_stage(store, story_id, Stage.enriched, version=story.version)
        return tagged
    raise PreconditionFailed(f"story {story_id} kept changing; gave up after retries")
