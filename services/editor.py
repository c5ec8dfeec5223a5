"""Editor API (``/v1/editor``): actions on stories and feeds, their jobs, the audit log.

Every action answers 202 with a job id at once; the job reports which feeds were
rewritten and when. Reads need any account; each action needs its role (401 without
a valid token, 403 with the wrong role, and a refused attempt is audited).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from services import auth
from services.context import Context, get_context
from wirefeed.editor import audit, errors, jobs, story_actions, views
from wirefeed.editor.replay import replay_quarantined
from wirefeed.editor.users import Action, User
from wirefeed.intake.quarantine import list_records
from wirefeed.model import Story
from wirefeed.progress import Stage, load_state

router = APIRouter(prefix="/v1/editor", tags=["editor"])
_ERROR_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflict": status.HTTP_409_CONFLICT,
    "invalid": status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def current_user(principal: auth.Principal = Depends(auth.editor)) -> User:
    """The editor behind the bearer token (or the web page's session cookie).

    401 without one; 403 for another kind of credential, or for a change made with
    the cookie from another origin.
    """
    assert principal.user is not None  # an editor principal always carries its account
    return principal.user


def authorise(
    context: Context,
    user: User,
    action: Action,
    *,
    story_id: str | None = None,
    feed_id: str | None = None,
) -> None:
    """Refuse (403, audited) a user whose roles do not allow ``action``."""
    if user.may(action):
        return
    audit.record(
        context.store,
        audit.AuditEntry(
            user=user.name,
            action=action,
            result=audit.Result.refused,
            story_id=story_id,
            feed_id=feed_id,
            detail="role not allowed",
        ),
    )
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"{user.name} may not {action}")


def allowed(action: Action) -> Callable[..., User]:
    """Dependency: the current user, who must hold the role ``action`` needs (else 403)."""

    def check(
        request: Request,
        user: User = Depends(current_user),
        context: Context = Depends(get_context),
    ) -> User:
        params = request.path_params
        authorise(
            context, user, action, story_id=params.get("story_id"), feed_id=params.get("feed_id")
        )
        return user

    return check


class JobAccepted(BaseModel):
    """The answer to an action: the job that carries it out."""

    job_id: str
    status_url: str


def start(
    context: Context,
    user: User,
    action: Action,
    run: Callable[[], object],
    task: tuple[str | None, ...] | None,
    *,
    story_id: str | None = None,
    feed_id: str | None = None,
    detail: str | None = None,
) -> jobs.Job:
    """Do an action's synchronous part, open its job, audit it, and queue ``task`` + job id.

    A refused action is audited and answered with 404/409/422 and its reason; with no
    ``task`` the job is finished at once.
    """
    entry = audit.AuditEntry(
        user=user.name,
        action=action,
        result=audit.Result.refused,
        story_id=story_id,
        feed_id=feed_id,
        detail=detail,
    )
    try:
        run()
    except errors.EditorialError as error:
        audit.record(context.store, entry.model_copy(update={"detail": error.reason}))
        raise HTTPException(_ERROR_STATUS[error.code], error.reason) from error
    job = jobs.create_job(
        context.store,
        jobs.Job(action=action, user=user.name, story_id=story_id, feed_id=feed_id, detail=detail),
    )
    requested = entry.model_copy(update={"result": audit.Result.requested, "job_id": job.id})
    if task is None:
        audit.record(context.store, requested)
        return jobs.finish(context.store, job.id) or job
    try:
        context.enqueue(*task, job.id)
    except Exception as exc:  # the broker is down: say so, and leave no job hanging
        audit.record(context.store, requested)
        jobs.finish(context.store, job.id, jobs.JobStatus.failed, f"not queued: {exc}")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the queue is down") from exc
    # Audited once queued, so the audit writes do not delay a kill.
    audit.record(context.store, requested)
    return job


def accepted(request: Request, job: jobs.Job) -> JobAccepted:
    """The 202 body for a job."""
    return JobAccepted(job_id=job.id, status_url=str(request.url_for("job_status", job_id=job.id)))


def story_job(
    request: Request,
    context: Context,
    user: User,
    action: Action,
    run: Callable[[], object],
    story_id: str,
    detail: str | None = None,
    task: str = "publish.publish_now",
) -> JobAccepted:
    """Start a per-story action whose job ``task`` carries out with the story id."""
    job = start(context, user, action, run, (task, story_id), story_id=story_id, detail=detail)
    return accepted(request, job)


class KillRequest(BaseModel):
    """Why the story is killed (kept in the tombstone and the audit log)."""

    reason: str = Field(min_length=1, max_length=1000)


class EmbargoRequest(BaseModel):
    """Hold the story until this time."""

    until: datetime


@router.post("/stories/{story_id}/republish", status_code=202, response_model=JobAccepted)
def republish(
    story_id: str,
    request: Request,
    user: User = Depends(allowed(Action.republish)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Send the current version to its feeds again: same guid, ``updated`` bumped."""
    run = lambda: story_actions.republish(  # noqa: E731
        context.store, story_id, user.name, timeline=context.timeline
    )
    return story_job(request, context, user, Action.republish, run, story_id)


@router.post("/stories/{story_id}/correct", status_code=202, response_model=JobAccepted)
def correct(
    story_id: str,
    body: story_actions.Correction,
    request: Request,
    user: User = Depends(allowed(Action.correct)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """A new version from an edited headline, body or tags, with a note readers see.

    A changed headline or body is tagged again (editor tags are kept) before it goes out.
    """
    run = lambda: story_actions.correct(  # noqa: E731
        context.store, story_id, user.name, body, timeline=context.timeline
    )
    task = "enrich.enrich_story" if body.changes_text else "publish.publish_now"
    return story_job(request, context, user, Action.correct, run, story_id, body.note, task)


@router.post("/stories/{story_id}/kill", status_code=202, response_model=JobAccepted)
def kill(
    story_id: str,
    body: KillRequest,
    request: Request,
    user: User = Depends(allowed(Action.kill)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Take the story out of every feed and archive, leaving a tombstone that stays."""
    run = lambda: story_actions.kill(  # noqa: E731
        context.store, story_id, user.name, body.reason, timeline=context.timeline
    )
    return story_job(request, context, user, Action.kill, run, story_id, body.reason)


@router.post("/stories/{story_id}/embargo", status_code=202, response_model=JobAccepted)
def set_embargo(
    story_id: str,
    body: EmbargoRequest,
    request: Request,
    user: User = Depends(allowed(Action.embargo)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Hold the story out of the feeds until ``until``."""
    run = lambda: story_actions.set_embargo(  # noqa: E731
        context.store, context.embargoes, story_id, user.name, body.until, timeline=context.timeline
    )
    detail = f"until {body.until.isoformat()}"
    return story_job(request, context, user, Action.embargo, run, story_id, detail)


@router.post("/stories/{story_id}/embargo/release", status_code=202, response_model=JobAccepted)
def release_embargo(
    story_id: str,
    request: Request,
    user: User = Depends(allowed(Action.embargo)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Release an embargoed story to its feeds now."""
    run = lambda: story_actions.set_embargo(  # noqa: E731
        context.store, context.embargoes, story_id, user.name, None, timeline=context.timeline
    )
    return story_job(request, context, user, Action.embargo, run, story_id, "release")


@router.post("/feeds/rebuild", status_code=202, response_model=JobAccepted)
def rebuild_all(
    request: Request,
    user: User = Depends(allowed(Action.rebuild)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Render every feed again from the stored stories."""
    return rebuild(None, request, user, context)


@router.post("/feeds/{feed_id}/rebuild", status_code=202, response_model=JobAccepted)
def rebuild(
    feed_id: str | None,
    request: Request,
    user: User = Depends(allowed(Action.rebuild)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Render one feed again from the stored stories, uploading every format."""
    job = start(
        context,
        user,
        Action.rebuild,
        lambda: None,
        ("publish.rebuild_feeds", feed_id),
        feed_id=feed_id,
    )
    return accepted(request, job)


@router.post("/quarantine/{item_id}/replay", status_code=202, response_model=JobAccepted)
def replay(
    item_id: str,
    request: Request,
    user: User = Depends(allowed(Action.replay)),
    context: Context = Depends(get_context),
) -> JobAccepted:
    """Take a quarantined item through intake again and queue it; the job ends once queued."""

    def run() -> None:
        for receipt in replay_quarantined(context.store, item_id, context.parse_budget):
            context.timeline.note(receipt.story_id, Stage.received, raw=receipt.raw_key)
            context.enqueue("ingest.ingest_story", receipt.raw_key)

    job = start(context, user, Action.replay, run, None, detail=f"quarantine item {item_id}")
    return accepted(request, job)


@router.get("/jobs/{job_id}", name="job_status", response_model=jobs.Job)
def job_status(
    job_id: str, _: User = Depends(current_user), context: Context = Depends(get_context)
) -> jobs.Job:
    """A job's progress: ``queued`` until every feed is rewritten, then ``done`` or ``failed``."""
    job = jobs.load_job(context.store, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    return job


@router.get("/audit", response_model=list[audit.AuditEntry])
def audit_log(
    story_id: str | None = None,
    feed_id: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    _: User = Depends(current_user),
    context: Context = Depends(get_context),
) -> list[audit.AuditEntry]:
    """Audit entries by story, feed, user and time range, newest first."""
    return audit.query(
        context.store,
        story_id=story_id,
        feed_id=feed_id,
        user=user,
        since=since,
        until=until,
        limit=limit,
    )


@router.get("/stories")
def stories(
    status_: str = Query("", alias="status"),
    source: str = "",
    subject: str = "",
    text: str = "",
    limit: int = Query(100, ge=1, le=1000),
    _: User = Depends(current_user),
    context: Context = Depends(get_context),
) -> list[dict[str, Any]]:
    """Recent stories with their status, tags and feeds, filtered."""
    wanted = views.StoryFilter(
        status=status_, source=source, subject=subject, text=text, limit=limit
    )
    return [
        {
            "id": r.story.id,
            "headline": r.story.headline,
            "source": r.story.source,
            "version": r.story.version,
            "versioncreated": r.story.versioncreated.isoformat(),
            "status": r.status,
            "feeds": r.feeds,
            "subjects": [t.name for t in r.story.subjects],
        }
        for r in views.recent_stories(context.store, wanted, context.timeline)
    ]


def versions_of(context: Context, story_id: str) -> list[Story]:
    """A story's versions, its kept wire payloads parsed within the parse budget; an
    HTTPException with the reason when one cannot be (422)."""
    try:
        return views.versions(context.store, story_id, context.parse_budget)
    except errors.EditorialError as error:
        raise HTTPException(_ERROR_STATUS[error.code], error.reason) from error


@router.get("/stories/{story_id}")
def story_detail(
    story_id: str, _: User = Depends(current_user), context: Context = Depends(get_context)
) -> dict[str, Any]:
    """A story's versions, timeline, feeds and audit trail; 422 with the reason when a
    kept wire version cannot be parsed again (over the parse budget, say)."""
    known = versions_of(context, story_id)
    if not known:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
    state = load_state(context.store, story_id, context.timeline)
    return {
        "id": story_id,
        "current": known[-1].model_dump(mode="json", exclude_none=True),
        "versions": [
            {
                "version": s.version,
                "versioncreated": s.versioncreated.isoformat(),
                "headline": s.headline,
            }
            for s in known
        ],
        "state": state.model_dump(mode="json") if state else None,
        "audit": [e.model_dump(mode="json") for e in audit.query(context.store, story_id=story_id)],
    }


@router.get("/quarantine")
def quarantined(
    _: User = Depends(current_user), context: Context = Depends(get_context)
) -> list[dict[str, Any]]:
    """Items set aside, with their reason."""
    return [r.model_dump(mode="json") for r in list_records(context.store)]
