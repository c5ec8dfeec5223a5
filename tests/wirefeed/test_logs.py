from __future__ import annotations

import json
import logging

import pytest
import structlog

from wirefeed import logs


def test_every_line_is_json_with_the_bound_task_and_story(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("INFO")
    try:
        logs.bind(task_id="t-1", story_id="s-1", feed_id=None)
        structlog.get_logger("wirefeed.test").info("story.stage", stage="parsed")
        logging.getLogger("celery.app.trace").info("Task %s succeeded", "ingest")
    finally:
        logs.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["story.stage", "Task ingest succeeded"]
    for line in lines:
        assert line["task_id"] == "t-1"
        assert line["story_id"] == "s-1"
        assert "feed_id" not in line
        assert line["level"] == "info"
        assert line["timestamp"].endswith("Z")
    assert lines[0]["stage"] == "parsed"


def test_configuring_twice_keeps_one_handler() -> None:
    logs.configure("INFO")
    logs.configure("WARNING")
    plain = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert len(plain) == 1
    assert logging.getLogger().level == logging.WARNING
