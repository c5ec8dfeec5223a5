from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from tests.budgets import Stalling
from wirefeed.editor import errors, feed_actions, jobs, story_actions, views
from wirefeed.editor.story_actions import Correction, TagEdit, TagInput
from wirefeed.ingest.embargo import INDEX_KEY, EmbargoSchedule
from wirefeed.ingest.ingesting import Action, IngestOutcome, ingest, release_due, supersedes
from wirefeed.ingest.lifecycle import Lifecycle
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.quarantine import list_records
from wirefeed.intake.receiving import store_raw
from wirefeed.layout import public_story_key
from wirefeed.model import Creator, PubStatus, Tag, utcnow
from wirefeed.progress import Stage, Timeline, load_state
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.publishing import load_feed_document
from wirefeed.publish.subscriptions import FIREHOSE, FeedSpec, SubscriptionConfig, Subscriptions
from wirefeed.settings import Settings
from wirefeed.storage import PUBLIC_PREFIXES, MemoryStore
from wirefeed.stories import load_story, save_story


@pytest.fixture
def scheduler(redis_url: str) -> Iterator[FeedScheduler]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield FeedScheduler(client, window_s=0.1)
    client.close()


def _ingest(store: MemoryStore, payload: bytes) -> str:
    return ingest(store, store_raw(store, RawItem(payload=payload))).story_id


@pytest.fixture
def story_id(store: MemoryStore, fixtures: Path) -> str:
    return _ingest(store, (fixtures / "seed-story.txt").read_bytes())


def _job(store: MemoryStore, story_id: str | None = None) -> str:
    return jobs.create_job(store, jobs.Job(action="test", user="ann", story_id=story_id)).id


SUBSCRIPTIONS = Subscriptions(
    SubscriptionConfig(feeds=[FIREHOSE, FeedSpec(id="second", title="Second")])
)


def test_publish_now_puts_a_correction_in_every_feed_and_finishes_the_job(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler, story_id: str
) -> None:
    job_id = _job(store, story_id)
    assert feed_actions.publish_now(
        store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id
    ) == [
        "all",
        "second",
    ]
    story_actions.correct(store, story_id, "ann", Correction(note="Fixed", headline="Fixed title"))
    job_id = _job(store, story_id)
    feed_actions.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id)
    for feed_id in ("all", "second"):
        (entry,) = load_feed_document(store, feed_id).entries
        assert (entry.title, entry.version, entry.correction_note) == ("Fixed title", "2", "Fixed")
        assert b"Correction:&lt;/strong&gt; Fixed" in store.get(f"feeds/{feed_id}.rss").body
    job = jobs.load_job(store, job_id)
    assert job is not None and job.status is jobs.JobStatus.done
    assert [(w.feed_id, w.in_feed) for w in job.feeds] == [("all", True), ("second", True)]


def test_a_killed_story_leaves_every_feed_and_stays_dead(
    store: MemoryStore,
    settings: Settings,
    scheduler: FeedScheduler,
    story_id: str,
    fixtures: Path,
) -> None:
    timeline = Timeline(scheduler.redis)
    feed_actions.publish_now(
        store, settings, SUBSCRIPTIONS, scheduler, story_id, _job(store), timeline
    )
    state = load_state(store, story_id, timeline)
    assert state is not None and state.feeds == ["all", "second"]
    story_actions.kill(store, story_id, "ann", "legal", timeline=timeline)
    job_id = _job(store, story_id)
    feed_actions.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id, timeline)
    for feed_id in ("all", "second"):
        assert load_feed_document(store, feed_id).entries == []
        assert story_id not in store.get(f"feeds/{feed_id}.atom").body.decode()
    job = jobs.load_job(store, job_id)
    assert job is not None
    assert [(w.feed_id, w.in_feed) for w in job.feeds] == [("all", False), ("second", False)]
    state = load_state(store, story_id, timeline)
    assert state is not None and state.feeds == [] and state.stage is Stage.published
    # The wire sends the story again: the tombstone stays, even against a newer version.
    again = (fixtures / "seed-story.txt").read_bytes().replace(b"12 days", b"twelve days")
    assert _ingest(store, again) == story_id
    tombstone = load_story(store, story_id)
    assert tombstone is not None and tombstone.pubstatus is PubStatus.canceled
    newer = tombstone.model_copy(update={"version": "9", "pubstatus": PubStatus.usable})
    assert not supersedes(newer, tombstone)


