"""Editor commands: ``wirefeed republish|correct|kill|embargo|rebuild|audit|job``.

They call the editor API (``--api``, default from settings) with the token in
``WIREFEED_EDITOR_TOKEN``, wait for the job, and exit with 0 when it is done, 1 when
it failed, 3 when the API refused the request, and 4 when the API was unreachable or
the job did not finish in time.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from wirefeed.editor.users import Role, add_user
from wirefeed.settings import Settings

console = Console()
EXIT_FAILED, EXIT_REFUSED, EXIT_UNAVAILABLE = 1, 3, 4

ApiOption = Annotated[str | None, typer.Option("--api", help="Base URL of the Wirefeed API.")]
WaitOption = Annotated[
    float, typer.Option("--wait", help="Seconds to wait for the job (0: do not wait).")
]


class EditorClient:
    """The editor API, with errors turned into exit codes."""

    def __init__(self, api: str | None) -> None:
        settings = Settings.from_env()
        self.base = (api or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")
        token = os.environ.get("WIREFEED_EDITOR_TOKEN", "")
        if not token and settings.dev_mode:
            token = settings.dev_token
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; exits 3 on a refusal and 4 when the API cannot be reached."""
        try:
            response = httpx.request(
                method, f"{self.base}/v1/editor{path}", headers=self.headers, timeout=30, **kwargs
            )
        except httpx.HTTPError as exc:
            console.print(f"[red]Cannot reach the API at {self.base}: {exc}")
            raise typer.Exit(EXIT_UNAVAILABLE) from exc
        if response.status_code >= 400:
            try:
                reason = response.json().get("detail", response.text)
            except ValueError:
                reason = response.text
            console.print(f"[red]Refused ({response.status_code}):[/] {reason}")
            raise typer.Exit(EXIT_UNAVAILABLE if response.status_code >= 500 else EXIT_REFUSED)
        return response.json()

    def act(self, path: str, body: dict[str, Any] | None, wait: float) -> None:
        """Start an action, then follow its job until it ends (or ``wait`` seconds pass)."""
        job_id = self.call("POST", path, json=body)["job_id"]
        console.print(f"Job [bold]{job_id}[/] queued.")
        if wait <= 0:
            return
        deadline = time.monotonic() + wait
        with console.status("Waiting for the feeds…"):
            while True:
                job = self.call("GET", f"/jobs/{job_id}")
                if job["status"] != "queued":
                    break
                if time.monotonic() > deadline:
                    console.print(f"[yellow]Job {job_id} is still running after {wait:.0f}s.")
                    raise typer.Exit(EXIT_UNAVAILABLE)
                time.sleep(0.3)
        show_job(job)
        if job["status"] != "done":
            raise typer.Exit(EXIT_FAILED)


def show_job(job: dict[str, Any]) -> None:
    """Print a finished job: its outcome and every feed it rewrote."""
    colour = "green" if job["status"] == "done" else "red"
    console.print(f"[{colour}]{job['action']} {job['status']}[/] {job.get('detail') or ''}")
    table = Table("feed", "rewritten at", "formats", "story in feed")
    for write in job["feeds"]:
        member = {True: "yes", False: "no", None: "-"}[write.get("in_feed")]
        table.add_row(write["feed_id"], write["at"], ", ".join(write["formats"]) or "-", member)
    if job["feeds"]:
        console.print(table)


def republish(story_id: str, api: ApiOption = None, wait: WaitOption = 30) -> None:
    """Send a story's current version to its feeds again."""
    EditorClient(api).act(f"/stories/{story_id}/republish", None, wait)


def correct(
    story_id: str,
    note: Annotated[str, typer.Option(help="The correction note readers see.")],
    headline: Annotated[str | None, typer.Option(help="New headline.")] = None,
    body_file: Annotated[
        Path | None, typer.Option(help="New body, plain text (blank lines between paragraphs).")
    ] = None,
    subject: Annotated[
        list[str] | None, typer.Option(help="Subject tag, 'name' or 'name=medtop:code'.")
    ] = None,
    api: ApiOption = None,
    wait: WaitOption = 30,
) -> None:
    """Make a new version with a correction note."""
    body: dict[str, Any] = {"note": note}
    if headline:
        body["headline"] = headline
    if body_file:
        body["body"] = body_file.read_text()
    if subject:
        tags = [dict(zip(("name", "literal"), s.split("=", 1), strict=False)) for s in subject]
        body["tags"] = {"subjects": tags}
    EditorClient(api).act(f"/stories/{story_id}/correct", body, wait)


def kill(
    story_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the tombstone and the audit log).")],
    api: ApiOption = None,
    wait: WaitOption = 30,
) -> None:
    """Take a story out of every feed for good."""
    EditorClient(api).act(f"/stories/{story_id}/kill", {"reason": reason}, wait)


def embargo(
    story_id: str,
    until: Annotated[
        datetime | None, typer.Option(help="Hold until this time (ISO 8601, UTC if no zone).")
    ] = None,
    release: Annotated[bool, typer.Option("--release", help="Release it now.")] = False,
    api: ApiOption = None,
    wait: WaitOption = 30,
) -> None:
    """Set or release a story's embargo."""
    if release == (until is not None):
        raise typer.BadParameter("give either --until or --release")
    client = EditorClient(api)
    if release:
        client.act(f"/stories/{story_id}/embargo/release", None, wait)
    else:
        assert until is not None
        client.act(f"/stories/{story_id}/embargo", {"until": until.isoformat()}, wait)


def rebuild(
    feed_id: Annotated[
        str | None, typer.Argument(help="The feed; every feed when left out.")
    ] = None,
    api: ApiOption = None,
    wait: WaitOption = 120,
) -> None:
    """Render a feed (or all feeds) again from the stored stories."""
    path = f"/feeds/{feed_id}/rebuild" if feed_id else "/feeds/rebuild"
    EditorClient(api).act(path, None, wait)


def audit(
    story: Annotated[str | None, typer.Option(help="Only this story.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time.")] = None,
    until: Annotated[datetime | None, typer.Option(help="Up to this time.")] = None,
    limit: int = 50,
    api: ApiOption = None,
) -> None:
    """Show the audit log, newest first."""
    params: dict[str, Any] = {"limit": limit}
    for name, value in (("story_id", story), ("user", user), ("since", since), ("until", until)):
        if value is not None:
            params[name] = value.isoformat() if isinstance(value, datetime) else value
    entries = EditorClient(api).call("GET", "/audit", params=params)
    table = Table("at", "user", "action", "result", "story / feed", "detail")
    for e in entries:
        target = e.get("story_id") or e.get("feed_id") or ""
        table.add_row(e["at"], e["user"], e["action"], e["result"], target, e.get("detail", ""))
    console.print(table)


def add_account(
    name: str,
    role: Annotated[list[Role], typer.Option(help="editor or admin (repeat for both).")],
    users_file: Annotated[Path, typer.Option(help="The accounts file.")] = Path("users.json"),
) -> None:
    """Add an editor account (or give it a new token); the token is shown only once."""
    token = add_user(users_file, name, role)
    console.print(f"Token for [bold]{name}[/] (keep it secret, it is stored only hashed):")
    console.print(token, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the editor commands to the top-level CLI."""
    for command in (republish, correct, kill, embargo, rebuild, audit):
        app.command(command.__name__)(command)
    users = typer.Typer(help="Editor accounts.", no_args_is_help=True)
    users.command("add")(add_account)
    app.add_typer(users, name="users")
