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
from wirefeed.progress import load_state

router = APIRouter(prefix="/v1/stories", tags=["intake"])


def authorised(request: Request, context: Context = Depends(get_context)) -> None:
    """Intake and status need the service token."""
    require_token(request, context.settings.dev_token)


@router.post("", status_code=status.HTTP_202_ACCEPTED, dependencies=[Depends(authorised)])
async def submit_story(
    request: Request, source: str | None = None, context: Context = Depends(get_context)
) -> JSONResponse:
    """Accept a delivery in any wire format; it is stored before its stories are queued."""
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
    results = receiving.receive_all(context.store, item)
    for result in results:
        if isinstance(result, receiving.Receipt):
            context.enqueue("ingest.ingest_story", result.raw_key)
    return intake_response(request, results)


def intake_response(
    request: Request, results: list[receiving.Receipt | receiving.Quarantined]
) -> JSONResponse:
    """202 with an id and status URL per story; 422 when nothing in the payload was taken.

    A payload of one item is answered as before (``id`` and ``status_url``, or
    ``error``, ``detail`` and ``quarantine_id``); ``items`` lists every item's outcome,
    in order, for payloads of several.
    """
    items: list[dict[str, str]] = [
        {"id": r.story_id, "status_url": str(request.url_for("story_status", story_id=r.story_id))}
        if isinstance(r, receiving.Receipt)
        else {"error": r.reason, "detail": r.detail, "quarantine_id": r.record_id}
        for r in results
    ]
    accepted = [i for i in items if "id" in i]
    content: dict[str, Any] = {"items": items}
    if len(items) == 1:
        content.update(items[0])
    elif not accepted:
        content.update(error="no_story", detail=f"none of the {len(items)} items could be taken")
    else:
        content.update(ids=[i["id"] for i in accepted], quarantined=len(items) - len(accepted))
    code = status.HTTP_202_ACCEPTED if accepted else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(status_code=code, content=content)


@router.get("/{story_id}", name="story_status", dependencies=[Depends(authorised)])
def story_status(story_id: str, context: Context = Depends(get_context)) -> dict[str, Any]:
    """The story's pipeline state and its current canonical form."""
    state = load_state(context.store, story_id)
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
