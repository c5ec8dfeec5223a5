"""infra/k8s/*.yaml, checked structurally against Kubernetes' schemas (no cluster here).

Core kinds use the schemas shipped in the ``kubernetes-validate`` package (strict:
unknown fields fail); KEDA's ScaledObject uses the subset of its CRD kept beside this
test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from wirefeed.messages import QUEUES

K8S = Path(__file__).resolve().parents[2] / "infra" / "k8s"
KUBERNETES_VERSION = "1.30"
SCALED_OBJECT = json.loads(Path(__file__).with_name("keda-scaledobject.schema.json").read_text())


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return found


DOCUMENTS = documents()


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in DOCUMENTS if doc["kind"] == kind}


@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_every_manifest_matches_its_schema(name: str, doc: dict[str, Any]) -> None:
    if doc["kind"] == "ScaledObject":
        jsonschema.Draft202012Validator(SCALED_OBJECT).validate(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("queue", QUEUES)
def test_each_queue_has_a_probed_deployment_scaled_on_its_list(queue: str) -> None:
    deployment = of_kind("Deployment")[f"wirefeed-worker-{queue}"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][container["command"].index("-Q") + 1] == queue
    assert "readinessProbe" in container
    assert queue in " ".join(container["livenessProbe"]["exec"]["command"])
    scaled = of_kind("ScaledObject")[f"wirefeed-worker-{queue}"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert scaled["spec"]["minReplicaCount"] >= 1
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["metadata"]["listName"] == queue


def test_selectors_match_their_pods_and_the_api_is_behind_a_service() -> None:
    for deployment in of_kind("Deployment").values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    api = of_kind("Deployment")["wirefeed-api"]["spec"]["template"]
    service = of_kind("Service")["wirefeed-api"]
    assert service["spec"]["selector"].items() <= api["metadata"]["labels"].items()
    probes = api["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_exactly_one_beat_runs() -> None:
    beat = of_kind("Deployment")["wirefeed-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
