"""The Wirefeed HTTP API: one FastAPI app gathering the routers of each area."""

from __future__ import annotations

from fastapi import FastAPI

from services import agencies, editor, editor_web, intake, ops, partners, quarantine
from services.context import Context, Enqueue, celery_enqueue
from wirefeed import logs
from wirefeed.handoff import stage_store
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore


def create_app(
    settings: Settings | None = None,
    store: BlobStore | None = None,
    enqueue: Enqueue = celery_enqueue,
) -> FastAPI:
    """Build the API; refuses unsafe settings (a default token outside dev mode)."""
    settings = settings or Settings.from_env()
    settings.check_for_service()
    logs.configure(settings.log_level)
    app = FastAPI(
        title="Wirefeed API",
        version="1",
        description="Push wire stories in; follow them through the pipeline.",
    )
    store = store or stage_store(settings)
    app.state.context = Context(settings, store, enqueue)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(intake.router)
    app.include_router(ops.router)
    app.include_router(editor.router)
    app.include_router(editor_web.router)
    app.include_router(partners.router)
    app.include_router(agencies.router)
    app.include_router(quarantine.router)
    return app
