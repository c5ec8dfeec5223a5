"""``wirefeed quarantine list|show|replay``: inspect and replay items that were set aside."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from cli.common import EXIT_FAILED, EXIT_REFUSED, CommandError, open_store
from cli.editor import ApiOption, EditorClient, Refused
from cli.reporting import Reporter
from wirefeed.intake import receiving
from wirefeed.intake.quarantine import get_record, list_records

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
            table.add_row(
                record.id, record.at.isoformat(), record.reason, record.source, record.detail[:80]
            )
    console.print(table)


@app.command("show")
def show(item_id: str) -> None:
    """Show one item's record and the start of its raw payload."""
    store = open_store()
    record = get_record(store, item_id)
    if record is None:
        raise CommandError(f"no quarantined item {item_id}", EXIT_REFUSED)
    typer.echo(json.dumps(record.model_dump(mode="json"), indent=2))
    payload = receiving.load_raw(store, record.raw_key).payload
    typer.echo(f"--- {record.raw_key} ({len(payload)} bytes) ---")
    typer.echo(payload[:2000].decode("utf-8", errors="replace"))


@app.command("replay")
def replay(item_ids: list[str], api: ApiOption = None) -> None:
    """Take items through intake again (after a fix), each as an audited editor action.

    Every item is tried, one line each; exits 1 when any is still refused, 3 when the
    others were unknown ids, and 4 at once when the API cannot be reached.
    """
    client, failed = EditorClient(api), {404: 0, 422: 0}
    with Reporter(console) as reporter:
        for done, item_id in enumerate(item_ids, 1):
            try:
                job = client.call("POST", f"/quarantine/{item_id}/replay")
            except Refused as refused:
                # The API's answers about one item: unknown (404), or still refused (422).
                if refused.status not in failed:
                    raise  # no token, a wrong one, or the API failing: the same for every item
                console.print(f"[yellow]{item_id}: {refused.message}")
                failed[refused.status] += 1
            else:  # the job ends once the item's stories are queued for ingest
                console.print(f"{item_id}: replayed (job {job['job_id']})")
            if len(item_ids) > 1:
                reporter.update("replaying", done, len(item_ids))
    if any(failed.values()):
        code = EXIT_FAILED if failed[422] else EXIT_REFUSED
        not_replayed = sum(failed.values())
        raise CommandError(f"{not_replayed} of {len(item_ids)} items not replayed", code)
