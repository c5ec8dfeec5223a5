"""A no-op three-task chain on Wirefeed's own Celery settings: the engine's ceiling."""

from __future__ import annotations

import os

import redis
from celery import Celery
from kombu import Queue

from workers.app import celery_app as production

NOOP_QUEUES = ("noop-a", "noop-b", "noop-c")
DONE_KEY = "wirefeed:bench:noop-done"

app = Celery("wirefeed-bench", broker=production.conf.broker_url)
app.conf.update(
    {
        key: production.conf[key]
        for key in (
            "task_serializer",
            "accept_content",
            "task_ignore_result",
            "task_acks_late",
            "task_reject_on_worker_lost",
            "worker_prefetch_multiplier",
            "broker_transport_options",
        )
    },
    task_queues=[Queue(name) for name in NOOP_QUEUES],
    task_routes={f"{name}.*": {"queue": name} for name in NOOP_QUEUES},
)
_done = redis.Redis.from_url(os.environ.get("REDIS_URL", production.conf.broker_url))


@app.task(name="noop-a.step")
def step_a(number: int) -> None:
    """First hop: pass the id on, as ingest does."""
    app.send_task("noop-b.step", args=[number])


@app.task(name="noop-b.step")
def step_b(number: int) -> None:
    """Second hop, as enrich does."""
    app.send_task("noop-c.step", args=[number])


@app.task(name="noop-c.step")
def step_c(number: int) -> None:
    """Last hop: count the finished chain."""
    _done.incr(DONE_KEY)
