"""The reconciler: restart every story the bucket knows about but the queues forgot.

The bucket is the source of truth. Every payload is kept at ``raw/{sha256}`` before it
is queued, and every story's progress travels with it (``wirefeed.progress``); Redis
only holds work in flight and the timelines. So after Redis lost messages (a restart
without persistence, a flush, a crash between a write and an enqueue), comparing the
listings tells what to redo:

- a payload that no story names as applied, that ingest did not mark as set aside
  (ignored, held under embargo) and that is not quarantined → ingest it, whatever
  stage its story has reached since: a newer version whose message was lost while an
  older one went on to be published must not stay lost;
- a story stuck in ``parsed`` → enrich it;
- a story ``enriched`` or ``edited`` whose publication no timeline records → publish
  it again, which marks its feeds for a render (idempotent: unchanged feeds are not
  uploaded).

Every step is idempotent, so redoing work that was merely slow costs time, not
correctness; ``min_age_s`` keeps the reconciler off stories still in flight, and
``horizon_s`` off stories that stopped moving long ago (earlier passes saw them).

Passes are incremental. A pass lists the prefixes (one request per thousand keys) and
reads (HEAD) only the stories whose ETag changed since the last pass; what it learnt
(each story's ETag, the unfinished stories, the payloads stories name) is kept in
Redis as the cursor of the next pass. Without a cursor (the first pass, or Redis lost
it) the pass reads every story, which is also what recovery after losing Redis needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

import redis
import structlog

from wirefeed import metrics
from wirefeed.intake.quarantine import record_id_for
from wirefeed.intake.receiving import items_in
from wirefeed.layout import EMBARGO_PREFIX, IGNORED_PREFIX, RAW_PREFIX, item_key, story_key
from wirefeed.lease import lease
from wirefeed.messages import PIPELINE_QUEUES
from wirefeed.progress import (
    Progress,
    Stage,
    StoryState,
    Timeline,
    derive,
    load_progress,
    payload_digest,
)
from wirefeed.storage import BlobStore, NotFound

# Held stories are released by the embargo sweep, not by the reconciler.
FINAL_STAGES = frozenset({Stage.published, Stage.quarantined, Stage.held, Stage.duplicate})
_STORY_PREFIX = story_key("")[: -len(".json")]

# Which task restarts a story from each unfinished stage, and what it is given.
STEP_TASKS = {
    "ingest": "ingest.ingest_story",
    "enrich": "enrich.enrich_story",
    "publish": "publish.publish_story",
}
# An editor's change whose publication was lost (a kill above all) is published again.
_NEXT_STEP = {Stage.parsed: "enrich", Stage.enriched: "publish", Stage.edited: "publish"}
# Stories read at once: enough to finish a full pass quickly, few enough that the pass
# takes a small share of the S3 endpoint the pipeline is using at the same time.
READ_THREADS = 4

Enqueue = Callable[[str, str], None]
# Told (phase, items done, items in all) as a long pass goes, for a progress display.
Report = Callable[[str, int, int], None]
log = structlog.get_logger(__name__)


@dataclass
class RecoveryPlan:
    """What the reconciler will re-enqueue, by step, and what finding it cost."""

    ingest: list[str] = field(default_factory=list)
    enrich: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    raw_objects: int = 0
    stories: int = 0
    # Stories read in this pass (all of them on a full pass, the changed ones otherwise).
    stories_read: int = 0
    full_pass: bool = True

    def steps(self) -> dict[str, list[str]]:
        """The arguments to enqueue for each step."""
        return {"ingest": self.ingest, "enrich": self.enrich, "publish": self.publish}

    @property
    def total(self) -> int:
        """How many messages the plan enqueues."""
        return sum(len(args) for args in self.steps().values())


@dataclass(frozen=True)
class Unfinished:
    """What the reconciler keeps of a story that may need a step redone."""

    stage: Stage
    at: datetime
    version: str

    @classmethod
    def of(cls, progress: Progress) -> Unfinished | None:
        """The summary of a story's progress, or None when no step can need redoing."""
        if progress.stage not in _NEXT_STEP:
            return None
        return cls(progress.stage, progress.at, progress.version)

    def progress(self) -> Progress:
        return Progress(stage=self.stage, at=self.at, version=self.version)

    def dump(self) -> str:
        return json.dumps({"stage": self.stage, "at": self.at.isoformat(), "v": self.version})

    @classmethod
    def load(cls, text: str | bytes) -> Unfinished:
        data = json.loads(text)
        return cls(Stage(data["stage"]), datetime.fromisoformat(data["at"]), data["v"])


