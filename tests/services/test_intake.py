from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from tests.budgets import Stalling
from wirefeed.editor import audit
from wirefeed.intake import agencies, receiving
from wirefeed.intake.quarantine import get_record
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture
def sent() -> list[tuple[str, tuple[Any, ...]]]:
    return []


@pytest.fixture
def client(
    store: MemoryStore, sent: list[tuple[str, tuple[Any, ...]]], redis_url: str
) -> Iterator[TestClient]:
    settings = Settings(dev_mode=True, max_payload_bytes=1000, redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda task, *args: sent.append((task, args)))
    yield TestClient(app)
    app.state.context.parse_budget.close()  # the parse processes, if any were started


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
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic x"}, 401)],
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


def test_a_chunked_body_is_cut_off_at_the_limit_while_it_streams(
    client: TestClient, sent: list[Any]
) -> None:
    def chunks() -> Iterator[bytes]:
        # No Content-Length: the size is only known by reading.
        for _ in range(100):
            yield b"x" * 300

    answer = client.post("/v1/stories", content=chunks(), headers=AUTH)
    assert answer.status_code == 413
    assert sent == []


def test_a_parser_failure_is_a_quarantined_422_not_a_500(
    client: TestClient, store: MemoryStore, sent: list[Any], redis_url: str
) -> None:
    depth = 100_000
    nested = "<p>" * depth + "x" + "</p>" * depth
    nitf = f"<nitf><head><title>Deep</title></head><body><body.content>{nested}</body.content>"
    nitf += "</body></nitf>"
    settings = Settings(dev_mode=True, redis_url=redis_url)
    client.app.state.context.settings = settings  # type: ignore[attr-defined]
    answer = client.post("/v1/stories", content=nitf.encode(), headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["error"] == "too_deeply_nested"
    assert get_record(store, answer.json()["quarantine_id"]) is not None
    assert sent == []


def test_a_parse_over_the_budget_is_quarantined_as_parse_timeout(
    client: TestClient, store: MemoryStore, sent: list[Any]
) -> None:
    budget = Stalling(1, workers=1)
    client.app.state.context.parse_budget = budget  # type: ignore[attr-defined]
    try:
        answer = client.post("/v1/stories", content=b"Headline\n\nBody.", headers=AUTH)
    finally:
        budget.close()
    assert answer.status_code == 422
    assert answer.json()["error"] == "parse_timeout"
    record = get_record(store, answer.json()["quarantine_id"])
    assert record is not None and record.reason == "parse_timeout"
    assert sent == []


def test_unknown_story_is_404(client: TestClient) -> None:
    assert client.get("/v1/stories/nope", headers=AUTH).status_code == 404


def test_the_service_refuses_a_default_token_outside_dev_mode() -> None:
    with pytest.raises(ValueError, match="WIREFEED_ADMIN_TOKEN"):
        create_app(Settings(dev_mode=False), MemoryStore())


@pytest.fixture
def agency_client(store: MemoryStore, sent: list[Any], redis_url: str) -> TestClient:
    agencies.ensure_dev_agencies(store)
    settings = Settings(dev_mode=True, redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda task, *args: sent.append((task, args)))
    return TestClient(app)


AGENCY_A = {"Authorization": "Bearer dev-agency-a"}
AGENCY_B = {"Authorization": "Bearer dev-agency-b"}
NINJS = {"Content-Type": "application/json"}


def _ninjs(**fields: Any) -> bytes:
    doc = {"uri": "urn:agency-a:1", "headlines": [{"value": "Harbour reopens"}], **fields}
    return json.dumps(doc).encode()


def test_an_agency_sends_under_its_own_name_only(
    agency_client: TestClient, store: MemoryStore
) -> None:
    answer = agency_client.post("/v1/stories", content=b"Harbour\n\nReopens.", headers=AGENCY_A)
    assert answer.status_code == 202, answer.text
    story_id = answer.json()["id"]
    assert agency_client.get(f"/v1/stories/{story_id}", headers=AGENCY_A).status_code == 200
    # Not another agency's status, and not as another source (query or payload).
    assert agency_client.get(f"/v1/stories/{story_id}", headers=AGENCY_B).status_code == 403
    foreign = agency_client.post(
        "/v1/stories", params={"source": "agency-b"}, content=b"H\n\nB", headers=AGENCY_A
    )
    assert foreign.status_code == 403
    in_payload = agency_client.post(
        "/v1/stories", content=_ninjs(source="agency-b"), headers={**AGENCY_A, **NINJS}
    )
    assert in_payload.status_code == 403
    refused = audit.query(store, user="agency:agency-a")
    assert [e.result for e in refused] == [audit.Result.refused] * 2
    assert (
        agency_client.post(
            "/v1/stories", params={"source": "agency-a"}, content=b"H\n\nB", headers=AGENCY_A
        ).status_code
        == 202
    )


def test_two_agencies_with_one_uri_make_two_stories(
    agency_client: TestClient, store: MemoryStore, sent: list[Any]
) -> None:
    first = agency_client.post("/v1/stories", content=_ninjs(), headers={**AGENCY_A, **NINJS})
    kill = _ninjs(version="9", pubstatus="canceled")
    second = agency_client.post("/v1/stories", content=kill, headers={**AGENCY_B, **NINJS})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    # The same bytes from two agencies are two payloads, each with its sender.
    same = agency_client.post("/v1/stories", content=_ninjs(), headers={**AGENCY_B, **NINJS})
    raw_keys = [args[0] for _, args in sent]
    assert len(set(raw_keys)) == 3
    assert receiving.load_raw(store, raw_keys[0]).source == "agency-a"
    assert receiving.load_raw(store, raw_keys[2]).source == "agency-b"
    assert same.json()["id"] == second.json()["id"]


def test_the_admin_token_may_send_as_any_source(agency_client: TestClient) -> None:
    answer = agency_client.post(
        "/v1/stories", params={"source": "agency-b"}, content=b"H\n\nB", headers=AUTH
    )
    assert answer.status_code == 202
    assert agency_client.get(answer.json()["status_url"], headers=AGENCY_B).status_code == 200