def test_a_failed_job_is_finished_once_and_audited(store: MemoryStore) -> None:
    job_id = _job(store, "s1")
    jobs.finish(store, job_id, jobs.JobStatus.failed, "boom")
    jobs.finish(store, job_id, jobs.JobStatus.done)
    job = jobs.load_job(store, job_id)
    assert job is not None and (job.status, job.detail) == (jobs.JobStatus.failed, "boom")
    assert sum(1 for k in store.list("audit/story/s1/")) == 1


def test_rebuild_restores_a_lost_feed_from_the_stories(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler, story_id: str
) -> None:
    feed_actions.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, _job(store))
    store.delete("feeds/all.rss")
    store.delete("state/feeds/all.json")
    job_id = _job(store)
    assert feed_actions.rebuild_feeds(store, settings, SUBSCRIPTIONS, scheduler, "all", job_id) == [
        "all"
    ]
    assert story_id in store.get("feeds/all.rss").body.decode()
    job = jobs.load_job(store, job_id)
    assert job is not None and job.status is jobs.JobStatus.done
    assert sorted(job.feeds[0].formats) == ["atom", "json", "rss"]
    assert job.feeds_expected == 1  # told up front, so a client can show progress


def test_an_unknown_feed_cannot_be_rebuilt(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler
) -> None:
    with pytest.raises(errors.EditorialError, match="no feed"):
        feed_actions.rebuild_feeds(store, settings, SUBSCRIPTIONS, scheduler, "nope", _job(store))


def test_editor_tags_replace_the_field_and_survive_tagging(
    store: MemoryStore, story_id: str
) -> None:
    edit = TagEdit(people=[TagInput(name="Yulia Peresild")])
    story_actions.correct(store, story_id, "ann", Correction(note="Tagged", tags=edit))
    story = load_story(store, story_id)
    assert story is not None
    assert story.people == [Tag(name="Yulia Peresild", creator=Creator.editor)]
    from wirefeed.enrich.taggers import build_pipeline

    retagged = build_pipeline(("keywords",)).enrich(story)
    assert Tag(name="Yulia Peresild", creator=Creator.editor) in retagged.people


def test_versions_and_their_diff(
    store: MemoryStore, story_id: str, scheduler: FeedScheduler
) -> None:
    timeline = Timeline(scheduler.redis)
    correction = Correction(note="Named the ship", headline="Soyuz crew returns")
    story_actions.correct(store, story_id, "ann", correction, timeline=timeline)
    story_actions.kill(store, story_id, "bob", "legal", timeline=timeline)
    known = views.versions(store, story_id)
    assert [v.version for v in known] == ["1", "2", "3"]
    lines = views.diff(known[0], known[1])
    assert "-# Russian crew returns to earth after shooting the first movie in space" in lines
    assert "+# Soyuz crew returns" in lines
    assert "+Correction: Named the ship" in lines
    state = load_state(store, story_id, timeline)
    assert state is not None
    assert [t.detail for t in state.history if t.stage == "edited"] == [
        "corrected by ann",
        "killed by bob",
    ]


def test_a_wire_version_over_the_parse_budget_is_refused_with_its_reason(
    store: MemoryStore, story_id: str
) -> None:
    # The kept payload is parsed again for the history, within the budget given.
    with pytest.raises(errors.EditorialError) as refused:
        views.versions(store, story_id, Stalling(0.5, isolate=False))
    assert refused.value.code == "invalid"
    assert "parse_timeout" in refused.value.reason


def test_an_edit_never_overwrites_a_version_stored_meanwhile(
    store: MemoryStore, story_id: str
) -> None:
    def meanwhile(story):  # type: ignore[no-untyped-def]
        # Ingest stores a newer wire version between the editor's read and write.
        current = load_story(store, story_id)
        assert current is not None
        if current.version == "1":
            save_story(store, current.model_copy(update={"version": "5"}))
        return story.model_copy(update={"ednote": "edited"})

    edited = story_actions._rewrite(store, story_id, "ann", "test", meanwhile, None)
    assert edited.version == "5"
    assert edited.ednote == "edited"


@pytest.fixture
def schedule(store: MemoryStore, redis_url: str) -> Iterator[EmbargoSchedule]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield EmbargoSchedule(store, client)
    client.close()


def test_an_editor_embargo_is_published_by_the_sweep_at_its_time(
    store: MemoryStore, schedule: EmbargoSchedule, story_id: str
) -> None:
    until = utcnow() + timedelta(hours=1)
    story_actions.set_embargo(store, schedule, story_id, "ann", until)
    lifecycle = Lifecycle(embargoes=schedule)

    assert release_due(store, lifecycle, now=until - timedelta(seconds=1)) == []
    released = release_due(store, lifecycle, now=until)
    assert released == [IngestOutcome(story_id, Action.publish, "embargo passed")]
    assert schedule.pending() == []  # released once, not on every sweep
    assert release_due(store, lifecycle, now=until + timedelta(hours=1)) == []


