"""The hand-off: what one stage writes, the next reads from Redis, never a stale version."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
import redis

from tests.conftest import wait_for
from wirefeed import metrics
from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import build_pipeline
from wirefeed.handoff import MAX_KEPT_BYTES, HandOffStore, handing_on
from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.layout import story_key
from wirefeed.model import Headline
from wirefeed.publish.publishing import remember_feeds
from wirefeed.storage import Blob, MemoryStore, PreconditionFailed, StorageUnavailable, etag_of
from wirefeed.stories import load_stored

WIRE_COPY = b"Harbour cranes stand idle\n\nDockers in the port walked out on Monday over pay.\n"


def _handing(redis_url: str, ttl_s: float = 60) -> tuple[HandOffStore, MemoryStore]:
    bucket = MemoryStore()
    return HandOffStore(bucket, redis.Redis.from_url(redis_url), ttl_s), bucket


def _payload(text: bytes = WIRE_COPY) -> RawItem:
    # Unique bytes per test: payload keys are content addresses and Redis is shared.
    return RawItem(text + uuid.uuid4().hex.encode(), "text/plain", source="test")


def _ingested(store: HandOffStore) -> tuple[str, str]:
    """A payload stored and ingested: the story's id and the ETag ingest wrote."""
    outcome = ingesting.ingest(store, receiving.store_raw(store, _payload()))
    assert outcome.etag is not None
    return outcome.story_id, outcome.etag


def _hits() -> float:
    return metrics.HANDOFFS.labels("hit")._value.get()


def test_a_payload_intake_stored_is_read_back_without_the_bucket(redis_url: str) -> None:
    store, bucket = _handing(redis_url)
    key = receiving.store_raw(store, _payload(), items=3)
    bucket.delete(key)  # only the hand-off has it now

    item = receiving.load_raw(store, key)

    assert item.payload.startswith(WIRE_COPY)
    assert item.source == "test"
    assert receiving.items_in(bucket, key) == 1  # the bucket really lost it
    assert store.get(key).metadata["items"] == "3"


def test_a_story_is_recalled_by_the_etag_written_and_no_other(redis_url: str) -> None:
    store, _ = _handing(redis_url)
    key = story_key(f"urn:test:{uuid.uuid4().hex}")
    first = store.put(key, b'{"v": 1}', content_type="application/json", metadata={"a": "1"})
    second = store.put(key, b'{"v": 2}', content_type="application/json", if_match=first)

    kept = store.recall(key, first)
    assert kept is not None
    assert (kept.body, kept.etag, dict(kept.metadata)) == (b'{"v": 1}', first, {"a": "1"})
    assert store.recall(key, second) is not None
    assert store.recall(key, '"an-etag-never-written"') is None


def test_enrichment_takes_the_handed_story_and_reads_no_bucket(redis_url: str) -> None:
    store, bucket = _handing(redis_url)
    story_id, etag = _ingested(store)
    hits = _hits()

    done = enriching.enrich(store, story_id, build_pipeline(["language"]), handed=etag)

    assert done is not None and done.story.language == "en"
    assert _hits() == hits + 1
    assert load_stored(bucket, story_id) == done


def test_a_handed_version_that_was_replaced_loses_its_write_and_the_newer_one_is_tagged(
    redis_url: str,
) -> None:
    store, bucket = _handing(redis_url)
    story_id, etag = _ingested(store)
    # An editor's correction lands between ingest and enrichment.
    current = load_stored(bucket, story_id)
    assert current is not None
    corrected = current.story.model_copy(
        update={"headlines": [Headline(value="Harbour cranes move again")]}
    )
    store.put(story_key(story_id), corrected.to_json(), if_match=current.etag)

    done = enriching.enrich(store, story_id, build_pipeline(["language"]), handed=etag)

    assert done is not None
    assert done.story.headline == "Harbour cranes move again"
    stored = load_stored(bucket, story_id)
    assert stored is not None and stored.story.headline == "Harbour cranes move again"


def test_a_rewrite_of_the_same_bytes_forgets_the_copy_so_no_feed_is_lost(
    redis_url: str,
) -> None:
    # S3's ETag covers the bytes only: publication remembering a feed rewrites the story
    # unchanged, so the ETag ingest named stays valid while the copy's progress is old.
    store, bucket = _handing(redis_url)
    story_id, etag = _ingested(store)
    remember_feeds(store, story_id, ["harbour-news"])

    assert store.recall(story_key(story_id), etag) is None
    done = enriching.enrich(store, story_id, build_pipeline(["language"]), handed=etag)

    assert done is not None and done.progress is not None
    assert "harbour-news" in done.progress.feeds
    stored = load_stored(bucket, story_id)
    assert stored is not None and stored.progress is not None
    assert "harbour-news" in stored.progress.feeds


