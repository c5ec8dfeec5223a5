"""What every route needs, built once per app and handed to routes as a dependency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis
from fastapi import Request

from wirefeed.ingest.embargo import EmbargoSchedule
from wirefeed.progress import Timeline
from wirefeed.publish.subscription_store import SubscriptionSource
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore

Enqueue = Callable[..., None]


def celery_enqueue(task: str, *args: Any) -> None:
    """Send a task by name to its queue (the services never import task code)."""
    from workers.app import enqueue

    enqueue(task, *args)


@dataclass
class Context:
    """Settings, storage and the queue, shared by the routes of one app."""

    settings: Settings
    store: BlobStore
    enqueue: Enqueue = celery_enqueue

    @cached_property
    def redis(self) -> redis.Redis:
        """A Redis client, made on first use."""
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=5)

    @cached_property
    def subscriptions(self) -> SubscriptionSource:
        """The stored feed configuration, re-read when it changes (as the workers do)."""
        return SubscriptionSource(self.store, self.settings.config_refresh_s)

    @cached_property
    def timeline(self) -> Timeline:
        """Each story's pipeline steps, as the editor page shows them."""
        return Timeline(self.redis)

    @cached_property
    def embargoes(self) -> EmbargoSchedule:
        """The embargo schedule the periodic sweep releases from."""
        return EmbargoSchedule(self.store, self.redis)


def get_context(request: Request) -> Context:
    """FastAPI dependency: the app's Context."""
    context: Context = request.app.state.context
    return context
