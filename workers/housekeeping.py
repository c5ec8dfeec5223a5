"""Queue ``housekeeping``: periodic repair work, run by beat (one worker is enough)."""

from __future__ import annotations

from wirefeed.ops import reconcile as reconciler
from workers.app import celery_app, enqueue, settings
from workers.base import WirefeedTask


@celery_app.task(name="housekeeping.reconcile", base=WirefeedTask, bind=True)
def reconcile(self: WirefeedTask) -> dict[str, int] | None:
    """Re-enqueue every story the bucket knows but the queues lost (see wirefeed.ops.reconcile)."""
    return reconciler.reconcile(
        self.store,
        self.redis,
        enqueue,
        min_age_s=self.settings.reconcile_min_age_s,
        horizon_s=self.settings.reconcile_horizon_s,
        max_backlog=self.settings.reconcile_max_backlog,
    )


celery_app.conf.beat_schedule["reconcile"] = {
    "task": "housekeeping.reconcile",
    "schedule": settings.reconcile_interval_s,
    # A run that waited longer than an interval is superseded by the next one.
    "options": {"expires": settings.reconcile_interval_s},
}
