"""Pipeline state of each story, kept durably beside it in the bucket."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum

import structlog
from pydantic import BaseModel, Field

from wirefeed import metrics
from wirefeed.layout import state_key
from wirefeed.storage import BlobStore, NotFound, until_written

log = structlog.get_logger(__name__)


class Stage(StrEnum):
    """Where a story is in the pipeline."""

    received = "received"
    parsed = "parsed"
    enriched = "enriched"
    published = "published"
    quarantined = "quarantined"
    # An editor changed the story (correction, kill, embargo, republish).
    edited = "edited"
    # Held under embargo until the sweep releases it (nothing for the reconciler to do).
    held = "held"
    # A near-duplicate of another story: kept and linked, never published.
    duplicate = "duplicate"


class Transition(BaseModel):
    """One step of a story's timeline."""

    stage: Stage
    at: datetime
    detail: str | None = None


class StoryState(BaseModel):
    """The pipeline state of one story across all its versions."""

    story_id: str
    stage: Stage
    reason: str | None = None
    version: str | None = None
    feeds: list[str] = Field(default_factory=list)
    raw_keys: list[str] = Field(default_factory=list)
    # The payloads ingest has dealt with (applied, ignored, held or set aside). A payload
    # received but missing here lost its message, whatever stage the story is in now.
    ingested_keys: list[str] = Field(default_factory=list)
    # Set when the story is a near-duplicate of another: it is kept, not published.
    duplicate_of: str | None = None
    history: list[Transition] = Field(default_factory=list)

    @property
    def received_at(self) -> datetime | None:
        """When the latest payload of the story arrived."""
        arrivals = [t.at for t in self.history if t.stage is Stage.received]
        return arrivals[-1] if arrivals else None

    @property
    def last_change(self) -> datetime | None:
        """When the story last moved."""
        return self.history[-1].at if self.history else None


def _load(store: BlobStore, story_id: str) -> tuple[StoryState | None, str | None]:
    try:
        blob = store.get(state_key(story_id))
    except NotFound:
        return None, None
    return StoryState.model_validate_json(blob.body), blob.etag


def load_state(store: BlobStore, story_id: str) -> StoryState | None:
    """The stored state of a story, or None when Wirefeed has never seen it."""
    return _load(store, story_id)[0]


def record_stage(
    store: BlobStore,
    story_id: str,
    stage: Stage,
    *,
    detail: str | None = None,
    version: str | None = None,
    in_feeds: Mapping[str, bool] | None = None,
    raw_key: str | None = None,
    duplicate_of: str | None = None,
) -> StoryState:
    """Move a story to ``stage``, append the step to its timeline, and note feed membership.

    Several workers may record the same story at once (one render per feed), so the
    write is conditional on the version read and retried on a lost race.
    """

    def attempt() -> StoryState:
        state, etag = _load(store, story_id)
        state = state or StoryState(story_id=story_id, stage=stage)
        state.stage = stage
        state.reason = detail if stage is Stage.quarantined else None
        if version is not None:
            state.version = version
        feeds = set(state.feeds)
        for feed_id, member in (in_feeds or {}).items():
            (feeds.add if member else feeds.discard)(feed_id)
        state.feeds = sorted(feeds)
        if duplicate_of is not None:
            state.duplicate_of = duplicate_of
        if raw_key and raw_key not in state.raw_keys:
            state.raw_keys.append(raw_key)
        # Every stage but ``received`` that names a payload is ingest's verdict on it.
        if raw_key and stage is not Stage.received and raw_key not in state.ingested_keys:
            state.ingested_keys.append(raw_key)
        # Full precision: latencies between stages are measured from these times.
        previous_at = state.last_change
        now = datetime.now(UTC)
        state.history.append(Transition(stage=stage, at=now, detail=detail))
        # Bounded: a story re-sent a thousand times must not grow its record forever.
        state.history = state.history[-50:]
        store.put(
            state_key(story_id),
            state.model_dump_json(exclude_none=True).encode(),
            content_type="application/json",
            if_match=etag,
            if_none_match=etag is None,
        )
        metrics.observe_stage(stage, previous_at, now)
        log.info("story.stage", story_id=story_id, stage=str(stage), detail=detail)
        return state

    return until_written(attempt, subject=f"state of {story_id}")
