"""Editorial actions on feeds: publish a story everywhere at once, rebuild feeds."""

from __future__ import annotations

from datetime import UTC, datetime

from wirefeed.editor import jobs
from wirefeed.editor.errors import EditorialError, FeedBusy
from wirefeed.progress import Stage, record_stage
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.publishing import feeds_to_update, load_feed_document, update_feed
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
) -> list[str]:
    """Bring every feed the story touches up to date at once, noting each on the job.

    An editor's action skips the coalescing window: a kill has to be gone within
    seconds. Each feed is written under its render lease, so it never races a render.
    """
    feed_ids = sorted(feeds_to_update(store, subscriptions, story_id))
    for feed_id in feed_ids:
        spec = subscriptions.get(feed_id)
        if spec is None:
            continue
        with scheduler.exclusive(feed_id) as held:
            if not held:
                raise FeedBusy(feed_id)
            update = update_feed(store, settings, subscriptions, spec.id, [story_id])
            written_at = datetime.now(UTC)
            member = update.membership.get(story_id, False)
            record_stage(store, story_id, Stage.published, in_feeds={feed_id: member})
        jobs.note_feed_write(store, job_id, feed_id, update.uploaded, member, written_at)
    if not feed_ids:
        record_stage(store, story_id, Stage.published, detail="in no feed")
    jobs.finish(store, job_id)
    return feed_ids


def story_ids(store: BlobStore) -> list[str]:
    """Every stored story id."""
    return [k.removeprefix("stories/").removesuffix(".json") for k in store.list("stories/")]


def rebuild_feeds(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    feed_id: str | None,
    job_id: str,
) -> list[str]:
    """Render one feed (or every feed) again from the stored stories, uploading every format."""
    feed_ids = [feed_id] if feed_id else sorted(subscriptions.feeds)
    every_story = set(story_ids(store))
    jobs.expect_feeds(store, job_id, len(feed_ids))
    for fid in feed_ids:
        spec = subscriptions.get(fid)
        if spec is None:
            raise EditorialError("not_found", f"no feed {fid}")
        with scheduler.exclusive(fid) as held:
            if not held:
                raise FeedBusy(fid)
            before = {e.story_id for e in load_feed_document(store, fid).entries}
            update = update_feed(
                store, settings, subscriptions, spec.id, sorted(every_story | before), force=True
            )
            written_at = datetime.now(UTC)
            for sid, member in update.membership.items():
                if member != (sid in before):
                    record_stage(store, sid, Stage.published, in_feeds={fid: member})
        jobs.note_feed_write(store, job_id, fid, update.uploaded, None, written_at)
    jobs.finish(store, job_id)
    return feed_ids
