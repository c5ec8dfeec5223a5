"""``wirefeed partners`` and ``wirefeed feeds``: the subscription configuration from a shell.

Commands edit the stored configuration directly (the same domain functions the admin
API calls); workers and the gateway pick the change up within seconds, no restart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.shell import console, run_refusable, store
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner, SubscriptionConfig
from wirefeed.storage import S3Store

app = typer.Typer(help="Partners, their API keys, and feeds.", no_args_is_help=True)


def _store() -> S3Store:
    return store()


def _run(action: Callable[[], object]) -> None:
    """Report a refused edit as a one-line error and exit 1."""
    run_refusable(action, partners.ConfigError)


@app.command("apply")
def apply(path: Annotated[Path, typer.Argument(help="A subscriptions JSON file.")]) -> None:
    """Validate a config file against the schema and make it the live configuration."""

    def action() -> None:
        config = SubscriptionConfig.model_validate_json(path.read_bytes())
        partners.replace_config(_store(), config)
        console.print(f"applied {len(config.partners)} partners and {len(config.feeds)} feeds")

    _run(action)


@app.command("export")
def export() -> None:
    """Print the live configuration as JSON (key hashes included: keep it private)."""
    config = partners.with_firehose(partners.load_config(_store())[0])
    typer.echo(config.model_dump_json(indent=2, exclude_none=True))


@app.command("list")
def list_all() -> None:
    """Show partners and feeds."""
    config = partners.with_firehose(partners.load_config(_store())[0])
    table = Table("feed", "owner", "public", "size", "filter")
    for feed in config.feeds:
        selection = feed.filter.model_dump(exclude_defaults=True)
        table.add_row(
            feed.id, feed.partner or "-", str(feed.public), str(feed.size), json.dumps(selection)
        )
    console.print(table)
    for partner in config.partners:
        console.print(f"partner {partner.id} ({partner.name}): keys {[k.id for k in partner.keys]}")


@app.command("add")
def add(
    partner_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    rate_limit: Annotated[int, typer.Option(help="Requests per minute.")] = 600,
) -> None:
    """Create or update a partner."""
    _run(
        lambda: partners.put_partner(
            _store(), Partner(id=partner_id, name=name, rate_limit_per_minute=rate_limit)
        )
    )


@app.command("key")
def key(
    partner_id: str,
    grace_s: Annotated[
        int | None, typer.Option(help="Rotate: older keys expire after this many seconds.")
    ] = None,
) -> None:
    """Issue an API key for a partner; the key is printed once and stored only hashed."""

    def action() -> None:
        grace = timedelta(seconds=grace_s) if grace_s is not None else None
        typer.echo(partners.new_partner_key(_store(), partner_id, grace))

    _run(action)


@app.command("revoke")
def revoke(partner_id: str, key_id: str) -> None:
    """Revoke one of a partner's keys at once."""
    _run(lambda: partners.revoke_partner_key(_store(), partner_id, key_id))


@app.command("feed")
def feed(path: Annotated[Path, typer.Argument(help="A feed spec JSON file.")]) -> None:
    """Create or replace one feed from a JSON feed spec."""
    _run(lambda: partners.put_feed(_store(), FeedSpec.model_validate_json(path.read_bytes())))


@app.command("remove-feed")
def remove_feed(feed_id: str) -> None:
    """Remove a feed (not the firehose)."""
    _run(lambda: partners.delete_feed(_store(), feed_id))
