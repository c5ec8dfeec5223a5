"""Receiving a payload: keep the raw bytes, parse them, or set them aside in quarantine.

Every payload is written under ``raw/{sha256}`` before anything is queued, so the bucket
holds what arrived even when Redis loses the message that carries its key. A payload
of several items (a newsMessage, a ninjs array, an e-mail with wire attachments) is
stored once; each of its items is named ``raw/{sha256}#{index}`` and received, or
quarantined, on its own.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import structlog

from wirefeed import metrics
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import ParseError, RawItem, parse_delivery
from wirefeed.intake.quarantine import get_record, quarantine, release
from wirefeed.layout import item_key, split_item_key
from wirefeed.layout import raw_key as raw_key_for
from wirefeed.model import Story, utcnow
from wirefeed.storage import BlobStore, NotFound

log = structlog.get_logger(__name__)
# Each item of a payload becomes a story and an ingest message: one POST may not cause
# more work than this (a real capture file holds tens or hundreds of stories).
MAX_ITEMS_PER_PAYLOAD = 1000


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


def store_raw(store: BlobStore, item: RawItem, items: int = 1) -> str:
    """Write a payload durably, addressed by its source and content, and return its key.

    A payload of several items says how many, so recovery can tell an item whose
    message was lost from the others.
    """
    key = raw_key_of(item)
    metadata = {"source": item.source, "received-at": item.received_at.isoformat()}
    if items > 1:
        metadata["items"] = str(items)
    if item.agency is not None:
        metadata["agency"] = item.agency
    store.put(
        key,
        item.payload,
        content_type=item.content_type or "application/octet-stream",
        metadata=metadata,
    )
    return key


def items_in(store: BlobStore, key: str) -> int:
    """How many items the stored payload at ``key`` carries (one HEAD request)."""
    try:
        return int(store.head(key).metadata.get("items", "1"))
    except (NotFound, ValueError):
        return 1


def load_raw(store: BlobStore, key: str) -> RawItem:
    """Read a stored payload back with what was known when it arrived.

    An item key (``raw/{sha256}#{index}``) reads the payload with ``part`` set to the item.
    """
    payload_key, part = split_item_key(key)
    blob = store.get(payload_key)
    received = blob.metadata.get("received-at")
    return RawItem(
        payload=blob.body,
        content_type=blob.content_type,
        source=blob.metadata.get("source", "wire"),
        received_at=datetime.fromisoformat(received) if received else utcnow(),
        part=part,
        agency=blob.metadata.get("agency"),
    )


def check_source(item: RawItem, story: Story) -> None:
    """Raise ForeignSource when an agency's payload names another source."""
    if item.agency is not None and story.source != item.agency:
        raise ForeignSource(item.agency, story.source)


def _set_aside(store: BlobStore, key: str, item: RawItem, error: ParseError) -> Quarantined:
    record = quarantine(
        store,
        key,
        reason=error.reason,
        detail=error.detail,
        source=item.source,
        content_type=item.content_type,
    )
    return Quarantined(record.id, error)


def parse_or_quarantine(
    store: BlobStore, key: str, item: RawItem, budget: ParseBudget = INLINE
) -> Story:
    """The story of one stored item, or Quarantined raised with the item set aside.

    An agency's item that names another source is set aside as ``foreign_source``, so a
    replay or the reconciler cannot get around the check intake made.
    """
    try:
        story = budget.parse(item)
        check_source(item, story)
    except ParseError as error:
        raise _set_aside(store, key, item, error) from error
    except ForeignSource as foreign:
        refused = ParseError("foreign_source", str(foreign))
        raise _set_aside(store, key, item, refused) from foreign
    return story


def note_repairs(repairs: list[str], key: str, source: str) -> None:
    """Log and count the charset repairs made to read a payload."""
    for kind, count in Counter(repairs).items():
        metrics.CHARSET_REPAIRS.labels(kind).inc(count)
        log.info("charset_repaired", kind=kind, count=count, raw_key=key, source=source)


def receive_all(
    store: BlobStore, item: RawItem, budget: ParseBudget = INLINE
) -> list[Receipt | Quarantined]:
    """Intake: keep the payload and parse every item it carries.

    The payload is stored before anything else, so even one that fails to parse is kept
    rather than lost. Each item that fails is quarantined with its reason, and the
    others are kept: the result lists a Receipt or a Quarantined for each item, in
    order. A payload of one item keeps its plain key; with ``item.part`` set, only that
    item is received. The stored payload is the record that it arrived (when, and how
    many items, in its metadata); intake writes nothing else for an item that parses.
    An agency's payload (``item.agency``) any of whose stories names another source
    raises ForeignSource before anything is stored, so no agency can write into
    another's stories; ingest checks it again (replays, the reconciler).
    """
    try:
        delivery = budget.run(parse_delivery, item)
        if len(delivery.items) > MAX_ITEMS_PER_PAYLOAD:
            count = len(delivery.items)
            limit = f"{count} items; at most {MAX_ITEMS_PER_PAYLOAD} per payload"
            raise ParseError("too_many_items", limit)
        selected = delivery.selected(item.part)
    except ParseError as error:
        return [_set_aside(store, store_raw(store, item), item, error)]
    for _, outcome in selected:
        if not isinstance(outcome, ParseError):
            check_source(item, outcome)
    key = store_raw(store, item, len(delivery.items))
    note_repairs(delivery.repairs, key, item.source)
    several = len(delivery.items) > 1
    results: list[Receipt | Quarantined] = []
    for index, outcome in selected:
        key_of_item = item_key(key, index) if several else key
        if isinstance(outcome, ParseError):
            results.append(_set_aside(store, key_of_item, item, outcome))
            continue
        results.append(Receipt(story_id=outcome.id, raw_key=key_of_item))
    return results


def receive(store: BlobStore, item: RawItem, budget: ParseBudget = INLINE) -> Receipt:
    """Intake of a payload of one item: its receipt, or Quarantined raised.

    Of a payload of several items (see ``receive_all``), the first item's result.
    """
    first = receive_all(store, item, budget)[0]
    if isinstance(first, Quarantined):
        raise first
    return first


def replay(store: BlobStore, item_id: str, budget: ParseBudget = INLINE) -> list[Receipt]:
    """Take a quarantined item through intake again (after a fix); forget it on success.

    A whole payload that now reads as several items gives a receipt for each that
    parses (the others get quarantine records of their own). Raises NotFound for an
    unknown item and Quarantined (with the record updated to the current reason) when
    nothing in it can be parsed yet.
    """
    record = get_record(store, item_id)
    if record is None:
        raise NotFound(item_id)
    results = receive_all(store, load_raw(store, record.raw_key), budget)
    receipts = [r for r in results if isinstance(r, Receipt)]
    if not receipts:
        raise next(r for r in results if isinstance(r, Quarantined))
    release(store, item_id)
    return receipts
