"""The audit log: who did what to which story or feed, when, and with what result.

Each entry is written durably to the bucket under three prefixes (by time, by target
and by user) whose keys sort by time, so each kind of query lists one prefix instead
of scanning the whole log. Entries are never rewritten: an action leaves one entry
when it is asked for (``requested`` or ``refused``) and one when its job ends
(``done`` or ``failed``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from wirefeed.layout import AUDIT_PREFIX
from wirefeed.storage import BlobStore, NotFound


class Result(StrEnum):
    """How an action fared."""

    requested = "requested"
    refused = "refused"
    done = "done"
    failed = "failed"


class AuditEntry(BaseModel):
    """One line of the audit log."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:16])
    # Full precision: entries of one action, a few milliseconds apart, must sort in order.
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user: str
    action: str
    result: Result
    story_id: str | None = None
    feed_id: str | None = None
    job_id: str | None = None
    detail: str | None = None


def _stamp(at: datetime) -> str:
    # Fixed width, so keys sort by time.
    return at.strftime("%Y%m%dT%H%M%S%fZ")


def _keys(entry: AuditEntry) -> list[str]:
    name = f"{_stamp(entry.at)}-{entry.id}.json"
    keys = [f"{AUDIT_PREFIX}time/{name}", f"{AUDIT_PREFIX}user/{entry.user}/{name}"]
    if entry.story_id:
        keys.append(f"{AUDIT_PREFIX}story/{entry.story_id}/{name}")
    if entry.feed_id:
        keys.append(f"{AUDIT_PREFIX}feed/{entry.feed_id}/{name}")
    return keys


def record(store: BlobStore, entry: AuditEntry) -> AuditEntry:
    """Write an entry under each of its indexes."""
    body = entry.model_dump_json(exclude_none=True).encode()
    for key in _keys(entry):
        store.put(key, body, content_type="application/json", if_none_match=True)
    return entry


def query(
    store: BlobStore,
    *,
    story_id: str | None = None,
    feed_id: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries matching every given filter, newest first, at most ``limit``.

    The narrowest index is listed (story, then feed, then user, then time); the other
    filters are applied to what it yields.
    """
    if story_id:
        prefix = f"{AUDIT_PREFIX}story/{story_id}/"
    elif feed_id:
        prefix = f"{AUDIT_PREFIX}feed/{feed_id}/"
    elif user:
        prefix = f"{AUDIT_PREFIX}user/{user}/"
    else:
        prefix = f"{AUDIT_PREFIX}time/"
    low = _stamp(since) if since else ""
    high = f"{_stamp(until)}~" if until else "~"
    names = [k for k in store.list(prefix) if low <= k.removeprefix(prefix) <= high]
    found: list[AuditEntry] = []
    for key in reversed(names):
        try:
            entry = AuditEntry.model_validate_json(store.get(key).body)
        except NotFound:
            continue
        if user and entry.user != user:
            continue
        if feed_id and entry.feed_id != feed_id:
            continue
        found.append(entry)
        if len(found) >= limit:
            break
    return found
