"""Shared fixtures: the real stack for end-to-end tests, stores for unit tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cli.localstack import LocalStack, free_port
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore, S3Store

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "schemas"
TOKEN = "dev-token"
# Stacks the session started: a test that times out reports what their children said.
_STACKS: list[LocalStack] = []


@pytest.fixture
def fixtures() -> Path:
    """The folder of hand-written test payloads."""
    return FIXTURES


@pytest.fixture
def settings() -> Settings:
    """Settings for unit tests (no real services behind them)."""
    return Settings(dev_mode=True, public_base_url="https://feeds.example.com/wirefeed")


@pytest.fixture
def store() -> MemoryStore:
    """An in-memory store for unit tests of one function."""
    return MemoryStore()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of its own, for tests of the Redis-backed parts alone."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    local = LocalStack(run_dir=tmp_path_factory.mktemp("redis"), redis_url=url)
    local.start_redis()
    try:
        yield url
    finally:
        local.stop()


def stack_on_free_ports(run_dir: Path, extra_env: dict[str, str]) -> LocalStack:
    """A stack (not started yet) whose Redis, S3 endpoint and services take free ports."""
    return LocalStack(
        run_dir=run_dir,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        api_port=free_port(),
        gateway_port=free_port(),
        extra_env=extra_env,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The real stack: redis-server, moto's S3 server and Celery workers on free ports."""
    run_dir = tmp_path_factory.mktemp("stack")
    local = stack_on_free_ports(
        run_dir,
        {
            "WIREFEED_COALESCE_WINDOW_S": "0.5",
            "WIREFEED_CONFIG_REFRESH_S": "1",
            # Periodic ingest tasks run often, so transport tests wait seconds, not minutes.
            "WIREFEED_EMBARGO_SWEEP_S": "1",
            "WIREFEED_INBOX_SWEEP_S": "1",
            "WIREFEED_UPSTREAM_TICK_S": "1",
            "WIREFEED_UPSTREAMS_FILE": str(run_dir / "upstreams.toml"),
            # Tests send the seed story under sources of their own to get a fresh story
            # each; near-duplicate detection would hold back all but the first of the
            # session. It is tested on a real Redis in tests/wirefeed/test_lifecycle.py.
            "WIREFEED_NEAR_DUPLICATE_DISTANCE": "-1",
        },
    )
    local.start()
    _STACKS.append(local)
    try:
        yield local
    finally:
        _STACKS.remove(local)
        local.stop()


@pytest.fixture(scope="session")
def stack_settings(stack: LocalStack) -> Settings:
    """Settings that point at the running stack."""
    return Settings.from_env(stack.env())


def store_for(stack: LocalStack) -> S3Store:
    """A boto3-backed store on a stack's S3 endpoint, over HTTP, with its credentials."""
    import boto3

    env = stack.env()
    client = boto3.client(
        "s3",
        endpoint_url=stack.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    return S3Store(Settings.from_env(env), client=client)


@pytest.fixture(scope="session")
def stack_store(stack: LocalStack) -> S3Store:
    """A boto3-backed store on the stack's S3 endpoint, over HTTP."""
    return store_for(stack)


@pytest.fixture(scope="session")
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client for the stack's API, authorised with the dev token."""
    with httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as client:
        yield client


def wait_for(check: Callable[[], object], timeout: float = 30, interval: float = 0.2) -> object:
    """Poll until ``check()`` returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    reports = "\n".join(stack.report() for stack in _STACKS)
    pytest.fail(f"condition not met within {timeout}s\n{reports}")
