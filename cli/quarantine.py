"""``wirefeed quarantine list|show|replay``: inspect and replay items that were set aside."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from cli.common import EXIT_FAILED, EXIT_REFUSED, CommandError, open_store, operator
from cli.reporting import Reporter
from wirefeed.editor import admin_actions
from wirefeed.intake import receiving
from wirefeed.intake.quarantine import get_record, list_records
from wirefeed.storage import NotFound

app = typer.Typer(help="Items that could not be processed, kept with their reason.")
console = Console()


@app.command("list")
def list_items(
    reason: Annotated[str | None, typer.Option(help="Only items with this reason.")] = None,
) -> None:
    """List quarantined items, oldest first."""
    records = sorted(list_records(open_store()), key=lambda r: r.at)
    # Ids are what the other commands take: never wrapped, whatever the width.
    table = Table(Column("id", no_wrap=True), "at", "reason", "source", "detail")
    for record in records:
        if reason is None or record.reason == reason:
            table.add_row(record.id, record.at.isoformat(), record.reason, record.source,
                          record.detail[:80])  # fmt: skip
    console.print(table)


@app.command("show")
def show(item_id: str) -> None:
    """Show one item's record and the start of its raw payload."""
    store = open_store()
    record = get_record(store, item_id)
    if record is None:
        raise CommandError(f"no quarantined item {item_id}", EXIT_REFUSED)
    typer.echo(json.dumps(record.model_dump(mode="json"), indent=2))
    payload = store.get(record.raw_key).body
    typer.echo(f"--- {record.raw_key} ({len(payload)} bytes) ---")
    typer.echo(payload[:2000].decode("utf-8", errors="replace"))


@app.command("replay")
def replay(item_ids: list[str]) -> None:
    """Take items through intake again (after a fix); exit 1 if any is still refused."""
    from workers.app import enqueue  # The CLI queues like the API does, by task name.

    store, user, failed = open_store(), operator(), 0
    with Reporter(console) as reporter:
        for done, item_id in enumerate(item_ids, 1):
            try:
                receipt = admin_actions.replay_quarantined(store, user, item_id, enqueue)
            except NotFound:
                console.print(f"[red]{item_id}: no such quarantined item")
                failed += 1
            except receiving.Quarantined as still:
                console.print(f"[yellow]{item_id}: still refused: {still.reason}: {still.detail}")
                failed += 1
            else:
                console.print(f"{item_id}: replayed as story [bold]{receipt.story_id}[/]")
            if len(item_ids) > 1:
                reporter.update("replaying", done, len(item_ids))
    if failed:
        raise CommandError(f"{failed} of {len(item_ids)} items not replayed", EXIT_FAILED)
