"""The intake and status API: ``POST /v1/stories`` and ``GET /v1/stories/{id}``."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.auth import require_token
from wirefeed import pipeline
from wirefeed.parsers import RawItem
from wirefeed.settings import Settings
from wirefeed.state import load_state
from wirefeed.storage import BlobStore, S3Store


def create_app(settings: Settings | None = None, store: BlobStore | None = None) -> FastAPI:
    """Build the API; refuses unsafe settings (a default token outside dev mode)."""
    settings = settings or Settings.from_env()
    settings.check_for_service()
    store = store or S3Store(settings)
    app = FastAPI(
        title="Wirefeed API",
        version="1",
        description="Push wire stories in; follow them through the pipeline.",
    )

    def authorised(request: Request) -> None:
        require_token(request, settings.dev_token)

    def enqueue(task: str, *args: Any) -> None:
        from workers.app import celery_app

        celery_app.send_task(task, args=list(args))

    app.state.enqueue = enqueue

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/stories", status_code=status.HTTP_202_ACCEPTED, tags=["intake"])
    async def submit_story(
        request: Request, source: str | None = None, _: None = Depends(authorised)
    ) -> JSONResponse:
        """Accept a story as text/plain or ninjs JSON; it is stored before it is queued."""
        declared = int(request.headers.get("content-length") or 0)
        if declared > settings.max_payload_bytes:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "payload too large")
        payload = await request.body()
        if len(payload) > settings.max_payload_bytes:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "payload too large")
        item = RawItem(
            payload=payload,
            content_type=request.headers.get("content-type", ""),
            source=source or settings.default_source,
        )
        try:
            receipt = pipeline.receive(store, item)
        except pipeline.Quarantined as exc:
            return JSONResponse(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                content={"error": exc.reason, "detail": exc.detail, "quarantine_id": exc.record_id},
            )
        app.state.enqueue("ingest.ingest_story", receipt.raw_key)
        return JSONResponse(
            status_code=status.HTTP_202_ACCEPTED,
            content={
                "id": receipt.story_id,
                "status_url": str(request.url_for("story_status", story_id=receipt.story_id)),
            },
        )

    @app.get("/v1/stories/{story_id}", name="story_status", tags=["intake"])
    def story_status(story_id: str, _: None = Depends(authorised)) -> dict[str, Any]:
        """The story's pipeline state and its current canonical form."""
        state = load_state(store, story_id)
        if state is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
        story = pipeline.load_story(store, story_id)
        return {
            "id": story_id,
            "state": state.stage,
            "reason": state.reason,
            "feeds": state.feeds,
            "history": [t.model_dump(mode="json") for t in state.history],
            "story": story.model_dump(mode="json", exclude_none=True) if story else None,
        }

    return app
