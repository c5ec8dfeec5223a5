"""``wirefeed stack up`` and ``wirefeed submit``: run the pipeline here and feed it."""

from __future__ import annotations

import mimetypes
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from cli.common import EXIT_FAILED, EXIT_REFUSED, EXIT_UNAVAILABLE, START_HINT, CommandError
from cli.localstack import LocalStack, StackError, exit_on_sigterm
from wirefeed.editor.users import dev_tokens
from wirefeed.intake.agencies import DEV_AGENCIES
from wirefeed.layout import feed_key
from wirefeed.settings import Settings

app = typer.Typer(help="Run the whole pipeline on this machine.", no_args_is_help=True)
console = Console()


def _content_type(path: Path) -> str:
    if path.suffix == ".txt":
        return "text/plain; charset=utf-8"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def submit_file(api_url: str, token: str, path: Path, source: str | None = None) -> dict[str, str]:
    """POST one file to the intake API and return its answer."""
    try:
        response = httpx.post(
            f"{api_url}/v1/stories",
            content=path.read_bytes(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": _content_type(path)},
            params={"source": source} if source else None,
            timeout=30,
        )
    except httpx.ConnectError as exc:
        message = f"API at {api_url} refused the connection: {START_HINT}"
        raise CommandError(message, EXIT_UNAVAILABLE) from exc
    if response.status_code >= 400:
        code = EXIT_UNAVAILABLE if response.status_code >= 500 else EXIT_REFUSED
        raise CommandError(f"{path.name}: {response.status_code} {response.text}", code)
    return dict(response.json())


def wait_published(api_url: str, token: str, story_ids: list[str], timeout: float) -> bool:
    """Poll the status API until every story is published (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    waiting = set(story_ids)
    while waiting and time.monotonic() < deadline:
        for story_id in list(waiting):
            try:
                answer = httpx.get(
                    f"{api_url}/v1/stories/{story_id}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
            except httpx.HTTPError:
                continue  # A slow answer while workers start up is no reason to give up.
            if answer.status_code == 200 and answer.json()["state"] == "published":
                waiting.discard(story_id)
        time.sleep(0.3)
    return not waiting


def submit(
    files: list[Path],
    source: Annotated[str | None, typer.Option(help="Source (agency) of the stories.")] = None,
) -> None:
    """Submit wire story files to a running API."""
    settings = Settings.from_env()
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    for path in files:
        answer = submit_file(api_url, settings.admin_token, path, source)
        console.print(f"{path.name}: story [bold]{answer['id']}[/] → {answer['status_url']}")


@app.command("up")
def stack_up(
    samples: Annotated[Path | None, typer.Option(help="Folder of stories to submit.")] = None,
    run_dir: Annotated[Path, typer.Option(help="Logs and data of the stack.")] = Path(".run"),
) -> None:
    """Start Redis, the S3 endpoint, the workers and the API; stay up until Ctrl-C."""
    settings = Settings.from_env()
    stack = LocalStack(
        run_dir=run_dir.resolve(),
        redis_url=settings.redis_url,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_bucket=settings.s3_bucket,
        api_port=settings.api_port,
        gateway_port=settings.gateway_port,
    )
    exit_on_sigterm()
    console.print("Starting Redis, the S3 endpoint, the workers and the API…")
    try:
        stack.start()
    except StackError as error:  # its first line says what; the logs say why
        what = str(error).splitlines()[0]
        raise CommandError(f"{what} (logs: {stack.run_dir / 'logs'})", EXIT_FAILED) from error
    try:
        if samples is not None:
            files = sorted(p for p in samples.iterdir() if p.is_file())
            # Each sample is sent by one of the dev agencies, with its own key, in turn.
            agency_keys = list(DEV_AGENCIES.values())
            ids = [
                submit_file(stack.api_url, agency_keys[i % len(agency_keys)], p)["id"]
                for i, p in enumerate(files)
            ]
            console.print(f"Submitted {len(ids)} sample stories; waiting for the feeds…")
            if not wait_published(stack.api_url, settings.admin_token, ids, timeout=120):
                console.print("[yellow]Some samples are not published yet; see .run/logs/.")
        console.print("\n[bold green]Wirefeed is running.[/]")
        for fmt in ("rss", "atom", "json"):
            console.print(f"  Feed ({fmt}): {settings.public_url(feed_key('all', fmt))}")
        console.print(f"  API docs:    {stack.api_url}/docs")
        console.print(f"  Gateway:     {stack.gateway_url}/feeds/{{feed}}.rss (partner API key)")
        console.print(f"  Editor page: {stack.api_url}/editor/")
        console.print("  Credentials (Authorization: Bearer …; see README, Who may do what):")
        console.print(f"    admin token          {settings.admin_token}")
        editors = dev_tokens(settings)
        console.print(f"    editor               {editors['dev-editor']}")
        console.print(f"    editor, admin role   {editors['dev-admin']}")
        for name, key in DEV_AGENCIES.items():
            console.print(f"    agency {name:<13} {key}")
        console.print(f"  Logs:        {stack.run_dir / 'logs'}")
        console.print("Press Ctrl-C to stop.")
        while True:
            for name in stack.supervise():
                console.print(f"[yellow]{name} exited; restarted it.")
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("\nStopping…")
    finally:
        stack.stop()
        console.print("Stopped every process the stack started.")
