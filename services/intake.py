"""Intake routes: push a story in, follow it through the pipeline.

An agency's key submits stories under that agency's name only, and reads the status of
its own stories only; the admin token may submit as any source (operations, tests).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.auth import Kind, Principal, sender
from services.context import Context, get_context
from wirefeed import stories
from wirefeed.editor import audit
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.model import Story
from wirefeed.progress import Stage, load_state

router = APIRouter(prefix="/v1/stories", tags=["intake"])


def _refuse_source(context: Context, principal: Principal, named: str) -> HTTPException:
    """Audit an agency's attempt to send as another source; the 403 to raise."""
    detail = f"{principal.name} tried to send as source {named!r}"
    entry = audit.AuditEntry(
        user=f"agency:{principal.name}", action="submit", result=audit.Result.refused, detail=detail
    )
    audit.record(context.store, entry)
    return HTTPException(status.HTTP_403_FORBIDDEN, f"an agency key sends as {principal.name} only")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit``."""
    too_large = HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"payload over {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def submit_story(
    request: Request,
    source: str | None = None,
    principal: Principal = Depends(sender),
    context: Context = Depends(get_context),
) -> JSONResponse:
    """Accept a delivery in any wire format; it is stored before its stories are queued.

    With an agency key the story's source is the agency: a ``source`` (query or payload)
    naming anything else is refused with 403, and audited. The body is read as it
    streams and cut off at the size limit (413), chunked or not. Storing and parsing run
    in a thread, the parse itself in a worker process within the time budget
    (wirefeed/intake/budget.py), so nothing here holds the event loop.
    """
    agency = principal.name if principal.kind is Kind.agency else None
    if agency is not None and source not in (None, agency):
        raise _refuse_source(context, principal, source)
    payload = await read_body(request, context.settings.max_payload_bytes)
    item = RawItem(
        payload=payload,
        content_type=request.headers.get("content-type", ""),
        source=agency or source or context.settings.default_source,
        agency=agency,
    )
    try:
        results = await run_in_threadpool(
            receiving.receive_all, context.store, item, context.parse_budget
        )
    except receiving.ForeignSource as foreign:
        raise _refuse_source(context, principal, foreign.named) from None
    for result in results:
        if isinstance(result, receiving.Receipt):
            context.timeline.note(result.story_id, Stage.received, raw=result.raw_key)
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


def _sent_by(context: Context, story: Story | None, raw_keys: list[str], agency: str) -> bool:
    """Whether ``agency`` sent the story (before it is stored, by its first payload)."""
    if story is not None:
        return story.source == agency
    return bool(raw_keys) and receiving.load_raw(context.store, raw_keys[0]).source == agency


@router.get("/{story_id}", name="story_status")
def story_status(
    story_id: str,
    principal: Principal = Depends(sender),
    context: Context = Depends(get_context),
) -> dict[str, Any]:
    """The story's pipeline state and its current canonical form (an agency: its own only)."""
    state = load_state(context.store, story_id, context.timeline)
    if state is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
    story = stories.load_story(context.store, story_id)
    if principal.kind is Kind.agency and not _sent_by(
        context, story, state.raw_keys, principal.name
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the story was sent by another agency")
    return {
        "id": story_id,
        "state": state.stage,
        "reason": state.reason,
        "feeds": state.feeds,
        "history": [t.model_dump(mode="json") for t in state.history],
        "story": story.model_dump(mode="json", exclude_none=True) if story else None,
    }
