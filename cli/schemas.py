"""``wirefeed schemas``: regenerate the JSON Schema contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wirefeed import schemas

DirOption = Annotated[
    Path, typer.Option("--dir", help="Where the contracts live (the repository's schemas/).")
]

app = typer.Typer(help="The JSON Schema contracts in schemas/.", no_args_is_help=True)


@app.command("write")
def write(directory: DirOption = Path("schemas")) -> None:
    """Regenerate schemas/*.schema.json from the models."""
    for path in schemas.write(directory):
        typer.echo(f"wrote {path}")


@app.command("check")
def check(directory: DirOption = Path("schemas")) -> None:
    """Exit 1 when a schema file differs from its model."""
    stale = schemas.stale(directory)
    if stale:
        typer.echo(f"stale schemas: {', '.join(stale)}; run `wirefeed schemas write`", err=True)
        raise typer.Exit(1)
    typer.echo("schemas are up to date")
