"""Which waiting messages the enrich worker takes into its batch."""

from __future__ import annotations

from dataclasses import dataclass

from workers.enrich import BATCH, TASK, waiting_story_ids


@dataclass
class Waiting:
    """What the worker knows of a reserved message: task name and arguments."""

    name: str
    args: list[str]


def test_the_batch_takes_other_stories_waiting_for_enrichment_once_each() -> None:
    requests = [
        Waiting(TASK, ["b"]),
        Waiting("publish.publish_story", ["c"]),
        Waiting(TASK, ["a"]),  # the story being tagged now
        Waiting(TASK, ["b", "job-1"]),  # the same story twice: tagged once
        Waiting(TASK, ["d"]),
    ]
    assert waiting_story_ids(requests, current="a") == ["b", "d"]


def test_the_batch_is_bounded() -> None:
    requests = [Waiting(TASK, [f"s{i}"]) for i in range(3 * BATCH)]
    assert len(waiting_story_ids(requests, current="x")) == BATCH - 1
