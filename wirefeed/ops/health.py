"""Readiness: can this process reach what it needs (the broker and the bucket)?"""

from __future__ import annotations

import redis

from wirefeed.storage import BlobStore, StorageError


def readiness(store: BlobStore, client: redis.Redis) -> dict[str, str]:
    """Check Redis and the bucket; each value is ``ok`` or why it is not."""
    checks: dict[str, str] = {}
    try:
        client.ping()
        checks["redis"] = "ok"
    except redis.RedisError as exc:
        checks["redis"] = f"unreachable: {exc}"
    try:
        # One cheap listing call proves the endpoint, the credentials and the bucket.
        next(iter(store.list("health/")), None)
        checks["s3"] = "ok"
    except StorageError as exc:
        checks["s3"] = f"unreachable: {exc}"
    return checks


def ready(checks: dict[str, str]) -> bool:
    """Whether every check passed."""
    return all(value == "ok" for value in checks.values())
