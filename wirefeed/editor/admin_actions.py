"""Administrative writes, audited: the subscription configuration and the agencies.

The admin API and the ``wirefeed partners`` / ``wirefeed agencies`` commands both call
these, so an edit made from a shell leaves the same audit entry as one made over HTTP:
``done`` when it took effect, ``refused`` (with the reason) when it did not. Each edit
is synchronous, so there is no job and no ``requested`` entry. (A quarantine replay is
an editor's action, audited with its job: ``wirefeed.editor.replay``.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from pydantic import ValidationError

from wirefeed.editor import audit
from wirefeed.intake import agencies
from wirefeed.intake.agencies import Agency
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner, SubscriptionConfig
from wirefeed.storage import BlobStore

T = TypeVar("T")


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
    except (partners.ConfigError, agencies.AgencyError, ValidationError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
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


def add_agency(store: BlobStore, user: str, name: str) -> Agency:
    """Create an agency (without keys); one that exists is left as it is."""
    add = lambda: agencies.add_agency(store, name)  # noqa: E731
    return _audited(store, user, "agency.add", add, detail=f"agency {name}")


def new_agency_key(
    store: BlobStore, user: str, name: str, grace: timedelta | None = None
) -> tuple[str, str]:
    """Issue an agency key: (key id, secret); the audit entry never names the secret."""
    issue = lambda: agencies.new_key(store, name, grace)  # noqa: E731
    return _audited(store, user, "agency.key", issue, detail=f"agency {name}")


def revoke_agency_key(store: BlobStore, user: str, name: str, key_id: str) -> None:
    """Revoke one of an agency's keys at once."""
    revoke = lambda: agencies.revoke_key(store, name, key_id)  # noqa: E731
    _audited(store, user, "agency.revoke", revoke, detail=f"agency {name} key {key_id}")
