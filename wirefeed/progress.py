"""Pipeline progress of each story: read off the objects themselves, timeline in Redis.

Keeping a story's progress costs no S3 request of its own. The durable record is what
the pipeline writes anyway:

- the payload at ``raw/{sha256}``, kept before anything is queued, with the time it
  arrived in its metadata;
- the story at ``stories/{id}.json``, whose object metadata (``Progress``) says the
  stage its last writer reached (parsed, enriched, edited, duplicate), the version,
  the payload it came from, the earlier payloads applied before it and the feeds it
  was routed to; every write of the story carries it, in the same PUT;
- a payload ingest did not apply (an older or identical version) leaves a marker at
  ``state/ignored/{id}/{sha256}``, its only extra write;
- the feed states, which show the version of each story they hold.

The timeline the editor page shows (each step with its time and detail, each feed
render that published the story) is a capped list per story in Redis. When Redis has
lost it, the timeline falls back to what the metadata says (arrival and last stage),
and the reconciler, finding no record of publication, publishes the story again:
renders are idempotent and skip unchanged uploads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum

import redis
import structlog
from pydantic import BaseModel, Field

from wirefeed import metrics
from wirefeed.layout import (
    RAW_PREFIX,
    ignored_key,
    ignored_prefix,
    item_key,
    raw_key,
    split_item_key,
    story_key,
)
from wirefeed.storage import BlobStore, NotFound

log = structlog.get_logger(__name__)


class Stage(StrEnum):
    """Where a story is in the pipeline."""

    received = "received"
    parsed = "parsed"
    enriched = "enriched"
    published = "published"
    quarantined = "quarantined"
    # An editor changed the story (correction, kill, embargo, republish).
    edited = "edited"
    # Held under embargo until the sweep releases it (nothing for the reconciler to do).
    held = "held"
    # A near-duplicate of another story: kept and linked, never published.
    duplicate = "duplicate"


class Transition(BaseModel):
    """One step of a story's timeline."""

    stage: Stage
    at: datetime
    detail: str | None = None
    # The story version the step was about (set where it matters: publication).
    version: str | None = None
    # A publication names the feed, and whether the story is in it after the render.
    feed: str | None = None
    member: bool | None = None
    # An arrival names the payload (or item of one) that arrived.
    raw: str | None = None


# Earlier payloads a story's metadata names (by the first 16 hex digits of their
# digest, for the editor's version history); S3 metadata is limited to 2 KB.
_EARLIER_KEPT = 20
_DIGEST_CHARS = 16


def payload_digest(key: str) -> str:
    """The short name of a payload in a story's metadata; an item of a payload of
    several (``raw/{sha256}#{index}``) keeps its index (``{digest}#{index}``)."""
    payload_key, index = split_item_key(key)
    digest = payload_key.removeprefix(RAW_PREFIX)[:_DIGEST_CHARS]
    return digest if index is None else item_key(digest, index)


def payload_keys_named(store: BlobStore, digest: str) -> list[str]:
    """The payload (or item) keys a short name from ``payload_digest`` stands for."""
    payload_prefix, index = split_item_key(digest)
    keys = list(store.list(raw_key(payload_prefix)))
    return keys if index is None else [item_key(key, index) for key in keys]


