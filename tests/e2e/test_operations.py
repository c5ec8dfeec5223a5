"""What an operator relies on, on the real stack: metrics, status, and recovery without Redis."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from cli.localstack import LocalStack
from tests.conftest import wait_for
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.progress import Stage, Timeline, load_state
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e
WIREFEED = str(Path(sys.executable).with_name("wirefeed"))


def sample(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def published(stack: LocalStack, store: S3Store, story_id: str) -> bool:
    timeline = Timeline(redis.Redis.from_url(stack.redis_url))
    state = load_state(store, story_id, timeline)
    return state is not None and state.stage is Stage.published


def test_workers_and_api_serve_metrics_and_status_sums_up(
    stack: LocalStack, api: httpx.Client, stack_store: S3Store
) -> None:
    text = f"Metrics story {uuid.uuid4().hex}\n\nA story for the metrics test."
    answer = api.post("/v1/stories", content=text, headers={"Content-Type": "text/plain"})
    story_id = answer.json()["id"]
    wait_for(lambda: published(stack, stack_store, story_id), timeout=120)

    ingest = httpx.get(stack.metrics_url("worker-ingest"), timeout=10).text
    assert sample(ingest, "wirefeed_stories_total", 'stage="parsed"') >= 1
    assert sample(ingest, "wirefeed_stage_latency_seconds_count", 'stage="parsed"') >= 1
    publish = httpx.get(stack.metrics_url("worker-publish"), timeout=10).text
    assert sample(publish, "wirefeed_feed_renders_total", 'feed="all"') >= 1
    assert sample(publish, "wirefeed_ingest_to_feed_seconds_count", 'feed="all"') >= 1
    served = api.get("/metrics").text
    assert 'wirefeed_queue_depth{queue="enrich"}' in served
    assert api.get("/readyz").json() == {"redis": "ok", "s3": "ok"}

    report = subprocess.run(
        [WIREFEED, "status", "--json", "--timeout", "10"],
        env=stack.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    status = json.loads(report.stdout)
    assert {q["queue"]: q["workers"] for q in status["queues"]} == {
        "ingest": 1,
        "enrich": 1,
        "publish": 1,
        "housekeeping": 1,
    }
    assert "all" in status["last_upload"]
    assert status["stories_by_stage"]["published"] >= 1


def test_stories_whose_messages_redis_lost_are_recovered_by_reconcile(
    stack: LocalStack, stack_store: S3Store
) -> None:
    run = uuid.uuid4().hex
    # Stored but never queued, as when Redis loses its messages: one through intake,
    # one whose intake died after storing it.
    received = receiving.receive(stack_store, RawItem(f"Lost one {run}\n\nBody.".encode()))
    orphan = RawItem(f"Lost two {run}\n\nBody.".encode())
    receiving.store_raw(stack_store, orphan)
    redis.Redis.from_url(stack.redis_url).flushall()

    result = subprocess.run(
        [WIREFEED, "reconcile"],
        env=stack.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    counts = json.loads(result.stdout)
    assert counts["ingest"] >= 2

    wait_for(lambda: published(stack, stack_store, received.story_id), timeout=120)
    orphan_id = parse(orphan).id
    wait_for(lambda: published(stack, stack_store, orphan_id), timeout=120)
