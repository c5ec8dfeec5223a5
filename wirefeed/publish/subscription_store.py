"""The subscription configuration in the bucket: loading, editing, and partner API keys.

The canonical copy lives at ``config/subscriptions.json``. Workers re-read it when its
ETag changes (checked at most every ``config_refresh_s``), so a change made through the
admin API or the CLI applies without a restart. Edits are read-modify-write with a
conditional PUT, so two admins never overwrite each other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from wirefeed import documents, keys
from wirefeed.documents import EditRefused, UnknownEntry
from wirefeed.layout import SUBSCRIPTIONS_KEY, feed_document_key
from wirefeed.publish.subscriptions import (
    FIREHOSE,
    FIREHOSE_ID,
    BroaderLookup,
    FeedSpec,
    Partner,
    SubscriptionConfig,
    Subscriptions,
)
from wirefeed.storage import BlobStore, KeptChanging

T = TypeVar("T")
KEY_PREFIX = "wf"


class ConfigError(EditRefused):
    """An edit would leave the configuration invalid or inconsistent."""


class UnknownName(ConfigError, UnknownEntry):
    """An edit names a partner, feed or key that does not exist."""


def with_firehose(config: SubscriptionConfig) -> SubscriptionConfig:
    """The configuration with the default public firehose ``all``, added when missing."""
    if config.feed(FIREHOSE_ID) is None:
        return config.model_copy(update={"feeds": [FIREHOSE, *config.feeds]})
    return config


def load_config(store: BlobStore) -> tuple[SubscriptionConfig, str | None]:
    """The stored configuration and its ETag (defaults and None when none is stored)."""
    return documents.load(store, SUBSCRIPTIONS_KEY, SubscriptionConfig)


def _validated(config: SubscriptionConfig) -> SubscriptionConfig:
    try:
        return SubscriptionConfig.model_validate(config.model_dump())
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def save_config(store: BlobStore, config: SubscriptionConfig, if_match: str | None = None) -> str:
    """Store a configuration (validated again on the way); only over ``if_match`` when given."""
    return documents.save(store, SUBSCRIPTIONS_KEY, _validated(config), if_match)


def edit_config(store: BlobStore, change: Callable[[SubscriptionConfig], T]) -> T:
    """Apply ``change`` to a fresh copy of the configuration and store it, retrying races.

    ``change`` mutates the copy it is given and returns whatever the caller needs back;
    a result that fails validation raises ConfigError and nothing is stored.
    """
    try:
        return documents.edit(store, SUBSCRIPTIONS_KEY, SubscriptionConfig, change, _validated)
    except KeptChanging as exc:
        raise ConfigError("the configuration kept changing; try again") from exc


class SubscriptionSource(documents.Watched[Subscriptions]):
    """The current subscriptions, re-read when the stored configuration changes."""

    def __init__(
        self,
        store: BlobStore,
        refresh_s: float = 5.0,
        broader: BroaderLookup | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        def build(body: bytes | None) -> Subscriptions:
            config = SubscriptionConfig.model_validate_json(body) if body else SubscriptionConfig()
            return Subscriptions(with_firehose(config), broader)

        super().__init__(store, SUBSCRIPTIONS_KEY, build, refresh_s, clock)


# -- API keys ---------------------------------------------------------------------------


def issue_key(partner: Partner, grace: timedelta | None = None) -> str:
    """Add a new key to ``partner`` and return its secret (see ``wirefeed.keys.issue``)."""
    return keys.issue(partner.keys, KEY_PREFIX, grace)


def revoke_key(partner: Partner, key_id: str) -> None:
    """Remove one of the partner's keys; UnknownName when it has no such key."""
    try:
        partner.keys = keys.revoke(partner.keys, key_id)
    except keys.UnknownKey:
        raise UnknownName(f"partner {partner.id!r} has no key {key_id!r}") from None


def authenticate(
    config: SubscriptionConfig, secret: str, now: datetime | None = None
) -> Partner | None:
    """The partner whose live key ``secret`` is, or None."""
    prefix, _, rest = secret.partition("_")
    key_id = rest.partition("_")[0]
    if prefix != KEY_PREFIX or not key_id:
        return None
    for partner in config.partners:
        candidates = [k for k in partner.keys if k.id == key_id]
        if candidates:
            return partner if keys.matches(candidates, secret, now) else None
    return None


# -- admin operations (each one edit of the stored configuration) ----------------------


