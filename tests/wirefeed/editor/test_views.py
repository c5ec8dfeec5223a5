"""The story page's timeline: each stage once, with how often it was reached."""

from __future__ import annotations

from datetime import UTC, datetime

from wirefeed.editor.views import timeline
from wirefeed.progress import Stage, Transition


def at(second: int) -> datetime:
    return datetime(2026, 11, 30, 12, 0, second, tzinfo=UTC)


def test_a_stage_reached_twice_shows_once_with_its_count() -> None:
    history = [
        Transition(stage=Stage.received, at=at(0)),
        Transition(stage=Stage.parsed, at=at(1)),
        Transition(stage=Stage.enriched, at=at(2)),
        Transition(stage=Stage.published, at=at(3), detail="in all"),
        Transition(stage=Stage.edited, at=at(4), detail="correct"),
        Transition(stage=Stage.published, at=at(5)),
    ]
    visits = timeline(history)
    assert [(v.stage, v.count) for v in visits] == [
        ("received", 1),
        ("parsed", 1),
        ("enriched", 1),
        ("published", 2),
        ("edited", 1),
    ]
    published = visits[3]
    assert (published.first, published.last, published.detail) == (at(3), at(5), "in all")
