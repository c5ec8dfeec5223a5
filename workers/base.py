"""The task base every Wirefeed task uses: retries, backoff, dead-letters, shared clients."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import redis
import structlog
from celery import Task
from kombu.exceptions import OperationalError

from wirefeed import metrics
from wirefeed.handoff import stage_store
from wirefeed.layout import deadletter_key
from wirefeed.model import utcnow
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, StorageError, StorageUnavailable

# Failures worth retrying: the storage or the broker is briefly unavailable.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    StorageUnavailable,
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,
)

log = structlog.get_logger(__name__)


class WirefeedTask(Task):
    """Retries transient errors with exponential backoff and jitter; dead-letters the rest.

    Clients are built lazily, once per task in each worker process (tasks do not share them).
    """

    abstract = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 1
    # Capped low so work resumes within seconds of an outage ending; a longer outage
    # exhausts the retries, dead-letters the task, and the reconciler restarts the story.
    retry_backoff_max = 10
    retry_jitter = True
    max_retries = Settings.from_env().task_max_retries

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @cached_property
    def store(self) -> BlobStore:
        return stage_store(self.settings)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url)

    def on_retry(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Count the retry; the line says why."""
        metrics.TASK_RETRIES.labels(self.name).inc()
        log.warning(
            "task.retry", error=f"{type(exc).__name__}: {exc}", retries=self.request.retries
        )

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        """Keep the failed message and its reason where an operator can find and replay it."""
        letter = {
            "task": self.name,
            "task_id": task_id,
            "args": list(args),
            "kwargs": dict(kwargs),
            "error": f"{type(exc).__name__}: {exc}",
            "retries": self.request.retries,
            "at": utcnow().isoformat(),
        }
        metrics.DEAD_LETTERS.labels(self.name).inc()
        try:
            self.store.put(
                deadletter_key(task_id),
                json.dumps(letter).encode(),
                content_type="application/json",
            )
        except StorageError:
            # Storage is what failed: the message stays in the logs and the reconciler
            # finds the story again from its raw payload.
            log.error("task.deadletter_not_stored", **letter)
            return
        log.error("task.deadlettered", key=deadletter_key(task_id), error=letter["error"])
