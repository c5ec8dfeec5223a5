"""Queue ``publish``: route stories to feeds, render each feed once per window, ping hubs."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from wirefeed.editor import errors, feed_actions, jobs
from wirefeed.lease import LeaseLost
from wirefeed.metrics import observe_feed_render
from wirefeed.model import utcnow
from wirefeed.progress import Timeline
from wirefeed.publish import publishing
from wirefeed.publish.coalesce import FeedScheduler
from wirefeed.publish.subscription_store import SubscriptionSource
from wirefeed.publish.subscriptions import Subscriptions
from wirefeed.publish.websub import HubError, ping
from workers.app import celery_app
from workers.base import TRANSIENT_ERRORS, WirefeedTask

SWEEP_INTERVAL_S = 5.0


class PublishTask(WirefeedTask):
    """Adds the feed scheduler and the live subscriptions to the shared task base."""

    abstract = True

    @cached_property
    def scheduler(self) -> FeedScheduler:
        return FeedScheduler(self.redis, self.settings.coalesce_window_s)

    @cached_property
    def source(self) -> SubscriptionSource:
        return SubscriptionSource(self.store, self.settings.config_refresh_s)

    @property
    def subscriptions(self) -> Subscriptions:
        return self.source.current()

    @cached_property
    def timeline(self) -> Timeline:
        return Timeline(self.redis)

    def schedule(self, feed_id: str, story_ids: list[str]) -> None:
        """Mark stories pending on a feed; schedule its render unless one is scheduled.

        A feed not rendered within the window renders at once; one rendered recently
        renders when its window ends (see wirefeed.publish.coalesce).
        """
        delay = self.scheduler.mark(feed_id, story_ids)
        if delay is not None:
            render_feed.apply_async(args=[feed_id], countdown=delay or None)


@celery_app.task(name="publish.publish_story", base=PublishTask, bind=True)
def publish_story(self: PublishTask, story_id: str) -> list[str]:
    """Publish the story's public copy (or withdraw it while embargoed), then mark every
    feed the story touches as pending, scheduling one render per window."""
    feed_ids = publishing.publish_story(self.store, self.subscriptions, story_id, self.timeline)
    for feed_id in feed_ids:
        self.schedule(feed_id, [story_id])
    return feed_ids


@celery_app.task(
    name="publish.render_feed",
    base=PublishTask,
    bind=True,
    autoretry_for=(*TRANSIENT_ERRORS, LeaseLost),
)
def render_feed(self: PublishTask, feed_id: str) -> list[str]:
    """Apply every pending story to the feed, upload what changed, note where stories are."""
    subscriptions = self.subscriptions
    if subscriptions.get(feed_id) is None:
        return []
    update = publishing.render_pending(
        self.store, self.settings, subscriptions, self.scheduler, feed_id, self.timeline
    )
    if update is None:
        raise self.retry(countdown=self.settings.coalesce_window_s)
    arrivals = [at for sid, at in update.received.items() if update.membership.get(sid)]
    observe_feed_render(feed_id, update.uploaded, update.unchanged, arrivals, utcnow())
    for hub in subscriptions.config.hubs:
        for topic in update.changed_topics:
            ping_hub.delay(hub, topic)
    return update.uploaded


class EditTask(PublishTask):
    """An editor's action: a failure for good also fails its job, so it is never silent."""

    abstract = True

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        super().on_failure(exc, task_id, args, kwargs, einfo)
        job_id = kwargs.get("job_id") or args[-1]
        jobs.finish(self.store, job_id, jobs.JobStatus.failed, f"{type(exc).__name__}: {exc}")


@celery_app.task(
    name="publish.publish_now",
    base=EditTask,
    bind=True,
    autoretry_for=(*TRANSIENT_ERRORS, errors.FeedBusy, LeaseLost),
)
def publish_now(self: EditTask, story_id: str, job_id: str) -> list[str]:
    """Bring every feed the story touches up to date now, and report to the job."""
    return feed_actions.publish_now(
        self.store,
        self.settings,
        self.subscriptions,
        self.scheduler,
        story_id,
        job_id,
        self.timeline,
    )


@celery_app.task(
    name="publish.rebuild_feeds",
    base=EditTask,
    bind=True,
    autoretry_for=(*TRANSIENT_ERRORS, errors.FeedBusy, LeaseLost),
)
def rebuild_feeds(self: EditTask, feed_id: str | None, job_id: str) -> list[str]:
    """Render one feed, or all of them, again from the stored stories."""
    return feed_actions.rebuild_feeds(
        self.store,
        self.settings,
        self.subscriptions,
        self.scheduler,
        feed_id,
        job_id,
        self.timeline,
    )


@celery_app.task(
    name="publish.ping_hub",
    base=PublishTask,
    bind=True,
    autoretry_for=(HubError,),
    max_retries=5,
)
def ping_hub(self: PublishTask, hub: str, topic: str) -> None:
    """Tell one WebSub hub that a feed changed; retried with backoff, never blocks renders."""
    ping(hub, topic, self.settings.websub_timeout_s, self.settings.websub_allow_private)


@celery_app.task(name="publish.sweep_feeds", base=PublishTask, bind=True)
def sweep_feeds(self: PublishTask) -> list[str]:
    """Schedule a render for feeds with pending stories but none scheduled (a lost render)."""
    feed_ids = self.scheduler.unscheduled()
    for feed_id in feed_ids:
        self.schedule(feed_id, [])
    return feed_ids


celery_app.conf.beat_schedule["publish-sweep-feeds"] = {
    "task": "publish.sweep_feeds",
    "schedule": SWEEP_INTERVAL_S,
}
