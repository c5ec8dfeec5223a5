"""Throttling failed authentication, counted in Redis so every process shares the counts.

Each failure counts against every name given (a client address, an account); once a
name reaches the limit within the current window, further attempts under it are
refused until the window ends, right or wrong, so guessing a token or a key gains
nothing from speed.
"""

from __future__ import annotations

import time
from typing import Any

_PREFIX = "wirefeed:authfail"


class FailureThrottle:
    """At most ``limit`` failures per name in each fixed window of ``window_s`` seconds."""

    def __init__(self, redis: Any, limit: int, window_s: int, scope: str) -> None:
        self.redis = redis
        self.limit = limit
        self.window_s = window_s
        self.scope = scope

    def _window(self) -> tuple[int, float]:
        now = time.time()
        return int(now // self.window_s), now

    def _key(self, window: int, name: str) -> str:
        return f"{_PREFIX}:{self.scope}:{name}:{window}"

    def retry_after(self, *names: str) -> int | None:
        """Seconds until attempts under these names are allowed again; None when they are."""
        window, now = self._window()
        counts = self.redis.mget([self._key(window, n) for n in names])
        if any(int(c or 0) >= self.limit for c in counts):
            return max(1, int((window + 1) * self.window_s - now) + 1)
        return None

    def failed(self, *names: str) -> None:
        """Count one failed attempt against each name."""
        window, _ = self._window()
        pipe = self.redis.pipeline()
        for name in names:
            pipe.incr(self._key(window, name))
            pipe.expire(self._key(window, name), self.window_s * 2)
        pipe.execute()
