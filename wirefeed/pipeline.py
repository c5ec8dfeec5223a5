"""The stages of a story's life, as plain functions over a BlobStore.

Each function is idempotent: given the same stored inputs it leaves the same stored
state, so a task that runs twice (at-least-once delivery) changes nothing the second
time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from wirefeed.layout import raw_key as raw_key_for
from wirefeed.layout import story_key
from wirefeed.model import PubStatus, Story, utcnow
from wirefeed.parsers import ParseError, RawItem, parse
from wirefeed.quarantine import quarantine
from wirefeed.state import Stage, record_stage
from wirefeed.storage import BlobStore, NotFound
from wirefeed.taggers import TaggerPipeline


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


def _parse_or_quarantine(store: BlobStore, key: str, item: RawItem) -> Story:
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
    """Intake: keep the payload, check that it parses, and note the story as received.

    The payload is stored before anything else, so even an item that fails to parse is
    kept (and quarantined, raising Quarantined) rather than lost.
    """
    key = store_raw(store, item)
    story = _parse_or_quarantine(store, key, item)
    record_stage(store, story.id, Stage.received, raw_key=key)
    return Receipt(story_id=story.id, raw_key=key)


def load_story(store: BlobStore, story_id: str) -> Story | None:
    """The current canonical story, or None."""
    try:
        return Story.from_json(store.get(story_key(story_id)).body)
    except NotFound:
        return None


def save_story(store: BlobStore, story: Story) -> None:
    """Store the canonical story (public as ninjs JSON beside the feeds)."""
    store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        cache_control="public, max-age=60",
    )


def supersedes(new: Story, current: Story | None) -> bool:
    """Whether ``new`` should replace the stored version ``current``."""
    if current is None:
        return True
    if current.pubstatus is PubStatus.canceled:
        return False  # a kill is final: no later version brings the story back
    if new.version_key() != current.version_key():
        return new.version_key() > current.version_key()
    return new.content_hash() != current.content_hash()


@dataclass(frozen=True)
class IngestOutcome:
    """What ingest did with a payload."""

    story_id: str
    accepted: bool
    reason: str


def ingest(store: BlobStore, key: str) -> IngestOutcome:
    """Parse a stored payload and make it the current version if it is newer."""
    item = load_raw(store, key)
    story = _parse_or_quarantine(store, key, item)
    current = load_story(store, story.id)
    if not supersedes(story, current):
        record_stage(store, story.id, Stage.parsed, detail="not newer; ignored", raw_key=key)
        return IngestOutcome(story.id, accepted=False, reason="not newer than the stored version")
    save_story(store, story)
    record_stage(store, story.id, Stage.parsed, version=story.version, raw_key=key)
    return IngestOutcome(story.id, accepted=True, reason="stored")


def enrich(store: BlobStore, story_id: str, taggers: TaggerPipeline) -> Story | None:
    """Tag the current version of a story and store it; None if it is gone."""
    story = load_story(store, story_id)
    if story is None:
        return None
    tagged = taggers.enrich(story) if story.is_live else story
    if tagged != story:
        save_story(store, tagged)
    record_stage(store, story_id, Stage.enriched, version=story.version)
    return tagged
