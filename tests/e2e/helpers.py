"""Steps end-to-end tests share: the seed story, partner feeds, feed documents, servers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import feedparser
import httpx
import pytest

from cli.localstack import free_port
from tests.conftest import FIXTURES, wait_for
from wirefeed.settings import Settings

SEED_HEADLINE = "Russian crew returns to earth after shooting the first movie in space"


def publish_seed_story(api: httpx.Client, source: str, timeout: float = 120) -> dict[str, Any]:
    """Send the seed story as ``source`` (a fresh story id) and wait until it is published.

    Returns the story's status from the API. A story held as a near-duplicate of an
    earlier one is never published, so that ends the wait at once with the reason.
    """
    answer = api.post(
        "/v1/stories",
        params={"source": source},
        content=(FIXTURES / "seed-story.txt").read_bytes(),
        headers={"Content-Type": "text/plain"},
    )
    assert answer.status_code == 202, answer.text
    story_id = answer.json()["id"]

    def published() -> dict[str, Any] | None:
        status: dict[str, Any] = api.get(f"/v1/stories/{story_id}").json()
        if status["state"] == "duplicate":
            pytest.fail(f"the seed story was held back: {status['history'][-1]['detail']}")
        return status if status["state"] == "published" else None

    # Generous: the first story of a session waits for the enrich worker to load its model.
    status = wait_for(published, timeout=timeout)
    assert isinstance(status, dict)
    return status


@contextmanager
def feeds_configured(
    api: httpx.Client,
    settings: Settings,
    feeds: list[dict[str, Any]],
    partners: list[dict[str, Any]] | None = None,
) -> Iterator[None]:
    """Add partners and feeds through the admin API; put the previous configuration back after."""
    before = api.get("/v1/admin/subscriptions").json()
    config = {
        **before,
        "partners": [*before.get("partners", []), *(partners or [])],
        "feeds": [*before.get("feeds", []), *feeds],
    }
    answer = api.put("/v1/admin/subscriptions", json=config)
    assert answer.status_code == 200, answer.text
    # Workers and the API pick the change up within config_refresh_s, without a restart.
    time.sleep(settings.config_refresh_s + 1)
    try:
        yield
    finally:
        restored = api.put("/v1/admin/subscriptions", json=before)
        assert restored.status_code == 200, restored.text


def entry_story_ids(document: bytes, fmt: str) -> set[str]:
    """The story ids of a rendered feed document's entries.

    RSS and Atom are read by feedparser, like a partner's reader; JSON Feed (which
    feedparser 6.0 does not read) by its items.
    """
    if fmt == "json":
        ids = [item["id"] for item in json.loads(document)["items"]]
    else:
        parsed = feedparser.parse(document)
        assert not parsed.bozo, parsed.get("bozo_exception")
        ids = [entry.id for entry in parsed.entries]
    # Entry ids are tag:{authority}:story/{id}, the same for every version of a story.
    return {i.rsplit("/", 1)[1] for i in ids}


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