def test_a_rewrite_of_the_same_bytes_waits_while_redis_cannot_forget_the_copy(
    redis_url: str,
) -> None:
    store, bucket = _handing(redis_url)
    key = story_key(f"urn:test:{uuid.uuid4().hex}")
    etag = store.put(key, b'{"v": 1}', metadata={"feeds": "a"})
    store.redis = redis.Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5)

    with pytest.raises(StorageUnavailable):
        store.put(key, b'{"v": 1}', metadata={"feeds": "a,b"}, if_match=etag)

    assert dict(bucket.get(key).metadata) == {"feeds": "a"}


class _PeekingStore(MemoryStore):
    """A bucket that, as each write arrives, notes what the hand-off offers for it."""

    handoff: HandOffStore
    offered: list[Blob | None]

    def put(self, key: str, body: bytes, **options: Any) -> str:
        self.offered.append(self.handoff.recall(key, etag_of(body)))
        return super().put(key, body, **options)


def test_a_refused_write_never_offers_its_metadata_as_a_copy(redis_url: str) -> None:
    # A redelivered ingest creates the same bytes again with fresh progress; the bucket
    # refuses it, and a reader at that moment must not take its progress for the story's.
    bucket = _PeekingStore()
    store = HandOffStore(bucket, redis.Redis.from_url(redis_url), 60)
    bucket.handoff, bucket.offered = store, []
    key = story_key(f"urn:test:{uuid.uuid4().hex}")
    etag = store.put(key, b'{"v": 1}', metadata={"feeds": "a"}, if_none_match=True)

    with pytest.raises(PreconditionFailed):
        store.put(key, b'{"v": 1}', metadata={"feeds": ""}, if_none_match=True)

    during, after = bucket.offered[-1], store.recall(key, etag)
    assert during is None or dict(during.metadata) == {"feeds": "a"}
    assert after is None or dict(after.metadata) == {"feeds": "a"}


@pytest.mark.parametrize("damaged", [b"not a kept copy", b"null\nbody", b'{"etag": 1}\nbody'])
def test_a_damaged_copy_is_read_from_the_bucket(redis_url: str, damaged: bytes) -> None:
    store, _ = _handing(redis_url)
    key = receiving.store_raw(store, _payload())
    redis.Redis.from_url(redis_url).set(f"wirefeed:handoff:{key}", damaged)

    assert receiving.load_raw(store, key).payload.startswith(WIRE_COPY)


def test_a_large_object_is_not_kept(redis_url: str) -> None:
    store, bucket = _handing(redis_url)
    key = receiving.store_raw(store, _payload(b"x" * (MAX_KEPT_BYTES + 1)))
    bucket.delete(key)
    assert redis.Redis.from_url(redis_url).exists(f"wirefeed:handoff:{key}") == 0


def test_a_kept_copy_expires(redis_url: str) -> None:
    store, _ = _handing(redis_url, ttl_s=0.3)
    key = receiving.store_raw(store, _payload())
    client = redis.Redis.from_url(redis_url)
    assert client.exists(f"wirefeed:handoff:{key}") == 1
    wait_for(lambda: client.exists(f"wirefeed:handoff:{key}") == 0, timeout=10)


def _closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_redis_reads_and_writes_go_to_the_bucket() -> None:
    bucket = MemoryStore()
    store = handing_on(bucket, f"redis://127.0.0.1:{_closed_port()}/0", ttl_s=60)

    key = receiving.store_raw(store, _payload())
    outcome = ingesting.ingest(store, key)

    assert receiving.load_raw(store, key).payload.startswith(WIRE_COPY)
    assert outcome.etag is not None
    assert store.recall(story_key(outcome.story_id), outcome.etag) is None
    assert load_stored(bucket, outcome.story_id) is not None


def test_a_ttl_of_zero_turns_the_hand_off_off(redis_url: str) -> None:
    bucket = MemoryStore()
    assert handing_on(bucket, redis_url, 0) is bucket
    assert isinstance(handing_on(bucket, redis_url, 5), HandOffStore)
