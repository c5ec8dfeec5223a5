"""What every route needs, built once per app and handed to routes as a dependency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis
from fastapi import Request

from wirefeed.editor.sessions import SessionStore
from wirefeed.editor.users import UsersSource
from wirefeed.ingest.embargo import EmbargoSchedule
from wirefeed.intake.agencies import AgencySource
from wirefeed.intake.budget import ParseBudget
from wirefeed.progress import Timeline
from wirefeed.publish.subscription_store import SubscriptionSource
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore
from wirefeed.throttle import FailureThrottle

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
    def parse_budget(self) -> ParseBudget:
        """The processes that parse payloads, each within the per-payload time budget."""
        return ParseBudget(self.settings.parse_timeout_s, self.settings.parse_workers)

    @cached_property
    def subscriptions(self) -> SubscriptionSource:
        """The stored feed configuration, re-read when it changes (as the workers do)."""
        return SubscriptionSource(self.store, self.settings.config_refresh_s)

    @cached_property
    def agencies(self) -> AgencySource:
        """The agencies and their keys, re-read when they change."""
        return AgencySource(self.store, self.settings.config_refresh_s)

    @cached_property
    def users(self) -> UsersSource:
        """The editor accounts, re-read when the users file changes."""
        return UsersSource(self.settings)

    @cached_property
    def sessions(self) -> SessionStore:
        """Editor sessions (in Redis)."""
        return SessionStore(self.redis, self.settings.editor_session_idle_s)

    def throttle(self, scope: str) -> FailureThrottle:
        """Failed authentications counted per client and account, under ``scope``."""
        limit, window = self.settings.auth_failures_per_window, self.settings.auth_failure_window_s
        return FailureThrottle(self.redis, limit, window, scope)

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
