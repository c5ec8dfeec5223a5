"""API keys of partners and agencies: issued once, stored only as SHA-256 hashes.

A key reads ``{prefix}_{key id}_{random}``: the id finds the stored entry, the hash
proves the secret. Keys are 256-bit random tokens, so a plain SHA-256 is enough (there
is no dictionary to guess from) and a leaked configuration gives nobody a working key.
Rotation adds a key and lets the older ones expire after a grace period, without a gap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from wirefeed.model import utcnow


class ApiKey(BaseModel):
    """A key, stored as a hash; the secret itself is shown once."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9]{8,32}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created: datetime
    expires: datetime | None = Field(
        default=None, description="After this the key stops working (rotation grace period)."
    )

    def live(self, now: datetime) -> bool:
        """Whether the key still works at ``now``."""
        return self.expires is None or self.expires > now


class UnknownKey(LookupError):
    """The owner has no key with that id."""


def digest(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(
    keys: list[ApiKey], prefix: str, grace: timedelta | None = None, secret: str | None = None
) -> str:
    """Add a new key to ``keys`` and return its secret (shown once, stored hashed).

    With ``grace``, the older keys expire after that period: rotation without a gap.
    Without it, older keys keep working until revoked. ``secret`` registers a given
    secret instead of a random one (the well-known keys of dev mode).
    """
    key_id = secrets.token_hex(6)
    secret = secret or f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    if grace is not None:
        for key in keys:
            if key.expires is None or key.expires > now + grace:
                key.expires = now + grace
    keys.append(ApiKey(id=key_id, sha256=digest(secret), created=now))
    return secret


def revoke(keys: list[ApiKey], key_id: str) -> list[ApiKey]:
    """``keys`` without ``key_id``; UnknownKey when there is no such key."""
    if not any(k.id == key_id for k in keys):
        raise UnknownKey(key_id)
    return [k for k in keys if k.id != key_id]


def matches(keys: Iterable[ApiKey], secret: str, now: datetime | None = None) -> bool:
    """Whether ``secret`` is one of the live ``keys``.

    Every key is compared, so the time taken does not tell which one matched.
    """
    now = now or utcnow()
    presented = digest(secret)
    found = False
    for key in keys:
        if hmac.compare_digest(key.sha256, presented) and key.live(now):
            found = True
    return found
