from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from wirefeed.editor import story_actions
from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import build_pipeline
from wirefeed.ingest import ingesting
from wirefeed.ingest.lifecycle import Lifecycle
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.lease import lease
from wirefeed.ops.reconcile import STEP_TASKS, Cursor, execute, plan_recovery, reconcile
from wirefeed.progress import Stage, Timeline
from wirefeed.storage import MemoryStore

LATER = datetime.now(UTC) + timedelta(hours=1)


def story(n: int) -> RawItem:
    return RawItem(f"Story number {n}\n\nBody of story {n}.".encode(), "text/plain")


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client


def _published(timeline: Timeline, story_id: str, version: str = "1") -> None:
    timeline.note(story_id, Stage.published, version=version, detail="in all")


def _through(store: MemoryStore, timeline: Timeline, n: int) -> receiving.Receipt:
    """A story taken all the way: received, ingested, enriched, published."""
    receipt = receiving.receive(store, story(n))
    ingesting.ingest(store, receipt.raw_key, Lifecycle(timeline=timeline))
    enriching.enrich(store, receipt.story_id, build_pipeline([]), timeline=timeline)
    _published(timeline, receipt.story_id)
    return receipt


def test_a_payload_ingest_never_saw_is_ingested_again() -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, story(1))  # its message was lost
    plan = plan_recovery(store, now=LATER)
    assert plan.ingest == [receipt.raw_key]
    assert plan.enrich == plan.publish == []


def test_quarantined_payload_is_left_alone() -> None:
    store = MemoryStore()
    with pytest.raises(receiving.Quarantined):
        receiving.receive(store, RawItem(b"  \n", "text/plain"))
    assert plan_recovery(store, now=LATER).total == 0


def test_each_unfinished_stage_restarts_its_next_step(client: redis.Redis) -> None:
    store, timeline = MemoryStore(), Timeline(client)
    parsed = receiving.receive(store, story(1))
    ingesting.ingest(store, parsed.raw_key)
    enriched = receiving.receive(store, story(2))
    ingesting.ingest(store, enriched.raw_key)
    enriching.enrich(store, enriched.story_id, build_pipeline([]))
    killed = _through(store, timeline, 3)
    story_actions.kill(store, killed.story_id, "ann", "legal")  # its render was lost
    done = _through(store, timeline, 4)
    plan = plan_recovery(store, now=LATER, timeline=timeline)
    assert plan.steps() == {
        "ingest": [],
        "enrich": [parsed.story_id],
        "publish": sorted([enriched.story_id, killed.story_id]),
    }
    assert done.story_id not in plan.publish


def test_every_version_of_a_story_is_ingested_when_ingest_saw_none() -> None:
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


def test_stories_past_the_horizon_are_left_alone() -> None:
    store = MemoryStore()
    ingesting.ingest(store, receiving.receive(store, story(1)).raw_key)
    assert plan_recovery(store, now=LATER, horizon_s=24 * 3600).enrich != []
    much_later = LATER + timedelta(days=2)
    assert plan_recovery(store, now=much_later, horizon_s=24 * 3600).enrich == []


def test_execute_sends_each_step_to_its_task() -> None:
    store = MemoryStore()
    orphan = receiving.store_raw(store, story(1))
    parsed = receiving.receive(store, story(2))
    ingesting.ingest(store, parsed.raw_key)
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


def test_only_one_reconcile_runs_at_a_time(client: redis.Redis) -> None:
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


def test_the_periodic_pass_waits_while_the_queues_are_backed_up(client: redis.Redis) -> None:
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


def test_a_newer_version_whose_message_was_lost_is_ingested_after_publication(
    client: redis.Redis,
) -> None:
    store, timeline = MemoryStore(), Timeline(client)
    first = _through(store, timeline, 1)
    newer = receiving.receive(store, RawItem(b"Story number 1\n\nCorrected body.", "text/plain"))
    assert newer.story_id == first.story_id
    # The story reads "published", at the old version, and Redis lost the newer one's
    # message: the payload no story names is ingested again.
    plan = plan_recovery(store, now=LATER, timeline=timeline)
    assert plan.ingest == [newer.raw_key]

    ingesting.ingest(store, newer.raw_key)
    assert plan_recovery(store, now=LATER, timeline=timeline).ingest == []


def test_payloads_ingest_set_aside_or_replaced_count_as_dealt_with(client: redis.Redis) -> None:
    store, timeline = MemoryStore(), Timeline(client)
    first = _through(store, timeline, 1)
    ingesting.ingest(store, first.raw_key)  # a re-sent copy: ignored, and marked
    newer = receiving.receive(store, RawItem(b"Story number 1\n\nCorrected body.", "text/plain"))
    ingesting.ingest(store, newer.raw_key)  # the story now names the newer payload
    assert plan_recovery(store, now=LATER, timeline=timeline).ingest == []


