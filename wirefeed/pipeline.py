"""The stages of a story's life, as plain functions over a BlobStore.

Each function is idempotent: given the same stored inputs it leaves the same stored
state, so a task that runs twice (at-least-once delivery) changes nothing the second
time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from wirefeed.duplicates import NearDuplicateIndex, fingerprint
from wirefeed.embargo import EmbargoSchedule
from wirefeed.layout import raw_key as raw_key_for
from wirefeed.layout import story_key
from wirefeed.lifecycle import carry_over, decide, is_held
from wirefeed.model import Story, utcnow
from wirefeed.parsers import ParseError, RawItem, parse
from wirefeed.quarantine import get_record, quarantine, release
from wirefeed.state import Stage, load_state, record_stage
from wirefeed.storage import BlobStore, NotFound, PreconditionFailed
from wirefeed.taggers import TaggerPipeline

# Conditional writes that lose a race are decided again; this bounds a pathological loop.
_WRITE_RETRIES = 8


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
    return load_story_tagged(store, story_id)[0]


def load_story_tagged(store: BlobStore, story_id: str) -> tuple[Story | None, str | None]:
    """The current canonical story and its ETag, for a conditional write back."""
    try:
        blob = store.get(story_key(story_id))
    except NotFound:
        return None, None
    return Story.from_json(blob.body), blob.etag


def save_story(
    store: BlobStore, story: Story, *, if_match: str | None = None, if_none_match: bool = False
) -> str:
    """Store the canonical story (public as ninjs JSON beside the feeds); return its ETag.

    With ``if_match``/``if_none_match`` the write only lands over the version that was
    read, and raises PreconditionFailed when another writer got there first.
    """
    return store.put(
        story_key(story.id),
        story.to_json(),
        content_type="application/json; charset=utf-8",
        cache_control="public, max-age=60",
        if_match=if_match,
        if_none_match=if_none_match,
    )


def supersedes(new: Story, current: Story | None) -> bool:
    """Whether ``new`` should replace the stored version ``current``."""
    return decide(new, current).accept


class Action(StrEnum):
    """What should happen to a story after ingest."""

    enrich = "enrich"  # a new current version: tag it, then publish
    hold = "hold"  # embargoed: released later by the sweep
    publish = "publish"  # an editor's embargo on the stored version passed: publish it
    duplicate = "duplicate"  # a near-duplicate of another story: kept, not published
    ignore = "ignore"  # an older or identical version, or one after a kill


@dataclass(frozen=True)
class IngestOutcome:
    """What ingest did with a payload."""

    story_id: str
    action: Action
    reason: str

    @property
    def accepted(self) -> bool:
        """Whether the version became the stored one (now or, if held, at release)."""
        return self.action is not Action.ignore


@dataclass(frozen=True)
class Lifecycle:
    """The Redis-backed parts ingest consults; absent parts are skipped (unit tests)."""

    embargoes: EmbargoSchedule | None = None
    duplicates: NearDuplicateIndex | None = None


def _duplicate_of(
    store: BlobStore, story: Story, lifecycle: Lifecycle, *, first_version: bool
) -> str | None:
    """The original this story repeats, when it is a near-duplicate (and index it if not).

    Only a story's first version is compared; later versions stay what the first was.
    """
    if not first_version:
        state = load_state(store, story.id)
        return state.duplicate_of if state is not None else None
    index = lifecycle.duplicates
    value = fingerprint(story) if index is not None and story.is_live else None
    if index is None or value is None:
        return None
    original = index.find(story.id, value)
    if original is None:
        index.add(story.id, value)
    return original


def _note_ignored(store: BlobStore, story_id: str, key: str, reason: str) -> None:
    """Log an ignored version in the timeline, leaving the story in the stage it had.

    Intake noted the payload as ``received``; the stage before that (``published``,
    say) is where the story really is, so a re-sent copy does not send it back.
    """
    state = load_state(store, story_id)
    earlier = [t.stage for t in state.history if t.stage is not Stage.received] if state else []
    stage = earlier[-1] if earlier else Stage.parsed
    record_stage(store, story_id, stage, detail=f"ignored: {reason}", raw_key=key)


def ingest(
    store: BlobStore, key: str, lifecycle: Lifecycle | None = None, now: datetime | None = None
) -> IngestOutcome:
    """Parse a stored payload and apply it to the story under the lifecycle rules.

    The write of ``stories/{id}.json`` is conditional on the version read, so a
    concurrent writer (another version, or enrichment of an older one) never loses a
    newer version: on a lost race the decision is made again against the winner.
    """
    lifecycle = lifecycle or Lifecycle()
    item = load_raw(store, key)
    story = _parse_or_quarantine(store, key, item)
    for _ in range(_WRITE_RETRIES):
        current, etag = load_story_tagged(store, story.id)
        decision = decide(story, current)
        if not decision.accept:
            _note_ignored(store, story.id, key, decision.reason)
            return IngestOutcome(story.id, Action.ignore, decision.reason)
        if is_held(story, now or utcnow()) and lifecycle.embargoes is not None:
            assert story.embargoed is not None
            lifecycle.embargoes.hold(story.id, key, story.embargoed)
            detail = f"held until {story.embargoed.isoformat()}"
            record_stage(store, story.id, Stage.held, detail=detail, raw_key=key)
            return IngestOutcome(story.id, Action.hold, detail)
        original = _duplicate_of(store, story, lifecycle, first_version=current is None)
        try:
            save_story(store, carry_over(story, current), if_match=etag,
                       if_none_match=etag is None)  # fmt: skip
        except PreconditionFailed:
            continue
        if original is not None:
            detail = f"near-duplicate of {original}"
            record_stage(store, story.id, Stage.duplicate, detail=detail, version=story.version,
                         raw_key=key, duplicate_of=original)  # fmt: skip
            return IngestOutcome(story.id, Action.duplicate, detail)
        record_stage(store, story.id, Stage.parsed, detail=decision.reason,
                     version=story.version, raw_key=key)  # fmt: skip
        return IngestOutcome(story.id, Action.enrich, decision.reason)
    raise PreconditionFailed(f"story {story.id} kept changing; gave up after retries")


def release_due(
    store: BlobStore, lifecycle: Lifecycle, now: datetime | None = None
) -> list[IngestOutcome]:
    """Release every held version whose embargo has passed, then forget its hold.

    An agency payload is ingested now; a stored version an editor embargoed is handed
    to publishing as it is (``Action.publish``).
    """
    if lifecycle.embargoes is None:
        return []
    now = now or utcnow()
    outcomes = []
    for held in list(lifecycle.embargoes.due(now)):
        if held.raw_key is None:
            outcomes.append(IngestOutcome(held.story_id, Action.publish, "embargo passed"))
        else:
            outcomes.append(ingest(store, held.raw_key, lifecycle, now))
        lifecycle.embargoes.release(held)
    return outcomes


def enrich(store: BlobStore, story_id: str, taggers: TaggerPipeline) -> Story | None:
    """Tag the current version of a story and store it; None if it is gone.

    The write is conditional: if a newer version was ingested meanwhile, the tags are
    computed again on that version instead of overwriting it with the old one.
    """
    for _ in range(_WRITE_RETRIES):
        story, etag = load_story_tagged(store, story_id)
        if story is None:
            return None
        tagged = taggers.enrich(story) if story.is_live else story
        if tagged != story:
            try:
                save_story(store, tagged, if_match=etag)
            except PreconditionFailed:
                continue
        record_stage(store, story_id, Stage.enriched, version=story.version)
        return tagged
    raise PreconditionFailed(f"story {story_id} kept changing; gave up after retries")


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
