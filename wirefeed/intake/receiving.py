"""Receiving a payload: keep the raw bytes, parse them, or set them aside in quarantine.

Every payload is written under ``raw/{sha256}`` before anything is queued, so the bucket
holds what arrived even when Redis loses the message that carries its key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from wirefeed.intake.parsers import ParseError, RawItem, parse
from wirefeed.intake.quarantine import get_record, quarantine, release
from wirefeed.layout import raw_key as raw_key_for
from wirefeed.model import Story, utcnow
from wirefeed.storage import BlobStore, NotFound


class Quarantined(Exception):
    """The item was set aside; ``record_id`` names its quarantine record."""

    def __init__(self, record_id: str, error: ParseError) -> None:
        super().__init__(str(error))
        self.record_id = record_id
        self.reason = error.reason
        self.detail = error.detail


@dataclass(frozen=True)
class Receipt:
    """What intake tells the sender: which story the payload became and where it is kept."""

    story_id: str
    raw_key: str


def store_raw(store: BlobStore, item: RawItem) -> str:
    """Write a payload durably, addressed by its content, and return its key."""
    key = raw_key_for(hashlib.sha256(item.payload).hexdigest())
    store.put(
        key,
        item.payload,
        content_type=item.content_type or "application/octet-stream",
        metadata={"source": item.source, "received-at": item.received_at.isoformat()},
    )
    return key


def load_raw(store: BlobStore, key: str) -> RawItem:
    """Read a stored payload back with what was known when it arrived."""
    blob = store.get(key)
    received = blob.metadata.get("received-at")
    return RawItem(
        payload=blob.body,
        content_type=blob.content_type,
        source=blob.metadata.get("source", "wire"),
        received_at=datetime.fromisoformat(received) if received else utcnow(),
    )


def parse_or_quarantine(store: BlobStore, key: str, item: RawItem) -> Story:
    try:
        return parse(item)
    except ParseError as error:
        record = quarantine(
            store,
            key,
            reason=error.reason,
            detail=error.detail,
            source=item.source,
            content_type=item.content_type,
        )
        raise Quarantined(record.id, error) from error


def receive(store: BlobStore, item: RawItem) -> Receipt:
    """Intake: keep the payload and check that it parses.

    The payload is stored before anything else, so even an item that fails to parse is
    kept (and quarantined, raising Quarantined) rather than lost. The stored payload is
    the record that it arrived (when, in its metadata); nothing else is written.
    """
    key = store_raw(store, item)
    story = parse_or_quarantine(store, key, item)
    return Receipt(story_id=story.id, raw_key=key)


def replay(store: BlobStore, item_id: str) -> Receipt:
    """Take a quarantined item through intake again (after a fix); forget it on success.

    Raises NotFound for an unknown item and Quarantined (with the record updated to the
    current reason) when it still cannot be parsed.
    """
    record = get_record(store, item_id)
    if record is None:
        raise NotFound(item_id)
    receipt = receive(store, load_raw(store, record.raw_key))
    release(store, item_id)
    return receipt
