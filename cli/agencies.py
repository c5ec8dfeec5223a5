"""``wirefeed agencies``: the agencies that send stories, and their keys, from a shell.

Commands edit the stored list through the same audited domain functions as the admin
API (``wirefeed.editor.admin_actions``; the audit log names the shell user as
``cli:USER``); every API process picks a change up within seconds, no restart.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cli.common import GraceOption, grace_of, open_store, operator
from wirefeed.editor import admin_actions
from wirefeed.intake import agencies

app = typer.Typer(help="Agencies and their API keys.", no_args_is_help=True)
console = Console()


@app.command("add")
def add(name: str) -> None:
    """Create an agency (its name is the source of its stories); then issue it a key."""
    admin_actions.add_agency(open_store(), operator(), name)


@app.command("key")
def key(
    name: str,
    grace_s: GraceOption = None,
) -> None:
    """Issue a key for an agency; the key is printed once and stored only hashed."""
    typer.echo(admin_actions.new_agency_key(open_store(), operator(), name, grace_of(grace_s))[1])


@app.command("revoke")
def revoke(name: str, key_id: str) -> None:
    """Revoke one of an agency's keys at once."""
    admin_actions.revoke_agency_key(open_store(), operator(), name, key_id)


@app.command("list")
def list_all() -> None:
    """Show every agency and its keys (ids and dates, never the keys)."""
    table = Table("agency", "key id", "created", "expires")
    for agency in agencies.load(open_store()).agencies:
        if not agency.keys:
            table.add_row(agency.name, "-", "-", "-")
        for k in agency.keys:
            expires = k.expires.isoformat() if k.expires else "-"
            table.add_row(agency.name, k.id, k.created.isoformat(), expires)
    console.print(table)
