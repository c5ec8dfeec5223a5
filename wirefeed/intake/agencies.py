"""Agencies: who may send stories, and the keys they send them with.

An agency's key lets it submit stories and read the status of its own, nothing else;
the stories it sends are always under its own name (their source), so two agencies
never share a story id. The list lives in the bucket at ``config/agencies.json`` with
only the SHA-256 of each key, and every process re-reads it when it changes, so an
added, rotated or revoked key applies without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from wirefeed import documents, keys
from wirefeed.documents import EditRefused, UnknownEntry
from wirefeed.keys import ApiKey
from wirefeed.layout import AGENCIES_KEY
from wirefeed.storage import BlobStore, KeptChanging

AGENCY_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
KEY_PREFIX = "wfa"
T = TypeVar("T")


class AgencyError(EditRefused):
    """An edit of the agencies that cannot be made."""


class UnknownAgency(AgencyError, UnknownEntry):
    """An edit names an agency or key that does not exist."""


class Agency(BaseModel):
    """A news agency that sends stories; its name is the source of its stories."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=AGENCY_NAME_PATTERN)
    keys: list[ApiKey] = Field(default_factory=list)


class Agencies(BaseModel):
    """Every agency."""

    model_config = ConfigDict(extra="forbid")

    agencies: list[Agency] = Field(default_factory=list)

    def get(self, name: str) -> Agency | None:
        """The agency called ``name``, if any."""
        return next((a for a in self.agencies if a.name == name), None)

    def authenticate(self, secret: str, now: datetime | None = None) -> Agency | None:
        """The agency whose live key ``secret`` is, or None.

        Every agency's keys are compared (agencies are few), so a key of any shape
        works, the well-known dev keys included.
        """
        found = None
        for agency in self.agencies:
            if keys.matches(agency.keys, secret, now):
                found = agency
        return found


def load(store: BlobStore) -> Agencies:
    """The stored agencies (none when nothing is stored)."""
    return documents.load(store, AGENCIES_KEY, Agencies)[0]


def _edit(store: BlobStore, change: Callable[[Agencies], T]) -> T:
    try:
        return documents.edit(store, AGENCIES_KEY, Agencies, change)
    except KeptChanging as exc:
        raise AgencyError("the agencies kept changing; try again") from exc


def _existing(agencies: Agencies, name: str) -> Agency:
    agency = agencies.get(name)
    if agency is None:
        raise UnknownAgency(f"no agency {name!r}")
    return agency


def add_agency(store: BlobStore, name: str) -> Agency:
    """Create an agency (without keys); adding one that exists changes nothing."""
    agency = Agency(name=name)

    def change(agencies: Agencies) -> Agency:
        existing = agencies.get(name)
        if existing is not None:
            return existing
        agencies.agencies.append(agency)
        return agency

    return _edit(store, change)


def new_key(
    store: BlobStore, name: str, grace: timedelta | None = None, secret: str | None = None
) -> tuple[str, str]:
    """Issue a key for an agency; return (key id, secret). The secret is shown once.

    With ``grace``, the agency's older keys expire after that long (rotation); ``secret``
    registers a given secret (the dev keys) instead of a random one.
    """

    def change(agencies: Agencies) -> tuple[str, str]:
        agency = _existing(agencies, name)
        issued = keys.issue(agency.keys, KEY_PREFIX, grace, secret)
        return agency.keys[-1].id, issued

    return _edit(store, change)


def revoke_key(store: BlobStore, name: str, key_id: str) -> None:
    """Revoke one of an agency's keys at once."""

    def change(agencies: Agencies) -> None:
        agency = _existing(agencies, name)
        try:
            agency.keys = keys.revoke(agency.keys, key_id)
        except keys.UnknownKey:
            raise UnknownAgency(f"agency {name!r} has no key {key_id!r}") from None

    _edit(store, change)


def public_view(agencies: Agencies) -> list[dict[str, object]]:
    """Agencies with their key ids and dates, without the hashes."""
    return [
        {"name": a.name, "keys": [k.model_dump(mode="json", exclude={"sha256"}) for k in a.keys]}
        for a in agencies.agencies
    ]


class AgencySource(documents.Watched[Agencies]):
    """The agencies in force, re-read when the stored list changes."""

    def __init__(self, store: BlobStore, refresh_s: float = 5.0) -> None:
        def build(body: bytes | None) -> Agencies:
            return Agencies.model_validate_json(body) if body else Agencies()

        super().__init__(store, AGENCIES_KEY, build, refresh_s)


# Dev mode's well-known agencies and keys (``make run`` and the tests use them).
DEV_AGENCIES = {"agency-a": "dev-agency-a", "agency-b": "dev-agency-b"}


def ensure_dev_agencies(store: BlobStore) -> dict[str, str]:
    """Create the dev agencies with their well-known keys (idempotent); return them."""
    for name, secret in DEV_AGENCIES.items():
        add_agency(store, name)
        found = load(store).authenticate(secret)
        if found is None or found.name != name:
            new_key(store, name, secret=secret)
    return dict(DEV_AGENCIES)
