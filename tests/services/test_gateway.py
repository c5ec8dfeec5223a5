"""The partner gateway: keys, isolation, conditional GET and rate limits."""

from __future__ import annotations

import base64
import uuid

import pytest
import redis
from fastapi.testclient import TestClient

from services.gateway import create_gateway_app
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.ratelimit import RateLimiter
from wirefeed.publish.subscriptions import FeedSpec, Partner
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

FEED = b"<rss version='2.0'><channel><title>Acme</title></channel></rss>"


@pytest.fixture
def keys(store: MemoryStore) -> dict[str, str]:
    """Two partners with one private feed each; a public feed; their keys."""
    suffix = uuid.uuid4().hex[:8]  # rate-limit counters in the shared Redis stay apart
    acme, zeta = f"acme{suffix}", f"zeta{suffix}"
    partners.put_partner(store, Partner(id=acme, name="Acme", rate_limit_per_minute=5))
    partners.put_partner(store, Partner(id=zeta, name="Zeta"))
    partners.put_feed(store, FeedSpec(id="acme-feed", title="A", public=False, partner=acme))
    partners.put_feed(store, FeedSpec(id="zeta-feed", title="Z", public=False, partner=zeta))
    store.put(
        "private/feeds/acme-feed.rss",
        FEED,
        content_type="application/rss+xml; charset=utf-8",
        metadata={"last-modified": "Sat, 28 Nov 2026 09:00:00 GMT"},
    )
    store.put("private/feeds/zeta-feed.rss", b"<rss>zeta secret</rss>")
    store.put("feeds/all.rss", b"<rss>public</rss>", content_type="application/rss+xml")
    return {
        "acme": acme,
        "zeta": zeta,
        "acme_key": partners.new_partner_key(store, acme),
        "zeta_key": partners.new_partner_key(store, zeta),
    }


@pytest.fixture
def client(store: MemoryStore, redis_url: str) -> TestClient:
    limiter = RateLimiter(redis.Redis.from_url(redis_url))
    # Failed keys are throttled per client address; these tests fail on purpose often.
    settings = Settings(dev_mode=True, redis_url=redis_url, auth_failures_per_window=1000)
    return TestClient(create_gateway_app(settings, store, limiter))


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("how", ["header", "bearer", "basic"])
def test_a_partner_reads_its_private_feed_with_its_key(
    client: TestClient, keys: dict[str, str], how: str
) -> None:
    key = keys["acme_key"]
    headers = {
        "header": {"X-API-Key": key},
        "bearer": {"Authorization": f"Bearer {key}"},
        "basic": basic(keys["acme"], key),
    }[how]
    answer = client.get("/feeds/acme-feed.rss", headers=headers)
    assert answer.status_code == 200
    assert answer.content == FEED
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert answer.headers["etag"].startswith('"')
    assert answer.headers["last-modified"] == "Sat, 28 Nov 2026 09:00:00 GMT"
    assert answer.headers["cache-control"].startswith("private")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wf_nope_nope"},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Digest abc"},
    ],
    ids=["none", "unknown-key", "bad-basic", "other-scheme"],
)
def test_without_a_valid_key_the_answer_is_401(
    client: TestClient, keys: dict[str, str], headers: dict[str, str]
) -> None:
    answer = client.get("/feeds/acme-feed.rss", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert FEED not in answer.content


def test_basic_auth_must_name_the_key_owner(client: TestClient, keys: dict[str, str]) -> None:
    answer = client.get("/feeds/acme-feed.rss", headers=basic(keys["zeta"], keys["acme_key"]))
    assert answer.status_code == 401


def test_another_partners_feed_looks_like_a_missing_one(
    client: TestClient, keys: dict[str, str]
) -> None:
    theirs = client.get("/feeds/zeta-feed.rss", headers={"X-API-Key": keys["acme_key"]})
    missing = client.get("/feeds/no-such-feed.rss", headers={"X-API-Key": keys["acme_key"]})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert b"zeta" not in theirs.content
    public = client.get("/feeds/all.rss", headers={"X-API-Key": keys["acme_key"]})
    assert public.status_code == 200 and public.content == b"<rss>public</rss>"


def test_conditional_get_answers_304(client: TestClient, keys: dict[str, str]) -> None:
    auth = {"X-API-Key": keys["zeta_key"]}
    first = client.get("/feeds/zeta-feed.rss", headers=auth)
    etag = first.headers["etag"]
    again = client.get("/feeds/zeta-feed.rss", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = client.get("/feeds/zeta-feed.rss", headers={**auth, "If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_if_modified_since_answers_304_when_nothing_is_newer(
    client: TestClient, keys: dict[str, str]
) -> None:
    auth = {"X-API-Key": keys["acme_key"]}
    same = {**auth, "If-Modified-Since": "Sat, 28 Nov 2026 09:00:00 GMT"}
    older = {**auth, "If-Modified-Since": "Sat, 28 Nov 2026 08:00:00 GMT"}
    assert client.get("/feeds/acme-feed.rss", headers=same).status_code == 304
    assert client.get("/feeds/acme-feed.rss", headers=older).status_code == 200


def test_requests_over_the_limit_get_429(client: TestClient, keys: dict[str, str]) -> None:
    auth = {"X-API-Key": keys["acme_key"]}
    codes = [client.get("/feeds/acme-feed.rss", headers=auth).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5
    assert codes[5:] == [429, 429]
    limited = client.get("/feeds/acme-feed.rss", headers=auth)
    assert int(limited.headers["retry-after"]) >= 1
    # Limits are per partner: Zeta is not slowed down by Acme.
    assert (
        client.get("/feeds/zeta-feed.rss", headers={"X-API-Key": keys["zeta_key"]}).status_code
        == 200
    )


def test_a_revoked_key_stops_working(
    client: TestClient, keys: dict[str, str], store: MemoryStore
) -> None:
    key = keys["zeta_key"]
    partners.revoke_partner_key(store, keys["zeta"], key.split("_")[1])
    # The gateway re-reads the configuration when it changes (refresh_s, default 5 s).
    client.app.state.context.subscriptions.refresh_s = 0  # type: ignore[attr-defined]
    assert client.get("/feeds/zeta-feed.rss", headers={"X-API-Key": key}).status_code == 401


def test_failed_keys_are_throttled_per_address(
    store: MemoryStore, redis_url: str, keys: dict[str, str]
) -> None:
    shared = redis.Redis.from_url(redis_url)  # other tests fail on purpose too
    for key in shared.scan_iter("wirefeed:authfail:gateway:*"):
        shared.delete(key)
    settings = Settings(dev_mode=True, redis_url=redis_url, auth_failures_per_window=3)
    limiter = RateLimiter(shared)
    client = TestClient(create_gateway_app(settings, store, limiter))
    for _ in range(3):
        assert client.get("/feeds/all.rss", headers={"X-API-Key": "wf_x_guess"}).status_code == 401
    throttled = client.get("/feeds/all.rss", headers={"X-API-Key": keys["acme_key"]})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
