"""infra/compose.yaml, checked structurally (Docker does not run where the tests run).

The schema is the Compose Specification's JSON Schema as shipped in docker-compose
1.29.2 (Apache-2.0), kept beside this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from wirefeed.messages import QUEUES

INFRA = Path(__file__).resolve().parents[2] / "infra"
SCHEMA = Path(__file__).with_name("compose-spec.schema.json")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((INFRA / "compose.yaml").read_text())
    return document


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_redis_keeps_messages_across_restarts(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert compose["services"]["redis"]["volumes"]


@pytest.mark.parametrize("queue", QUEUES)
def test_each_queue_has_a_scalable_worker_service(compose: dict[str, Any], queue: str) -> None:
    service = compose["services"][f"worker-{queue}"]
    command = service["command"]
    assert command[:4] == ["celery", "-A", "workers.app", "worker"]
    assert command[command.index("-Q") + 1] == queue
    # --scale needs replicas that do not fight over a name or a host port.
    assert "container_name" not in service
    assert "ports" not in service
    assert service["environment"]["WIREFEED_METRICS_PORT"] == "9100"
    assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert "9100" in service["healthcheck"]["test"][-1]


def test_the_api_minio_and_beat_are_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "/readyz" in services["api"]["healthcheck"]["test"][-1]
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["beat"]["command"][:4] == ["celery", "-A", "workers.app", "beat"]
    for name in ("api", "beat", *(f"worker-{q}" for q in QUEUES)):
        environment = services[name]["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["S3_ENDPOINT_URL"] == "http://minio:9000"
