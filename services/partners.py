"""Admin routes: partners, their API keys, feeds and hubs (the subscription configuration)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.auth import TOKEN_USER
from services.auth import admin as admin_only
from services.context import Context, get_context
from services.refusals import checked
from wirefeed.editor import admin_actions
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner, SubscriptionConfig

router = APIRouter(prefix="/v1/admin", tags=["partners"])


def _public_view(config: SubscriptionConfig) -> dict[str, Any]:
    """The configuration without key hashes (key ids and dates only)."""
    view = config.model_dump(mode="json", exclude_none=True)
    for partner in view["partners"]:
        for key in partner["keys"]:
            key.pop("sha256", None)
    return view


admin = [Depends(admin_only)]


@router.get("/subscriptions", dependencies=admin)
def get_subscriptions(context: Context = Depends(get_context)) -> dict[str, Any]:
    """The whole configuration: partners (without key hashes), feeds and hubs."""
    return _public_view(partners.with_firehose(partners.load_config(context.store)[0]))


def _applicable(document: dict[str, Any]) -> SubscriptionConfig:
    """The configuration a PUT document gives, with the partners' keys left out.

    Keys are issued and revoked on their own routes and applying a document keeps each
    partner's own, so the keys a document lists mean nothing; the GET lists them without
    their hashes, and its answer must apply as it is. An invalid document is a 422.
    """
    partners_in = document.get("partners")
    if isinstance(partners_in, list):
        keyless = [
            {k: v for k, v in p.items() if k != "keys"} if isinstance(p, dict) else p
            for p in partners_in
        ]
        document = {**document, "partners": keyless}
    try:
        return SubscriptionConfig.model_validate(document)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False), body=document) from exc


@router.put("/subscriptions", dependencies=admin)
def put_subscriptions(
    document: dict[str, Any] = Body(
        description="A subscriptions document (schemas/subscriptions.schema.json); partners' keys "
        "in it are ignored."
    ),
    context: Context = Depends(get_context),
) -> dict[str, Any]:
    """Apply a whole configuration, such as the GET's answer edited; partners keep their
    keys. Applies without a restart."""
    config = _applicable(document)
    apply = lambda: admin_actions.replace_config(context.store, TOKEN_USER, config)  # noqa: E731
    return _public_view(checked(apply))


@router.put("/partners/{partner_id}", dependencies=admin)
def put_partner(
    partner_id: str,
    name: str = Body(embed=True),
    rate_limit_per_minute: int = Body(default=600, embed=True, ge=1),
    context: Context = Depends(get_context),
) -> dict[str, Any]:
    """Create or update a partner."""
    partner = Partner(id=partner_id, name=name, rate_limit_per_minute=rate_limit_per_minute)
    saved = checked(lambda: admin_actions.put_partner(context.store, TOKEN_USER, partner))
    return saved.model_dump(mode="json", exclude={"keys"})


@router.delete("/partners/{partner_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=admin)
def delete_partner(partner_id: str, context: Context = Depends(get_context)) -> None:
    """Remove a partner that owns no feeds."""
    checked(lambda: admin_actions.delete_partner(context.store, TOKEN_USER, partner_id))


@router.post("/partners/{partner_id}/keys", status_code=status.HTTP_201_CREATED, dependencies=admin)
def issue_key(
    partner_id: str, grace_s: int | None = None, context: Context = Depends(get_context)
) -> dict[str, str]:
    """Issue an API key (shown once). With ``grace_s``, older keys expire after that long."""
    grace = timedelta(seconds=grace_s) if grace_s is not None else None
    issue = lambda: admin_actions.new_partner_key(  # noqa: E731
        context.store, TOKEN_USER, partner_id, grace
    )
    secret = checked(issue)
    return {"partner": partner_id, "api_key": secret, "key_id": secret.split("_")[1]}


@router.delete(
    "/partners/{partner_id}/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=admin,
)
def revoke_key(partner_id: str, key_id: str, context: Context = Depends(get_context)) -> None:
    """Revoke a key at once."""
    checked(lambda: admin_actions.revoke_partner_key(context.store, TOKEN_USER, partner_id, key_id))


@router.put("/feeds/{feed_id}", dependencies=admin)
def put_feed(
    feed_id: str, feed: dict[str, Any] = Body(), context: Context = Depends(get_context)
) -> dict[str, Any]:
    """Create or replace a feed (the body is a feed spec; the id comes from the path)."""
    try:
        spec = FeedSpec.model_validate({**feed, "id": feed_id})
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    saved = checked(lambda: admin_actions.put_feed(context.store, TOKEN_USER, spec))
    return saved.model_dump(mode="json", exclude_none=True)


@router.delete("/feeds/{feed_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=admin)
def delete_feed(feed_id: str, context: Context = Depends(get_context)) -> None:
    """Remove a feed (not the firehose)."""
    checked(lambda: admin_actions.delete_feed(context.store, TOKEN_USER, feed_id))
