"""Quarantine routes: list, inspect and replay items that could not be processed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from services.auth import TOKEN_USER, require_token
from services.context import Context, get_context
from wirefeed.editor import admin_actions
from wirefeed.intake import receiving
from wirefeed.intake.quarantine import get_record, list_records
from wirefeed.storage import NotFound


def authorised(request: Request, context: Context = Depends(get_context)) -> None:
    """Quarantine holds raw payloads: the service token is required."""
    require_token(request, context.settings.dev_token)


router = APIRouter(prefix="/v1/quarantine", tags=["quarantine"], dependencies=[Depends(authorised)])


@router.get("")
def list_items(context: Context = Depends(get_context)) -> list[dict[str, Any]]:
    """Every quarantined item with its reason, oldest first."""
    records = sorted(list_records(context.store), key=lambda r: r.at)
    return [r.model_dump(mode="json") for r in records]


@router.get("/{item_id}")
def show_item(item_id: str, context: Context = Depends(get_context)) -> dict[str, Any]:
    """One item's record and the size of its kept raw payload."""
    record = get_record(context.store, item_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such quarantined item")
    return {
        **record.model_dump(mode="json"),
        "raw_bytes": len(context.store.get(record.raw_key).body),
    }


@router.post("/{item_id}/replay", status_code=status.HTTP_202_ACCEPTED)
def replay_item(item_id: str, context: Context = Depends(get_context)) -> JSONResponse:
    """Take the item through intake again; 422 with the reason if it is still refused."""
    try:
        receipt = admin_actions.replay_quarantined(
            context.store, TOKEN_USER, item_id, context.enqueue
        )
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such quarantined item") from None
    except receiving.Quarantined as still:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"error": still.reason, "detail": still.detail, "quarantine_id": item_id},
        )
    return JSONResponse(
        status_code=status.HTTP_202_ACCEPTED,
        content={"id": receipt.story_id, "raw_key": receipt.raw_key},
    )
