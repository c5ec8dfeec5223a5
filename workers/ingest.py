"""Queue ``ingest``: parse payloads; release embargoes, sweep the drop box, poll upstreams."""

from __future__ import annotations

from functools import cached_property

import httpx

from wirefeed.ingest import ingesting, lifecycle
from wirefeed.ingest.embargo import EmbargoSchedule
from wirefeed.ingest.near_duplicates import NearDuplicateIndex
from wirefeed.intake import dropbox, receiving, upstreams
from wirefeed.intake.budget import ParseBudget
from wirefeed.lease import lease
from wirefeed.progress import Stage, Timeline
from workers.app import celery_app, settings
from workers.base import WirefeedTask


class IngestTask(WirefeedTask):
    """Adds the lifecycle's Redis-backed parts (embargo index, duplicate index) and the
    parse budget: a parse that overruns is stopped and its payload quarantined as
    ``parse_timeout``."""

    abstract = True

    @cached_property
    def parse_budget(self) -> ParseBudget:
        # Under an alarm, in the task's own thread: a Celery pool process is daemonic and
        # may not start processes. The task's hard time limit backs the alarm up.
        return ParseBudget(self.settings.parse_timeout_s, isolate=False)

    @cached_property
    def timeline(self) -> Timeline:
        return Timeline(self.redis)

    @cached_property
    def lifecycle(self) -> lifecycle.Lifecycle:
        return lifecycle.Lifecycle(
            timeline=self.timeline,
            embargoes=EmbargoSchedule(self.store, self.redis),
            duplicates=NearDuplicateIndex(
                self.redis,
                self.settings.near_duplicate_distance,
                self.settings.near_duplicate_window_s,
            ),
        )


def _hand_on(outcome: ingesting.IngestOutcome) -> None:
    if outcome.action is ingesting.Action.enrich:
        # Positional, as wirefeed.messages.EnrichStory lists them (no job: not an editor's).
        celery_app.send_task("enrich.enrich_story", args=[outcome.story_id, None, outcome.etag])
    elif outcome.action is ingesting.Action.publish:
        celery_app.send_task("publish.publish_story", args=[outcome.story_id])


@celery_app.task(name="ingest.ingest_story", base=IngestTask, bind=True)
def ingest_story(self: IngestTask, raw_key: str) -> str | None:
    """Parse and apply the payload at ``raw_key``; hand a new current version to enrichment."""
    try:
        outcome = ingesting.ingest(self.store, raw_key, self.lifecycle, budget=self.parse_budget)
    except receiving.Quarantined:
        return None
    _hand_on(outcome)
    return outcome.story_id


@celery_app.task(name="ingest.release_embargoes", base=IngestTask, bind=True)
def release_embargoes(self: IngestTask) -> list[str]:
    """Periodic: ingest the held versions whose embargo has passed."""
    outcomes = ingesting.release_due(self.store, self.lifecycle, budget=self.parse_budget)
    for outcome in outcomes:
        _hand_on(outcome)
    return [o.story_id for o in outcomes]


@celery_app.task(name="ingest.rebuild_embargo_index", base=IngestTask, bind=True)
def rebuild_embargo_index(self: IngestTask) -> int:
    """Periodic: restore the Redis index of embargoes from their durable records."""
    assert self.lifecycle.embargoes is not None
    return self.lifecycle.embargoes.rebuild()


celery_app.conf.beat_schedule.update(
    {
        "release-embargoes": {
            "task": "ingest.release_embargoes",
            "schedule": settings.embargo_sweep_s,
        },
        # Cheap (one listing); bounds how late a release can be after Redis lost its data.
        "rebuild-embargo-index": {"task": "ingest.rebuild_embargo_index", "schedule": 60.0},
    }
)


@celery_app.task(name="ingest.sweep_inbox", base=IngestTask, bind=True)
def sweep_inbox(self: IngestTask) -> int:
    """Periodic: take in the files of the S3 drop box (one sweep at a time)."""
    with lease(self.redis, "inbox:sweep") as held:
        if held is None:
            return 0
        results = dropbox.sweep(
            self.store,
            self.settings.default_source,
            self.settings.max_payload_bytes,
            budget=self.parse_budget,
        )
    for result in results:
        for receipt in result.receipts:
            self.timeline.note(receipt.story_id, Stage.received, raw=receipt.raw_key)
            celery_app.send_task("ingest.ingest_story", args=[receipt.raw_key])
    return len(results)


@celery_app.task(name="ingest.poll_upstreams", base=IngestTask, bind=True)
def poll_upstreams(self: IngestTask) -> list[str]:
    """Periodic: queue a poll of every upstream feed whose interval has passed."""
    due = []
    for source in upstreams.load_sources(self.settings.upstreams_file):
        # The key lives for one interval, so it both spaces polls and stops overlaps.
        if self.redis.set(f"wirefeed:upstream:{source.id}", "1", nx=True, ex=source.interval_s):
            celery_app.send_task("ingest.poll_upstream", args=[source.id])
            due.append(source.id)
    return due


@celery_app.task(name="ingest.poll_upstream", base=IngestTask, bind=True)
def poll_upstream(self: IngestTask, source_id: str) -> int:
    """Fetch one upstream feed conditionally and queue its new entries."""
    sources = {s.id: s for s in upstreams.load_sources(self.settings.upstreams_file)}
    if source_id not in sources:
        return 0
    with httpx.Client() as client:
        receipts = upstreams.poll_source(
            self.store,
            sources[source_id],
            client,
            self.settings.max_payload_bytes,
            self.settings.upstream_timeout_s,
            self.parse_budget,
        )
    for receipt in receipts:
        self.timeline.note(receipt.story_id, Stage.received, raw=receipt.raw_key)
        celery_app.send_task("ingest.ingest_story", args=[receipt.raw_key])
    return len(receipts)


celery_app.conf.beat_schedule.update(
    {
        "sweep-inbox": {"task": "ingest.sweep_inbox", "schedule": settings.inbox_sweep_s},
        "poll-upstreams": {"task": "ingest.poll_upstreams", "schedule": settings.upstream_tick_s},
    }
)
