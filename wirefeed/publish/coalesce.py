"""Per-feed coalescing in Redis: many stories, at most one render per window.

A story marks each feed it touches as pending. Coalescing is leading-edge: a feed that
has not begun a render within the last window renders at once, so a lone story is not
held back; a mark that follows a render within the window schedules the next render
for the moment the window ends, and later marks only add to the pending set. A burst
therefore still costs at most one render (one write of each document) per feed per
window. The render takes the pending set, and only forgets the stories after their
feed was uploaded, so a crash mid-render leaves them pending for the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis

from wirefeed.lease import Lease, lease

_PREFIX = "wirefeed:feed"


class FeedScheduler:
    """Pending stories per feed, and the 'render scheduled' flag that debounces them."""

    def __init__(self, client: redis.Redis, window_s: float, lease_s: float = 60) -> None:
        self.redis = client
        self.window_s = window_s
        self.lease_s = lease_s

    def _pending(self, feed_id: str) -> str:
        return f"{_PREFIX}:{feed_id}:pending"

    def _scheduled(self, feed_id: str) -> str:
        return f"{_PREFIX}:{feed_id}:scheduled"

    def _rendered(self, feed_id: str) -> str:
        return f"{_PREFIX}:{feed_id}:rendered"

    def mark(self, feed_id: str, story_ids: Iterable[str]) -> float | None:
        """Add stories to a feed's pending set; return the delay of the render to schedule.

        None means a render is already scheduled and will take the stories. Otherwise
        the caller schedules one after the returned seconds: 0 when the feed has not
        begun a render within the window (leading edge), else what is left of it.
        """
        # The flag expires, so a render that was lost (say, with Redis) is rescheduled
        # by the next story or by the sweeper instead of blocking the feed forever.
        ttl_ms = max(1000, int(self.window_s * 10_000))
        ids = list(story_ids)
        pipe = self.redis.pipeline()
        if ids:
            pipe.sadd(self._pending(feed_id), *ids)
        pipe.set(self._scheduled(feed_id), "1", nx=True, px=ttl_ms)
        pipe.pttl(self._rendered(feed_id))
        *_, scheduled, remaining_ms = pipe.execute()
        if not scheduled:
            return None
        # PTTL is negative when no render began within the window.
        return max(0, int(remaining_ms)) / 1000

    def begin(self, feed_id: str) -> list[str]:
        """Start a render: clear the flag (new stories schedule the next one), read pending.

        The start opens the feed's window: renders marked during it wait for its end.
        """
        pipe = self.redis.pipeline()
        pipe.delete(self._scheduled(feed_id))
        pipe.smembers(self._pending(feed_id))
        pipe.set(self._rendered(feed_id), "1", px=max(1, int(self.window_s * 1000)))
        _, members, _ = pipe.execute()
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)

    def done(self, feed_id: str, story_ids: Iterable[str]) -> None:
        """Forget stories once their feed is uploaded."""
        ids = list(story_ids)
        if ids:
            self.redis.srem(self._pending(feed_id), *ids)

    def unscheduled(self) -> list[str]:
        """Feeds with pending stories but no render scheduled (for the sweeper)."""
        feeds = []
        for key in self.redis.scan_iter(match=f"{_PREFIX}:*:pending", count=500):
            name = key.decode() if isinstance(key, bytes) else key
            feed_id = name[len(_PREFIX) + 1 : -len(":pending")]
            if not self.redis.exists(self._scheduled(feed_id)):
                feeds.append(feed_id)
        return feeds

    @contextmanager
    def exclusive(self, feed_id: str) -> Iterator[Lease | None]:
        """Hold the feed's render lease; yields None when another render holds it.

        The lease is renewed while the render runs, so a slow render never loses it to
        a second one (which would upload the same feed concurrently). Should Redis lose
        it all the same, ``Lease.check`` stops the render before its next upload.
        """
        with lease(self.redis, f"feed:{feed_id}:render", ttl_s=self.lease_s, wait_s=5) as held:
            yield held