def replace_config(store: BlobStore, new: SubscriptionConfig) -> SubscriptionConfig:
    """Replace partners, feeds and hubs from a config file, keeping each partner's keys.

    Keys are secrets managed on their own (issue, rotate, revoke), so a config file
    never carries them and applying one never drops them.
    """

    def change(config: SubscriptionConfig) -> SubscriptionConfig:
        keys = {p.id: p.keys for p in config.partners}
        config.partners = [
            p.model_copy(update={"keys": keys.get(p.id, p.keys)}) for p in new.partners
        ]
        config.feeds = list(new.feeds)
        config.hubs = list(new.hubs)
        return config

    return edit_config(store, change)


def put_partner(store: BlobStore, partner: Partner) -> Partner:
    """Create or update a partner's name and limits (its keys are left as they are)."""

    def change(config: SubscriptionConfig) -> Partner:
        current = config.partner(partner.id)
        if current is None:
            config.partners.append(partner.model_copy(update={"keys": []}))
            return config.partners[-1]
        current.name = partner.name
        current.rate_limit_per_minute = partner.rate_limit_per_minute
        return current

    return edit_config(store, change)


def delete_partner(store: BlobStore, partner_id: str) -> None:
    """Remove a partner; refused while feeds still belong to it."""

    def change(config: SubscriptionConfig) -> None:
        if config.partner(partner_id) is None:
            raise UnknownName(f"no partner {partner_id!r}")
        owned = [f.id for f in config.feeds if f.partner == partner_id]
        if owned:
            raise ConfigError(f"partner {partner_id!r} still owns feeds: {', '.join(owned)}")
        config.partners = [p for p in config.partners if p.id != partner_id]

    edit_config(store, change)


def put_feed(store: BlobStore, feed: FeedSpec) -> FeedSpec:
    """Create or replace a feed."""

    def change(config: SubscriptionConfig) -> FeedSpec:
        config.feeds = [f for f in config.feeds if f.id != feed.id] + [feed]
        return feed

    return edit_config(store, change)


def delete_feed(store: BlobStore, feed_id: str) -> None:
    """Remove a feed from the configuration (the default firehose stays)."""

    def change(config: SubscriptionConfig) -> None:
        if feed_id == FIREHOSE_ID:
            raise ConfigError(f"the firehose {FIREHOSE_ID!r} cannot be removed")
        if config.feed(feed_id) is None:
            raise UnknownName(f"no feed {feed_id!r}")
        config.feeds = [f for f in config.feeds if f.id != feed_id]

    edit_config(store, change)


def new_partner_key(store: BlobStore, partner_id: str, grace: timedelta | None = None) -> str:
    """Issue a key for a partner (expiring its older keys after ``grace``); return the secret."""

    def change(config: SubscriptionConfig) -> str:
        partner = config.partner(partner_id)
        if partner is None:
            raise UnknownName(f"no partner {partner_id!r}")
        return issue_key(partner, grace)

    return edit_config(store, change)


def revoke_partner_key(store: BlobStore, partner_id: str, key_id: str) -> None:
    """Revoke one key of a partner at once."""

    def change(config: SubscriptionConfig) -> None:
        partner = config.partner(partner_id)
        if partner is None:
            raise UnknownName(f"no partner {partner_id!r}")
        revoke_key(partner, key_id)

    edit_config(store, change)


# -- partner access ---------------------------------------------------------------------

_DOCUMENT_PATH = re.compile(
    r"^(?P<feed>[a-z0-9][a-z0-9_-]{0,63})(?:/archive/(?P<page>[1-9][0-9]{0,8}))?"
    r"\.(?P<fmt>rss|atom|json)$"
)


def readable_document(config: SubscriptionConfig, partner: Partner, path: str) -> str | None:
    """The bucket key of the feed document at ``path`` (``{feed}.{fmt}`` or
    ``{feed}/archive/{n}.{fmt}``) when ``partner`` may read it, else None.

    A partner reads its own feeds and the public ones; another partner's feed and a
    feed that does not exist look the same, so nothing leaks.
    """
    found = _DOCUMENT_PATH.match(path)
    if found is None:
        return None
    spec = with_firehose(config).feed(found["feed"])
    if spec is None or not (spec.public or spec.partner == partner.id):
        return None
    page = int(found["page"]) if found["page"] else None
    return feed_document_key(spec.id, found["fmt"], spec.public, page)
