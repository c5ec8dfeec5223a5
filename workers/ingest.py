"""Queue ``ingest``: parse a stored payload into the canonical story."""

from __future__ import annotations

from wirefeed import pipeline
from workers.app import celery_app
from workers.base import WirefeedTask


@celery_app.task(name="ingest.ingest_story", base=WirefeedTask, bind=True)
def ingest_story(self: WirefeedTask, raw_key: str) -> str | None:
    """Parse and store the payload at ``raw_key``; hand the story to enrichment."""
    try:
        outcome = pipeline.ingest(self.store, raw_key)
    except pipeline.Quarantined:
        return None
    if outcome.accepted:
        celery_app.send_task("enrich.enrich_story", args=[outcome.story_id])
    return outcome.story_id