class Progress(BaseModel):
    """How far a story got, kept in its own object's metadata (written with the story)."""

    stage: Stage
    at: datetime
    version: str
    raw: str | None = None  # the payload this version came from (none for an editor's)
    received_at: datetime | None = None
    earlier: list[str] = Field(default_factory=list)  # digests of payloads applied before
    feeds: list[str] = Field(default_factory=list)  # every feed the story was routed to
    duplicate_of: str | None = None

    def metadata(self) -> dict[str, str]:
        """The S3 object metadata that stores this progress."""
        meta = {"stage": str(self.stage), "stage-at": self.at.isoformat(), "version": self.version}
        if self.raw:
            meta["raw"] = self.raw
        if self.received_at:
            meta["received-at"] = self.received_at.isoformat()
        if self.earlier:
            meta["earlier"] = ",".join(self.earlier)
        if self.feeds:
            meta["feeds"] = ",".join(self.feeds)
        if self.duplicate_of:
            meta["duplicate-of"] = self.duplicate_of
        return meta

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str]) -> Progress | None:
        """The progress an object's metadata stores, or None (not written by the pipeline)."""
        if "stage" not in meta or "stage-at" not in meta:
            return None
        received = meta.get("received-at")
        return cls(
            stage=Stage(meta["stage"]),
            at=datetime.fromisoformat(meta["stage-at"]),
            version=meta.get("version", ""),
            raw=meta.get("raw"),
            received_at=datetime.fromisoformat(received) if received else None,
            earlier=[d for d in meta.get("earlier", "").split(",") if d],
            feeds=[f for f in meta.get("feeds", "").split(",") if f],
            duplicate_of=meta.get("duplicate-of"),
        )

    def moved(
        self,
        stage: Stage,
        *,
        version: str | None = None,
        raw: str | None = None,
        received_at: datetime | None = None,
        feeds: Iterable[str] = (),
        duplicate_of: str | None = None,
    ) -> Progress:
        """The progress after a step: ``stage`` now, a new payload and feeds noted."""
        earlier = list(self.earlier)
        if raw and self.raw and self.raw != raw:
            earlier = [*earlier, payload_digest(self.raw)][-_EARLIER_KEPT:]
        return Progress(
            stage=stage,
            at=datetime.now(UTC),
            version=version or self.version,
            raw=raw or self.raw,
            received_at=received_at or self.received_at,
            earlier=earlier,
            feeds=sorted(set(self.feeds) | set(feeds)),
            duplicate_of=duplicate_of or self.duplicate_of,
        )


def start(
    stage: Stage,
    version: str,
    *,
    raw: str | None = None,
    received_at: datetime | None = None,
    duplicate_of: str | None = None,
) -> Progress:
    """The progress of a story's first stored version."""
    return Progress(
        stage=stage,
        at=datetime.now(UTC),
        version=version,
        raw=raw,
        received_at=received_at,
        duplicate_of=duplicate_of,
    )


class StoryState(BaseModel):
    """A story's pipeline state, as derived from its objects and its timeline."""

    story_id: str
    stage: Stage
    reason: str | None = None
    version: str | None = None
    feeds: list[str] = Field(default_factory=list)
    # Set when the story is a near-duplicate of another: it is kept, not published.
    duplicate_of: str | None = None
    history: list[Transition] = Field(default_factory=list)

    @property
    def received_at(self) -> datetime | None:
        """When the latest payload of the story arrived."""
        arrivals = [t.at for t in self.history if t.stage is Stage.received]
        return arrivals[-1] if arrivals else None

    @property
    def raw_keys(self) -> list[str]:
        """The payloads the timeline shows arriving for the story, oldest first."""
        return [t.raw for t in self.history if t.raw is not None]

    @property
    def last_change(self) -> datetime | None:
        """When the story last moved."""
        return self.history[-1].at if self.history else None