@dataclass
class Snapshot:
    """What a pass learnt of the stories: enough to plan without reading them again."""

    etags: dict[str, str] = field(default_factory=dict)  # story key → ETag read
    unfinished: dict[str, Unfinished] = field(default_factory=dict)  # story id → summary
    recorded: set[str] = field(default_factory=set)  # digests of payloads stories name


@dataclass
class _Changes:
    """How one pass moved the snapshot on, to write to the cursor."""

    etags: dict[str, str] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    unfinished: dict[str, Unfinished] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)
    recorded: set[str] = field(default_factory=set)


class Cursor:
    """The snapshot of the last pass, in Redis (lost with Redis: then a full pass)."""

    _PREFIX = "wirefeed:reconcile"

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._complete = f"{self._PREFIX}:complete"
        self._etags = f"{self._PREFIX}:etags"
        self._unfinished = f"{self._PREFIX}:unfinished"
        self._recorded = f"{self._PREFIX}:recorded"

    def load(self) -> Snapshot | None:
        """The last pass's snapshot, or None when there is none (or only part of one)."""
        pipe = self.redis.pipeline()
        pipe.exists(self._complete)
        pipe.hgetall(self._etags)
        pipe.hgetall(self._unfinished)
        pipe.smembers(self._recorded)
        complete, etags, unfinished, recorded = pipe.execute()
        if not complete:
            return None
        return Snapshot(
            etags={_text(k): _text(v) for k, v in etags.items()},
            unfinished={_text(k): Unfinished.load(v) for k, v in unfinished.items()},
            recorded={_text(k) for k in recorded},
        )

    def save(self, changes: _Changes, *, full: bool) -> None:
        """Write what a pass changed (everything, after a full pass) in one transaction."""
        pipe = self.redis.pipeline(transaction=True)
        if full:
            pipe.delete(self._etags, self._unfinished, self._recorded)
        if changes.etags:
            # A fresh dict typed from the call: redis-py's Mapping is invariant in its key.
            pipe.hset(self._etags, mapping=dict(changes.etags.items()))
        if changes.gone:
            pipe.hdel(self._etags, *changes.gone)
        if changes.unfinished:
            pipe.hset(
                self._unfinished, mapping={k: v.dump() for k, v in changes.unfinished.items()}
            )
        if changes.finished:
            pipe.hdel(self._unfinished, *changes.finished)
        if changes.recorded:
            pipe.sadd(self._recorded, *changes.recorded)
        pipe.set(self._complete, datetime.now(UTC).isoformat())
        pipe.execute()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _story_id(key: str) -> str:
    return key[len(_STORY_PREFIX) : -len(".json")]


def _read(store: BlobStore, key: str) -> tuple[Progress | None, str] | None:
    try:
        blob = store.head(key)
    except NotFound:
        return None
    return Progress.from_metadata(blob.metadata), blob.etag


