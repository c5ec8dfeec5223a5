from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.intake.parsers import ninjs
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

AUTH = {"Authorization": "Bearer dev-token"}
BROKEN = b'{"uri": "urn:x:1", "headlines": [{"value": "Quake"}], "type": "event"}'


@pytest.fixture
def sent() -> list[tuple[str, tuple[Any, ...]]]:
    return []


@pytest.fixture
def client(store: MemoryStore, sent: list[tuple[str, tuple[Any, ...]]]) -> TestClient:
    app = create_app(Settings(dev_mode=True), store, enqueue=lambda t, *a: sent.append((t, a)))
    return TestClient(app)


def test_hostile_xml_is_a_422_with_its_reason_and_kept(client: TestClient) -> None:
    payload = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><nitf>&e;</nitf>'
    answer = client.post("/v1/stories", content=payload, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["error"] == "xml_entities_forbidden"
    item = client.get(f"/v1/quarantine/{answer.json()['quarantine_id']}", headers=AUTH).json()
    assert item["reason"] == "xml_entities_forbidden"
    assert item["raw_bytes"] == len(payload)


def test_list_and_show_after_a_refusal(client: TestClient) -> None:
    refused = client.post("/v1/stories", content=BROKEN, headers=AUTH)
    assert refused.status_code == 422
    item_id = refused.json()["quarantine_id"]
    listed = client.get("/v1/quarantine", headers=AUTH).json()
    assert [(i["id"], i["reason"]) for i in listed] == [(item_id, "unsupported_item")]
    assert client.get(f"/v1/quarantine/{item_id}", headers=AUTH).json()["raw_bytes"] == len(BROKEN)


def test_replay_after_a_fix_is_one_editor_action(
    client: TestClient, sent: list[tuple[str, tuple[Any, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = client.post("/v1/stories", content=BROKEN, headers=AUTH).json()["quarantine_id"]
    raw_key = client.get(f"/v1/quarantine/{item_id}", headers=AUTH).json()["raw_key"]
    replay = f"/v1/editor/quarantine/{item_id}/replay"
    assert client.post(f"/v1/quarantine/{item_id}/replay", headers=AUTH).status_code == 404

    still = client.post(replay, headers=AUTH)
    assert still.status_code == 422 and "unsupported_item" in still.json()["detail"]
    assert sent == []

    # The fix: a release whose parser takes event items as text stories.
    monkeypatch.setattr(ninjs, "_item_type", lambda doc: "text")
    assert client.post(replay, headers=AUTH).status_code == 202
    assert sent == [("ingest.ingest_story", (raw_key,))]
    assert client.get("/v1/quarantine", headers=AUTH).json() == []
    assert client.get(f"/v1/quarantine/{item_id}", headers=AUTH).status_code == 404


def test_quarantine_needs_the_token(client: TestClient) -> None:
    assert client.get("/v1/quarantine").status_code == 401
    assert client.post("/v1/editor/quarantine/x/replay").status_code == 401


def test_replaying_an_unknown_item_is_404(client: TestClient) -> None:
    assert client.post("/v1/editor/quarantine/nope/replay", headers=AUTH).status_code == 404
