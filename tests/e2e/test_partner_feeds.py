"""Partner feeds on the real stack: routing, corrections, kills, the gateway, bursts, WebSub."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import parse_qs

import feedparser
import httpx
import pytest
from celery import Celery

from cli.localstack import LocalStack
from tests.conftest import wait_for
from tests.e2e.helpers import http_server
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.layout import feed_state_key
from wirefeed.publish.publishing import archived_story_ids, load_feed_document
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e

SOURCE = "e2e-partners"  # every feed here selects this source, so other tests are unaffected
CONFIG = {
    "partners": [{"id": "acme", "name": "Acme"}, {"id": "zeta", "name": "Zeta"}],
    "feeds": [
        {"id": "all", "title": "All stories"},
        {
            "id": "acme-markets",
            "title": "Acme markets",
            "public": False,
            "partner": "acme",
            "filter": {"sources": [SOURCE], "query": "markets", "languages": ["en"]},
        },
        {
            "id": "zeta-flash",
            "title": "Zeta flashes",
            "public": False,
            "partner": "zeta",
            "filter": {"sources": [SOURCE], "max_urgency": 2},
        },
        {"id": "burst", "title": "Burst", "filter": {"sources": [SOURCE], "query": "burstword"}},
    ],
}


class Hub(BaseHTTPRequestHandler):
    """A WebSub hub that records publish pings."""

    pings: ClassVar[list[dict[str, list[str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        Hub.pings.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hub() -> Iterator[str]:
    with http_server(Hub) as url:
        yield url


@pytest.fixture(scope="module")
def keys(api: httpx.Client, hub: str, stack_settings: Settings) -> Iterator[dict[str, str]]:
    """Apply the partner configuration through the admin API; restore the old one after."""
    before = api.get("/v1/admin/subscriptions").json()
    answer = api.put("/v1/admin/subscriptions", json={**CONFIG, "hubs": [hub]})
    assert answer.status_code == 200, answer.text
    issued = {
        p: api.post(f"/v1/admin/partners/{p}/keys").json()["api_key"] for p in ("acme", "zeta")
    }
    # Workers and the gateway pick the change up within config_refresh_s, no restart.
    time.sleep(stack_settings.config_refresh_s + 1)
    try:
        yield issued
    finally:
        api.put("/v1/admin/subscriptions", json={**before, "hubs": before.get("hubs", [])})


def ninjs(uri: str, headline: str, **fields: Any) -> bytes:
    doc = {
        "uri": uri,
        "source": SOURCE,
        "headline": headline,
        "language": "en",
        "body_text": f"{headline}. More on this story.",
        **fields,
    }
    return json.dumps(doc).encode()


def submit(api: httpx.Client, payload: bytes) -> str:
    answer = api.post("/v1/stories", content=payload, headers={"Content-Type": "application/json"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def gateway_feed(stack: LocalStack, key: str, feed_id: str, fmt: str = "atom") -> Any:
    """The parsed feed from the gateway; None while it has not been rendered yet."""
    answer = httpx.get(f"{stack.gateway_url}/feeds/{feed_id}.{fmt}", headers={"X-API-Key": key})
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    parsed = feedparser.parse(answer.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def story_ids(parsed: Any) -> set[str] | None:
    if parsed is None:
        return None
    return {entry.id.rsplit("/", 1)[1] for entry in parsed.entries}


def test_stories_land_in_exactly_the_right_partner_feeds(
    stack: LocalStack, api: httpx.Client, keys: dict[str, str]
) -> None:
    a = submit(api, ninjs("urn:e2e:a", "Markets rally in Lisbon", urgency=5))
    b = submit(api, ninjs("urn:e2e:b", "Les marches chutent", urgency=1, language="fr"))
    c = submit(api, ninjs("urn:e2e:c", "Markets slump on flash news", urgency=1))
    d = submit(api, ninjs("urn:e2e:d", "Calm weather expected", urgency=6))
    expected = {"acme-markets": {a, c}, "zeta-flash": {b, c}}
    for feed_id, key in (("acme-markets", keys["acme"]), ("zeta-flash", keys["zeta"])):
        wait_for(lambda f=feed_id, k=key: story_ids(gateway_feed(stack, k, f)) == expected[f], 90)
    for n in (a, b, c, d):
        wait_for(lambda n=n: api.get(f"/v1/stories/{n}").json()["state"] == "published", 60)
    assert set(api.get(f"/v1/stories/{d}").json()["feeds"]) == {"all"}
    assert set(api.get(f"/v1/stories/{c}").json()["feeds"]) == {"all", "acme-markets", "zeta-flash"}

    # Isolation: another partner's feed is a 404, the same as a feed that does not exist.
    theirs = httpx.get(
        f"{stack.gateway_url}/feeds/zeta-flash.rss", headers={"X-API-Key": keys["acme"]}
    )
    assert theirs.status_code == 404
    assert httpx.get(f"{stack.gateway_url}/feeds/zeta-flash.rss").status_code == 401
    # Private feeds are not in the public part of the bucket.
    public = httpx.get(f"{stack.s3_endpoint_url}/{stack.s3_bucket}/private/feeds/acme-markets.rss")
    assert public.status_code == 403

    # Conditional GET.
    url = f"{stack.gateway_url}/feeds/acme-markets.json"
    first = httpx.get(url, headers={"X-API-Key": keys["acme"]})
    assert first.headers["content-type"].startswith("application/feed+json")
    again = httpx.get(
        url, headers={"X-API-Key": keys["acme"], "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304

    # A correction updates the entry in place: same guid, new headline, one entry.
    submit(api, ninjs("urn:e2e:a", "Markets rally in Lisbon, corrected", urgency=5, version=2))

    def corrected() -> bool:
        feed = gateway_feed(stack, keys["acme"], "acme-markets", "rss")
        assert feed is not None
        entries = [e for e in feed.entries if e.id.endswith(f"/{a}")]
        return len(entries) == 1 and entries[0].title.endswith("corrected")

    wait_for(corrected, 60)

    # A kill removes the story from every feed it was in, in every format.
    submit(api, ninjs("urn:e2e:c", "Markets slump on flash news", version=2, pubstatus="canceled"))
    for feed_id, key in (("acme-markets", keys["acme"]), ("zeta-flash", keys["zeta"])):
        for fmt in ("rss", "atom"):
            wait_for(
                lambda f=feed_id, k=key, m=fmt: (
                    c not in (story_ids(gateway_feed(stack, k, f, m)) or {c})
                ),
                60,
            )
        answer = httpx.get(f"{stack.gateway_url}/feeds/{feed_id}.json", headers={"X-API-Key": key})
        assert not any(item["id"].endswith(f"/{c}") for item in answer.json()["items"])


@pytest.mark.timeout(900)
def test_a_burst_of_500_stories_renders_once_per_window(
    stack: LocalStack,
    api: httpx.Client,
    keys: dict[str, str],
    stack_store: S3Store,
    stack_settings: Settings,
) -> None:
    before = load_feed_document(stack_store, "burst")
    broker = Celery(broker=stack.redis_url)

    def send(n: int) -> str:
        # What intake does, minus HTTP: store the payload durably, then queue its key.
        payload = ninjs(f"urn:e2e:burst:{n}", f"Burstword number {n}")
        receipt = receiving.receive(stack_store, RawItem(payload, "application/json", SOURCE))
        broker.send_task("ingest.ingest_story", args=[receipt.raw_key], queue="ingest")
        return receipt.story_id

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(send, range(500)))

    def all_in() -> bool:
        doc = load_feed_document(stack_store, "burst")
        return len(doc.entries) == 100 and len(archived_story_ids(stack_store, "burst")) == 400

    wait_for(all_in, 600, interval=1)
    elapsed = time.monotonic() - started
    doc = load_feed_document(stack_store, "burst")
    renders = doc.renders - before.renders
    windows = math.ceil(elapsed / stack_settings.coalesce_window_s)
    print(f"burst: 500 stories in {elapsed:.1f}s, {renders} renders, {doc.uploads} uploads")
    # At most one render per coalescing window, whatever the number of stories...
    assert renders <= windows + 1
    # ...which is a small fraction of one render per story.
    assert renders < 500 / 5
    assert {e.story_id for e in doc.entries} <= set(ids)
    assert stack_store.get(feed_state_key("burst")).content_type == "application/json"

    # The public feed, its archive and the WebSub pings.
    rss = httpx.get(stack_settings.public_url("feeds/burst.rss"))
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(rss.content)
    assert not parsed.bozo and len(parsed.entries) == 100
    archive = feedparser.parse(
        httpx.get(stack_settings.public_url("feeds/burst/archive/1.atom")).content
    )
    assert not archive.bozo and len(archive.entries) == 100
    topic = stack_settings.public_url("feeds/burst.atom")
    wait_for(lambda: any(p.get("hub.url") == [topic] for p in Hub.pings), 30)
    assert all(p["hub.mode"] == ["publish"] for p in Hub.pings)
