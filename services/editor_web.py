"""The editor web page (``/editor``): server-rendered Jinja2 templates, with htmx for actions.

Login takes an editor token (and, optionally, the user name it belongs to) and opens a
server-side session (``wirefeed.editor.sessions``): the cookie carries a random session
id, never the token, is HttpOnly and SameSite=Strict, and Secure when the service is
reached over https. The editor API accepts the cookie too; any change made with it must
come from this service's own origin. Failed logins are throttled per client address
and per account. Actions go through the same code as the API
(``services.editor.start``); the answer is a job fragment that polls itself until the
job ends, so progress shows without reloading the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from services import auth, editor
from services.context import Context, get_context
from wirefeed.editor import audit, jobs, story_actions, views
from wirefeed.editor.users import Action, User
from wirefeed.layout import feed_key
from wirefeed.progress import load_state
from wirefeed.publish.publishing import load_feed_document, with_bodies
from wirefeed.sanitize import clean_html, html_to_text
from wirefeed.stories import load_story

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")


def sanitised(fragment: str) -> Markup:
    """Stored body HTML for a page: through the sanitizer again, never trusted as it is.

    Relative URLs are dropped: on the editor's own origin they would reach its paths.
    Every other value in the templates is text, which Jinja2 autoescapes.
    """
    return Markup(clean_html(fragment))


templates.env.filters["sanitised"] = sanitised
router = APIRouter(prefix="/editor", include_in_schema=False)


def page_user(request: Request) -> User:
    """The logged-in editor; a visitor without a session is sent to the login form."""
    try:
        principal = auth.editor(request)
    except HTTPException as refused:
        if refused.status_code != status.HTTP_401_UNAUTHORIZED:
            raise
        login = str(request.url_for("editor_login"))
        raise HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": login}) from None
    return editor.current_user(principal)


def render(request: Request, name: str, user: User | None, **values: Any) -> HTMLResponse:
    """Render a template with the user in its context."""
    return templates.TemplateResponse(request, f"editor/{name}", {"user": user, **values})


@router.get("/static/{name}", name="editor_static")
def static(name: str) -> FileResponse:
    """The vendored htmx (the only static file)."""
    if name != "htmx.min.js":
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(HERE / "static" / name, media_type="text/javascript")


@router.get("/login", name="editor_login")
def login_form(request: Request) -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", None)


def _secure(request: Request, public_url: str) -> bool:
    """Whether the cookie must be Secure: the service is reached (or published) over https."""
    proxied = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return "https" in (request.url.scheme, proxied) or public_url.startswith("https://")


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    context: Context = Depends(get_context),
) -> Response:
    """Check the token (and the name, when given) and open a session."""
    name = name.strip()
    names = [f"addr:{auth.client_address(request)}"] + ([f"account:{name}"] if name else [])
    auth.throttled(context, "login", *names)
    user = context.users.current().authenticate(token.strip())
    if user is None or name not in ("", user.name):
        context.throttle("login").failed(*names)
        page = render(request, "login.html", None, error="That token is not valid.")
        page.status_code = status.HTTP_401_UNAUTHORIZED
        return page
    response = RedirectResponse(request.url_for("editor_home"), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        auth.SESSION_COOKIE,
        context.sessions.open(user),
        httponly=True,
        samesite="strict",
        secure=_secure(request, context.settings.api_public_url),
        path="/",
    )
    return response


@router.post("/logout", name="editor_logout")
def logout(
    request: Request,
    _: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> Response:
    """End the session, on the server too: the old cookie opens nothing after this."""
    context.sessions.close(request.cookies.get(auth.SESSION_COOKIE, ""))
    response = RedirectResponse(request.url_for("editor_login"), status.HTTP_303_SEE_OTHER)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/", name="editor_home")
def home(
    request: Request,
    status_: Annotated[str, Query(alias="status")] = "",
    source: str = "",
    subject: str = "",
    text: str = "",
    user: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> HTMLResponse:
    """Recent stories, filtered by state, source, subject and text."""
    filters = views.StoryFilter(status=status_, source=source, subject=subject, text=text)
    rows = views.recent_stories(context.store, filters, context.timeline)
    return render(request, "stories.html", user, rows=rows, filters=filters)


@router.get("/stories/{story_id}", name="editor_story")
def story_page(
    story_id: str,
    request: Request,
    older: int | None = None,
    newer: int | None = None,
    user: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> HTMLResponse:
    """A story: text, versions and their diff, timeline, tags, feeds, audit trail, actions."""
    story = load_story(context.store, story_id)
    if story is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such story")
    known = editor.versions_of(context, story_id)
    last = len(known) - 1
    newer = min(max(newer if newer is not None else last, 0), last)
    older = min(max(older if older is not None else newer - 1, 0), last)
    state = load_state(context.store, story_id, context.timeline)
    return render(
        request,
        "story.html",
        user,
        story=story,
        row=views.StoryRow(story, state),
        state=state,
        timeline=views.timeline(state.history if state else []),
        versions=known,
        older=older,
        newer=newer,
        diff=views.diff(known[older], known[newer]),
        body_text=html_to_text(story.body_html),
        audit=audit.query(context.store, story_id=story_id),
        may_edit=user.may(Action.correct),
    )


def _correction(story_id: str, context: Context, form: dict[str, str]) -> story_actions.Correction:
    """A correction from the form; subjects become editor tags only when they changed."""
    current = load_story(context.store, story_id)
    # One per line: IPTC names have commas ("arts, culture, entertainment and media").
    subjects = [s.strip() for s in form.get("subjects", "").splitlines() if s.strip()]
    tags = None
    if current is not None and subjects != [t.name for t in current.subjects]:
        tags = story_actions.TagEdit(subjects=[story_actions.TagInput(name=s) for s in subjects])
    headline = form.get("headline", "").strip()
    body = form.get("body")
    return story_actions.Correction(
        note=form.get("note", "").strip() or "Corrected",
        headline=headline if current is None or headline != current.headline else None,
        body=body if current is None or body != html_to_text(current.body_html) else None,
        tags=tags,
    )


def _until(value: str) -> datetime:
    """A datetime-local value, taken as UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.post("/stories/{story_id}/{action}", name="editor_action")
