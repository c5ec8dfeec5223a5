"""At-least-once delivery, proven on a real worker process, Redis and S3 endpoint."""

from __future__ import annotations

import json
import os
import signal
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis

from cli.localstack import LocalStack, free_port
from tests.conftest import wait_for
from tests.workers import faulty
from wirefeed.layout import deadletter_key
from wirefeed.storage import NotFound, S3Store

pytestmark = pytest.mark.e2e
MAX_RETRIES = 3


@pytest.fixture(scope="module")
def worker(stack: LocalStack) -> Iterator[str]:
    """A worker for the faulty tasks on the stack's Redis and S3; yields its metrics URL."""
    name = "worker-faulty"
    stack.add(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.workers.faulty",
            "worker",
            "-Q",
            faulty.QUEUE,
            "-n",
            "faulty@%h",
            "-c",
            "1",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        env={
            "WIREFEED_METRICS_PORT": str(free_port()),
            "PROMETHEUS_MULTIPROC_DIR": str(stack.run_dir / "metrics" / "faulty"),
            "WIREFEED_TASK_MAX_RETRIES": str(MAX_RETRIES),
        },
    )
    url = stack.metrics_url(name)
    # A cold start on a busy 2-core machine can take minutes (imports, then the pool).
    wait_for(lambda: _get(url), timeout=300)
    try:
        yield url
    finally:
        stack.stop_service(name)


def _get(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return None


def _send(url: str, task: str, *args: object) -> str:
    from workers.app import celery_app

    with celery_app.connection_for_write(url) as connection:
        sent = celery_app.send_task(
            task, args=list(args), queue=faulty.QUEUE, connection=connection
        )
    return str(sent.id)


@pytest.fixture
def marker() -> str:
    return f"delivery-test:{uuid.uuid4().hex}"


@pytest.fixture
def broker(stack: LocalStack) -> redis.Redis:
    return redis.Redis.from_url(stack.redis_url, decode_responses=True)


def test_a_task_whose_process_is_killed_runs_again(
    stack: LocalStack, worker: str, broker: redis.Redis, marker: str
) -> None:
    _send(stack.redis_url, "faulty.hang_once", marker)
    pid = int(str(wait_for(lambda: broker.get(f"{marker}:pid"), timeout=60)))
    os.kill(pid, signal.SIGKILL)  # the pool process of the worker this module started
    assert wait_for(lambda: broker.get(f"{marker}:done"), timeout=60) == "2"
    assert broker.get(f"{marker}:pid") != str(pid)


def test_a_transient_storage_error_is_retried_until_it_passes(
    stack: LocalStack, worker: str, broker: redis.Redis, marker: str
) -> None:
    _send(stack.redis_url, "faulty.unavailable", marker, 2)
    assert wait_for(lambda: broker.get(f"{marker}:done"), timeout=60) == "3"
    metrics = str(_get(worker))
    assert 'wirefeed_task_retries_total{task="faulty.unavailable"}' in metrics


@pytest.mark.parametrize(
    ("task", "args", "attempts", "error"),
    [
        ("faulty.broken", (), 1, "ValueError: the payload is not a story"),
        ("faulty.unavailable", (100,), 1 + MAX_RETRIES, "StorageUnavailable: put feeds/all.rss"),
    ],
    ids=["permanent", "transient-exhausted"],
)
def test_a_task_that_cannot_succeed_is_dead_lettered_with_its_reason(
    stack: LocalStack,
    worker: str,
    broker: redis.Redis,
    stack_store: S3Store,
    marker: str,
    task: str,
    args: tuple[object, ...],
    attempts: int,
    error: str,
) -> None:
    task_id = _send(stack.redis_url, task, marker, *args)

    def letter() -> dict[str, object] | None:
        try:
            return dict(json.loads(stack_store.get(deadletter_key(task_id)).body))
        except NotFound:
            return None

    stored = wait_for(letter, timeout=90)
    assert isinstance(stored, dict)
    assert stored["task"] == task
    assert stored["args"] == [marker, *args]
    assert str(stored["error"]).startswith(error)
    assert stored["retries"] == attempts - 1
    assert broker.get(f"{marker}:attempts") == str(attempts)
    assert f'wirefeed_dead_letters_total{{task="{task}"}}' in str(_get(worker))
