"""``wirefeed partners`` and ``wirefeed feeds``: the subscription configuration from a shell.

Commands edit the stored configuration through the same audited domain functions as
the admin API (``wirefeed.editor.admin_actions``; the audit log names the shell user
as ``cli:USER``); workers and the gateway pick the change up within seconds, no restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.common import GraceOption, grace_of, open_store, operator
from wirefeed.editor import admin_actions
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner, SubscriptionConfig

app = typer.Typer(help="Partners, their API keys, and feeds.", no_args_is_help=True)
console = Console()


@app.command("apply")
def apply(path: Annotated[Path, typer.Argument(help="A subscriptions JSON file.")]) -> None:
    """Validate a config file against the schema and make it the live configuration."""
    config = SubscriptionConfig.model_validate_json(path.read_bytes())
    admin_actions.replace_config(open_store(), operator(), config)
    console.print(f"applied {len(config.partners)} partners and {len(config.feeds)} feeds")


@app.command("export")
def export() -> None:
    """Print the live configuration as JSON (key hashes included: keep it private)."""
    config = partners.with_firehose(partners.load_config(open_store())[0])
    typer.echo(config.model_dump_json(indent=2, exclude_none=True))


@app.command("list")
def list_all() -> None:
    """Show partners and feeds."""
    config = partners.with_firehose(partners.load_config(open_store())[0])
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
    partner = Partner(id=partner_id, name=name, rate_limit_per_minute=rate_limit)
    admin_actions.put_partner(open_store(), operator(), partner)


@app.command("remove")
def remove(partner_id: str) -> None:
    """Remove a partner that owns no feeds (and with it every key it had)."""
    admin_actions.delete_partner(open_store(), operator(), partner_id)


@app.command("key")
def key(
    partner_id: str,
    grace_s: GraceOption = None,
) -> None:
    """Issue an API key for a partner; the key is printed once and stored only hashed."""
    grace = grace_of(grace_s)
    typer.echo(admin_actions.new_partner_key(open_store(), operator(), partner_id, grace))


@app.command("revoke")
def revoke(partner_id: str, key_id: str) -> None:
    """Revoke one of a partner's keys at once."""
    admin_actions.revoke_partner_key(open_store(), operator(), partner_id, key_id)


@app.command("feed")
def feed(path: Annotated[Path, typer.Argument(help="A feed spec JSON file.")]) -> None:
    """Create or replace one feed from a JSON feed spec."""
    spec = FeedSpec.model_validate_json(path.read_bytes())
    admin_actions.put_feed(open_store(), operator(), spec)


@app.command("remove-feed")
def remove_feed(feed_id: str) -> None:
    """Remove a feed (not the firehose)."""
    admin_actions.delete_feed(open_store(), operator(), feed_id)
