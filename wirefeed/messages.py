"""What each queue message carries: storage keys and ids, never story bodies.

Celery sends task arguments positionally; each model lists them in order, so the
contract in ``schemas/queue-messages.schema.json`` documents exactly what crosses the
broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    """Base of queue messages."""

    model_config = ConfigDict(extra="forbid")


class IngestStory(Message):
    """``ingest.ingest_story``: parse the payload stored at ``raw_key``."""

    raw_key: str = Field(pattern=r"^raw/")


class EnrichStory(Message):
    """``enrich.enrich_story``: tag the current version of a story.

    With a ``job_id`` (an editor's correction) the story is then published at once
    under that job instead of waiting for the coalescing window. ``handed`` is the ETag
    of the version ingest wrote, read from the hand-off in Redis when it is still there
    (an ETag, not a body: the story itself never crosses the broker).
    """

    story_id: str
    job_id: str | None = None
    handed: str | None = None


class PublishStory(Message):
    """``publish.publish_story``: route a story to the feeds it touches."""

    story_id: str


class PublishNow(Message):
    """``publish.publish_now``: an editor's action; bring the story's feeds up to date now."""

    story_id: str
    job_id: str


class RebuildFeeds(Message):
    """``publish.rebuild_feeds``: render one feed (or every feed when null) from the stories."""

    feed_id: str | None
    job_id: str


class RenderFeed(Message):
    """``publish.render_feed``: apply pending stories to one feed and upload it."""

    feed_id: str


class Reconcile(Message):
    """``housekeeping.reconcile``: re-enqueue stories the queues lost (no arguments)."""


class PingHub(Message):
    """``publish.ping_hub``: tell a WebSub hub that the feed at ``topic`` changed."""

    hub: str
    topic: str


class SweepFeeds(Message):
    """``publish.sweep_feeds`` (periodic): reschedule feeds whose render was lost."""


class PollUpstream(Message):
    """``ingest.poll_upstream``: fetch one configured upstream feed."""

    source_id: str


class Periodic(Message):
    """A periodic task sent by beat; it carries no arguments."""


MESSAGES: dict[str, type[Message]] = {
    "ingest.ingest_story": IngestStory,
    "ingest.poll_upstream": PollUpstream,
    "ingest.poll_upstreams": Periodic,
    "ingest.sweep_inbox": Periodic,
    "ingest.release_embargoes": Periodic,
    "ingest.rebuild_embargo_index": Periodic,
    "enrich.enrich_story": EnrichStory,
    "publish.publish_story": PublishStory,
    "publish.render_feed": RenderFeed,
    "housekeeping.reconcile": Reconcile,
    "publish.publish_now": PublishNow,
    "publish.rebuild_feeds": RebuildFeeds,
    "publish.ping_hub": PingHub,
    "publish.sweep_feeds": SweepFeeds,
}

# Each task is routed to the queue its name starts with; a queue is a Redis list.
# A story passes through the pipeline queues in order; housekeeping runs repairs.
PIPELINE_QUEUES: tuple[str, ...] = ("ingest", "enrich", "publish")
QUEUES: tuple[str, ...] = tuple(dict.fromkeys(task.split(".")[0] for task in MESSAGES))


def named_arguments(task: str, args: Sequence[Any]) -> dict[str, Any]:
    """A message's positional arguments by name (``story_id``, ``raw_key``...), for logs."""
    model = MESSAGES.get(task)
    if model is None:
        return {}
    return dict(zip(model.model_fields, args, strict=False))
