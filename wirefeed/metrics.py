"""Prometheus metrics: every definition in one place, and the registry a process serves.

Celery prefork workers run tasks in child processes, so a worker sets
``PROMETHEUS_MULTIPROC_DIR`` (one folder per worker) and its main process serves the
sum of its children's values. Without that variable a process serves its own values.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

STAGE_TRANSITIONS = Counter(
    "wirefeed_stories_total",
    "Stories that entered each pipeline stage (a story counts once per visit).",
    ["stage"],
)
STAGE_LATENCY = Histogram(
    "wirefeed_stage_latency_seconds",
    "Time a story spent reaching a stage from its previous stage.",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
INGEST_TO_FEED = Histogram(
    "wirefeed_ingest_to_feed_seconds",
    "From a payload's arrival to the upload of a feed that shows it.",
    ["feed"],
    buckets=_LATENCY_BUCKETS,
)
TASK_RETRIES = Counter(
    "wirefeed_task_retries_total", "Task runs that failed transiently and were retried.", ["task"]
)
DEAD_LETTERS = Counter(
    "wirefeed_dead_letters_total", "Tasks that failed for good and were dead-lettered.", ["task"]
)
QUARANTINED = Counter(
    "wirefeed_quarantined_total", "Items set aside for an operator, by reason.", ["reason"]
)
CHARSET_REPAIRS = Counter(
    "wirefeed_charset_repairs_total",
    "Payloads read differently from their declared charset, by kind of repair "
    "(mislabelled_utf8, double_encoded); the raw payload itself is never changed.",
    ["kind"],
)
FEED_RENDERS = Counter("wirefeed_feed_renders_total", "Feed renders, by feed.", ["feed"])
FEED_UPLOADS = Counter(
    "wirefeed_feed_uploads_total",
    "Feed documents uploaded, by feed and format.",
    ["feed", "format"],
)
FEED_UPLOADS_SKIPPED = Counter(
    "wirefeed_feed_uploads_skipped_total",
    "Feed uploads skipped because the rendering did not change.",
    ["feed", "format"],
)
S3_REQUESTS = Counter(
    "wirefeed_s3_requests_total",
    "Object-storage calls made (each one a billed request on a real S3), by operation.",
    ["operation"],
)
HANDOFFS = Counter(
    "wirefeed_handoffs_total",
    "Reads of an object the stage before handed on through Redis: hit (no S3 request) "
    "or miss (read from the bucket).",
    ["outcome"],
)
S3_ERRORS = Counter(
    "wirefeed_s3_errors_total",
    "Object-storage calls that failed, by operation and error kind.",
    ["operation", "kind"],
)
RECONCILED = Counter(
    "wirefeed_reconciled_total",
    "Messages the reconciler re-enqueued, by the step it restarted.",
    ["step"],
)


def observe_stage(stage: str, previous_at: datetime | None, at: datetime) -> None:
    """Count a story entering ``stage``, and how long it took from the stage before."""
    STAGE_TRANSITIONS.labels(stage).inc()
    # A new payload starts a new run through the pipeline: nothing to measure it from.
    if previous_at is not None and stage != "received":
        STAGE_LATENCY.labels(stage).observe(max(0.0, (at - previous_at).total_seconds()))


def observe_feed_render(
    feed_id: str,
    uploaded: Sequence[str],
    unchanged: Sequence[str],
    received_at: Iterable[datetime],
    uploaded_at: datetime,
) -> None:
    """Count a render and its uploads; with an upload, the ingest-to-feed latency of its stories.

    ``received_at`` holds when each story the render put in the feed arrived.
    """
    FEED_RENDERS.labels(feed_id).inc()
    for fmt in uploaded:
        FEED_UPLOADS.labels(feed_id, fmt).inc()
    for fmt in unchanged:
        FEED_UPLOADS_SKIPPED.labels(feed_id, fmt).inc()
    if not uploaded:
        return
    for received in received_at:
        INGEST_TO_FEED.labels(feed_id).observe(max(0.0, (uploaded_at - received).total_seconds()))


def queue_depths(client: redis.Redis, queues: Sequence[str]) -> dict[str, int | None]:
    """Messages waiting in each queue (its Redis list length); None when Redis is down."""
    try:
        pipe = client.pipeline()
        for queue in queues:
            pipe.llen(queue)
        return dict(zip(queues, (int(depth) for depth in pipe.execute()), strict=True))
    except redis.RedisError:
        return dict.fromkeys(queues)


class QueueDepthCollector(Collector):
    """``wirefeed_queue_depth``: messages waiting in each queue, read at scrape time.

    Prefetched and running tasks are not in the list.
    """

    def __init__(self, client: redis.Redis, queues: Sequence[str]) -> None:
        self.client = client
        self.queues = tuple(queues)

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "wirefeed_queue_depth", "Messages waiting in each queue.", labels=["queue"]
        )
        for queue, depth in queue_depths(self.client, self.queues).items():
            # The broker is down: no sample rather than a false zero.
            if depth is not None:
                gauge.add_metric([queue], depth)
        yield gauge


def multiprocess_dir() -> Path | None:
    """The folder multiprocess metrics are written to, when this process uses one."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder else None


def reset_multiprocess_dir() -> None:
    """Empty the multiprocess folder when a worker starts (values of a previous run)."""
    folder = multiprocess_dir()
    if folder is None:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def mark_process_dead(pid: int) -> None:
    """Drop a finished child's live gauges (its counters stay in the totals)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


def registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """The registry a process serves: its children's values in multiprocess mode, else its own.

    ``extra`` collectors (such as the queue depths) are read at scrape time.
    """
    served = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(served)
    else:
        served.register(_Forward(REGISTRY))
    for collector in extra:
        served.register(collector)
    return served


class _Forward(Collector):
    """Serve another registry's metrics next to scrape-time collectors."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()
