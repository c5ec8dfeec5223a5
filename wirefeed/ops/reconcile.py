"""The reconciler: restart every story the bucket knows about but the queues forgot.

The bucket is the source of truth. Every payload is kept at ``raw/{sha256}`` before it
is queued, and every story's stage at ``state/stories/{id}.json``; Redis only holds
work in flight. So after Redis lost messages (a restart without persistence, a flush,
a crash between a write and an enqueue), comparing the two listings tells what to
redo:

- a raw payload that no story state records (and that is not quarantined) → ingest it;
- a payload a story received but ingest never dealt with → ingest it, whatever stage
  the story has reached since: a newer version whose message was lost while an older
  one went on to be published must not stay lost;
- a story stuck in ``parsed`` → enrich it;
- a story stuck in ``enriched`` (published to no feed yet, or its feed marks lost)
  → publish it again, which marks its feeds for a render.

Every step is idempotent, so redoing work that was merely slow costs time, not
correctness; ``min_age_s`` keeps the reconciler off stories still in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

import redis
import structlog

from wirefeed import metrics
from wirefeed.intake.quarantine import record_id_for
from wirefeed.layout import split_item_key, state_key
from wirefeed.lease import lease
from wirefeed.messages import PIPELINE_QUEUES
from wirefeed.progress import Stage, StoryState, load_state
from wirefeed.storage import BlobStore

# Held stories are released by the embargo sweep, not by the reconciler.
FINAL_STAGES = frozenset({Stage.published, Stage.quarantined, Stage.held, Stage.duplicate})
_STATE_PREFIX = state_key("")[: -len(".json")]

# Which task restarts a story from each unfinished stage, and what it is given.
STEP_TASKS = {
    "ingest": "ingest.ingest_story",
    "enrich": "enrich.enrich_story",
    "publish": "publish.publish_story",
}
# An editor's change whose publication was lost (a kill above all) is published again.
_NEXT_STEP = {Stage.parsed: "enrich", Stage.enriched: "publish", Stage.edited: "publish"}

Enqueue = Callable[[str, str], None]
# Told (phase, items done, items in all) as a long pass goes, for a progress display.
Progress = Callable[[str, int, int], None]
log = structlog.get_logger(__name__)


@dataclass
class RecoveryPlan:
    """What the reconciler will re-enqueue, by step."""

    ingest: list[str] = field(default_factory=list)
    enrich: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    raw_objects: int = 0
    stories: int = 0

    def steps(self) -> dict[str, list[str]]:
        """The arguments to enqueue for each step."""
        return {"ingest": self.ingest, "enrich": self.enrich, "publish": self.publish}

    @property
    def total(self) -> int:
        """How many messages the plan enqueues."""
        return sum(len(args) for args in self.steps().values())


def load_states(
    store: BlobStore, threads: int = 16, progress: Progress | None = None
) -> list[StoryState]:
    """Every story state, listed once and read concurrently."""
    ids = [key[len(_STATE_PREFIX) : -len(".json")] for key in store.list(_STATE_PREFIX)]
    done = count(1)

    def load(story_id: str) -> StoryState | None:
        state = load_state(store, story_id)
        if progress is not None:
            progress("reading story states", next(done), len(ids))
        return state

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [state for state in pool.map(load, ids) if state is not None]


def plan_recovery(
    store: BlobStore,
    *,
    min_age_s: float = 0,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> RecoveryPlan:
    """Compare the raw payloads with the story states and list the work to redo."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=min_age_s)
    raw_keys = set(store.list("raw/"))
    # A record of one item of a payload ("{hash}-{index}") accounts for the payload too.
    quarantined = {key.removeprefix("quarantine/").removesuffix(".json").split("-")[0]
                   for key in store.list("quarantine/")}  # fmt: skip
    states = load_states(store, progress=progress)
    plan = RecoveryPlan(raw_objects=len(raw_keys), stories=len(states))
    recorded: set[str] = set()
    ingest: set[str] = set()
    for state in states:
        recorded.update(state.raw_keys)
        changed = state.last_change
        if changed is not None and changed > cutoff:
            continue
        ingested = set(state.ingested_keys)
        ingest.update(
            k for k in state.raw_keys if k not in ingested and split_item_key(k)[0] in raw_keys
        )
        if state.stage in _NEXT_STEP:
            getattr(plan, _NEXT_STEP[state.stage]).append(state.story_id)
    # Items of a payload of several are recorded as "raw/{hash}#{index}".
    recorded_payloads = {split_item_key(k)[0] for k in recorded}
    ingest.update(
        key for key in raw_keys - recorded_payloads if record_id_for(key) not in quarantined
    )
    plan.ingest = sorted(ingest)
    plan.enrich.sort()
    plan.publish.sort()
    return plan


def execute(
    plan: RecoveryPlan, enqueue: Enqueue, progress: Progress | None = None
) -> dict[str, int]:
    """Enqueue every message of the plan; return how many per step."""
    sent: dict[str, int] = {}
    done = count(1)
    for step, arguments in plan.steps().items():
        for argument in arguments:
            enqueue(STEP_TASKS[step], argument)
            if progress is not None:
                progress("re-enqueueing", next(done), plan.total)
        metrics.RECONCILED.labels(step).inc(len(arguments))
        sent[step] = len(arguments)
    return sent


def summary(plan: RecoveryPlan) -> dict[str, int]:
    """Counts for logs and the command line."""
    counts = {step: len(args) for step, args in plan.steps().items()}
    return {"raw_objects": plan.raw_objects, "stories": plan.stories, **counts}


def stuck_since(states: Iterable[StoryState]) -> StoryState | None:
    """The story that has waited longest in an unfinished stage, if any."""
    waiting = [s for s in states if s.stage not in FINAL_STAGES and s.last_change is not None]
    return min(
        waiting, key=lambda s: s.last_change or datetime.max.replace(tzinfo=UTC), default=None
    )


def reconcile(
    store: BlobStore,
    client: redis.Redis,
    enqueue: Enqueue,
    *,
    min_age_s: float = 0,
    dry_run: bool = False,
    max_backlog: int | None = None,
    progress: Progress | None = None,
) -> dict[str, int] | None:
    """Plan and enqueue the recovery under the ``reconcile`` lease; None if one is running.

    With ``dry_run`` nothing is enqueued; the counts say what would be. With
    ``max_backlog``, nothing is done while the queues hold more messages than that: a
    story waiting behind a backlog is late, not lost, and re-enqueueing it would only
    deepen the backlog (the next pass, once the queues drain, finds what was lost).
    ``progress``, when given, is told how far the reading and the re-enqueueing are.
    """
    if max_backlog is not None:
        backlog = sum(d or 0 for d in metrics.queue_depths(client, PIPELINE_QUEUES).values())
        if backlog > max_backlog:
            log.info("reconcile.skipped", backlog=backlog, max_backlog=max_backlog)
            return {"skipped_backlog": backlog}
    with lease(client, "reconcile", ttl_s=60) as held:
        if held is None:
            return None
        plan = plan_recovery(store, min_age_s=min_age_s, progress=progress)
        if not dry_run:
            execute(plan, enqueue, progress)
        counts = summary(plan)
        log.info("reconcile.done", dry_run=dry_run, **counts)
        return counts
