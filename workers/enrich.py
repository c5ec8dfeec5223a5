"""Queue ``enrich``: tag the current version of a story."""

from __future__ import annotations

from functools import cache

from wirefeed import pipeline
from wirefeed.settings import Settings
from wirefeed.taggers import TaggerPipeline, build_pipeline
from workers.app import celery_app
from workers.base import WirefeedTask


@cache
def taggers() -> TaggerPipeline:
    """The tagger pipeline, built once per worker process (taggers may load models)."""
    settings = Settings.from_env()
    return build_pipeline(settings.taggers, settings)


@celery_app.task(name="enrich.enrich_story", base=WirefeedTask, bind=True)
def enrich_story(self: WirefeedTask, story_id: str, job_id: str | None = None) -> None:
    """Tag the story and hand it to publishing (at once, for an editor's job)."""
    if pipeline.enrich(self.store, story_id, taggers()) is not None:
        if job_id is None:
            celery_app.send_task("publish.publish_story", args=[story_id])
        else:
            celery_app.send_task("publish.publish_now", args=[story_id, job_id])
