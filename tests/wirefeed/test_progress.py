"""Story progress: stored with the story, timeline in Redis, state derived from both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis

from wirefeed.progress import (
    Progress,
    Stage,
    Timeline,
    derive,
    ignored_payloads,
    load_state,
    note_ignored,
    payload_digest,
    start,
)
from wirefeed.storage import MemoryStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _timeline(redis_url: str) -> Timeline:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return Timeline(client)


def test_progress_round_trips_through_object_metadata() -> None:
    progress = start(Stage.parsed, "1", raw="raw/" + "a" * 64, received_at=T0).moved(
        Stage.enriched, feeds=["all", "sport"]
    )
    again = Progress.from_metadata(progress.metadata())
    assert again == progress
    assert all(value.isascii() for value in progress.metadata().values())
    assert Progress.from_metadata({"source": "wire"}) is None


def test_a_new_payload_keeps_the_earlier_ones_by_digest() -> None:
    first = start(Stage.parsed, "1", raw="raw/" + "a" * 64)
    second = first.moved(Stage.parsed, version="2", raw="raw/" + "b" * 64)
    assert second.earlier == [payload_digest("raw/" + "a" * 64)]
    assert second.moved(Stage.enriched).earlier == second.earlier  # same payload


def test_the_timeline_is_the_history_and_the_stored_progress_fills_its_gaps(
    redis_url: str,
) -> None:
    timeline = _timeline(redis_url)
    store = MemoryStore()
    timeline.note("s1", Stage.received, at=T0)
    timeline.note("s1", Stage.parsed, at=T0 + timedelta(seconds=1))
    timeline.note("s1", Stage.published, version="1", detail="in all")
    state = load_state(store, "s1", timeline)
    assert state is not None
    assert [t.stage for t in state.history] == ["received", "parsed", "published"]
    assert state.stage is Stage.published and state.received_at == T0


def test_without_a_timeline_the_state_comes_from_the_stored_progress() -> None:
    progress = start(Stage.enriched, "3", received_at=T0, raw="raw/" + "c" * 64)
    state = derive("s1", progress, [])
    assert state is not None
    assert (state.stage, state.version, state.received_at) == (Stage.enriched, "3", T0)
    assert derive("s2", None, []) is None


def test_a_step_redis_lost_is_taken_from_the_stored_progress(redis_url: str) -> None:
    timeline = _timeline(redis_url)
    timeline.note("s1", Stage.published, version="1", at=T0)
    # Version 2 was enriched, but its steps went with Redis (AOF loses up to a second).
    progress = start(Stage.enriched, "2").model_copy(update={"at": T0 + timedelta(minutes=5)})
    state = derive("s1", progress, timeline.history("s1"))
    assert state is not None and (state.stage, state.version) == (Stage.enriched, "2")


def test_ignored_payloads_are_marked(redis_url: str) -> None:
    store = MemoryStore()
    note_ignored(store, "s1", "raw/" + "d" * 64, "older version")
    assert ignored_payloads(store, "s1") == ["raw/" + "d" * 64]
