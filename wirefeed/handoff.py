"""Objects one stage has just written, handed to the next stage through Redis.

Every story is written by one stage and read back by the next: intake stores the payload
that ingest reads, ingest stores the story that enrichment reads. ``HandOffStore`` wraps
the bucket and keeps a copy of each such write in Redis for a short while, so the next
stage usually reads it from there instead of the bucket (two requests fewer per story).

The bucket stays the record. The copy is a cache that may be missing at any time (Redis
lost it, it expired, it was too large to keep): then the bucket is read as before. It
can never be stale, because a copy is found only under a name that fixes its bytes:

- a payload (``raw/``) is addressed by its content, so its key fixes its bytes;
- a story (``private/stories/``) changes, so its copy is kept under its key and ETag,
  and the stage before names the ETag it wrote in the message (``recall``). If the
  story moved on since, the reader's conditional write back fails and it reads the
  bucket, exactly as when another writer wins a race.

One write does not move a story's ETag: the same bytes again with new metadata (its
progress, say, when enrichment changed no tag or publication remembers a feed). S3's
ETag is the MD5 of the bytes alone, so a copy kept under that ETag would go stale
unseen, and a reader's conditional write would land over the newer metadata. So:

- such a rewrite forgets the copy before it reaches the bucket, and does not happen
  while Redis cannot be told (StorageUnavailable: the task retries, as on any outage);
- any other story write first holds its copy's name with a placeholder (read as a
  miss), and puts the copy there after the bucket took the write only if the
  placeholder still stands. A rewrite, which can only follow the write, deletes the
  placeholder or the copy; a refused write leaves the placeholder, never its metadata.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace

import redis
import structlog
from redis.backoff import NoBackoff
from redis.retry import Retry

from wirefeed import metrics
from wirefeed.layout import RAW_PREFIX, STORY_PREFIX
from wirefeed.settings import Settings
from wirefeed.storage import Blob, BlobStore, Listed, S3Store, StorageUnavailable, etag_of

log = structlog.get_logger(__name__)

# Objects larger than this are not kept: the hand-off is for ordinary stories, and
# Redis is the broker too (its memory is bounded by what it keeps, for how long).
MAX_KEPT_BYTES = 256 * 1024
_NAMESPACE = "wirefeed:handoff:"
# Stands under a story copy's name while its write is on its way to the bucket.
_HELD = b"held"


def _pack(blob: Blob) -> bytes:
    header = {
        "content_type": blob.content_type,
        "etag": blob.etag,
        "metadata": dict(blob.metadata),
        "cache_control": blob.cache_control,
    }
    # json.dumps escapes newlines, so the first one ends the header.
    return json.dumps(header).encode() + b"\n" + blob.body


def _unpack(packed: bytes) -> Blob:
    header, _, body = packed.partition(b"\n")
    fields = json.loads(header)
    return Blob(
        body,
        fields["content_type"],
        fields["etag"],
        fields["metadata"],
        fields["cache_control"],
    )


class HandOffStore:
    """A BlobStore that hands payloads and stories it writes on to the next stage.

    Reads and writes go to the wrapped store as before; a Redis failure only costs the
    request the hand-off would have saved, except that a rewrite of a story's same
    bytes waits for Redis (see the module's docstring).
    """

    def __init__(self, store: BlobStore, client: redis.Redis, ttl_s: float) -> None:
        self.store = store
        self.redis = client
        self.ttl_ms = max(1, int(ttl_s * 1000))

    def _keep(self, name: str, blob: Blob, *, where_held: bool = False) -> None:
        if len(blob.body) > MAX_KEPT_BYTES:
            return
        try:
            self.redis.set(_NAMESPACE + name, _pack(blob), px=self.ttl_ms, xx=where_held)
        except redis.RedisError as exc:
            log.warning("handoff.not_kept", key=name, error=str(exc))

    def _hold(self, name: str) -> None:
        try:
            self.redis.set(_NAMESPACE + name, _HELD, px=self.ttl_ms)
        except redis.RedisError as exc:  # then nothing is kept: the copy needs the hold
            log.warning("handoff.not_held", key=name, error=str(exc))

    def _forget(self, name: str) -> None:
        try:
            self.redis.delete(_NAMESPACE + name)
        except redis.RedisError as exc:
            raise StorageUnavailable(f"hand-off copy {name} not forgotten: {exc}") from exc

    def _take(self, name: str) -> Blob | None:
        try:
            packed = self.redis.get(_NAMESPACE + name)
        except redis.RedisError as exc:
            log.warning("handoff.not_read", key=name, error=str(exc))
            packed = None
        kept = None
        if isinstance(packed, bytes) and packed != _HELD:
            try:
                kept = _unpack(packed)
            except (ValueError, KeyError, TypeError) as exc:  # damaged, or another release's
                log.warning("handoff.unreadable", key=name, error=str(exc))
        metrics.HANDOFFS.labels("hit" if kept else "miss").inc()
        return kept

    def get(self, key: str) -> Blob:
        """Read an object; a payload handed on by intake comes from Redis."""
        if key.startswith(RAW_PREFIX):
            kept = self._take(key)
            if kept is not None:
                return kept
        return self.store.get(key)

    def head(self, key: str) -> Blob:
        """An object's headers, from the bucket."""
        return self.store.head(key)

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Write an object to the bucket; keep a payload or a story for the next stage."""

        def write() -> str:
            return self.store.put(
                key,
                body,
                content_type=content_type,
                cache_control=cache_control,
                metadata=metadata,
                if_match=if_match,
                if_none_match=if_none_match,
            )

        if not key.startswith(STORY_PREFIX):
            etag = write()
            if key.startswith(RAW_PREFIX):
                self._keep(key, Blob(body, content_type, etag, dict(metadata or {}), cache_control))
            return etag
        blob = Blob(body, content_type, etag_of(body), dict(metadata or {}), cache_control)
        # The order of the Redis steps around the write is explained in the module's
        # docstring: no copy may outlive a later rewrite of the same bytes.
        name = f"{key}@{blob.etag}"
        if if_match == blob.etag:
            self._forget(name)
            return write()
        self._hold(name)
        etag = write()
        if etag == blob.etag:
            self._keep(name, blob, where_held=True)
        else:  # a store whose ETags are not the bytes' MD5 gives each write a new one
            self._keep(f"{key}@{etag}", replace(blob, etag=etag))
        return etag

    def recall(self, key: str, etag: str) -> Blob | None:
        """The version of ``key`` with this ETag, if it was handed on and is still kept."""
        if not key.startswith(STORY_PREFIX):
            return self.store.recall(key, etag)
        return self._take(f"{key}@{etag}")

    def delete(self, key: str) -> None:
        """Remove an object from the bucket (a kept copy expires on its own)."""
        self.store.delete(key)

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix``, from the bucket."""
        return self.store.list(prefix)

    def listing(self, prefix: str) -> Iterator[Listed]:
        """Every key under ``prefix`` with its ETag and date, from the bucket."""
        return self.store.listing(prefix)


def handing_on(store: BlobStore, redis_url: str, ttl_s: float) -> BlobStore:
    """``store`` with the hand-off through the Redis at ``redis_url``, or ``store`` itself
    when ``ttl_s`` turns it off.

    The hand-off has a client of its own that never retries and gives up within a
    second: while Redis is away, a write or read only loses the shortcut, not time.
    """
    if ttl_s <= 0:
        return store
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=0.5, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    return HandOffStore(store, client, ttl_s)


def stage_store(settings: Settings) -> BlobStore:
    """The bucket as the API and the workers use it: with the hand-off, unless it is off."""
    return handing_on(S3Store(settings), settings.redis_url, settings.handoff_ttl_s)
