"""Queue ``enrich``: tag the current version of a story, route it, mark its feeds."""

from __future__ import annotations

import time
from functools import cache

import structlog
from celery.signals import worker_ready
from celery.worker.consumer import Consumer

from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import TaggerPipeline, build_pipeline
from wirefeed.publish import publishing
from wirefeed.settings import Settings
from workers.app import celery_app
from workers.publish import PublishTask

log = structlog.get_logger(__name__)


@cache
def taggers() -> TaggerPipeline:
    """The tagger pipeline, built once per worker process (taggers may load models)."""
    settings = Settings.from_env()
    return build_pipeline(settings.taggers, settings)


@celery_app.task(name="enrich.enrich_story", base=PublishTask, bind=True)
def enrich_story(
    self: PublishTask, story_id: str, job_id: str | None = None, handed: str | None = None
) -> None:
    """Tag the story, route it, publish its public copy and mark its feeds for a render
    (at once, for an editor).

    Routing here, on the story in hand, saves publishing a read of it; the feeds go
    with the tagged story in the same write. ``handed`` names the version ingest wrote,
    which the hand-off usually holds (wirefeed.handoff).
    """
    subscriptions = self.subscriptions
    done = enriching.enrich(
        self.store,
        story_id,
        taggers(),
        route=subscriptions.feeds_for,
        timeline=self.timeline,
        handed=handed,
    )
    if done is None:
        return
    if job_id is not None:
        celery_app.send_task("publish.publish_now", args=[story_id, job_id])
        return
    feed_ids = publishing.publish_story(
        self.store, subscriptions, story_id, self.timeline, known=done
    )
    for feed_id in feed_ids:
        self.schedule(feed_id, [story_id])


@worker_ready.connect
def _load_taggers_before_work(sender: Consumer, **_: object) -> None:
    """A worker that consumes ``enrich`` loads its models before it says it is ready.

    The first story then waits for nothing, and a model that cannot load fails the
    worker's start, where an operator looks, instead of every story's enrichment.
    """
    if "enrich" in sender.app.amqp.queues.consume_from:
        started = time.monotonic()
        names = [type(tagger).__name__ for tagger in taggers().taggers]
        log.info("taggers.loaded", taggers=names, seconds=round(time.monotonic() - started, 2))
