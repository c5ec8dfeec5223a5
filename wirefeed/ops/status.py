"""What an operator asks first: where is work waiting, and is anything stuck or failing?"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from wirefeed.layout import FEED_FORMATS
from wirefeed.messages import QUEUES
from wirefeed.metrics import queue_depths
from wirefeed.ops.reconcile import load_states, stuck_since
from wirefeed.progress import Timeline
from wirefeed.storage import BlobStore, NotFound


@dataclass
class QueueStatus:
    """One queue: messages waiting in Redis and workers consuming it."""

    queue: str
    depth: int | None
    workers: int


@dataclass
class Waiting:
    """The story that has waited longest in an unfinished stage."""

    story_id: str
    stage: str
    since: str
    age_s: float


@dataclass
class Status:
    """The pipeline at a glance."""

    queues: list[QueueStatus]
    stories_by_stage: dict[str, int]
    oldest_waiting: Waiting | None
    last_upload: dict[str, str] = field(default_factory=dict)
    quarantined: int = 0
    dead_letters: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def last_uploads(store: BlobStore) -> dict[str, str]:
    """When each feed was last uploaded (its newest format), as ISO 8601."""
    newest: dict[str, datetime] = {}
    for key in store.list("feeds/"):
        feed_id, _, fmt = key.removeprefix("feeds/").rpartition(".")
        if fmt not in FEED_FORMATS:
            continue
        try:
            modified = store.get(key).last_modified
        except NotFound:
            continue
        if modified is not None and (feed_id not in newest or modified > newest[feed_id]):
            newest[feed_id] = modified
    return {feed_id: at.isoformat() for feed_id, at in sorted(newest.items())}


def collect(
    store: BlobStore,
    client: redis.Redis,
    workers_per_queue: Mapping[str, int],
    now: datetime | None = None,
) -> Status:
    """Gather the status from Redis and the bucket (the worker counts come from the caller)."""
    now = now or datetime.now(UTC)
    depths = queue_depths(client, QUEUES)
    states = load_states(store, Timeline(client))
    oldest = stuck_since(states)
    waiting = None
    if oldest is not None and oldest.last_change is not None:
        waiting = Waiting(
            story_id=oldest.story_id,
            stage=str(oldest.stage),
            since=oldest.last_change.isoformat(),
            age_s=round((now - oldest.last_change).total_seconds(), 1),
        )
    return Status(
        queues=[QueueStatus(q, depths[q], workers_per_queue.get(q, 0)) for q in QUEUES],
        stories_by_stage=dict(sorted(Counter(str(s.stage) for s in states).items())),
        oldest_waiting=waiting,
        last_upload=last_uploads(store),
        quarantined=sum(1 for _ in store.list("quarantine/")),
        dead_letters=sum(1 for _ in store.list("deadletter/")),
    )
