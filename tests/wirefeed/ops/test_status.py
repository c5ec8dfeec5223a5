from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import redis

from wirefeed.ingest import ingesting
from wirefeed.ingest.lifecycle import Lifecycle
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.layout import deadletter_key, feed_key
from wirefeed.ops.status import collect
from wirefeed.progress import Stage, Timeline
from wirefeed.storage import MemoryStore


def test_status_reports_queues_stuck_stories_uploads_and_failures(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("ingest", "enrich", "publish", "housekeeping")
    client.rpush("enrich", "m1", "m2")
    store = MemoryStore()
    timeline = Timeline(client)
    # Parsed, and its enrichment message lost.
    stuck = receiving.receive(store, RawItem(b"Stuck story\n\nBody.", "text/plain"))
    ingesting.ingest(store, stuck.raw_key)
    done = receiving.receive(store, RawItem(b"Done story\n\nBody.", "text/plain"))
    ingesting.ingest(store, done.raw_key, Lifecycle(timeline=timeline))
    timeline.note(done.story_id, Stage.published, version="1", detail="in all")
    with contextlib.suppress(receiving.Quarantined):
        receiving.receive(store, RawItem(b" ", "text/plain"))
    store.put(deadletter_key("t1"), b"{}")
    store.put(feed_key("all", "rss"), b"<rss/>")

    later = datetime.now(UTC) + timedelta(seconds=90)
    report = collect(store, client, {"enrich": 2}, now=later)

    queues = {q.queue: (q.depth, q.workers) for q in report.queues}
    assert queues["enrich"] == (2, 2)
    assert queues["ingest"] == (0, 0)
    assert report.stories_by_stage == {"published": 1, "parsed": 1}
    assert report.oldest_waiting is not None
    assert report.oldest_waiting.story_id == stuck.story_id
    assert report.oldest_waiting.stage == "parsed"
    assert report.oldest_waiting.age_s >= 89
    assert list(report.last_upload) == ["all"]
    assert report.quarantined == 1
    assert report.dead_letters == 1
    assert report.as_dict()["queues"][1] == {"queue": "enrich", "depth": 2, "workers": 2}