def test_releasing_an_editor_embargo_takes_it_off_the_schedule(
    store: MemoryStore, schedule: EmbargoSchedule, story_id: str
) -> None:
    story_actions.set_embargo(store, schedule, story_id, "ann", utcnow() + timedelta(hours=1))
    story_actions.set_embargo(store, schedule, story_id, "ann", utcnow() + timedelta(hours=2))
    assert [h.story_id for h in schedule.pending()] == [story_id]  # moved, not doubled
    story_actions.set_embargo(store, schedule, story_id, "ann", None)
    assert schedule.pending() == []
    assert schedule.redis.zcard(INDEX_KEY) == 0


def _public_mentions(store: MemoryStore, story_id: str) -> list[str]:
    """Every public object (feeds, archive pages, story copies) that shows the story."""
    return [
        key
        for prefix in PUBLIC_PREFIXES
        for key in store.list(prefix)
        if story_id in key or story_id in store.get(key).body.decode()
    ]


def _publish(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler, story_id: str
) -> None:
    feed_actions.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, _job(store))


def test_an_editor_embargo_hides_the_story_everywhere_until_release(
    store: MemoryStore,
    settings: Settings,
    scheduler: FeedScheduler,
    schedule: EmbargoSchedule,
    story_id: str,
) -> None:
    _publish(store, settings, scheduler, story_id)
    assert public_story_key(story_id) in _public_mentions(store, story_id)
    until = utcnow() + timedelta(hours=1)
    story_actions.set_embargo(store, schedule, story_id, "ann", until)
    assert public_story_key(story_id) not in _public_mentions(store, story_id)  # at once
    _publish(store, settings, scheduler, story_id)
    assert _public_mentions(store, story_id) == []
    story_actions.set_embargo(store, schedule, story_id, "ann", None)  # released now
    _publish(store, settings, scheduler, story_id)
    shown = _public_mentions(store, story_id)
    assert public_story_key(story_id) in shown and "feeds/all.rss" in shown


def test_an_agency_embargo_shows_nothing_public_until_release(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler, schedule: EmbargoSchedule
) -> None:
    # The embargo has just passed in real time; ingest runs as if an hour before it.
    until = utcnow() - timedelta(seconds=1)
    headline = [{"value": "Budget figures"}]
    doc = {"uri": "urn:agency-a:1", "headlines": headline, "embargoed": until.isoformat()}
    raw_key = store_raw(store, RawItem(json.dumps(doc).encode(), "application/json", "agency-a"))
    lifecycle = Lifecycle(embargoes=schedule)
    held = ingest(store, raw_key, lifecycle, now=until - timedelta(hours=1))
    assert held.action is Action.hold
    _publish(store, settings, scheduler, held.story_id)
    assert _public_mentions(store, held.story_id) == []
    (released,) = release_due(store, lifecycle, now=until)
    assert released.action is Action.enrich
    _publish(store, settings, scheduler, held.story_id)
    assert public_story_key(held.story_id) in _public_mentions(store, held.story_id)


def test_a_held_payload_over_the_parse_budget_is_quarantined_at_release(
    store: MemoryStore, schedule: EmbargoSchedule, story_id: str
) -> None:
    until = utcnow() + timedelta(hours=1)
    doc = {
        "uri": "urn:agency-a:2",
        "headlines": [{"value": "Rates"}],
        "embargoed": until.isoformat(),
    }
    raw_key = store_raw(store, RawItem(json.dumps(doc).encode(), "application/json", "agency-a"))
    lifecycle = Lifecycle(embargoes=schedule)
    held = ingest(store, raw_key, lifecycle, now=until - timedelta(hours=1))
    assert held.action is Action.hold
    story_actions.set_embargo(store, schedule, story_id, "ann", until)  # due at the same time

    released = release_due(store, lifecycle, until, Stalling(0.5, isolate=False))
    # The editor's hold is released all the same; the payload is set aside, not retried.
    assert released == [IngestOutcome(story_id, Action.publish, "embargo passed")]
    assert [(r.raw_key, r.reason) for r in list_records(store)] == [(raw_key, "parse_timeout")]
    assert schedule.pending() == []
    assert load_story(store, held.story_id) is None
