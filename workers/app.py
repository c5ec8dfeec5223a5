"""The Celery application: broker settings, queues, routes and process hooks, in one place."""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery, Task
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from kombu import Queue
from prometheus_client import start_http_server

from wirefeed import logs, metrics
from wirefeed.messages import QUEUES, named_arguments
from wirefeed.settings import Settings

settings = Settings.from_env()

celery_app = Celery("wirefeed", broker=settings.redis_url)
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # At-least-once: a task is acknowledged after it ran, and requeued if its process
    # died; every task is idempotent, so a rerun is harmless.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # No task may hang a worker (a hostile payload, a stalled upstream): past the soft
    # limit SoftTimeLimitExceeded is raised in the task, past the hard one its pool
    # process is killed. Both stay well under the visibility timeout.
    task_soft_time_limit=settings.task_soft_time_limit_s,
    task_time_limit=settings.task_time_limit_s,
    broker_transport_options={"visibility_timeout": settings.visibility_timeout_s},
    broker_connection_retry_on_startup=True,
    task_queues=[Queue(name) for name in QUEUES],
    task_default_queue="ingest",
    task_routes={f"{name}.*": {"queue": name} for name in QUEUES},
    # Events for Flower and `celery events`: see Settings.task_events.
    worker_send_task_events=settings.task_events,
    task_send_sent_event=settings.task_events,
    imports=[f"workers.{name}" for name in QUEUES],
    # Periodic tasks: each worker module adds its own entries here (run by `celery beat`).
    beat_schedule={},
)


def enqueue(task: str, *args: Any) -> None:
    """Send a task by name to its queue (callers never import task code)."""
    celery_app.send_task(task, args=list(args))


@setup_logging.connect
def _json_logs(loglevel: str | int | None = None, **_: Any) -> None:
    """Every process of the app (workers, their children, beat) logs JSON lines."""
    logs.configure(loglevel or settings.log_level)


@task_prerun.connect
def _bind_task(task_id: str, task: Task, args: tuple[Any, ...], **_: Any) -> None:
    """Every line a task logs carries its id and what its message names (story, feed...)."""
    logs.clear()
    logs.bind(task_id=task_id, task=task.name, **named_arguments(task.name, args))


@task_postrun.connect
def _unbind_task(**_: Any) -> None:
    logs.clear()


@worker_init.connect
def _serve_metrics(**_: Any) -> None:
    """The worker's main process serves its children's metrics and the queue depths."""
    metrics.reset_multiprocess_dir()
    if settings.metrics_port:
        depths = metrics.QueueDepthCollector(redis.Redis.from_url(settings.redis_url), QUEUES)
        start_http_server(settings.metrics_port, registry=metrics.registry([depths]))


@worker_process_shutdown.connect
def _forget_child(pid: int, **_: Any) -> None:
    metrics.mark_process_dead(pid)
