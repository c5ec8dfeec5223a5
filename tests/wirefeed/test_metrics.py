from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from prometheus_client import REGISTRY, generate_latest

from wirefeed import metrics


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_noting_a_stage_counts_it_and_times_it_from_the_previous_one(redis_url: str) -> None:
    from wirefeed.progress import Stage, Timeline

    timeline = Timeline(redis.Redis.from_url(redis_url))
    before = sample("wirefeed_stories_total", stage="parsed")
    timed = sample("wirefeed_stage_latency_seconds_count", stage="parsed")
    timeline.note("metrics-s1", Stage.received)
    timeline.note("metrics-s1", Stage.parsed)
    assert sample("wirefeed_stories_total", stage="parsed") == before + 1
    assert sample("wirefeed_stage_latency_seconds_count", stage="parsed") == timed + 1


def test_a_render_with_an_upload_measures_ingest_to_feed_latency() -> None:
    now = datetime.now(UTC)
    count = sample("wirefeed_ingest_to_feed_seconds_count", feed="f1")
    total = sample("wirefeed_ingest_to_feed_seconds_sum", feed="f1")
    metrics.observe_feed_render("f1", ["rss"], ["atom"], [now - timedelta(seconds=3)], now)
    assert sample("wirefeed_ingest_to_feed_seconds_count", feed="f1") == count + 1
    assert sample("wirefeed_ingest_to_feed_seconds_sum", feed="f1") == total + 3
    assert sample("wirefeed_feed_uploads_total", feed="f1", format="rss") >= 1
    assert sample("wirefeed_feed_uploads_skipped_total", feed="f1", format="atom") >= 1


def test_a_render_without_upload_measures_no_latency() -> None:
    now = datetime.now(UTC)
    count = sample("wirefeed_ingest_to_feed_seconds_count", feed="f2")
    renders = sample("wirefeed_feed_renders_total", feed="f2")
    metrics.observe_feed_render("f2", [], ["rss", "atom"], [now], now)
    assert sample("wirefeed_ingest_to_feed_seconds_count", feed="f2") == count
    assert sample("wirefeed_feed_renders_total", feed="f2") == renders + 1


def test_queue_depth_is_the_length_of_each_queue_list(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("q-a", "q-b")
    client.rpush("q-a", "m1", "m2", "m3")
    served = metrics.registry([metrics.QueueDepthCollector(client, ["q-a", "q-b"])])
    assert served.get_sample_value("wirefeed_queue_depth", {"queue": "q-a"}) == 3
    assert served.get_sample_value("wirefeed_queue_depth", {"queue": "q-b"}) == 0
    assert b"wirefeed_stories_total" in generate_latest(served)


def test_queue_depth_is_absent_rather_than_zero_when_redis_is_down() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    served = metrics.registry([metrics.QueueDepthCollector(client, ["q-a"])])
    assert served.get_sample_value("wirefeed_queue_depth", {"queue": "q-a"}) is None