async def story_action(
    story_id: str,
    action: str,
    request: Request,
    user: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> HTMLResponse:
    """Run an action from the story page; answer with the job fragment (or the refusal)."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    calls: dict[str, tuple[Action, Callable[[], editor.JobAccepted]]] = {
        "republish": (Action.republish, lambda: editor.republish(story_id, request, user, context)),
        "correct": (
            Action.correct,
            lambda: editor.correct(
                story_id, _correction(story_id, context, form), request, user, context
            ),
        ),
        "kill": (
            Action.kill,
            lambda: editor.kill(
                story_id, editor.KillRequest(reason=form.get("reason", "")), request, user, context
            ),
        ),
        "embargo": (
            Action.embargo,
            lambda: editor.set_embargo(
                story_id,
                editor.EmbargoRequest(until=_until(form.get("until", ""))),
                request,
                user,
                context,
            ),
        ),
        "release": (
            Action.embargo,
            lambda: editor.release_embargo(story_id, request, user, context),
        ),
    }
    if action not in calls:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no action {action}")
    needed, call = calls[action]
    return job_fragment_of(request, user, context, needed, call, story_id=story_id)


def job_fragment_of(
    request: Request,
    user: User,
    context: Context,
    action: Action,
    call: Callable[[], editor.JobAccepted],
    story_id: str | None = None,
) -> HTMLResponse:
    """Check the role, run an API action, and render its job fragment or the refusal."""
    try:
        editor.authorise(context, user, action, story_id=story_id)
        answer = call()
    except HTTPException as error:
        return render(request, "error.html", user, message=error.detail)
    except ValueError as error:  # a form value that does not validate
        return render(request, "error.html", user, message=str(error).splitlines()[0])
    return render(request, "job.html", user, job=jobs.load_job(context.store, answer.job_id))


@router.get("/jobs/{job_id}", name="editor_job")
def job_fragment(
    job_id: str,
    request: Request,
    user: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> HTMLResponse:
    """A job's progress fragment (htmx polls it)."""
    job = jobs.load_job(context.store, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    return render(request, "job.html", user, job=job)


@router.get("/feeds", name="editor_feeds")
def feeds_page(
    request: Request, user: User = Depends(page_user), context: Context = Depends(get_context)
) -> HTMLResponse:
    """Every feed and how many entries it holds."""
    feeds = [
        (spec, len(load_feed_document(context.store, spec.id).entries))
        for spec in context.subscriptions.current().config.feeds
    ]
    return render(request, "feeds.html", user, feeds=feeds, may_rebuild=user.may(Action.rebuild))


@router.post("/feeds/rebuild", name="editor_rebuild")
def rebuild_all(
    request: Request, user: User = Depends(page_user), context: Context = Depends(get_context)
) -> HTMLResponse:
    """Rebuild every feed from the feeds page."""
    call = lambda: editor.rebuild_all(request, user, context)  # noqa: E731
    return job_fragment_of(request, user, context, Action.rebuild, call)


@router.get("/feeds/{feed_id}", name="editor_feed")
def feed_preview(
    feed_id: str,
    request: Request,
    user: User = Depends(page_user),
    context: Context = Depends(get_context),
) -> HTMLResponse:
    """A feed as a reader sees it, rendered from its feed document."""
    spec = context.subscriptions.current().get(feed_id)
    if spec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such feed")
    doc = with_bodies(context.store, context.settings, load_feed_document(context.store, feed_id))
    # A private feed has no public URL: partners read it through the gateway.
    links = [
        (fmt, context.settings.public_url(feed_key(feed_id, fmt)))
        for fmt in ("rss", "atom")
        if spec.public
    ]
    return render(request, "feed.html", user, spec=spec, doc=doc, links=links)
