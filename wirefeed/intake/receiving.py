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
from wirefeed.progress import Stage, record_stage
from wirefeed.storage import BlobStore, NotFound


class ForeignSource(Exception):
    """A payload sent by one agency names another source; nothing was stored."""

    def __init__(self, agency: str, named: str) -> None:
        super().__init__(f"{agency} may not send stories as {named!r}")
        self.agency = agency
        self.named = named


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


def raw_key_of(item: RawItem) -> str:
    """Where a payload is kept: addressed by its source and content, so a re-send is a
    no-op and the same bytes from two agencies stay two payloads."""
    digest = hashlib.sha256(item.source.encode() + b"\x00" + item.payload).hexdigest()
    return raw_key_for(digest)


def store_raw(store: BlobStore, item: RawItem) -> str:
    """Write a payload durably, addressed by its source and content, and return its key."""
    key = raw_key_of(item)
    metadata = {"source": item.source, "received-at": item.received_at.isoformat()}
    if item.agency is not None:
        metadata["agency"] = item.agency
    store.put(
        key,
        item.payload,
        content_type=item.content_type or "application/octet-stream",
        metadata=metadata,
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
        agency=blob.metadata.get("agency"),
    )


def check_source(item: RawItem, story: Story) -> None:
    """Raise ForeignSource when an agency's payload names another source."""
    if item.agency is not None and story.source != item.agency:
        raise ForeignSource(item.agency, story.source)


def _set_aside(store: BlobStore, key: str, item: RawItem, error: ParseError) -> Quarantined:
    """Quarantine a stored payload that does not parse; the exception to raise."""
    record = quarantine(
        store,
        key,
        reason=error.reason,
        detail=error.detail,
        source=item.source,
        content_type=item.content_type,
    )
    return Quarantined(record.id, error)


def parse_or_quarantine(store: BlobStore, key: str, item: RawItem) -> Story:
    """The story in a stored payload; raises Quarantined (and sets it aside) if none, or
    if an agency's payload names another source."""
    try:
        story = parse(item)
        check_source(item, story)
    except ParseError as error:
        raise _set_aside(store, key, item, error) from error
    except ForeignSource as foreign:
        refused = ParseError("foreign_source", str(foreign))
        raise _set_aside(store, key, item, refused) from foreign
    return story


def receive(store: BlobStore, item: RawItem) -> Receipt:
    """Intake: check that the payload parses, keep it, and note the story as received.

    A payload that fails to parse is kept too (and quarantined, raising Quarantined)
    rather than lost. An agency's payload (``item.agency``) whose story names any other
    source raises ForeignSource before anything is stored, so no agency can write into
    another's stories; ingest checks it again (replays, the reconciler).
    """
    try:
        story = parse(item)
    except ParseError as error:
        raise _set_aside(store, store_raw(store, item), item, error) from error
    check_source(item, story)
    key = store_raw(store, item)
    record_stage(store, story.id, Stage.received, raw_key=key)
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
