"""Queue ``ingest``: parse stored payloads, release embargoes, sweep the drop box."""

from __future__ import annotations

from functools import cached_property

from wirefeed import pipeline
from wirefeed.duplicates import NearDuplicateIndex
from wirefeed.embargo import EmbargoSchedule
from workers.app import celery_app, settings
from workers.base import WirefeedTask


class IngestTask(WirefeedTask):
    """Adds the lifecycle's Redis-backed parts (embargo index, duplicate index)."""

    abstract = True

    @cached_property
    def lifecycle(self) -> pipeline.Lifecycle:
        return pipeline.Lifecycle(
            embargoes=EmbargoSchedule(self.store, self.redis),
            duplicates=NearDuplicateIndex(
                self.redis,
                self.settings.near_duplicate_distance,
                self.settings.near_duplicate_window_s,
            ),
        )


def _hand_on(outcome: pipeline.IngestOutcome) -> None:
    if outcome.action is pipeline.Action.enrich:
        celery_app.send_task("enrich.enrich_story", args=[outcome.story_id])


@celery_app.task(name="ingest.ingest_story", base=IngestTask, bind=True)
def ingest_story(self: IngestTask, raw_key: str) -> str | None:
    """Parse and apply the payload at ``raw_key``; hand a new current version to enrichment."""
    try:
        outcome = pipeline.ingest(self.store, raw_key, self.lifecycle)
    except pipeline.Quarantined:
        return None
    _hand_on(outcome)
    return outcome.story_id


@celery_app.task(name="ingest.release_embargoes", base=IngestTask, bind=True)
def release_embargoes(self: IngestTask) -> list[str]:
    """Periodic: ingest the held versions whose embargo has passed."""
    outcomes = pipeline.release_due(self.store, self.lifecycle)
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
