"""Intake routes: push a story in, follow it through the pipeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.auth import require_token
from services.context import Context, get_context
from wirefeed import stories
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.progress import Stage, load_state

router = APIRouter(prefix="/v1/stories", tags=["intake"])


def authorised(request: Request, context: Context = Depends(get_context)) -> None:
    """Intake and status need the service token."""
    require_token(request, context.settings.dev_token)


@router.post("", status_code=status.HTTP_202_ACCEPTED, dependencies=[Depends(authorised)])
async def submit_story(
    request: Request, source: str | None = None, context: Context = Depends(get_context)
) -> JSONResponse:
    """Accept a story as text/plain or ninjs JSON; it is stored before it is queued."""
    limit = context.settings.max_payload_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"payload over {limit} bytes")
    payload = await request.body()
    if len(payload) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"payload over {limit} bytes")
    item = RawItem(
        payload=payload,
        content_type=request.headers.get("content-type", ""),
        source=source or context.settings.default_source,
    )
    try:
        receipt = receiving.receive(context.store, item)
    except receiving.Quarantined as exc:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"error": exc.reason, "detail": exc.detail, "quarantine_id": exc.record_id},
        )
    context.timeline.note(receipt.story_id, Stage.received)
    context.enqueue("ingest.ingest_story", receipt.raw_key)
    return JSONResponse(
        status_code=status.HTTP_202_ACCEPTED,
        content={
            "id": receipt.story_id,
            "status_url": str(request.url_for("story_status", story_id=receipt.story_id)),
        },
    )


@router.get("/{story_id}", name="story_status", dependencies=[Depends(authorised)])
def story_status(story_id: str, context: Context = Depends(get_context)) -> dict[str, Any]:
    """The story's pipeline state and its current canonical form."""
    state = load_state(context.store, story_id, context.timeline)
    if state is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
    story = stories.load_story(context.store, story_id)
    return {
        "id": story_id,
        "state": state.stage,
        "reason": state.reason,
        "feeds": state.feeds,
        "history": [t.model_dump(mode="json") for t in state.history],
        "story": story.model_dump(mode="json", exclude_none=True) if story else None,
    }
