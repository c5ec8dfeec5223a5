"""Coalescing against a real redis-server."""

from __future__ import annotations

import redis

from wirefeed.publish.coalesce import FeedScheduler


def test_only_the_first_mark_in_a_window_schedules_a_render(redis_url: str) -> None:
    scheduler = FeedScheduler(redis.Redis.from_url(redis_url), window_s=1)
    delays = [scheduler.mark("burst", [f"s{i}"]) for i in range(50)]
    # Leading edge: a feed with no render in the window renders at once.
    assert delays[0] == 0
    assert delays[1:] == [None] * 49
    assert scheduler.begin("burst") == sorted(f"s{i}" for i in range(50))
    # Once a render began, the next story schedules the next render for the end of
    # the window that render opened, and the rest of the burst waits with it.
    delay = scheduler.mark("burst", ["late"])
    assert delay is not None and 0 < delay <= 1
    assert scheduler.mark("burst", ["later"]) is None


def test_a_lone_story_renders_at_once(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    scheduler = FeedScheduler(client, window_s=1)
    assert scheduler.mark("quiet", ["a"]) == 0
    scheduler.begin("quiet")
    scheduler.done("quiet", ["a"])
    # The window the render opened expires by itself; expire it now instead of waiting.
    client.delete("wirefeed:feed:quiet:rendered")
    assert scheduler.mark("quiet", ["b"]) == 0


def test_stories_stay_pending_until_done(redis_url: str) -> None:
    scheduler = FeedScheduler(redis.Redis.from_url(redis_url), window_s=1)
    scheduler.mark("crashy", ["a", "b"])
    assert scheduler.begin("crashy") == ["a", "b"]
    # A render that died before done() leaves its stories for the sweeper.
    assert "crashy" in scheduler.unscheduled()
    assert scheduler.begin("crashy") == ["a", "b"]
    scheduler.done("crashy", ["a", "b"])
    assert scheduler.begin("crashy") == []
    assert "crashy" not in scheduler.unscheduled()


def test_the_lease_is_exclusive(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first = FeedScheduler(client, window_s=1)
    with first.exclusive("locked") as held:
        assert held
        other = FeedScheduler(client, window_s=1)
        with other.exclusive("locked") as second:
            assert not second
    with FeedScheduler(client, window_s=1).exclusive("locked") as again:
        assert again


def test_a_sweep_can_schedule_without_adding_stories(redis_url: str) -> None:
    scheduler = FeedScheduler(redis.Redis.from_url(redis_url), window_s=1)
    scheduler.mark("lost", ["x"])
    scheduler.begin("lost")  # the render began, then its worker died
    assert "lost" in scheduler.unscheduled()
    assert scheduler.mark("lost", []) is not None
    assert "lost" not in scheduler.unscheduled()
    assert scheduler.begin("lost") == ["x"]
