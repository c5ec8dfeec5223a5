"""Embargoed versions, held until their time and released automatically.

Each held version has a durable record in the bucket (``state/embargo/…``); a Redis
sorted set scored by release time is the fast index that a periodic sweep reads.
Celery countdowns are not used: one longer than the broker's visibility timeout runs
twice, and one lost with a worker is gone. If Redis loses the index, ``rebuild``
restores it from the records, so a release survives any restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from wirefeed.layout import EMBARGO_PREFIX, embargo_key
from wirefeed.storage import BlobStore, NotFound

INDEX_KEY = "wirefeed:embargo"


def _editor_hold_key(story_id: str) -> str:
    """The record of an editor's hold on a stored story (one per story)."""
    return embargo_key(f"story-{story_id}")


class HeldVersion(BaseModel):
    """A version waiting for its embargo to pass."""

    story_id: str
    # The agency payload to ingest at release. None: an editor embargoed the stored
    # version, which is published as it is at release.
    raw_key: str | None = None
    until: datetime

    @property
    def key(self) -> str:
        """The durable record: one per held payload, or one per editor-held story."""
        if self.raw_key is None:
            return _editor_hold_key(self.story_id)
        return embargo_key(self.raw_key.rsplit("/", 1)[-1])


class EmbargoSchedule:
    """Durable records in the bucket, indexed by release time in Redis."""

    def __init__(self, store: BlobStore, redis: Any) -> None:
        self.store = store
        self.redis = redis

    def hold(self, story_id: str, raw_key: str | None, until: datetime) -> HeldVersion:
        """Hold a version until ``until``: record first, then index (idempotent).

        ``raw_key`` None holds the stored version of the story (an editor's embargo);
        holding it again moves its release time.
        """
        held = HeldVersion(story_id=story_id, raw_key=raw_key, until=until)
        self.store.put(held.key, held.model_dump_json().encode(), content_type="application/json")
        self.redis.zadd(INDEX_KEY, {held.key: until.timestamp()})
        return held

    def cancel(self, story_id: str) -> None:
        """Take an editor's hold on the story off the schedule (nothing if there is none)."""
        key = _editor_hold_key(story_id)
        self.store.delete(key)
        self.redis.zrem(INDEX_KEY, key)

    def _load(self, key: str) -> HeldVersion | None:
        try:
            return HeldVersion.model_validate_json(self.store.get(key).body)
        except NotFound:
            return None

    def due(self, now: datetime) -> Iterator[HeldVersion]:
        """Held versions whose time has come (stale index entries are dropped)."""
        for member in self.redis.zrangebyscore(INDEX_KEY, "-inf", now.timestamp()):
            key = member.decode() if isinstance(member, bytes) else str(member)
            held = self._load(key)
            if held is None:
                self.redis.zrem(INDEX_KEY, key)
            else:
                yield held

    def release(self, held: HeldVersion) -> None:
        """Forget a version once it has been ingested."""
        self.store.delete(held.key)
        self.redis.zrem(INDEX_KEY, held.key)

    def pending(self) -> list[HeldVersion]:
        """Every held version, from the durable records."""
        found = (self._load(key) for key in self.store.list(EMBARGO_PREFIX))
        return sorted((h for h in found if h is not None), key=lambda h: h.until)

    def rebuild(self) -> int:
        """Re-index every durable record (after Redis lost its data); return the count."""
        held = self.pending()
        if held:
            self.redis.zadd(INDEX_KEY, {h.key: h.until.timestamp() for h in held})
        return len(held)
