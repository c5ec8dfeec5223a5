from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture
def sent() -> list[tuple[str, tuple[Any, ...]]]:
    return []


@pytest.fixture
def client(
    store: MemoryStore, sent: list[tuple[str, tuple[Any, ...]]], redis_url: str
) -> TestClient:
    settings = Settings(dev_mode=True, max_payload_bytes=1000, redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda task, *args: sent.append((task, args)))
    return TestClient(app)


def test_a_story_is_stored_then_queued_by_key(
    client: TestClient, store: MemoryStore, sent: list[tuple[str, tuple[Any, ...]]]
) -> None:
    answer = client.post("/v1/stories", content=b"Headline\n\nBody.", headers=AUTH)
    assert answer.status_code == 202
    story_id = answer.json()["id"]
    assert answer.json()["status_url"] == f"http://testserver/v1/stories/{story_id}"
    ((task, (raw_key,)),) = sent
    assert task == "ingest.ingest_story"
    assert store.get(raw_key).body == b"Headline\n\nBody."
    status = client.get(f"/v1/stories/{story_id}", headers=AUTH).json()
    assert status["state"] == "received"


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 403), ({"Authorization": "Basic x"}, 401)],
)
def test_intake_needs_the_token(client: TestClient, headers: dict[str, str], code: int) -> None:
    assert client.post("/v1/stories", content=b"H\n\nB", headers=headers).status_code == code


def test_oversized_payload_is_refused_with_413(client: TestClient, sent: list[Any]) -> None:
    answer = client.post("/v1/stories", content=b"x" * 1001, headers=AUTH)
    assert answer.status_code == 413
    assert "1000 bytes" in answer.json()["detail"]
    assert sent == []


def test_bad_payload_is_quarantined_with_a_reason(client: TestClient, sent: list[Any]) -> None:
    answer = client.post(
        "/v1/stories",
        content=b'{"headlines": []}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_ninjs"
    assert answer.json()["quarantine_id"]
    assert sent == []


def test_unknown_story_is_404(client: TestClient) -> None:
    assert client.get("/v1/stories/nope", headers=AUTH).status_code == 404


def test_the_service_refuses_a_default_token_outside_dev_mode() -> None:
    with pytest.raises(ValueError, match="WIREFEED_DEV_TOKEN"):
        create_app(Settings(dev_mode=False), MemoryStore())