class Timeline:
    """Each story's steps, newest last, in a capped Redis list that expires when idle."""

    _PREFIX = "wirefeed:timeline"

    def __init__(self, client: redis.Redis, keep: int = 50, ttl_s: int = 30 * 24 * 3600) -> None:
        self.redis = client
        self.keep = keep
        self.ttl_s = ttl_s

    def _key(self, story_id: str) -> str:
        return f"{self._PREFIX}:{story_id}"

    def note(
        self,
        story_id: str,
        stage: Stage,
        *,
        detail: str | None = None,
        version: str | None = None,
        at: datetime | None = None,
        feed: str | None = None,
        member: bool | None = None,
        raw: str | None = None,
    ) -> None:
        """Append a step (now, unless ``at``); count it and log it.

        Best effort: the durable record is in the bucket, so a step Redis could not
        take is logged and the pipeline goes on.
        """
        step = Transition(
            stage=stage,
            at=at or datetime.now(UTC),
            detail=detail,
            version=version,
            feed=feed,
            member=member,
            raw=raw,
        )
        key = self._key(story_id)
        try:
            pipe = self.redis.pipeline()
            pipe.lindex(key, -1)
            pipe.rpush(key, step.model_dump_json(exclude_none=True))
            pipe.ltrim(key, -self.keep, -1)
            pipe.expire(key, self.ttl_s)
            previous = pipe.execute()[0]
        except redis.RedisError as exc:
            log.warning("timeline.unavailable", story_id=story_id, error=str(exc))
            previous = None
        previous_at = Transition.model_validate_json(previous).at if previous else None
        metrics.observe_stage(stage, previous_at, step.at)
        log.info("story.stage", story_id=story_id, stage=str(stage), detail=detail)

    def history(self, story_id: str) -> list[Transition]:
        """A story's steps, oldest first (empty when Redis has none)."""
        return self.histories([story_id])[story_id]

    def histories(self, story_ids: Iterable[str]) -> dict[str, list[Transition]]:
        """The steps of many stories in one round trip (none when Redis is unreachable)."""
        ids = list(story_ids)
        try:
            pipe = self.redis.pipeline()
            for story_id in ids:
                pipe.lrange(self._key(story_id), 0, -1)
            found = pipe.execute()
        except redis.RedisError as exc:
            log.warning("timeline.unavailable", error=str(exc))
            found = [[] for _ in ids]
        return {
            story_id: [Transition.model_validate_json(item) for item in items]
            for story_id, items in zip(ids, found, strict=True)
        }


def derive(
    story_id: str, progress: Progress | None, history: list[Transition]
) -> StoryState | None:
    """A story's state from its stored progress and its timeline (either may be missing).

    The timeline says most, step by step; the stored progress wins where it is newer
    (Redis lost the latest steps) and stands in for a timeline Redis lost entirely.
    """
    steps = list(history)
    if progress is not None and (not steps or progress.at > steps[-1].at):
        if not steps and progress.received_at is not None:
            received = Transition(stage=Stage.received, at=progress.received_at, raw=progress.raw)
            steps.append(received)
        steps.append(Transition(stage=progress.stage, at=progress.at, version=progress.version))
    if not steps:
        return None
    last = steps[-1]
    # The feeds the story is in: as the renders left it, where the timeline tells;
    # otherwise every feed it was routed to.
    membership = {t.feed: t.member for t in steps if t.feed is not None}
    if membership:
        feeds = sorted(feed for feed, member in membership.items() if member)
    else:
        feeds = progress.feeds if progress else []
    return StoryState(
        story_id=story_id,
        stage=last.stage,
        reason=last.detail if last.stage is Stage.quarantined else None,
        version=progress.version if progress else last.version,
        feeds=feeds,
        duplicate_of=progress.duplicate_of if progress else None,
        history=steps,
    )


def load_progress(store: BlobStore, story_id: str) -> Progress | None:
    """The progress stored with a story (one HEAD request), or None."""
    try:
        return Progress.from_metadata(store.head(story_key(story_id)).metadata)
    except NotFound:
        return None


def load_state(
    store: BlobStore, story_id: str, timeline: Timeline | None = None
) -> StoryState | None:
    """The state of a story, or None when Wirefeed has never seen it."""
    history = timeline.history(story_id) if timeline is not None else []
    return derive(story_id, load_progress(store, story_id), history)


def note_ignored(store: BlobStore, story_id: str, raw_key: str, reason: str) -> None:
    """Mark a payload ingest did not apply, so recovery knows it was dealt with."""
    store.put(
        ignored_key(story_id, raw_key),
        reason.encode(),
        content_type="text/plain; charset=utf-8",
    )


def ignored_payloads(store: BlobStore, story_id: str) -> list[str]:
    """The payload keys ingest did not apply to a story."""
    prefix = ignored_prefix(story_id)
    return [f"raw/{key.removeprefix(prefix)}" for key in store.list(prefix)]
