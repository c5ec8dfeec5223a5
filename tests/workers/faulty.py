"""Tasks that misbehave on purpose, on the real app and task base, for delivery tests.

A test worker runs them (``celery -A tests.workers.faulty worker -Q faulty``): the app,
its delivery settings and ``WirefeedTask`` are the production ones.
"""

from __future__ import annotations

import os
import time

from wirefeed.storage import StorageUnavailable
from workers.app import celery_app
from workers.base import WirefeedTask

QUEUE = "faulty"


@celery_app.task(name="faulty.hang_once", base=WirefeedTask, bind=True)
def hang_once(self: WirefeedTask, marker: str) -> None:
    """Note the attempt and the process; hang on the first attempt (to be killed)."""
    attempt = self.redis.incr(f"{marker}:attempts")
    self.redis.set(f"{marker}:pid", os.getpid())
    if attempt == 1:
        time.sleep(120)
    self.redis.set(f"{marker}:done", attempt)


@celery_app.task(name="faulty.unavailable", base=WirefeedTask, bind=True)
def unavailable(self: WirefeedTask, marker: str, failures: int) -> None:
    """Fail with a transient storage error ``failures`` times, then succeed."""
    attempt = self.redis.incr(f"{marker}:attempts")
    if attempt <= failures:
        raise StorageUnavailable("put feeds/all.rss: endpoint unreachable")
    self.redis.set(f"{marker}:done", attempt)


@celery_app.task(name="faulty.broken", base=WirefeedTask, bind=True)
def broken(self: WirefeedTask, marker: str) -> None:
    """Fail with an error no retry can fix."""
    self.redis.incr(f"{marker}:attempts")
    raise ValueError("the payload is not a story")
