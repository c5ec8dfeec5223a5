"""The Celery application: broker settings, queues and routes, in one place."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from wirefeed.settings import Settings

QUEUES = ("ingest", "enrich", "publish")

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
    broker_transport_options={"visibility_timeout": settings.visibility_timeout_s},
    broker_connection_retry_on_startup=True,
    task_queues=[Queue(name) for name in QUEUES],
    task_default_queue="ingest",
    task_routes={f"{name}.*": {"queue": name} for name in QUEUES},
    # Events stay on so Flower and `celery events` can watch the workers.
    worker_send_task_events=True,
    task_send_sent_event=True,
    imports=[f"workers.{name}" for name in QUEUES],
    # Periodic tasks: each worker module adds its own entries here (run by `celery beat`).
    beat_schedule={},
)
