"""The bench's results table: every row, and a plain word for what a failed run missed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.run import NOT_MEASURED, table

RESULTS = Path(__file__).parents[2] / "bench" / "results.json"


def test_a_measurement_a_failed_run_missed_is_named_not_a_crash() -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text())
    moto = results["endpoints"]["moto"]
    results["endpoints"] = {"moto": moto, "partial": {"engine_ceiling": 42.0}}
    text = table(results)
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 16
    engine = next(r for r in rows if r.startswith("| Engine ceiling"))
    assert "| 42 chains/s |" in engine
    requests = next(r for r in rows if r.startswith("| S3 requests per story"))
    assert requests.count(NOT_MEASURED) == 1 and "tagging off" in requests
