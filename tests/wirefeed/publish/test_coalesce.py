"""Coalescing against a real redis-server."""

from __future__ import annotations

import redis

from wirefeed.publish.coalesce import FeedScheduler


def test_only_the_first_mark_in_a_window_schedules_a_render(redis_url: str) -> None:
    scheduler = FeedScheduler(redis.Redis.from_url(redis_url), window_s=1)
    scheduled = [scheduler.mark("burst", [f"s{i}"]) for i in range(50)]
    assert scheduled.count(True) == 1
    assert scheduler.begin("burst") == sorted(f"s{i}" for i in range(50))
    # Once a render began, the next story schedules the next render.
    assert scheduler.mark("burst", ["late"]) is True


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
    assert scheduler.mark("lost", []) is True
    assert "lost" not in scheduler.unscheduled()
    assert scheduler.begin("lost") == ["x"]
