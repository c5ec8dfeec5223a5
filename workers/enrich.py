"""Queue ``enrich``: tag the current version of a story.

When several stories wait, the worker tags them as one batch: the first task looks at
the ``enrich_story`` messages this worker has reserved (its prefetch), loads and tags
those stories with its own in one pass of the models, and keeps the results for the
tasks that follow. Each message is still its own task, acknowledged after it ran; a
kept result only saves the work, and its write is conditional on the story being as
it was loaded, so a redelivered or late message is as safe as before.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import structlog
from celery.signals import worker_ready
from celery.worker import state
from celery.worker.consumer import Consumer

from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import TaggerPipeline, build_pipeline
from wirefeed.settings import Settings
from workers.app import celery_app
from workers.base import WirefeedTask

log = structlog.get_logger(__name__)

TASK = "enrich.enrich_story"
# Stories tagged in one batch: an enrich worker reserves this many messages
# (``--prefetch-multiplier 8`` with its solo pool; cli/localstack.py, infra/k8s). They
# stay unacknowledged until their task ran, so a worker that dies leaves them to be
# delivered again, as with one message at a time.
BATCH = 8
# A kept result older than this is not used (its message went elsewhere or was lost).
KEEP_S = 60.0
_kept: dict[str, tuple[float, enriching.Prepared]] = {}


@cache
def taggers() -> TaggerPipeline:
    """The tagger pipeline, built once per worker process (taggers may load models)."""
    settings = Settings.from_env()
    return build_pipeline(settings.taggers, settings)


def waiting_story_ids(requests: Any, current: str) -> list[str]:
    """Stories of the ``enrich_story`` messages reserved besides ``current``'s."""
    ids = [
        str(request.args[0])
        for request in list(requests)
        if request.name == TASK and request.args and request.args[0] != current
    ]
    return list(dict.fromkeys(ids))[: BATCH - 1]


def _prepared(store: Any, story_id: str) -> enriching.Prepared | None:
    """The kept result for ``story_id``, or one made now with the stories that wait."""
    now = time.monotonic()
    for key in [k for k, (kept_at, _) in _kept.items() if now - kept_at > KEEP_S]:
        del _kept[key]
    kept = _kept.pop(story_id, None)
    if kept is not None:
        return kept[1]
    waiting = [i for i in waiting_story_ids(state.reserved_requests, story_id) if i not in _kept]
    if not waiting:
        return None  # alone: enrich loads and tags it as it always did
    batch = enriching.prepare_many(store, [story_id, *waiting], taggers())
    prepared = batch.pop(story_id, None)
    _kept.update({key: (now, result) for key, result in batch.items()})
    log.info("enrich.batch", stories=len(batch) + 1)
    return prepared


@celery_app.task(name=TASK, base=WirefeedTask, bind=True)
def enrich_story(self: WirefeedTask, story_id: str, job_id: str | None = None) -> None:
    """Tag the story and hand it to publishing (at once, for an editor's job)."""
    prepared = _prepared(self.store, story_id)
    if enriching.enrich(self.store, story_id, taggers(), prepared) is not None:
        if job_id is None:
            celery_app.send_task("publish.publish_story", args=[story_id])
        else:
            celery_app.send_task("publish.publish_now", args=[story_id, job_id])


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
