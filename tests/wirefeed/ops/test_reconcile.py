from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.lease import lease
from wirefeed.ops.reconcile import STEP_TASKS, Cursor, execute, plan_recovery, reconcile
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


# -- incremental passes -----------------------------------------------------------------


def _cursor(redis_url: str) -> Cursor:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return Cursor(client)


def test_a_pass_reads_only_the_states_that_changed_since_the_last(redis_url: str) -> None:
    store = MemoryStore()
    cursor = _cursor(redis_url)
    receipts = [receiving.receive(store, story(n)) for n in range(5)]
    for receipt in receipts:
        record_stage(store, receipt.story_id, Stage.published, raw_key=receipt.raw_key)
    first = plan_recovery(store, now=LATER, cursor=cursor)
    assert (first.full_pass, first.states_read, first.total) == (True, 5, 0)

    quiet = plan_recovery(store, now=LATER, cursor=cursor)
    assert (quiet.full_pass, quiet.states_read, quiet.total) == (False, 0, 0)

    record_stage(store, receipts[2].story_id, Stage.edited)  # a kill whose render was lost
    moved = plan_recovery(store, now=LATER, cursor=cursor)
    assert (moved.states_read, moved.publish) == (1, [receipts[2].story_id])


def test_a_story_too_young_for_one_pass_is_restarted_by_a_later_one(redis_url: str) -> None:
    store = MemoryStore()
    cursor = _cursor(redis_url)
    receipt = receiving.receive(store, story(1))
    ingesting.ingest(store, receipt.raw_key)  # parsed: its enrich message is in flight
    assert plan_recovery(store, min_age_s=60, cursor=cursor).total == 0
    # Later, unchanged: planned from what the cursor kept, without reading it again.
    later = plan_recovery(store, min_age_s=60, now=LATER, cursor=cursor)
    assert (later.states_read, later.enrich) == (0, [receipt.story_id])


def test_payloads_are_found_by_listing_alone(redis_url: str) -> None:
    store = MemoryStore()
    cursor = _cursor(redis_url)
    plan_recovery(store, now=LATER, cursor=cursor)
    orphan = receiving.store_raw(store, story(9))  # intake died before noting the story
    assert plan_recovery(store, min_age_s=60, cursor=cursor).ingest == []  # just arrived
    later = plan_recovery(store, min_age_s=60, now=LATER, cursor=cursor)
    assert (later.states_read, later.ingest) == (0, [orphan])


def test_without_its_cursor_a_pass_reads_everything_again(redis_url: str) -> None:
    store = MemoryStore()
    cursor = _cursor(redis_url)
    for n in range(3):
        receiving.receive(store, story(n))
    plan_recovery(store, now=LATER, cursor=cursor)
    cursor.redis.flushdb()  # Redis lost everything
    again = plan_recovery(store, now=LATER, cursor=cursor)
    assert (again.full_pass, again.states_read, len(again.ingest)) == (True, 3, 3)
