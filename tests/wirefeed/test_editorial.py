from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from wirefeed import editorial, jobs
from wirefeed.coalesce import FeedScheduler
from wirefeed.editorial import Correction, TagEdit, TagInput
from wirefeed.embargo import INDEX_KEY, EmbargoSchedule
from wirefeed.model import Creator, PubStatus, Tag, utcnow
from wirefeed.parsers import RawItem
from wirefeed.pipeline import (
    Action,
    IngestOutcome,
    Lifecycle,
    ingest,
    load_story,
    release_due,
    save_story,
    store_raw,
    supersedes,
)
from wirefeed.publishing import load_feed_document
from wirefeed.settings import Settings
from wirefeed.state import load_state
from wirefeed.storage import MemoryStore
from wirefeed.subscriptions import FIREHOSE, FeedSpec, SubscriptionConfig, Subscriptions


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
    assert editorial.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id) == [
        "all",
        "second",
    ]
    editorial.correct(store, story_id, "ann", Correction(note="Fixed", headline="Fixed title"))
    job_id = _job(store, story_id)
    editorial.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id)
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
    editorial.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, _job(store))
    editorial.kill(store, story_id, "ann", "legal")
    job_id = _job(store, story_id)
    editorial.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, job_id)
    for feed_id in ("all", "second"):
        assert load_feed_document(store, feed_id).entries == []
        assert story_id not in store.get(f"feeds/{feed_id}.atom").body.decode()
    job = jobs.load_job(store, job_id)
    assert job is not None
    assert [(w.feed_id, w.in_feed) for w in job.feeds] == [("all", False), ("second", False)]
    state = load_state(store, story_id)
    assert state is not None and state.feeds == []
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
    editorial.publish_now(store, settings, SUBSCRIPTIONS, scheduler, story_id, _job(store))
    store.delete("feeds/all.rss")
    store.delete("state/feeds/all.json")
    job_id = _job(store)
    assert editorial.rebuild_feeds(store, settings, SUBSCRIPTIONS, scheduler, "all", job_id) == [
        "all"
    ]
    assert story_id in store.get("feeds/all.rss").body.decode()
    job = jobs.load_job(store, job_id)
    assert job is not None and job.status is jobs.JobStatus.done
    assert sorted(job.feeds[0].formats) == ["atom", "json", "rss"]


def test_an_unknown_feed_cannot_be_rebuilt(
    store: MemoryStore, settings: Settings, scheduler: FeedScheduler
) -> None:
    with pytest.raises(editorial.EditorialError, match="no feed"):
        editorial.rebuild_feeds(store, settings, SUBSCRIPTIONS, scheduler, "nope", _job(store))


def test_editor_tags_replace_the_field_and_survive_tagging(
    store: MemoryStore, story_id: str
) -> None:
    edit = TagEdit(people=[TagInput(name="Yulia Peresild")])
    editorial.correct(store, story_id, "ann", Correction(note="Tagged", tags=edit))
    story = load_story(store, story_id)
    assert story is not None
    assert story.people == [Tag(name="Yulia Peresild", creator=Creator.editor)]
    from wirefeed.taggers import build_pipeline

    retagged = build_pipeline(("keywords",)).enrich(story)
    assert Tag(name="Yulia Peresild", creator=Creator.editor) in retagged.people


def test_versions_and_their_diff(store: MemoryStore, story_id: str) -> None:
    editorial.correct(
        store, story_id, "ann", Correction(note="Named the ship", headline="Soyuz crew returns")
    )
    editorial.kill(store, story_id, "bob", "legal")
    known = editorial.versions(store, story_id)
    assert [v.version for v in known] == ["1", "2", "3"]
    lines = editorial.diff(known[0], known[1])
    assert "-# Russian crew returns to earth after shooting the first movie in space" in lines
    assert "+# Soyuz crew returns" in lines
    assert "+Correction: Named the ship" in lines
    state = load_state(store, story_id)
    assert state is not None
    assert [t.detail for t in state.history if t.stage == "edited"] == [
        "corrected by ann",
        "killed by bob",
    ]


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

    edited = editorial._rewrite(store, story_id, "ann", "test", meanwhile)
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
    editorial.set_embargo(store, schedule, story_id, "ann", until)
    lifecycle = Lifecycle(embargoes=schedule)

    assert release_due(store, lifecycle, now=until - timedelta(seconds=1)) == []
    released = release_due(store, lifecycle, now=until)
    assert released == [IngestOutcome(story_id, Action.publish, "embargo passed")]
    assert schedule.pending() == []  # released once, not on every sweep
    assert release_due(store, lifecycle, now=until + timedelta(hours=1)) == []


def test_releasing_an_editor_embargo_takes_it_off_the_schedule(
    store: MemoryStore, schedule: EmbargoSchedule, story_id: str
) -> None:
    editorial.set_embargo(store, schedule, story_id, "ann", utcnow() + timedelta(hours=1))
    editorial.set_embargo(store, schedule, story_id, "ann", utcnow() + timedelta(hours=2))
    assert [h.story_id for h in schedule.pending()] == [story_id]  # moved, not doubled
    editorial.set_embargo(store, schedule, story_id, "ann", None)
    assert schedule.pending() == []
    assert schedule.redis.zcard(INDEX_KEY) == 0
