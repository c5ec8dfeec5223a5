"""``wirefeed status`` and ``wirefeed reconcile``: what an operator runs first."""

from __future__ import annotations

import json
import time
from typing import Annotated

import redis
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from cli.common import EXIT_FAILED, CommandError, open_store, quiet_logs
from cli.reporting import Reporter
from wirefeed.ops import reconcile as reconciler
from wirefeed.ops import status as pipeline_status
from wirefeed.settings import Settings

console = Console()


def _workers_per_queue(timeout: float) -> dict[str, int]:
    """Ask the running workers which queues they consume (Celery's remote control)."""
    from workers.app import celery_app

    replies = celery_app.control.inspect(timeout=timeout).active_queues() or {}
    counts: dict[str, int] = {}
    for queues in replies.values():
        for queue in queues:
            counts[queue["name"]] = counts.get(queue["name"], 0) + 1
    return counts


def _table(report: pipeline_status.Status) -> Table:
    table = Table(title="Wirefeed status", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    for queue in report.queues:
        depth = "Redis unreachable" if queue.depth is None else str(queue.depth)
        table.add_row(f"queue {queue.queue}", f"{depth} waiting, {queue.workers} worker(s)")
    stages = ", ".join(f"{stage} {n}" for stage, n in report.stories_by_stage.items())
    table.add_row("stories", stages or "none")
    waiting = report.oldest_waiting
    table.add_row(
        "oldest waiting story",
        f"{waiting.story_id} in {waiting.stage} for {waiting.age_s:.0f}s" if waiting else "none",
    )
    for feed_id, at in report.last_upload.items():
        table.add_row(f"feed {feed_id}", f"last upload {at}")
    table.add_row("quarantined", str(report.quarantined))
    table.add_row("dead letters", str(report.dead_letters))
    return table


def _report(settings: Settings, timeout: float) -> pipeline_status.Status:
    """The status now. The bucket is read first: a stopped stack fails there, at once."""
    store = open_store(settings)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        workers: dict[str, int] = {}  # The report says Redis is unreachable.
    else:
        workers = _workers_per_queue(timeout)
    return pipeline_status.collect(store, client, workers)


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for workers to answer.")] = 2.0,
    watch: Annotated[
        float | None,
        typer.Option(help="Refresh every N seconds until Ctrl-C (JSON: one line each time)."),
    ] = None,
) -> None:
    """Queue depths, workers per queue, the oldest waiting story, uploads and failures."""
    settings = Settings.from_env()
    quiet_logs()
    if watch is None:
        report = _report(settings, timeout)
        if as_json:
            typer.echo(json.dumps(report.as_dict(), indent=2))
        else:
            console.print(_table(report))
        return
    try:
        if as_json or not console.is_terminal:  # a log or a pipe: one report after another
            while True:
                report = _report(settings, timeout)
                if as_json:
                    print(json.dumps(report.as_dict()), flush=True)
                else:
                    console.print(_table(report))
                time.sleep(watch)
        with Live(_table(_report(settings, timeout)), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(watch)
                live.update(_table(_report(settings, timeout)), refresh=True)
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends.


def reconcile(
    min_age: Annotated[
        float, typer.Option(help="Leave alone stories that moved in the last N seconds.")
    ] = 0.0,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be re-enqueued.")] = False,
) -> None:
    """Re-enqueue every story whose payload is stored but which never finished."""
    from workers.app import enqueue

    settings = Settings.from_env()
    quiet_logs()
    # Progress goes to stderr too, so stdout stays one JSON document.
    with Reporter(Console(stderr=True)) as reporter:
        counts = reconciler.reconcile(
            open_store(settings),
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2),
            enqueue,
            min_age_s=min_age,
            horizon_s=settings.reconcile_horizon_s,
            dry_run=dry_run,
            report=reporter.update,
        )
    if counts is None:
        raise CommandError("another reconcile is running; try again when it is done", EXIT_FAILED)
    typer.echo(json.dumps(counts))
