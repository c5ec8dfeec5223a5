"""Quarantine routes: list and inspect items that could not be processed.

Replaying an item is an audited editorial action: ``POST /v1/editor/quarantine/{id}/replay``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status

from services.auth import admin
from services.context import Context, get_context
from wirefeed.intake import receiving
from wirefeed.intake.quarantine import get_record, list_records

# Quarantine holds raw payloads of every agency: the admin token only.
router = APIRouter(prefix="/v1/quarantine", tags=["quarantine"], dependencies=[Depends(admin)])


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
        "raw_bytes": len(receiving.load_raw(context.store, record.raw_key).payload),
    }
