"""The ``wirefeed`` command line: one module per area, gathered here.

``main`` is the entry point. Every command but ``stack`` reads a dev stack's
``.run/env`` when run beside one (see ``cli.devenv``); any failure becomes one line and
an exit code (see ``cli.common``) unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import agencies, common, devenv, editor, ops, partners, quarantine, schemas, stack

app = typer.Typer(
    help="Wirefeed: wire stories in, partner feeds out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    context: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
) -> None:
    """Wirefeed: wire stories in, partner feeds out."""
    common.OPTIONS.debug = debug
    # The stack writes .run/env; it starts from the environment, never from a past run's.
    if context.invoked_subcommand != "stack":
        devenv.load(Path.cwd())


app.add_typer(stack.app, name="stack")
app.command("submit")(stack.submit)
app.add_typer(schemas.app, name="schemas")
app.command("status")(ops.status)
app.command("reconcile")(ops.reconcile)
editor.register(app)
app.add_typer(partners.app, name="partners")
app.add_typer(agencies.app, name="agencies")
app.add_typer(quarantine.app, name="quarantine")


def main(args: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    common.OPTIONS.debug = False
    try:
        code = app(args=args, prog_name="wirefeed", standalone_mode=False)
    except typer.TyperException as usage:  # a wrong option or argument: click's own words
        show = getattr(usage, "show", None)  # usage errors print the usage line too
        if show is not None:
            show()
        else:
            print(f"error: {usage.format_message()}", file=sys.stderr)
        return usage.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if common.OPTIONS.debug:
            raise
        failure = common.describe(error)
        print(f"error: {' '.join(failure.message.split())}", file=sys.stderr)
        return failure.code
    return code if isinstance(code, int) else 0
