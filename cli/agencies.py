"""``wirefeed agencies``: the agencies that send stories, and their keys, from a shell.

Commands edit the stored list directly, through the same domain functions the admin
API calls; every API process picks a change up within seconds, no restart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from cli.shell import console, run_refusable, store
from wirefeed.intake import agencies
from wirefeed.storage import S3Store

app = typer.Typer(help="Agencies and their API keys.", no_args_is_help=True)


def _store() -> S3Store:
    return store()


def _run(action: Callable[[], object]) -> None:
    """Report a refused edit as a one-line error and exit 1."""
    run_refusable(action, agencies.AgencyError)


@app.command("add")
def add(name: str) -> None:
    """Create an agency (its name is the source of its stories); then issue it a key."""
    _run(lambda: agencies.add_agency(_store(), name))


@app.command("key")
def key(
    name: str,
    grace_s: Annotated[
        int | None, typer.Option(help="Rotate: older keys expire after this many seconds.")
    ] = None,
) -> None:
    """Issue a key for an agency; the key is printed once and stored only hashed."""

    def action() -> None:
        grace = timedelta(seconds=grace_s) if grace_s is not None else None
        typer.echo(agencies.new_key(_store(), name, grace)[1])

    _run(action)


@app.command("revoke")
def revoke(name: str, key_id: str) -> None:
    """Revoke one of an agency's keys at once."""
    _run(lambda: agencies.revoke_key(_store(), name, key_id))


@app.command("list")
def list_all() -> None:
    """Show every agency and its keys (ids and dates, never the keys)."""
    table = Table("agency", "key id", "created", "expires")
    for agency in agencies.load(_store()).agencies:
        if not agency.keys:
            table.add_row(agency.name, "-", "-", "-")
        for k in agency.keys:
            expires = k.expires.isoformat() if k.expires else "-"
            table.add_row(agency.name, k.id, k.created.isoformat(), expires)
    console.print(table)
