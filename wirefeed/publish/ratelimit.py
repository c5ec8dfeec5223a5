"""Per-partner request limits, counted in Redis so every gateway process shares them."""

from __future__ import annotations

import time

import redis

_PREFIX = "wirefeed:rate"


class RateLimiter:
    """A fixed one-minute window per partner."""

    def __init__(self, client: redis.Redis, window_s: int = 60) -> None:
        self.redis = client
        self.window_s = window_s

    def allow(self, partner_id: str, limit: int) -> int | None:
        """Count one request; None when allowed, else the seconds until the window resets."""
        now = time.time()
        window = int(now // self.window_s)
        key = f"{_PREFIX}:{partner_id}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.window_s * 2)
        count = int(pipe.execute()[0])
        if count <= limit:
            return None
        return max(1, int((window + 1) * self.window_s - now) + 1)
