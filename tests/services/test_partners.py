"""Admin routes for partners, keys and feeds."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.publish import subscription_store as partners
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture
def client(store: MemoryStore) -> TestClient:
    return TestClient(create_app(Settings(dev_mode=True), store, enqueue=lambda *_: None))


def test_admin_routes_need_the_token(client: TestClient) -> None:
    assert client.get("/v1/admin/subscriptions").status_code == 401
    assert client.put("/v1/admin/partners/acme", json={"name": "A"}).status_code == 401


def test_partner_key_and_feed_lifecycle(client: TestClient, store: MemoryStore) -> None:
    assert (
        client.put("/v1/admin/partners/acme", json={"name": "Acme"}, headers=AUTH).status_code
        == 200
    )
    issued = client.post("/v1/admin/partners/acme/keys", headers=AUTH)
    assert issued.status_code == 201
    secret = issued.json()["api_key"]
    feed = {
        "title": "Acme sport",
        "public": False,
        "partner": "acme",
        "filter": {"subjects": ["medtop:15000000"], "languages": ["en"]},
    }
    saved = client.put("/v1/admin/feeds/acme-sport", json=feed, headers=AUTH)
    assert saved.status_code == 200 and saved.json()["id"] == "acme-sport"

    view = client.get("/v1/admin/subscriptions", headers=AUTH).json()
    assert [f["id"] for f in view["feeds"]] == ["all", "acme-sport"]
    assert "sha256" not in str(view) and secret not in str(view)
    assert partners.authenticate(partners.load_config(store)[0], secret) is not None

    refused = client.delete("/v1/admin/partners/acme", headers=AUTH)
    assert refused.status_code == 409 and "still owns" in refused.json()["detail"]
    key_id = issued.json()["key_id"]
    assert client.delete(f"/v1/admin/partners/acme/keys/{key_id}", headers=AUTH).status_code == 204
    assert client.delete("/v1/admin/feeds/acme-sport", headers=AUTH).status_code == 204
    assert client.delete("/v1/admin/partners/acme", headers=AUTH).status_code == 204
    assert client.delete("/v1/admin/partners/acme", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    "feed",
    [
        {"title": "Private without owner", "public": False},
        {"title": "T", "filter": {"unknown": ["x"]}},
        {"title": "T", "size": 0},
        {"title": "T", "partner": "ghost"},
    ],
)
def test_invalid_feeds_are_refused_with_a_reason(client: TestClient, feed: dict) -> None:  # type: ignore[type-arg]
    answer = client.put("/v1/admin/feeds/bad", json=feed, headers=AUTH)
    assert answer.status_code in (409, 422)
    assert answer.json()["detail"]


def test_a_whole_config_file_is_applied(client: TestClient) -> None:
    config = {
        "partners": [{"id": "acme", "name": "Acme"}],
        "feeds": [{"id": "acme-all", "title": "All", "public": False, "partner": "acme"}],
        "hubs": ["https://hub.example.net/"],
    }
    answer = client.put("/v1/admin/subscriptions", json=config, headers=AUTH)
    assert answer.status_code == 200
    assert [f["id"] for f in answer.json()["feeds"]] == ["acme-all"]
    bad = client.put("/v1/admin/subscriptions", json={"feeds": [{"id": "x"}]}, headers=AUTH)
    assert bad.status_code == 422


def test_the_configuration_read_back_applies_as_it_is_with_a_keyed_partner(
    client: TestClient, store: MemoryStore
) -> None:
    client.put("/v1/admin/partners/acme", json={"name": "Acme"}, headers=AUTH)
    secret = client.post("/v1/admin/partners/acme/keys", headers=AUTH).json()["api_key"]
    feed = {"title": "Acme", "public": False, "partner": "acme"}
    client.put("/v1/admin/feeds/acme-all", json=feed, headers=AUTH)

    view = client.get("/v1/admin/subscriptions", headers=AUTH).json()
    assert view["partners"][0]["keys"], "the view lists the key (without its hash)"
    view["hubs"] = ["https://hub.example.net/"]
    answer = client.put("/v1/admin/subscriptions", json=view, headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json() == view
    # The key still works: keys are managed on their own routes, never by a document.
    assert partners.authenticate(partners.load_config(store)[0], secret) is not None
