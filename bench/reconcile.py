"""What one reconciler pass costs: S3 requests and seconds, at a given number of stories.

The bucket is filled directly (a raw payload and a published story per story, with the
progress the pipeline stores and a timeline in Redis), without the pipeline, so that
20,000 stories take minutes rather than an hour. Three passes are measured: a full one
(no cursor: the first pass, or after Redis lost its data), a quiet one (nothing changed
since), and one after 1% of the stories moved.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from hashlib import sha256
from typing import Any

import redis
from prometheus_client import REGISTRY

from wirefeed.intake.parsers import RawItem, parse
from wirefeed.intake.receiving import store_raw
from wirefeed.layout import raw_key
from wirefeed.ops.reconcile import Cursor, plan_recovery
from wirefeed.progress import Stage, Timeline, start
from wirefeed.storage import BlobStore, StorageUnavailable
from wirefeed.stories import save_story


def requests_made() -> float:
    """S3 calls this process has made so far (every operation)."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "wirefeed_s3_requests"
        for sample in metric.samples
        if sample.name == "wirefeed_s3_requests_total"
    )


def _write_story(store: BlobStore, timeline: Timeline, number: int, moved: bool = False) -> None:
    item = RawItem(
        f"Reconciler bench story {number}\n\n{'Body text. ' * 80}".encode(),
        "text/plain",
        source="bench",
        received_at=datetime.now(UTC) - timedelta(hours=1),
    )
    key = store_raw(store, item) if not moved else raw_key(sha256(item.payload).hexdigest())
    story = parse(item)
    progress = start(Stage.enriched, story.version, raw=key, received_at=item.received_at)
    progress = progress.model_copy(update={"at": item.received_at, "feeds": ["all"]})
    if moved:
        progress = progress.moved(Stage.enriched)
    save_story(store, story, progress=progress)
    timeline.note(story.id, Stage.published, version=story.version, detail="in all")


def fill(store: BlobStore, timeline: Timeline, first: int, count: int) -> None:
    """Add stories ``first`` .. ``first + count - 1``, published an hour ago."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(partial(_write_story, store, timeline), range(first, first + count)))


def _pass(store: BlobStore, cursor: Cursor, timeline: Timeline) -> dict[str, Any]:
    before, started = requests_made(), time.perf_counter()
    for attempt in range(3):
        try:
            plan = plan_recovery(store, min_age_s=120, cursor=cursor, timeline=timeline)
            break
        except StorageUnavailable:
            # s3rver fails a listing now and then while objects are written; the
            # periodic reconciler would simply run again. The retries are counted in.
            if attempt == 2:
                raise
    return {
        "seconds": time.perf_counter() - started,
        "requests": requests_made() - before,
        "stories_read": plan.stories_read,
        "enqueued": plan.total,
    }


def measure(store: BlobStore, client: redis.Redis, counts: tuple[int, ...]) -> dict[str, Any]:
    """Full, quiet and 1%-changed pass at each count of stories (filled cumulatively)."""
    results: dict[str, Any] = {}
    cursor, timeline = Cursor(client), Timeline(client)
    client.flushdb()
    filled = 0
    for count in counts:
        fill(store, timeline, filled, count - filled)
        filled = count
        for key in client.scan_iter("wirefeed:reconcile:*"):  # no cursor: a full pass
            client.delete(key)
        full = _pass(store, cursor, timeline)
        quiet = _pass(store, cursor, timeline)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(partial(_write_story, store, timeline, moved=True), range(0, count, 100)))
        changed = _pass(store, cursor, timeline)
        results[str(count)] = {"full": full, "quiet": quiet, "one_percent_changed": changed}
    return results
