"""Ingest: apply a stored payload to its story, under the lifecycle rules.

Each function is idempotent: given the same stored inputs it leaves the same stored
state, so a task that runs twice (at-least-once delivery) changes nothing the second
time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import structlog

from wirefeed.ingest.lifecycle import Lifecycle, carry_over, decide, is_held
from wirefeed.ingest.near_duplicates import fingerprint
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.receiving import Quarantined, load_raw, parse_or_quarantine
from wirefeed.model import Story, utcnow
from wirefeed.progress import Stage, load_state, record_stage
from wirefeed.storage import BlobStore, until_written
from wirefeed.stories import load_story_tagged, save_story

log = structlog.get_logger(__name__)


def supersedes(new: Story, current: Story | None) -> bool:
    """Whether ``new`` should replace the stored version ``current``."""
    return decide(new, current).accept


class Action(StrEnum):
    """What should happen to a story after ingest."""

    enrich = "enrich"  # a new current version: tag it, then publish
    hold = "hold"  # embargoed: released later by the sweep
    publish = "publish"  # an editor's embargo on the stored version passed: publish it
    duplicate = "duplicate"  # a near-duplicate of another story: kept, not published
    ignore = "ignore"  # an older or identical version, or one after a kill


@dataclass(frozen=True)
class IngestOutcome:
    """What ingest did with a payload."""

    story_id: str
    action: Action
    reason: str

    @property
    def accepted(self) -> bool:
        """Whether the version became the stored one (now or, if held, at release)."""
        return self.action is not Action.ignore


def _duplicate_of(
    store: BlobStore, story: Story, lifecycle: Lifecycle, *, first_version: bool
) -> str | None:
    """The original this story repeats, when it is a near-duplicate (and index it if not).

    Only a story's first version is compared; later versions stay what the first was.
    """
    if not first_version:
        state = load_state(store, story.id)
        return state.duplicate_of if state is not None else None
    index = lifecycle.duplicates
    value = fingerprint(story) if index is not None and story.is_live else None
    if index is None or value is None:
        return None
    original = index.find(story.id, value)
    if original is None:
        index.add(story.id, value)
    return original


def _note_ignored(store: BlobStore, story_id: str, key: str, reason: str) -> None:
    """Log an ignored version in the timeline, leaving the story in the stage it had.

    Intake noted the payload as ``received``; the stage before that (``published``,
    say) is where the story really is, so a re-sent copy does not send it back.
    """
    state = load_state(store, story_id)
    earlier = [t.stage for t in state.history if t.stage is not Stage.received] if state else []
    stage = earlier[-1] if earlier else Stage.parsed
    record_stage(store, story_id, stage, detail=f"ignored: {reason}", raw_key=key)


def ingest(
    store: BlobStore,
    key: str,
    lifecycle: Lifecycle | None = None,
    now: datetime | None = None,
    budget: ParseBudget = INLINE,
) -> IngestOutcome:
    """Parse a stored payload and apply it to the story under the lifecycle rules.

    The write of ``stories/{id}.json`` is conditional on the version read, so a
    concurrent writer (another version, or enrichment of an older one) never loses a
    newer version: on a lost race the decision is made again against the winner.
    """
    lifecycle = lifecycle or Lifecycle()
    item = load_raw(store, key)
    story = parse_or_quarantine(store, key, item, budget)
    held = is_held(story, now or utcnow()) and lifecycle.embargoes is not None

    def attempt() -> IngestOutcome:
        current, etag = load_story_tagged(store, story.id)
        decision = decide(story, current)
        if not decision.accept:
            _note_ignored(store, story.id, key, decision.reason)
            return IngestOutcome(story.id, Action.ignore, decision.reason)
        if held:
            return _hold(store, story, key, lifecycle)
        original = _duplicate_of(store, story, lifecycle, first_version=current is None)
        save_story(store, carry_over(story, current), if_match=etag, if_none_match=etag is None)
        if original is not None:
            detail = f"near-duplicate of {original}"
            record_stage(
                store,
                story.id,
                Stage.duplicate,
                detail=detail,
                version=story.version,
                raw_key=key,
                duplicate_of=original,
            )
            return IngestOutcome(story.id, Action.duplicate, detail)
        record_stage(
            store,
            story.id,
            Stage.parsed,
            detail=decision.reason,
            version=story.version,
            raw_key=key,
        )
        return IngestOutcome(story.id, Action.enrich, decision.reason)

    return until_written(attempt, subject=f"story {story.id}")


def _hold(store: BlobStore, story: Story, key: str, lifecycle: Lifecycle) -> IngestOutcome:
    """Put an embargoed version on the schedule; the sweep ingests it at its time."""
    assert story.embargoed is not None and lifecycle.embargoes is not None
    lifecycle.embargoes.hold(story.id, key, story.embargoed)
    detail = f"held until {story.embargoed.isoformat()}"
    record_stage(store, story.id, Stage.held, detail=detail, raw_key=key)
    return IngestOutcome(story.id, Action.hold, detail)


def release_due(
    store: BlobStore,
    lifecycle: Lifecycle,
    now: datetime | None = None,
    budget: ParseBudget = INLINE,
) -> list[IngestOutcome]:
    """Release every held version whose embargo has passed, then forget its hold.

    An agency payload is parsed again, within ``budget`` (the task passes its own), and
    ingested now; one that no longer parses (over the budget, say) is quarantined with
    its reason and its hold forgotten, so it neither blocks the other releases nor comes
    back at every sweep. A stored version an editor embargoed is handed to publishing
    as it is (``Action.publish``).
    """
    if lifecycle.embargoes is None:
        return []
    now = now or utcnow()
    outcomes = []
    for held in list(lifecycle.embargoes.due(now)):
        if held.raw_key is None:
            outcomes.append(IngestOutcome(held.story_id, Action.publish, "embargo passed"))
        else:
            try:
                outcomes.append(ingest(store, held.raw_key, lifecycle, now, budget))
            except Quarantined as refused:
                # Set aside with its reason; a replay ingests it once it parses.
                log.warning(
                    "embargo_release_quarantined",
                    story_id=held.story_id,
                    raw_key=held.raw_key,
                    reason=refused.reason,
                )
        lifecycle.embargoes.release(held)
    return outcomes
