"""``wirefeed quarantine list|show|replay``: inspect and replay items that were set aside."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.editor import ApiOption, EditorClient, WaitOption
from wirefeed.intake.quarantine import get_record, list_records
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

app = typer.Typer(help="Items that could not be processed, kept with their reason.")
console = Console()


def _store() -> S3Store:
    return S3Store(Settings.from_env())


@app.command("list")
def list_items(
    reason: Annotated[str | None, typer.Option(help="Only items with this reason.")] = None,
) -> None:
    """List quarantined items, oldest first."""
    records = sorted(list_records(_store()), key=lambda r: r.at)
    table = Table("id", "at", "reason", "source", "detail")
    for record in records:
        if reason is None or record.reason == reason:
            table.add_row(record.id, record.at.isoformat(), record.reason, record.source,
                          record.detail[:80])  # fmt: skip
    console.print(table)


@app.command("show")
def show(item_id: str) -> None:
    """Show one item's record and the start of its raw payload."""
    store = _store()
    record = get_record(store, item_id)
    if record is None:
        raise typer.BadParameter(f"no quarantined item {item_id}")
    typer.echo(json.dumps(record.model_dump(mode="json"), indent=2))
    payload = store.get(record.raw_key).body
    typer.echo(f"--- {record.raw_key} ({len(payload)} bytes) ---")
    typer.echo(payload[:2000].decode("utf-8", errors="replace"))


@app.command("replay")
def replay(item_ids: list[str], api: ApiOption = None, wait: WaitOption = 30) -> None:
    """Take items through intake again (after a fix), as an audited editor action.

    Exits with the first failing item's code (see ``wirefeed kill``): 3 when it is still
    refused or unknown, 4 when the API cannot be reached.
    """
    client = EditorClient(api)
    for item_id in item_ids:
        client.act(f"/quarantine/{item_id}/replay", None, wait)
