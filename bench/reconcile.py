"""What one reconciler pass costs: S3 requests and seconds, at a given number of stories.

The bucket is filled directly (a raw payload and a finished story state per story),
without the pipeline, so that 20,000 stories take minutes rather than an hour. Three
passes are measured: a full one (no cursor: the first pass, or after Redis lost its
data), a quiet one (nothing changed since), and one after 1% of the stories moved.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import redis
from prometheus_client import REGISTRY

from wirefeed.layout import raw_key, state_key
from wirefeed.ops.reconcile import Cursor, plan_recovery
from wirefeed.progress import Stage, StoryState, Transition
from wirefeed.storage import BlobStore

_STAGES = (Stage.received, Stage.parsed, Stage.enriched, Stage.published)


def requests_made() -> float:
    """S3 calls this process has made so far (every operation)."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "wirefeed_s3_requests"
        for sample in metric.samples
        if sample.name == "wirefeed_s3_requests_total"
    )


def _payload(number: int) -> tuple[str, bytes]:
    payload = f"Reconciler bench story {number}\n\n{'Body text. ' * 80}".encode()
    return raw_key(hashlib.sha256(payload).hexdigest()), payload


def _write_story(store: BlobStore, number: int, at: datetime) -> None:
    key, payload = _payload(number)
    store.put(key, payload, content_type="text/plain")
    _write_state(store, number, at, 0)


def _write_state(store: BlobStore, number: int, at: datetime, moves: int) -> None:
    key, _ = _payload(number)
    history = [Transition(stage=s, at=at + timedelta(seconds=i)) for i, s in enumerate(_STAGES)]
    history += [Transition(stage=Stage.published, at=at, detail="moved") for _ in range(moves)]
    state = StoryState(
        story_id=f"rb-{number}",
        stage=Stage.published,
        version="1",
        feeds=["all"],
        raw_keys=[key],
        ingested_keys=[key],
        history=history,
    )
    body = state.model_dump_json().encode()
    store.put(state_key(state.story_id), body, content_type="application/json")


def _move(store: BlobStore, number: int) -> None:
    _write_state(store, number, datetime.now(UTC) - timedelta(days=1), 1)


def fill(store: BlobStore, first: int, count: int) -> None:
    """Add stories ``first`` .. ``first + count - 1``, finished long ago."""
    at = datetime.now(UTC) - timedelta(days=1)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: _write_story(store, n, at), range(first, first + count)))


def _pass(store: BlobStore, cursor: Cursor) -> dict[str, Any]:
    before, started = requests_made(), time.perf_counter()
    plan = plan_recovery(store, min_age_s=120, cursor=cursor)
    return {
        "seconds": time.perf_counter() - started,
        "requests": requests_made() - before,
        "states_read": plan.states_read,
        "enqueued": plan.total,
    }


def measure(store: BlobStore, client: redis.Redis, counts: tuple[int, ...]) -> dict[str, Any]:
    """Full, quiet and 1%-changed pass at each count of stories (filled cumulatively)."""
    results: dict[str, Any] = {}
    cursor = Cursor(client)
    filled = 0
    for count in counts:
        fill(store, filled, count - filled)
        filled = count
        client.flushdb()  # no cursor: a full pass
        full = _pass(store, cursor)
        quiet = _pass(store, cursor)
        moved = range(0, count, 100)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(partial(_move, store), moved))
        changed = _pass(store, cursor)
        results[str(count)] = {"full": full, "quiet": quiet, "one_percent_changed": changed}
    return results
