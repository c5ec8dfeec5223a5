"""The ``wirefeed`` command line: one module per area, gathered here.

``main`` is the entry point: it reads a dev stack's ``.run/env`` when run beside one
(see ``cli.devenv``), and turns any failure into one line and an exit code (see
``cli.common``) unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from cli import common, devenv, editor, ops, partners, quarantine, schemas, stack

app = typer.Typer(
    help="Wirefeed: wire stories in, partner feeds out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
) -> None:
    """Wirefeed: wire stories in, partner feeds out."""
    common.OPTIONS.debug = debug


app.add_typer(stack.app, name="stack")
app.command("submit")(stack.submit)
app.add_typer(schemas.app, name="schemas")
app.command("status")(ops.status)
app.command("reconcile")(ops.reconcile)
editor.register(app)
app.add_typer(partners.app, name="partners")
app.add_typer(quarantine.app, name="quarantine")


def main(args: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    devenv.load(Path.cwd())
    common.OPTIONS.debug = False
    try:
        code = app(args=args, prog_name="wirefeed", standalone_mode=False)
    except click.ClickException as usage:  # click's own words for a wrong option or argument
        usage.show()
        return usage.exit_code
    except (click.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if common.OPTIONS.debug:
            raise
        failure = common.describe(error)
        print(f"error: {' '.join(failure.message.split())}", file=sys.stderr)
        return failure.code
    return code if isinstance(code, int) else 0
