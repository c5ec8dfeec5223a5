"""Jobs: the progress and result of an asynchronous editorial action.

The editor API creates a job and queues the work; the worker that rewrites the feeds
notes each feed it wrote and finishes the job, which also closes its audit entry. Jobs
are kept at ``jobs/{id}.json``; updates are conditional writes, retried on a lost race.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from wirefeed.editor import audit
from wirefeed.layout import job_key
from wirefeed.model import utcnow
from wirefeed.storage import BlobStore, NotFound, until_written


class JobStatus(StrEnum):
    """Where a job is."""

    queued = "queued"
    done = "done"
    failed = "failed"


class FeedWrite(BaseModel):
    """One feed a job brought up to date, and which formats were uploaded."""

    feed_id: str
    at: datetime
    formats: list[str] = Field(default_factory=list)
    in_feed: bool | None = Field(
        default=None, description="Whether the story is in the feed after the write."
    )


class Job(BaseModel):
    """One editorial action in flight or done."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    action: str
    user: str
    story_id: str | None = None
    feed_id: str | None = None
    status: JobStatus = JobStatus.queued
    # Full precision: how long a kill took is read from these times.
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None
    feeds: list[FeedWrite] = Field(default_factory=list)
    detail: str | None = None

    @property
    def finished_ok(self) -> bool:
        """Whether the job ended well."""
        return self.status is JobStatus.done


def load_job(store: BlobStore, job_id: str) -> Job | None:
    """A job by id, or None."""
    try:
        return Job.model_validate_json(store.get(job_key(job_id)).body)
    except NotFound:
        return None


def create_job(store: BlobStore, job: Job) -> Job:
    """Store a new job."""
    store.put(job_key(job.id), job.model_dump_json().encode(), content_type="application/json")
    return job


def update_job(store: BlobStore, job_id: str, change: Callable[[Job], None]) -> Job | None:
    """Apply ``change`` to the stored job and write it back only over what was read."""

    def attempt() -> Job | None:
        try:
            blob = store.get(job_key(job_id))
        except NotFound:
            return None
        job = Job.model_validate_json(blob.body)
        change(job)
        store.put(
            job_key(job_id),
            job.model_dump_json().encode(),
            content_type="application/json",
            if_match=blob.etag,
        )
        return job

    return until_written(attempt, subject=f"job {job_id}")


def note_feed_write(
    store: BlobStore,
    job_id: str,
    feed_id: str,
    formats: list[str],
    in_feed: bool | None,
    at: datetime,
) -> None:
    """Record that a feed was brought up to date for the job at ``at`` (once per feed)."""

    def change(job: Job) -> None:
        job.feeds = [w for w in job.feeds if w.feed_id != feed_id]
        job.feeds.append(FeedWrite(feed_id=feed_id, at=at, formats=formats, in_feed=in_feed))

    update_job(store, job_id, change)


def finish(
    store: BlobStore, job_id: str, status: JobStatus = JobStatus.done, detail: str | None = None
) -> Job | None:
    """End a job and write the closing audit entry; finishing twice changes nothing."""
    already_finished = False

    def change(job: Job) -> None:
        nonlocal already_finished
        already_finished = job.status is not JobStatus.queued
        if not already_finished:
            job.status, job.finished, job.detail = status, utcnow(), detail or job.detail

    job = update_job(store, job_id, change)
    if job is not None and not already_finished:
        result = audit.Result.done if job.finished_ok else audit.Result.failed
        summary = ", ".join(w.feed_id for w in job.feeds) or "no feed"
        audit.record(
            store,
            audit.AuditEntry(
                user=job.user,
                action=job.action,
                result=result,
                story_id=job.story_id,
                feed_id=job.feed_id,
                job_id=job.id,
                detail=job.detail or f"feeds rewritten: {summary}",
            ),
        )
    return job
