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
from wirefeed.progress import Stage, derive, note_ignored, start
from wirefeed.storage import BlobStore, until_written
from wirefeed.stories import StoredStory, load_stored, save_story

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
    # The ETag of the story as written, when ingest wrote it: the next stage reads that
    # version from the hand-off (wirefeed.handoff) instead of the bucket.
    etag: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the version became the stored one (now or, if held, at release)."""
        return self.action is not Action.ignore


def _duplicate_of(
    stored: StoredStory | None, story: Story, lifecycle: Lifecycle
) -> tuple[str | None, int | None]:
    """The original this story repeats, when it is a near-duplicate, and otherwise the
    fingerprint to index once the story is stored.

    Only a story's first version is compared; later versions stay what the first was.
    """
    if stored is not None:
        return (stored.progress.duplicate_of if stored.progress is not None else None), None
    index = lifecycle.duplicates
    value = fingerprint(story) if index is not None and story.is_live else None
    if index is None or value is None:
        return None, None
    original = index.find(story.id, value)
    return original, (value if original is None else None)


def _note(lifecycle: Lifecycle, story_id: str, stage: Stage, detail: str | None) -> None:
    """Note ingest's verdict in the story's timeline (intake noted the arrival)."""
    if lifecycle.timeline is not None:
        lifecycle.timeline.note(story_id, stage, detail=detail)


def _ignore(
    store: BlobStore,
    lifecycle: Lifecycle,
    story_id: str,
    stored: StoredStory | None,
    key: str,
    reason: str,
) -> None:
    """Mark a version ingest did not apply, leaving the story in the stage it had.

    The marker tells recovery the payload was dealt with; the timeline shows it in the
    stage the story is really in (``published``, say), so a re-sent copy does not send
    it back.
    """
    note_ignored(store, story_id, key, reason)
    timeline = lifecycle.timeline
    history = timeline.history(story_id) if timeline is not None else []
    # The stage before this payload's arrival is where the story really is.
    earlier = [t for t in history if t.stage is not Stage.received]
    state = derive(story_id, stored.progress if stored else None, earlier)
    stage = state.stage if state is not None else Stage.parsed
    _note(lifecycle, story_id, stage, f"ignored: {reason}")


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
    newer version: on a lost race the decision is made again against the winner. The
    story's progress (parsed, this payload, when it arrived) travels in the same write.
    """
    lifecycle = lifecycle or Lifecycle()
    item = load_raw(store, key)
    story = parse_or_quarantine(store, key, item, budget)
    held = is_held(story, now or utcnow()) and lifecycle.embargoes is not None
    # Most payloads are a story's first version. The first attempt assumes so and
    # creates the story without reading it (If-None-Match): if the story exists, the
    # create fails and the next attempt reads it. A held version, or one that would not
    # make a first version, is decided against what is stored from the start.
    assume_new = not held and decide(story, None).accept

    def attempt() -> IngestOutcome:
        nonlocal assume_new
        stored = None if assume_new else load_stored(store, story.id)
        assume_new = False
        current = stored.story if stored is not None else None
        decision = decide(story, current)
        if not decision.accept:
            _ignore(store, lifecycle, story.id, stored, key, decision.reason)
            return IngestOutcome(story.id, Action.ignore, decision.reason)
        if held:
            return _hold(story, key, lifecycle)
        original, to_index = _duplicate_of(stored, story, lifecycle)
        stage = Stage.duplicate if original is not None else Stage.parsed
        before = stored.progress if stored is not None else None
        if before is not None:
            progress = before.moved(
                stage,
                version=story.version,
                raw=key,
                received_at=item.received_at,
                duplicate_of=original,
            )
        else:
            progress = start(
                stage, story.version, raw=key, received_at=item.received_at, duplicate_of=original
            )
        etag = save_story(
            store,
            carry_over(story, current),
            progress=progress,
            if_match=stored.etag if stored else None,
            if_none_match=stored is None,
        )
        if to_index is not None and lifecycle.duplicates is not None:
            lifecycle.duplicates.add(story.id, to_index)
        if original is not None:
            detail = f"near-duplicate of {original}"
            _note(lifecycle, story.id, Stage.duplicate, detail)
            return IngestOutcome(story.id, Action.duplicate, detail, etag)
        _note(lifecycle, story.id, Stage.parsed, decision.reason)
        return IngestOutcome(story.id, Action.enrich, decision.reason, etag)

    return until_written(attempt, subject=f"story {story.id}")


def _hold(story: Story, key: str, lifecycle: Lifecycle) -> IngestOutcome:
    """Put an embargoed version on the schedule; the sweep ingests it at its time.

    The schedule's durable record (``state/embargo/``) is what tells recovery the
    payload was dealt with.
    """
    assert story.embargoed is not None and lifecycle.embargoes is not None
    lifecycle.embargoes.hold(story.id, key, story.embargoed)
    detail = f"held until {story.embargoed.isoformat()}"
    _note(lifecycle, story.id, Stage.held, detail)
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
