"""Bringing a feed up to date: routing, corrections, kills, archives, private feeds, uploads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from tests.conftest import wait_for
from wirefeed import stories
from wirefeed.layout import feed_archive_state_key, feed_state_key
from wirefeed.lease import LeaseLost
from wirefeed.model import Body, Headline, PubStatus, Story, Tag
from wirefeed.progress import load_progress, load_state
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.publishing import (
    BODIES,
    archived_story_ids,
    feeds_to_update,
    load_archive_page,
    load_feed_document,
    remember_feeds,
    render_and_record,
    render_pending,
    update_feed,
)
from wirefeed.publish.subscriptions import (
    FIREHOSE,
    FeedSpec,
    Filter,
    Partner,
    SubscriptionConfig,
    Subscriptions,
)
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore, NotFound

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def put_story(store: MemoryStore, n: int, **fields: Any) -> Story:
    values: dict[str, Any] = {
        "uri": f"urn:test:{n}",
        "id": f"s{n}",
        "source": "wire",
        "firstcreated": T0 + timedelta(minutes=n),
        "versioncreated": T0 + timedelta(minutes=n),
        "headlines": [Headline(value=f"Story {n}")],
    }
    values.update(fields)
    story = Story(**values)
    # As the pipeline's writers do, a new version carries the stored progress over.
    stored = stories.load_stored(store, story.id)
    stories.save_story(store, story, progress=stored.progress if stored else None)
    return story


def subscriptions(size: int = 100) -> Subscriptions:
    return Subscriptions(
        SubscriptionConfig(
            partners=[Partner(id="acme", name="Acme")],
            feeds=[
                FIREHOSE.model_copy(update={"size": size}),
                FeedSpec(id="sport", title="Sport", filter=Filter(subjects=["subj:15000000"])),
                FeedSpec(id="acme-private", title="Acme", public=False, partner="acme"),
            ],
            hubs=["https://hub.example.net/"],
        )
    )


def test_a_story_goes_to_the_feeds_it_matches_and_stays_listed_after_a_retag(
    store: MemoryStore,
) -> None:
    subs = subscriptions()
    put_story(store, 1, subjects=[Tag(name="football", literal="subj:15054000")])
    assert feeds_to_update(store, subs, "s1") == {"all", "sport", "acme-private"}
    remember_feeds(store, "s1", ["sport"])  # published there
    put_story(store, 1, version="2", subjects=[])
    assert feeds_to_update(store, subs, "s1") == {"all", "sport", "acme-private"}
    update = update_feed(store, Settings(), subs, "sport", ["s1"])
    assert update.membership == {"s1": False}


def test_unchanged_feeds_are_not_uploaded_again(store: MemoryStore, settings: Settings) -> None:
    subs = subscriptions()
    put_story(store, 1)
    first = update_feed(store, settings, subs, "all", ["s1"])
    assert first.uploaded == ["rss", "atom", "json"]
    puts = store.puts
    again = update_feed(store, settings, subs, "all", ["s1"])
    assert again.uploaded == [] and again.unchanged == ["rss", "atom", "json"]
    assert again.changed_topics == []
    assert store.puts == puts + 1  # the feed document only
    blob = store.get("feeds/all.rss")
    assert blob.content_type == "application/rss+xml; charset=utf-8"
    assert blob.cache_control == "public, max-age=30"
    assert blob.metadata["entries"] == "1"
    assert store.get("feeds/all.json").content_type == "application/feed+json; charset=utf-8"
    assert load_feed_document(store, "all").renders == 1


def test_a_correction_updates_in_place_and_a_kill_removes(
    store: MemoryStore, settings: Settings
) -> None:
    subs = subscriptions()
    put_story(store, 1)
    put_story(store, 2)
    update_feed(store, settings, subs, "all", ["s1", "s2"])
    put_story(
        store,
        1,
        version="2",
        headlines=[Headline(value="Story 1, corrected")],
        versioncreated=T0 + timedelta(hours=1),
    )
    update_feed(store, settings, subs, "all", ["s1"])
    doc = load_feed_document(store, "all")
    assert [(e.story_id, e.title) for e in doc.entries] == [
        ("s2", "Story 2"),
        ("s1", "Story 1, corrected"),
    ]
    put_story(store, 1, version="3", pubstatus=PubStatus.canceled)
    update = update_feed(store, settings, subs, "all", ["s1"])
    assert update.membership == {"s1": False}
    assert b"story/s1<" not in store.get("feeds/all.atom").body
    assert [e.story_id for e in load_feed_document(store, "all").entries] == ["s2"]


def test_old_entries_roll_into_archive_pages_and_a_kill_reaches_them(
    store: MemoryStore, settings: Settings
) -> None:
    subs = subscriptions(size=2)
    for n in range(7):
        put_story(store, n)
        update_feed(store, settings, subs, "all", [f"s{n}"])
    doc = load_feed_document(store, "all")
    assert [e.story_id for e in doc.entries] == ["s6", "s5"]
    assert doc.archive_pages == [1, 2, 3]
    assert [e.story_id for e in load_archive_page(store, "all", 1).entries] == ["s1", "s0"]
    assert [e.story_id for e in load_archive_page(store, "all", 3).entries] == ["s4"]
    current = store.get("feeds/all.atom").body.decode()
    assert (
        'rel="prev-archive" href="https://feeds.example.com/wirefeed/feeds/all/archive/3.atom"'
        in current
    )
    page2 = store.get("feeds/all/archive/2.atom").body.decode()
    assert "fh:archive" in page2 and "/feeds/all/archive/1.atom" in page2
    # Every archive page is in the chain both ways (the oldest has no prev-archive, so
    # without next-archive validators take it for an incomplete archive).
    base = "https://feeds.example.com/wirefeed/feeds/all/archive"
    for page, older, newer in ((1, None, 2), (2, 1, 3), (3, 2, None)):
        atom = store.get(f"feeds/all/archive/{page}.atom").body.decode()
        rss = store.get(f"feeds/all/archive/{page}.rss").body.decode()
        for rel, number in (("prev-archive", older), ("next-archive", newer)):
            expected = number is not None
            assert (f'rel="{rel}" href="{base}/{number}.atom"' in atom) is expected
            assert (f'rel="{rel}" href="{base}/{number}.rss"' in rss) is expected

    put_story(store, 0, version="2", headlines=[Headline(value="Story 0, corrected")])
    update_feed(store, settings, subs, "all", ["s0"])
    assert "Story 0, corrected" in store.get("feeds/all/archive/1.rss").body.decode()
    put_story(store, 0, version="3", pubstatus=PubStatus.canceled)
    update_feed(store, settings, subs, "all", ["s0"])
    for fmt in ("rss", "atom", "json"):
        assert "story/s0" not in store.get(f"feeds/all/archive/1.{fmt}").body.decode()
    assert "s0" not in archived_story_ids(store, "all")


def test_archive_pages_past_the_limit_are_deleted(store: MemoryStore) -> None:
    settings = Settings(public_base_url="https://feeds.example.com", archive_pages_max=2)
    subs = subscriptions(size=1)
    for n in range(5):
        put_story(store, n)
        update_feed(store, settings, subs, "all", [f"s{n}"])
    doc = load_feed_document(store, "all")
    assert doc.archive_pages == [3, 4]
    assert set(archived_story_ids(store, "all")) == {"s2", "s3"}
    for key in ("feeds/all/archive/1.atom", feed_archive_state_key("all", 2)):
        try:
            store.get(key)
            raise AssertionError(f"{key} should be gone")
        except NotFound:
            pass


def test_private_feeds_stay_out_of_the_public_prefix(
    store: MemoryStore, settings: Settings
) -> None:
    subs = subscriptions()
    put_story(store, 1)
    update = update_feed(store, settings, subs, "acme-private", ["s1"])
    assert update.changed_topics == []  # hubs cannot fetch a private feed
    assert not list(store.list("feeds/acme-private"))
    blob = store.get("private/feeds/acme-private.atom")
    assert blob.cache_control == "private, max-age=30"
    assert f"{settings.gateway_base}/feeds/acme-private.atom" in blob.body.decode()
    assert 'rel="hub"' not in blob.body.decode()


def test_public_changes_name_the_hub_topics(store: MemoryStore, settings: Settings) -> None:
    put_story(store, 1)
    update = update_feed(store, settings, subscriptions(), "all", ["s1"])
    assert update.changed_topics == [
        settings.public_url(f"feeds/all.{fmt}") for fmt in ("rss", "atom", "json")
    ]
    feed = json.loads(store.get("feeds/all.json").body)
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example.net/"}]


def test_embargoed_stories_wait(store: MemoryStore, settings: Settings) -> None:
    put_story(store, 1, embargoed=datetime.now(UTC) + timedelta(hours=1))
    update = update_feed(store, settings, subscriptions(), "all", ["s1"])
    assert update.membership == {"s1": False}


def test_feed_states_keep_entries_without_their_bodies(
    store: MemoryStore, settings: Settings
) -> None:
    put_story(store, 1, bodies=[Body(value="<p>The whole story.</p>")])
    update_feed(store, settings, subscriptions(), "all", ["s1"])
    state = store.get(feed_state_key("all")).body.decode()
    assert "The whole story" not in state
    (entry,) = load_feed_document(store, "all").entries
    assert entry.content_html == "" and entry.body_sha256
    assert "The whole story" in store.get("feeds/all.atom").body.decode()


def test_a_render_reads_missing_bodies_from_the_stories(
    store: MemoryStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_story(store, 1, bodies=[Body(value="<p>First body.</p>")])
    update_feed(store, settings, subscriptions(), "all", ["s1"])
    # Another process (or this one, restarted) keeps no bodies yet.
    monkeypatch.setattr(BODIES, "_bodies", type(BODIES._bodies)())
    put_story(store, 2)
    update_feed(store, settings, subscriptions(), "all", ["s2"])
    assert "First body." in store.get("feeds/all.atom").body.decode()


def test_a_render_writes_only_the_pages_that_changed(
    store: MemoryStore, settings: Settings
) -> None:
    subs = subscriptions(size=2)
    for n in range(12):
        put_story(store, n)
        update_feed(store, settings, subs, "all", [f"s{n}"])
    assert load_feed_document(store, "all").archive_pages == [1, 2, 3, 4, 5]
    small = len(store.get(feed_state_key("all")).body)
    written: list[str] = []
    put = store.put

    def counting_put(key: str, body: bytes, **kwargs: Any) -> str:
        written.append(key)
        return put(key, body, **kwargs)

    store.put = counting_put  # type: ignore[method-assign]
    put_story(store, 12)
    update_feed(store, settings, subs, "all", ["s12"])
    # s10 rolled into page 5 (which s9 fills): page 6 opens, and page 5's RSS and Atom
    # are written again for their next-archive link; no other page is written.
    assert sorted({k for k in written if "/archive/" in k}) == [
        "feeds/all/archive/5.atom",
        "feeds/all/archive/5.rss",
        "feeds/all/archive/6.atom",
        "feeds/all/archive/6.json",
        "feeds/all/archive/6.rss",
        feed_archive_state_key("all", 5),
        feed_archive_state_key("all", 6),
    ]
    written.clear()
    # A correction of an archived story rewrites its page alone.
    put_story(store, 3, version="2", headlines=[Headline(value="Story 3, corrected")])
    update_feed(store, settings, subs, "all", ["s3"])
    assert {k for k in written if "/archive/" in k} == {
        "feeds/all/archive/2.atom",
        "feeds/all/archive/2.json",
        "feeds/all/archive/2.rss",
        feed_archive_state_key("all", 2),
    }
    # The current state does not grow with the archive.
    assert len(store.get(feed_state_key("all")).body) < small * 1.2


def test_a_render_whose_lease_was_lost_writes_nothing(
    store: MemoryStore, settings: Settings, redis_url: str
) -> None:
    put_story(store, 1)
    scheduler = FeedScheduler(redis.Redis.from_url(redis_url), window_s=1, lease_s=1.5)
    scheduler.mark("all", ["s1"])
    with scheduler.exclusive("all") as held:
        assert held is not None
        scheduler.redis.delete("wirefeed:lease:feed:all:render")  # as a Redis restart would
        wait_for(lambda: held.lost, timeout=10)
        with pytest.raises(LeaseLost):
            render_and_record(store, settings, subscriptions(), held, "all", ["s1"])
    assert not any(key.startswith("feeds/") for key in store.list(""))
    assert load_state(store, "s1") is None
    # The story stays pending, so the next render publishes it.
    update = render_pending(store, settings, subscriptions(), scheduler, "all")
    assert update is not None and update.membership == {"s1": True}
    # The story's progress now names the feed, so a kill will reach it.
    progress = load_progress(store, "s1")
    assert progress is not None and progress.feeds == ["all"]
    assert scheduler.begin("all") == []
