"""``wirefeed schemas``: regenerate the JSON Schema contracts."""

from __future__ import annotations

import typer

from wirefeed import schemas

app = typer.Typer(help="The JSON Schema contracts in schemas/.", no_args_is_help=True)


@app.command("write")
def write() -> None:
    """Regenerate schemas/*.schema.json from the models."""
    for path in schemas.write():
        typer.echo(f"wrote {path}")


@app.command("check")
def check() -> None:
    """Exit 1 when a schema file differs from its model."""
    stale = schemas.stale()
    if stale:
        typer.echo(f"stale schemas: {', '.join(stale)}; run `wirefeed schemas write`", err=True)
        raise typer.Exit(1)
    typer.echo("schemas are up to date")
