"""What every route needs, built once per app and handed to routes as a dependency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from wirefeed.settings import Settings
from wirefeed.storage import BlobStore

Enqueue = Callable[..., None]


def celery_enqueue(task: str, *args: Any) -> None:
    """Send a task by name to its queue (the services never import task code)."""
    from workers.app import celery_app

    celery_app.send_task(task, args=list(args))


@dataclass
class Context:
    """Settings, storage and the queue, shared by the routes of one app."""

    settings: Settings
    store: BlobStore
    enqueue: Enqueue = celery_enqueue


def get_context(request: Request) -> Context:
    """FastAPI dependency: the app's Context."""
    context: Context = request.app.state.context
    return context
