"""The seed story through the whole stack on s3rver, an S3 implementation other than moto.

s3rver (npm, installed by ``make test`` into .run/s3rver) has no bucket policies: with
the default ``WIREFEED_S3_PUBLIC_ACCESS=policy`` the stack warns in one line naming the
setting, and goes on.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import feedparser
import httpx
import pytest

from cli.localstack import (
    S3RVER_BIN,
    S3RVER_ENV,
    STARTUP_TIMEOUT_S,
    LocalStack,
    free_port,
    port_open,
    wait_until,
)
from tests.conftest import store_for, wait_for
from tests.e2e.helpers import SEED_HEADLINE, publish_seed_story
from wirefeed.layout import feed_key

pytestmark = pytest.mark.e2e


def s3rver_binary() -> str:
    """The s3rver that make test installs, or one on PATH; skip the test without one."""
    installed = str(S3RVER_BIN) if S3RVER_BIN.exists() else shutil.which("s3rver")
    found = os.environ.get("S3RVER") or installed
    if not found:
        pytest.skip("s3rver is not installed: run make s3rver (make test does)")
    return found


@pytest.fixture(scope="module")
def s3rver_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A whole stack whose S3 endpoint is s3rver."""
    run_dir = tmp_path_factory.mktemp("s3rver-stack")
    port = free_port()
    stack = LocalStack(
        run_dir=run_dir,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        api_port=free_port(),
        gateway_port=free_port(),
        extra_env={
            "AWS_ACCESS_KEY_ID": "S3RVER",
            "AWS_SECRET_ACCESS_KEY": "S3RVER",
            "WIREFEED_NEAR_DUPLICATE_DISTANCE": "-1",
            "WIREFEED_COALESCE_WINDOW_S": "0.5",
        },
    )
    data = run_dir / "s3rver-data"
    data.mkdir()
    address = ["-a", "127.0.0.1", "-p", str(port)]
    argv = [s3rver_binary(), "-d", str(data), *address, "--configure-bucket", "wirefeed"]
    stack.add("s3rver", argv, env=S3RVER_ENV)
    wait_until(lambda: port_open("127.0.0.1", port), STARTUP_TIMEOUT_S, "s3rver")
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_the_seed_story_reaches_the_atom_feed_on_s3rver(s3rver_stack: LocalStack) -> None:
    # No bucket policies there: one warning naming the setting, and the stack went on.
    assert len(s3rver_stack.warnings) == 1
    assert "WIREFEED_S3_PUBLIC_ACCESS" in s3rver_stack.warnings[0]

    with httpx.Client(
        base_url=s3rver_stack.api_url, headers={"Authorization": "Bearer dev-token"}, timeout=30
    ) as api:
        publish_seed_story(api, "s3rver-test", timeout=300)
    store = store_for(s3rver_stack)

    def in_atom_feed() -> bool:
        feed = feedparser.parse(store.get(feed_key("all", "atom")).body)
        return any(e.title == SEED_HEADLINE for e in feed.entries)

    wait_for(in_atom_feed, timeout=60)


def test_listings_of_more_than_a_thousand_keys_page_on_s3rver(s3rver_stack: LocalStack) -> None:
    # The reconciler lists every story: its listing must get past the first page.
    store = store_for(s3rver_stack)
    keys = [f"state/probe/listing/{n:05d}" for n in range(1001)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: store.put(key, b"x", content_type="text/plain"), keys))

    assert list(store.list("state/probe/listing/")) == keys
