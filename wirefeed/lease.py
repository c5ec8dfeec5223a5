"""Leases: Redis locks that expire if their holder dies, and are renewed while it works.

A lock with a fixed timeout expires under a task that runs longer than expected, and
a second worker then does the same work at the same time. A lease is renewed by a
background thread every third of its time to live, so it lasts exactly as long as the
work, and still frees itself within one time to live of a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
import structlog
from redis.exceptions import LockError

log = structlog.get_logger(__name__)

_PREFIX = "wirefeed:lease"


class LeaseLost(Exception):
    """The lease expired or vanished while its holder worked; its work must not land."""


class Lease:
    """A held lease; ``lost`` turns true if it could not be renewed (Redis lost it)."""

    def __init__(self, lock: redis.lock.Lock, ttl_s: float) -> None:
        self._lock = lock
        self._ttl_s = ttl_s
        self._stop = threading.Event()
        self.lost = False
        self._renewer = threading.Thread(target=self._renew, name="lease-renewer", daemon=True)

    def _renew(self) -> None:
        while not self._stop.wait(self._ttl_s / 3):
            try:
                self._lock.reacquire()
            except (LockError, redis.RedisError) as exc:
                self.lost = True
                log.warning("lease.lost", lease=self._lock.name, error=str(exc))
                return

    def check(self) -> None:
        """Raise LeaseLost when the lease is no longer held: call it before each write."""
        if self.lost:
            raise LeaseLost(self._lock.name)

    def start(self) -> None:
        """Begin renewing."""
        self._renewer.start()

    def release(self) -> None:
        """Stop renewing and free the lease (if Redis still has it)."""
        self._stop.set()
        self._renewer.join()
        # Expired or gone with Redis: nothing left to free.
        with suppress(LockError, redis.RedisError):
            self._lock.release()


@contextmanager
def lease(
    client: redis.Redis, name: str, ttl_s: float = 60, wait_s: float = 0
) -> Iterator[Lease | None]:
    """Hold the lease ``name`` while the block runs; yields None when another holder has it.

    ``wait_s`` is how long to wait for a busy lease before giving up.
    """
    # Not thread-local: the renewer thread must see the token the holder acquired.
    lock = client.lock(f"{_PREFIX}:{name}", timeout=ttl_s, thread_local=False)
    acquired = lock.acquire(blocking=wait_s > 0, blocking_timeout=wait_s or None)
    if not acquired:
        yield None
        return
    held = Lease(lock, ttl_s)
    held.start()
    try:
        yield held
    finally:
        held.release()
