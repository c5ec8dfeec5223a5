"""Quarantine routes: list and inspect items that could not be processed.

Replaying an item is an audited editorial action: ``POST /v1/editor/quarantine/{id}/replay``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from services.auth import require_token
from services.context import Context, get_context
from wirefeed.intake.quarantine import get_record, list_records


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