def test_after_redis_lost_everything_published_stories_are_published_again(
    client: redis.Redis,
) -> None:
    store, timeline = MemoryStore(), Timeline(client)
    done = _through(store, timeline, 1)
    assert plan_recovery(store, now=LATER, timeline=timeline).publish == []
    client.flushdb()
    # No timeline says it was published: publishing again is idempotent.
    assert plan_recovery(store, now=LATER, timeline=timeline).publish == [done.story_id]


# -- incremental passes -----------------------------------------------------------------


def test_a_pass_reads_only_the_stories_that_changed_since_the_last(client: redis.Redis) -> None:
    store, timeline, cursor = MemoryStore(), Timeline(client), Cursor(client)
    receipts = [_through(store, timeline, n) for n in range(5)]
    first = plan_recovery(store, now=LATER, cursor=cursor, timeline=timeline)
    assert (first.full_pass, first.stories_read, first.total) == (True, 5, 0)

    quiet = plan_recovery(store, now=LATER, cursor=cursor, timeline=timeline)
    assert (quiet.full_pass, quiet.stories_read, quiet.total) == (False, 0, 0)

    story_actions.kill(store, receipts[2].story_id, "ann", "legal")  # its render was lost
    moved = plan_recovery(store, now=LATER, cursor=cursor, timeline=timeline)
    assert (moved.stories_read, moved.publish) == (1, [receipts[2].story_id])


def test_a_story_too_young_for_one_pass_is_restarted_by_a_later_one(client: redis.Redis) -> None:
    store, cursor = MemoryStore(), Cursor(client)
    receipt = receiving.receive(store, story(1))
    ingesting.ingest(store, receipt.raw_key)  # parsed: its enrich message is in flight
    assert plan_recovery(store, min_age_s=60, cursor=cursor).total == 0
    # Later, unchanged: planned from what the cursor kept, without reading it again.
    later = plan_recovery(store, min_age_s=60, now=LATER, cursor=cursor)
    assert (later.stories_read, later.enrich) == (0, [receipt.story_id])


def test_payloads_are_found_by_listing_alone(client: redis.Redis) -> None:
    store, cursor = MemoryStore(), Cursor(client)
    plan_recovery(store, now=LATER, cursor=cursor)
    orphan = receiving.store_raw(store, story(9))  # intake's message was lost
    assert plan_recovery(store, min_age_s=60, cursor=cursor).ingest == []  # just arrived
    later = plan_recovery(store, min_age_s=60, now=LATER, cursor=cursor)
    assert (later.stories_read, later.ingest) == (0, [orphan])


def test_without_its_cursor_a_pass_reads_everything_again(client: redis.Redis) -> None:
    store, cursor = MemoryStore(), Cursor(client)
    for n in range(3):
        ingesting.ingest(store, receiving.receive(store, story(n)).raw_key)
    plan_recovery(store, now=LATER, cursor=cursor)
    client.flushdb()  # Redis lost everything
    again = plan_recovery(store, now=LATER, cursor=cursor)
    assert (again.full_pass, again.stories_read, len(again.enrich)) == (True, 3, 3)


THREE = Path(__file__).parents[1] / "intake/parsers/corpus/g2-ap-newsmessage-three-items.xml"


def test_items_of_a_payload_are_planned_alone_until_each_has_a_story(client: redis.Redis) -> None:
    store, cursor = MemoryStore(), Cursor(client)
    results = receiving.receive_all(store, RawItem(THREE.read_bytes(), "application/xml"))
    keys = [r.raw_key for r in results if isinstance(r, receiving.Receipt)]
    assert len(keys) == 3
    # Every message was lost: each item is planned by its own key, never the payload.
    assert plan_recovery(store, now=LATER, cursor=cursor).ingest == sorted(keys)
    for key in keys:
        ingesting.ingest(store, key)
    assert plan_recovery(store, now=LATER, cursor=cursor).ingest == []
    # The payload is remembered as done: later passes do not read it again.
    heads: list[str] = []
    head = store.head

    def counting_head(key: str) -> Any:
        heads.append(key)
        return head(key)

    store.head = counting_head  # type: ignore[method-assign]
    assert plan_recovery(store, now=LATER, cursor=cursor).ingest == []
    assert heads == []


def test_report_is_told_how_far_reading_and_enqueueing_are() -> None:
    store = MemoryStore()
    for n in range(2):  # parsed: their enrich messages were lost
        ingesting.ingest(store, receiving.receive(store, story(n)).raw_key)
    receiving.store_raw(store, story(9))  # its ingest message was lost
    told: list[tuple[str, int, int]] = []
    plan = plan_recovery(store, now=LATER, report=lambda *step: told.append(step))
    execute(plan, lambda task, arg: None, lambda *step: told.append(step))
    assert sorted(told[:2]) == [("reading stories", n, 2) for n in (1, 2)]
    assert told[2:] == [("re-enqueueing", n, 3) for n in (1, 2, 3)]
