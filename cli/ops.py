"""``wirefeed status`` and ``wirefeed reconcile``: what an operator runs first."""

from __future__ import annotations

import json
from typing import Annotated

import redis
import typer
from rich.console import Console
from rich.table import Table

from wirefeed import logs
from wirefeed.ops import reconcile as reconciler
from wirefeed.ops import status as pipeline_status
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

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


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for workers to answer.")] = 2.0,
) -> None:
    """Queue depths, workers per queue, the oldest waiting story, uploads and failures."""
    settings = Settings.from_env()
    logs.configure(settings.log_level)  # stderr: stdout carries the report
    report = pipeline_status.collect(
        S3Store(settings), redis.Redis.from_url(settings.redis_url), _workers_per_queue(timeout)
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        console.print(_table(report))


def reconcile(
    min_age: Annotated[
        float, typer.Option(help="Leave alone stories that moved in the last N seconds.")
    ] = 0.0,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be re-enqueued.")] = False,
) -> None:
    """Re-enqueue every story whose payload is stored but which never finished."""
    from workers.app import enqueue

    settings = Settings.from_env()
    logs.configure(settings.log_level)  # stderr: stdout carries the counts
    counts = reconciler.reconcile(
        S3Store(settings),
        redis.Redis.from_url(settings.redis_url),
        enqueue,
        min_age_s=min_age,
        horizon_s=settings.reconcile_horizon_s,
        dry_run=dry_run,
    )
    if counts is None:
        typer.echo("another reconcile is running; try again when it is done", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(counts))
