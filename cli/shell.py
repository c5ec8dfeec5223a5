"""What every bucket-editing command shares: the store it edits and one-line refusals."""

from __future__ import annotations

from collections.abc import Callable

import typer
from pydantic import ValidationError
from rich.console import Console

from wirefeed.settings import Settings
from wirefeed.storage import S3Store

console = Console()


def store() -> S3Store:
    """The bucket the environment names."""
    return S3Store(Settings.from_env())


def run_refusable(action: Callable[[], object], *refusals: type[Exception]) -> None:
    """Run an edit; report a refusal (or an invalid value) as a one-line error and exit 1."""
    caught: tuple[type[Exception], ...] = (*refusals, ValidationError)
    try:
        action()
    except caught as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from exc
