"""The JSON Schema contracts in ``schemas/``, generated from the Python models.

``wirefeed schemas write`` regenerates the files; a test fails when a file and its
model drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from wirefeed.messages import MESSAGES
from wirefeed.model import Story
from wirefeed.publish.subscriptions import SubscriptionConfig

SCHEMA_BASE = "https://wirefeed.example/schemas/"


def _schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{name}.schema.json",
        **schema,
    }


def contracts() -> dict[str, dict[str, Any]]:
    """Every contract, by file stem."""
    found: dict[str, dict[str, Any]] = {"story": _schema(Story, "story")}
    found["subscriptions"] = _schema(SubscriptionConfig, "subscriptions")
    found["queue-messages"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}queue-messages.schema.json",
        "title": "Queue messages",
        "description": "Task name → the arguments its message carries (keys, never bodies).",
        "oneOf": [_schema(model, task) for task, model in sorted(MESSAGES.items())],
    }
    return found


def render(schema: dict[str, Any]) -> str:
    """The stable text of a schema file."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    """Regenerate every schema file in ``directory`` (the caller's); return the paths written."""
    directory.mkdir(exist_ok=True)
    paths = []
    for name, schema in contracts().items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(schema))
        paths.append(path)
    return paths


def stale(directory: Path) -> list[str]:
    """Names of the contracts whose file is missing or differs from its model."""
    return [
        name
        for name, schema in contracts().items()
        if not (directory / f"{name}.schema.json").exists()
        or (directory / f"{name}.schema.json").read_text() != render(schema)
    ]
