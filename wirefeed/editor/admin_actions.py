"""Administrative writes, audited: the subscription configuration and quarantine replays.

The admin API and the ``wirefeed partners`` / ``wirefeed quarantine`` commands both call
these, so an edit made from a shell leaves the same audit entry as one made over HTTP:
``done`` when it took effect, ``refused`` (with the reason) when it did not. Each edit
is synchronous, so there is no job and no ``requested`` entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from wirefeed.editor import audit
from wirefeed.intake import receiving
from wirefeed.intake.receiving import Receipt
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner, SubscriptionConfig
from wirefeed.storage import BlobStore, NotFound

T = TypeVar("T")
Enqueue = Callable[..., None]


def _audited(
    store: BlobStore,
    user: str,
    action: str,
    edit: Callable[[], T],
    *,
    feed_id: str | None = None,
    detail: str | None = None,
) -> T:
    """Run ``edit`` and audit it: ``done``, or ``refused`` with why (then re-raised)."""
    entry = audit.AuditEntry(
        user=user, action=action, result=audit.Result.done, feed_id=feed_id, detail=detail
    )
    try:
        result = edit()
    except (partners.ConfigError, NotFound, receiving.Quarantined) as error:
        reason = getattr(error, "reason", None) or str(error) or type(error).__name__
        refused = {"result": audit.Result.refused, "detail": f"{detail or action}: {reason}"}
        audit.record(store, entry.model_copy(update=refused))
        raise
    audit.record(store, entry)
    return result


def replace_config(store: BlobStore, user: str, config: SubscriptionConfig) -> SubscriptionConfig:
    """Apply a whole configuration (partners keep their keys)."""
    detail = f"{len(config.partners)} partners, {len(config.feeds)} feeds"
    return _audited(
        store, user, "config.apply", lambda: partners.replace_config(store, config), detail=detail
    )


def put_partner(store: BlobStore, user: str, partner: Partner) -> Partner:
    """Create or update a partner."""
    return _audited(
        store,
        user,
        "partner.put",
        lambda: partners.put_partner(store, partner),
        detail=f"partner {partner.id}",
    )


def delete_partner(store: BlobStore, user: str, partner_id: str) -> None:
    """Remove a partner that owns no feeds."""
    _audited(
        store,
        user,
        "partner.delete",
        lambda: partners.delete_partner(store, partner_id),
        detail=f"partner {partner_id}",
    )


def new_partner_key(
    store: BlobStore, user: str, partner_id: str, grace: timedelta | None = None
) -> str:
    """Issue a partner key; the audit entry names the key's id, never the key."""
    issue = lambda: partners.new_partner_key(store, partner_id, grace)  # noqa: E731
    return _audited(store, user, "partner.key", issue, detail=f"partner {partner_id}")


def revoke_partner_key(store: BlobStore, user: str, partner_id: str, key_id: str) -> None:
    """Revoke one of a partner's keys at once."""
    revoke = lambda: partners.revoke_partner_key(store, partner_id, key_id)  # noqa: E731
    _audited(store, user, "partner.revoke", revoke, detail=f"partner {partner_id} key {key_id}")


def put_feed(store: BlobStore, user: str, feed: FeedSpec) -> FeedSpec:
    """Create or replace one feed."""
    return _audited(
        store, user, "feed.put", lambda: partners.put_feed(store, feed), feed_id=feed.id
    )


def delete_feed(store: BlobStore, user: str, feed_id: str) -> None:
    """Remove a feed (not the firehose)."""
    _audited(
        store, user, "feed.delete", lambda: partners.delete_feed(store, feed_id), feed_id=feed_id
    )


def replay_quarantined(store: BlobStore, user: str, item_id: str, enqueue: Enqueue) -> Receipt:
    """Take a quarantined item through intake again and queue it for ingest.

    Raises NotFound for an unknown item and ``receiving.Quarantined`` when it is still
    refused; both are audited as ``refused``.
    """

    def replay() -> Receipt:
        receipt = receiving.replay(store, item_id)
        enqueue("ingest.ingest_story", receipt.raw_key)
        return receipt

    return _audited(store, user, "quarantine.replay", replay, detail=f"quarantine item {item_id}")
