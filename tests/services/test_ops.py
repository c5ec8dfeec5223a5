from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore


def client_for(redis_url: str) -> TestClient:
    settings = Settings(dev_mode=True, redis_url=redis_url)
    return TestClient(create_app(settings, MemoryStore(), enqueue=lambda *a: None))


def test_metrics_are_served_in_prometheus_text_format(redis_url: str) -> None:
    response = client_for(redis_url).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    for name in ("wirefeed_stories_total", "wirefeed_queue_depth", "wirefeed_s3_errors_total"):
        assert f"# TYPE {name}" in body
    assert 'wirefeed_queue_depth{queue="ingest"}' in body


@pytest.mark.parametrize(
    ("url", "code", "redis_check"),
    [("from-fixture", 200, "ok"), ("redis://127.0.0.1:1/0", 503, "unreachable")],
)
def test_readiness_needs_redis_and_the_bucket(
    redis_url: str, url: str, code: int, redis_check: str
) -> None:
    admin = {"Authorization": "Bearer dev-token"}
    response = client_for(redis_url if url == "from-fixture" else url).get("/readyz", headers=admin)
    assert response.status_code == code
    assert response.json()["redis"].startswith(redis_check)
    assert response.json()["s3"] == "ok"


def test_readiness_names_no_hosts_to_anonymous_callers() -> None:
    response = client_for("redis://127.0.0.1:1/0").get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"redis": "failing", "s3": "ok"}
    assert "127.0.0.1" not in response.text


def test_metrics_can_require_a_token(redis_url: str) -> None:
    settings = Settings(dev_mode=True, redis_url=redis_url, metrics_token="scrape-secret")
    client = TestClient(create_app(settings, MemoryStore(), enqueue=lambda *a: None))
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer dev-token"})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert right.status_code == 200


def test_liveness_needs_nothing_else() -> None:
    response = client_for("redis://127.0.0.1:1/0").get("/healthz")
    assert response.status_code == 200