def load_states(
    store: BlobStore, timeline: Timeline | None = None, threads: int = 16
) -> list[StoryState]:
    """Every story's state: the stories listed once, their progress read concurrently."""
    ids = [_story_id(key) for key in store.list(_STORY_PREFIX)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        progress = list(pool.map(lambda story_id: load_progress(store, story_id), ids))
    histories = timeline.histories(ids) if timeline is not None else {}
    states = (derive(i, p, histories.get(i, [])) for i, p in zip(ids, progress, strict=True))
    return [state for state in states if state is not None]


def _refresh(
    store: BlobStore, snapshot: Snapshot | None, report: Report | None = None
) -> tuple[Snapshot, _Changes, int]:
    """Bring the snapshot up to date, reading only the stories whose ETag changed.

    Returns the new snapshot, the changes to save, and how many stories were read.
    """
    before = snapshot or Snapshot()
    listed = {item.key: item.etag for item in store.listing(_STORY_PREFIX)}
    stale = [key for key, etag in listed.items() if before.etags.get(key) != etag]
    changes = _Changes(gone=[key for key in before.etags if key not in listed])
    done = count(1)

    def read_one(key: str) -> tuple[str, tuple[Progress | None, str] | None]:
        found = _read(store, key)
        if report is not None:
            report("reading stories", next(done), len(stale))
        return key, found

    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        read = list(pool.map(read_one, stale))
    after = Snapshot(dict(before.etags), dict(before.unfinished), before.recorded)
    for key in changes.gone:
        del after.etags[key]
        if after.unfinished.pop(_story_id(key), None) is not None:
            changes.finished.append(_story_id(key))
    for key, found in read:
        if found is None:  # deleted between the listing and the read
            continue
        progress, etag = found
        story_id = _story_id(key)
        after.etags[key] = changes.etags[key] = etag
        summary = Unfinished.of(progress) if progress is not None else None
        if progress is not None:
            named = {payload_digest(progress.raw)} if progress.raw else set()
            new = (named | set(progress.earlier)) - after.recorded
            after.recorded |= new
            changes.recorded |= new
        if summary is not None:
            after.unfinished[story_id] = changes.unfinished[story_id] = summary
        elif after.unfinished.pop(story_id, None) is not None:
            changes.finished.append(story_id)
    return after, changes, len(stale)


def _published(timeline: Timeline | None, candidates: dict[str, Unfinished]) -> set[str]:
    """Which of the candidates a timeline shows published at their current version."""
    if timeline is None or not candidates:
        return set()
    try:
        histories = timeline.histories(candidates)
    except redis.RedisError:
        return set()
    return {
        story_id
        for story_id, summary in candidates.items()
        if (state := derive(story_id, summary.progress(), histories[story_id])) is not None
        and state.stage is Stage.published
    }


def _plan(
    store: BlobStore,
    snapshot: Snapshot,
    changes: _Changes,
    timeline: Timeline | None,
    cutoff: datetime,
    horizon: datetime,
    plan: RecoveryPlan,
) -> RecoveryPlan:
    raw = {item.key: item.last_modified for item in store.listing(RAW_PREFIX)}
    set_aside = {
        payload_digest(RAW_PREFIX + key.rsplit("/", 1)[-1].removesuffix(".json"))
        for prefix in (IGNORED_PREFIX, EMBARGO_PREFIX)
        for key in store.list(prefix)
    }
    quarantined = {
        key.removeprefix("quarantine/").removesuffix(".json") for key in store.list("quarantine/")
    }
    plan.raw_objects, plan.stories = len(raw), len(snapshot.etags)
    due = {
        story_id: summary
        for story_id, summary in snapshot.unfinished.items()
        if horizon <= summary.at <= cutoff
    }
    waiting = {s: u for s, u in due.items() if _NEXT_STEP[u.stage] == "publish"}
    for story_id in _published(timeline, waiting):
        # Published since: nothing left to redo, and nothing to look at next time.
        del snapshot.unfinished[story_id]
        changes.unfinished.pop(story_id, None)
        changes.finished.append(story_id)
        del due[story_id]
    for story_id, summary in due.items():
        getattr(plan, _NEXT_STEP[summary.stage]).append(story_id)
    # A payload no story names and ingest did not set aside lost its message (or
    # ingest died on it); one that arrived within the minimum age may be on its way.
    known = snapshot.recorded | set_aside | quarantined
    for key, stored_at in raw.items():
        if (stored_at is None or stored_at <= cutoff) and payload_digest(key) not in known:
            plan.ingest += _unaccounted(store, key, known, snapshot, changes)
    plan.ingest.sort()
    plan.enrich.sort()
    plan.publish.sort()
    return plan


def _unaccounted(
    store: BlobStore, key: str, known: set[str], snapshot: Snapshot, changes: _Changes
) -> list[str]:
    """The items of an old payload that no story, marker or quarantine record accounts
    for: the payload itself, or those of its items (a payload of several) left out.

    A payload of several whose items all have stories is remembered whole in the
    cursor, so later passes do not read it again.
    """
    count = items_in(store, key)
    if count == 1:
        return [key] if record_id_for(key) not in known else []
    items = [item_key(key, index) for index in range(count)]
    if all(payload_digest(item) in snapshot.recorded for item in items):
        snapshot.recorded.add(payload_digest(key))
        changes.recorded.add(payload_digest(key))
        return []
    return [k for k in items if payload_digest(k) not in known and record_id_for(k) not in known]


def plan_recovery(
    store: BlobStore,
    *,
    min_age_s: float = 0,
    horizon_s: float | None = None,
    now: datetime | None = None,
    cursor: Cursor | None = None,
    timeline: Timeline | None = None,
    report: Report | None = None,
) -> RecoveryPlan:
    """Compare the payloads with the stories' progress and list the work to redo.

    With a ``cursor`` only the stories that changed since its last pass are read, and
    the cursor moves on; without one (or with an empty one) every story is read.
    Publication is looked up in the ``timeline``; without one, every enriched or
    edited story older than ``min_age_s`` (and younger than ``horizon_s``) is
    published again. ``report``, when given, is told how far the reading is.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=min_age_s)
    horizon = now - timedelta(seconds=horizon_s) if horizon_s else datetime.min.replace(tzinfo=UTC)
    before = cursor.load() if cursor is not None else None
    snapshot, changes, read = _refresh(store, before, report)
    plan = RecoveryPlan(stories_read=read, full_pass=before is None)
    _plan(store, snapshot, changes, timeline, cutoff, horizon, plan)
    if cursor is not None:
        cursor.save(changes, full=before is None)
    return plan


def execute(plan: RecoveryPlan, enqueue: Enqueue, report: Report | None = None) -> dict[str, int]:
    """Enqueue every message of the plan; return how many per step."""
    sent: dict[str, int] = {}
    done = count(1)
    for step, arguments in plan.steps().items():
        for argument in arguments:
            enqueue(STEP_TASKS[step], argument)
            if report is not None:
                report("re-enqueueing", next(done), plan.total)
        metrics.RECONCILED.labels(step).inc(len(arguments))
        sent[step] = len(arguments)
    return sent


def summary(plan: RecoveryPlan) -> dict[str, int]:
    """Counts for logs and the command line."""
    counts = {step: len(args) for step, args in plan.steps().items()}
    return {
        "raw_objects": plan.raw_objects,
        "stories": plan.stories,
        "stories_read": plan.stories_read,
        "full_pass": int(plan.full_pass),
        **counts,
    }


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
    horizon_s: float | None = None,
    dry_run: bool = False,
    max_backlog: int | None = None,
    report: Report | None = None,
) -> dict[str, int] | None:
    """Plan and enqueue the recovery under the ``reconcile`` lease; None if one is running.

    With ``dry_run`` nothing is enqueued; the counts say what would be. With
    ``max_backlog``, nothing is done while the queues hold more messages than that: a
    story waiting behind a backlog is late, not lost, and re-enqueueing it would only
    deepen the backlog (the next pass, once the queues drain, finds what was lost).
    ``report``, when given, is told how far the reading and the re-enqueueing are.
    """
    if max_backlog is not None:
        backlog = sum(d or 0 for d in metrics.queue_depths(client, PIPELINE_QUEUES).values())
        if backlog > max_backlog:
            log.info("reconcile.skipped", backlog=backlog, max_backlog=max_backlog)
            return {"skipped_backlog": backlog}
    with lease(client, "reconcile", ttl_s=60) as held:
        if held is None:
            return None
        plan = plan_recovery(
            store,
            min_age_s=min_age_s,
            horizon_s=horizon_s,
            cursor=Cursor(client),
            timeline=Timeline(client),
            report=report,
        )
        if not dry_run:
            execute(plan, enqueue, report)
        counts = summary(plan)
        log.info("reconcile.done", dry_run=dry_run, **counts)
        return counts
