"""Admin routes for agencies and their keys (the same audited operations as
``wirefeed agencies``: ``wirefeed.editor.admin_actions``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Path, status

from services.auth import TOKEN_USER, admin
from services.context import Context, get_context
from services.refusals import checked
from wirefeed.editor import admin_actions
from wirefeed.intake import agencies
from wirefeed.intake.agencies import AGENCY_NAME_PATTERN

router = APIRouter(prefix="/v1/admin/agencies", tags=["agencies"], dependencies=[Depends(admin)])
AgencyName = Path(pattern=AGENCY_NAME_PATTERN)


@router.get("")
def list_agencies(context: Context = Depends(get_context)) -> list[dict[str, Any]]:
    """Every agency with its key ids and dates (never the hashes)."""
    return agencies.public_view(agencies.load(context.store))


@router.put("/{name}")
def add_agency(name: str = AgencyName, context: Context = Depends(get_context)) -> dict[str, Any]:
    """Create an agency (no keys yet); an existing one is left as it is."""
    agency = checked(lambda: admin_actions.add_agency(context.store, TOKEN_USER, name))
    return {"name": agency.name, "keys": [k.id for k in agency.keys]}


@router.post("/{name}/keys", status_code=status.HTTP_201_CREATED)
def issue_key(
    name: str = AgencyName, grace_s: int | None = None, context: Context = Depends(get_context)
) -> dict[str, str]:
    """Issue a key (shown once). With ``grace_s``, older keys expire after that long."""
    grace = timedelta(seconds=grace_s) if grace_s is not None else None
    key_id, secret = checked(
        lambda: admin_actions.new_agency_key(context.store, TOKEN_USER, name, grace)
    )
    return {"agency": name, "key_id": key_id, "api_key": secret}


@router.delete("/{name}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(name: str, key_id: str, context: Context = Depends(get_context)) -> None:
    """Revoke a key at once (every API process drops it within ``config_refresh_s``)."""
    checked(lambda: admin_actions.revoke_agency_key(context.store, TOKEN_USER, name, key_id))
