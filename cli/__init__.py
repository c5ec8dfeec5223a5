"""The ``wirefeed`` command line: one module per area, gathered here."""

from __future__ import annotations

import typer

from cli import agencies, editor, ops, partners, quarantine, schemas, stack

app = typer.Typer(help="Wirefeed: wire stories in, partner feeds out.", no_args_is_help=True)
app.add_typer(stack.app, name="stack")
app.command("submit")(stack.submit)
app.add_typer(schemas.app, name="schemas")
app.command("status")(ops.status)
app.command("reconcile")(ops.reconcile)
editor.register(app)
app.add_typer(partners.app, name="partners")
app.add_typer(agencies.app, name="agencies")
app.add_typer(quarantine.app, name="quarantine")
