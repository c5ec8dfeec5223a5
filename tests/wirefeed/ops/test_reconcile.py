from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.lease import lease
from wirefeed.ops.reconcile import STEP_TASKS, execute, plan_recovery, reconcile
from wirefeed.progress import Stage, record_stage
from wirefeed.storage import MemoryStore

LATER = datetime.now(UTC) + timedelta(hours=1)


def story(n: int) -> RawItem:
    return RawItem(f"Story number {n}\n\nBody of story {n}.".encode(), "text/plain")


def test_raw_payload_without_any_state_is_ingested_again() -> None:
    store = MemoryStore()
    key = receiving.store_raw(store, story(1))  # intake died before recording the story
    plan = plan_recovery(store, now=LATER)
    assert plan.ingest == [key]
    assert plan.enrich == plan.publish == []


def test_quarantined_payload_is_left_alone() -> None:
    store = MemoryStore()
    with pytest.raises(receiving.Quarantined):
        receiving.receive(store, RawItem(b"  \n", "text/plain"))
    assert plan_recovery(store, now=LATER).total == 0


@pytest.mark.parametrize(
    ("stage", "step"),
    [
        (Stage.received, "ingest"),
        (Stage.parsed, "enrich"),
        (Stage.enriched, "publish"),
        (Stage.edited, "publish"),
        (Stage.published, None),
        (Stage.quarantined, None),
    ],
)
def test_each_unfinished_stage_restarts_its_next_step(stage: Stage, step: str | None) -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, story(1))
    if stage is not Stage.received:  # ingest dealt with the payload, then the story moved
        record_stage(store, receipt.story_id, stage, raw_key=receipt.raw_key)
    plan = plan_recovery(store, now=LATER)
    expected = {"ingest": [], "enrich": [], "publish": []}
    if step is not None:
        expected[step] = [receipt.raw_key if step == "ingest" else receipt.story_id]
    assert plan.steps() == expected


def test_every_version_of_a_received_story_is_ingested_again() -> None:
    store = MemoryStore()
    first = receiving.receive(store, story(1))
    second = receiving.receive(store, RawItem(b"Story number 1\n\nA corrected body.", "text/plain"))
    assert first.story_id == second.story_id
    assert plan_recovery(store, now=LATER).ingest == sorted([first.raw_key, second.raw_key])


def test_stories_still_in_flight_are_left_alone() -> None:
    store = MemoryStore()
    receiving.receive(store, story(1))
    assert plan_recovery(store, min_age_s=60).total == 0
    assert plan_recovery(store, min_age_s=60, now=LATER).total == 1


def test_execute_sends_each_step_to_its_task() -> None:
    store = MemoryStore()
    orphan = receiving.store_raw(store, story(1))
    parsed = receiving.receive(store, story(2))
    record_stage(store, parsed.story_id, Stage.parsed, raw_key=parsed.raw_key)
    sent: list[tuple[str, str]] = []
    counts = execute(plan_recovery(store, now=LATER), lambda task, arg: sent.append((task, arg)))
    assert sorted(sent) == sorted(
        [(STEP_TASKS["ingest"], orphan), (STEP_TASKS["enrich"], parsed.story_id)]
    )
    assert counts == {"ingest": 1, "enrich": 1, "publish": 0}


def test_many_stories_are_planned_from_one_listing() -> None:
    store = MemoryStore()
    keys = [receiving.store_raw(store, story(n)) for n in range(300)]
    assert plan_recovery(store, now=LATER).ingest == sorted(keys)


def test_only_one_reconcile_runs_at_a_time(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = MemoryStore()
    receiving.store_raw(store, story(1))
    sent: list[tuple[str, str]] = []
    with lease(client, "reconcile") as held:
        assert held is not None
        assert reconcile(store, client, lambda *m: sent.append(m)) is None
    assert sent == []
    counts = reconcile(store, client, lambda *m: sent.append(m), dry_run=True)
    assert counts is not None and counts["ingest"] == 1
    assert sent == []
    reconcile(store, client, lambda *m: sent.append(m))
    assert len(sent) == 1


def test_the_periodic_pass_waits_while_the_queues_are_backed_up(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete("ingest", "enrich", "publish")
    store = MemoryStore()
    receiving.store_raw(store, story(1))
    sent: list[tuple[str, str]] = []
    client.rpush("enrich", "m1", "m2")
    try:
        assert reconcile(store, client, lambda *m: sent.append(m), max_backlog=1) == {
            "skipped_backlog": 2
        }
        assert sent == []
    finally:
        client.delete("enrich")
    reconcile(store, client, lambda *m: sent.append(m), max_backlog=1)
    assert len(sent) == 1


def test_a_newer_version_whose_message_was_lost_is_ingested_after_publication() -> None:
    store = MemoryStore()
    first = receiving.receive(store, story(1))
    ingesting.ingest(store, first.raw_key)
    newer = receiving.receive(store, RawItem(b"Story number 1\n\nCorrected body.", "text/plain"))
    assert newer.story_id == first.story_id
    # The first version's render lands after the newer one arrived, and Redis loses the
    # newer one's message: the story reads "published", at the old version.
    record_stage(store, first.story_id, Stage.published)
    plan = plan_recovery(store, now=LATER)
    assert plan.ingest == [newer.raw_key]

    ingesting.ingest(store, newer.raw_key)
    assert plan_recovery(store, now=LATER).ingest == []


def test_progress_is_told_how_far_reading_and_enqueueing_are(store) -> None:
    for n in range(2):  # recorded as received, never ingested
        receiving.receive(store, RawItem(f"Story {n}\n\nBody {n}.".encode()))
    receiving.store_raw(store, RawItem(b"Orphan\n\nNever recorded."))
    told: list[tuple[str, int, int]] = []
    plan = plan_recovery(store, progress=lambda *step: told.append(step))
    execute(plan, lambda task, arg: None, lambda *step: told.append(step))
    assert sorted(told[:2]) == [("reading story states", n, 2) for n in (1, 2)]
    assert told[2:] == [("re-enqueueing", n, 3) for n in (1, 2, 3)]
