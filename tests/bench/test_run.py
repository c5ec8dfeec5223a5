"""The bench's results table: every row, and a plain word for what a failed run missed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.run import NOT_MEASURED, step_medians, table
from wirefeed.progress import Stage, StoryState, Transition

RESULTS = Path(__file__).parents[2] / "bench" / "results.json"


def test_a_measurement_a_failed_run_missed_is_named_not_a_crash() -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text())
    moto = results["endpoints"]["moto"]
    results["endpoints"] = {"moto": moto, "partial": {"engine_ceiling": 42.0}}
    text = table(results)
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 17
    engine = next(r for r in rows if r.startswith("| Engine ceiling"))
    assert "| 42 chains/s |" in engine
    requests = next(r for r in rows if r.startswith("| S3 requests per story"))
    assert requests.count(NOT_MEASURED) == 1 and "tagging off" in requests


def test_cpu_per_story_names_the_busiest_processes_first() -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text())
    moto = results["endpoints"]["moto"]
    moto["tagging_off"]["cpu_ms_per_story"] = {"api": 12.0, "s3": 30.4, "redis": 0.2}
    moto["pipeline"]["cpu_ms_per_story"] = {"enrich": 250.0, "s3": 31.0}
    results["endpoints"] = {"moto": moto}

    row = next(r for r in table(results).splitlines() if r.startswith("| CPU per story"))

    assert "tagging off: s3 30, api 12 (total 43); full: enrich 250, s3 31 (total 281)" in row


def test_step_medians_time_each_step_of_the_published_stories() -> None:
    t0 = datetime(2026, 12, 3, tzinfo=UTC)

    def state(*offsets: float) -> StoryState:
        stages = (Stage.received, Stage.parsed, Stage.enriched, Stage.published)
        history = [
            Transition(stage=stage, at=t0 + timedelta(seconds=at))
            for stage, at in zip(stages, offsets, strict=True)
        ]
        return StoryState(story_id="s", stage=Stage.published, history=history)

    steps = step_medians(
        [state(0, 0.1, 0.4, 1.4), state(0, 0.3, 0.5, 0.9), state(0, 0.2, 0.6, 1.0)], t0
    )

    assert steps == pytest.approx(
        {"received→parsed": 0.2, "parsed→enriched": 0.3, "enriched→published": 0.4}
    )


def test_step_medians_time_a_new_version_from_this_run_not_an_earlier_one() -> None:
    # The corpus can repeat a headline, so a story of this run may be a new version of
    # one an earlier run sent: its first steps then date from that run.
    t0 = datetime(2026, 12, 3, tzinfo=UTC)
    earlier = t0 - timedelta(minutes=5)
    stages = (Stage.received, Stage.parsed, Stage.enriched, Stage.published)
    history = [Transition(stage=stage, at=earlier) for stage in stages] + [
        Transition(stage=stage, at=t0 + timedelta(seconds=at))
        for stage, at in zip(stages, (0, 0.1, 0.3, 1.0), strict=True)
    ]
    state = StoryState(story_id="s", stage=Stage.published, history=history)

    steps = step_medians([state], t0)

    assert steps["received→parsed"] == pytest.approx(0.1)
