"""Items that could not be processed: kept with their reason until an operator replays them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pydantic import BaseModel

from wirefeed import metrics
from wirefeed.layout import quarantine_key, split_item_key
from wirefeed.model import utcnow
from wirefeed.storage import BlobStore, NotFound


class QuarantineRecord(BaseModel):
    """Why an item was set aside, and where its raw payload is."""

    id: str
    raw_key: str
    reason: str
    detail: str
    source: str
    content_type: str
    at: datetime
    story_id: str | None = None


def record_id_for(raw_key: str) -> str:
    """The quarantine record id of a raw payload: the start of its content hash.

    An item of a payload of several adds its index (``{hash}-{index}``).
    """
    payload_key, index = split_item_key(raw_key)
    prefix = payload_key.rsplit("/", 1)[-1][:24]
    return prefix if index is None else f"{prefix}-{index}"


def quarantine(
    store: BlobStore,
    raw_key: str,
    *,
    reason: str,
    detail: str,
    source: str,
    content_type: str,
    story_id: str | None = None,
) -> QuarantineRecord:
    """Set an item aside; its id is the raw key's content hash, so this is idempotent."""
    record = QuarantineRecord(
        id=record_id_for(raw_key),
        raw_key=raw_key,
        reason=reason,
        detail=detail,
        source=source,
        content_type=content_type,
        at=utcnow(),
        story_id=story_id,
    )
    store.put(
        quarantine_key(record.id),
        record.model_dump_json().encode(),
        content_type="application/json",
    )
    metrics.QUARANTINED.labels(reason).inc()
    return record


def get_record(store: BlobStore, item_id: str) -> QuarantineRecord | None:
    """One quarantined item, or None."""
    try:
        return QuarantineRecord.model_validate_json(store.get(quarantine_key(item_id)).body)
    except NotFound:
        return None


def list_records(store: BlobStore) -> Iterator[QuarantineRecord]:
    """Every quarantined item."""
    for key in store.list("quarantine/"):
        record = get_record(store, key.removeprefix("quarantine/").removesuffix(".json"))
        if record is not None:
            yield record


def release(store: BlobStore, item_id: str) -> None:
    """Forget a quarantine record once its item has been replayed successfully."""
    store.delete(quarantine_key(item_id))
