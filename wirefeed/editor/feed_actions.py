"""Editorial actions on feeds: publish a story everywhere at once, rebuild feeds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from wirefeed.editor import jobs
from wirefeed.editor.errors import EditorialError, FeedBusy
from wirefeed.layout import STORY_PREFIX
from wirefeed.lease import Lease
from wirefeed.progress import Timeline
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.publishing import publish_story, render_and_record
from wirefeed.publish.subscriptions import Subscriptions
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore


def publish_now(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    story_id: str,
    job_id: str,
    timeline: Timeline | None = None,
) -> list[str]:
    """Bring every feed the story touches up to date at once, noting each on the job.

    An editor's action skips the coalescing window: a kill has to be gone within
    seconds. Each feed is written under its render lease, so it never races a render.
    """
    feed_ids = publish_story(store, subscriptions, story_id, timeline)
    for feed_id in feed_ids:
        with _render_lease(scheduler, feed_id) as held:
            update = render_and_record(
                store, settings, subscriptions, held, feed_id, [story_id], timeline=timeline
            )
        member = update.membership.get(story_id, False)
        jobs.note_feed_write(store, job_id, feed_id, update.uploaded, member, datetime.now(UTC))
    jobs.finish(store, job_id)
    return feed_ids


def story_ids(store: BlobStore) -> list[str]:
    """Every stored story id."""
    keys = store.list(STORY_PREFIX)
    return [k.removeprefix(STORY_PREFIX).removesuffix(".json") for k in keys]


def rebuild_feeds(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    feed_id: str | None,
    job_id: str,
    timeline: Timeline | None = None,
) -> list[str]:
    """Render one feed (or every feed) again from the stored stories, uploading every format."""
    feed_ids = [feed_id] if feed_id else sorted(subscriptions.feeds)
    unknown = [f for f in feed_ids if subscriptions.get(f) is None]
    if unknown:
        raise EditorialError("not_found", f"no feed {unknown[0]}")
    every_story = story_ids(store)
    jobs.expect_feeds(store, job_id, len(feed_ids))
    for fid in feed_ids:
        with _render_lease(scheduler, fid) as held:
            update = render_and_record(
                store,
                settings,
                subscriptions,
                held,
                fid,
                every_story,
                rebuild=True,
                timeline=timeline,
            )
        jobs.note_feed_write(store, job_id, fid, update.uploaded, None, datetime.now(UTC))
    jobs.finish(store, job_id)
    return feed_ids


@contextmanager
def _render_lease(scheduler: FeedScheduler, feed_id: str) -> Iterator[Lease]:
    """The feed's render lease, so an editor's write never races a render; FeedBusy if held."""
    with scheduler.exclusive(feed_id) as held:
        if held is None:
            raise FeedBusy(feed_id)
        yield held
