"""The stored subscription configuration: edits, live reloads, keys, and partner access."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import SCHEMA_DIR
from wirefeed.layout import SUBSCRIPTIONS_KEY
from wirefeed.model import utcnow
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Filter, Partner, SubscriptionConfig
from wirefeed.storage import MemoryStore

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def configured(store: MemoryStore) -> MemoryStore:
    partners.put_partner(store, Partner(id="acme", name="Acme"))
    partners.put_partner(store, Partner(id="zeta", name="Zeta"))
    sport = Filter(keywords=["sport"])
    partners.put_feed(
        store, FeedSpec(id="acme-sport", title="Sport", public=False, partner="acme", filter=sport)
    )
    partners.put_feed(store, FeedSpec(id="zeta-news", title="News", public=False, partner="zeta"))
    return store


def test_changes_apply_without_a_restart_once_the_etag_moves(configured: MemoryStore) -> None:
    now = [0.0]
    source = partners.SubscriptionSource(configured, refresh_s=5, clock=lambda: now[0])
    assert source.current().get("acme-sport") is not None
    partners.put_feed(configured, FeedSpec(id="late", title="Late"))
    assert source.current().get("late") is None  # not re-checked within refresh_s
    now[0] = 5.0
    assert source.current().get("late") is not None
    assert source.current().get("all") is not None  # the firehose is always there


def test_the_stored_config_is_validated_json(configured: MemoryStore) -> None:
    stored = SubscriptionConfig.model_validate_json(configured.get(SUBSCRIPTIONS_KEY).body)
    assert [f.id for f in stored.feeds] == ["all", "acme-sport", "zeta-news"]


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda s: partners.delete_partner(s, "acme"), partners.ConfigError, "still owns"),
        (lambda s: partners.delete_partner(s, "ghost"), partners.UnknownName, "no partner"),
        (lambda s: partners.delete_feed(s, "all"), partners.ConfigError, "cannot be removed"),
        (lambda s: partners.delete_feed(s, "ghost"), partners.UnknownName, "no feed"),
        (
            lambda s: partners.put_feed(s, FeedSpec(id="x", title="X", partner="ghost")),
            partners.ConfigError,
            "unknown partners",
        ),
        (lambda s: partners.new_partner_key(s, "ghost"), partners.UnknownName, "no partner"),
    ],
)
def test_refused_edits_store_nothing(configured: MemoryStore, edit, error, message) -> None:  # type: ignore[no-untyped-def]
    before = configured.get(SUBSCRIPTIONS_KEY).body
    with pytest.raises(error, match=message):
        edit(configured)
    assert configured.get(SUBSCRIPTIONS_KEY).body == before


def test_keys_are_stored_hashed_and_authenticate_their_partner(configured: MemoryStore) -> None:
    secret = partners.new_partner_key(configured, "acme")
    stored = configured.get(SUBSCRIPTIONS_KEY).body.decode()
    assert secret not in stored
    config = partners.load_config(configured)[0]
    partner = partners.authenticate(config, secret)
    assert partner is not None and partner.id == "acme"
    assert partners.authenticate(config, secret[:-1] + "x") is None
    assert partners.authenticate(config, "not-a-key") is None


def test_rotation_keeps_the_old_key_for_the_grace_period_only(configured: MemoryStore) -> None:
    old = partners.new_partner_key(configured, "acme")
    new = partners.new_partner_key(configured, "acme", grace=timedelta(minutes=5))
    config = partners.load_config(configured)[0]
    assert partners.authenticate(config, old) is not None
    assert partners.authenticate(config, new) is not None
    later = utcnow() + timedelta(minutes=6)
    assert partners.authenticate(config, old, now=later) is None
    assert partners.authenticate(config, new, now=later) is not None
    key_id = new.split("_")[1]
    partners.revoke_partner_key(configured, "acme", key_id)
    assert partners.authenticate(partners.load_config(configured)[0], new) is None


def test_applying_a_config_file_keeps_partner_keys(configured: MemoryStore) -> None:
    secret = partners.new_partner_key(configured, "acme")
    new = SubscriptionConfig(
        partners=[Partner(id="acme", name="Acme Media")],
        feeds=[FeedSpec(id="acme-all", title="All", public=False, partner="acme")],
    )
    partners.replace_config(configured, new)
    config = partners.load_config(configured)[0]
    assert [f.id for f in config.feeds] == ["acme-all"]
    assert partners.authenticate(config, secret) is not None
    assert partners.with_firehose(config).feed("all") is not None


@pytest.mark.parametrize(
    ("partner_id", "path", "expected"),
    [
        ("acme", "acme-sport.rss", "private/feeds/acme-sport.rss"),
        ("acme", "acme-sport/archive/3.json", "private/feeds/acme-sport/archive/3.json"),
        ("acme", "all.atom", "feeds/all.atom"),
        ("acme", "zeta-news.rss", None),  # another partner's feed: same as missing
        ("acme", "ghost.rss", None),
        ("acme", "acme-sport.xml", None),
        ("acme", "../state/feeds/acme-sport.json", None),
        ("zeta", "acme-sport.rss", None),
    ],
)
def test_a_partner_reads_only_its_own_and_public_feeds(
    configured: MemoryStore, partner_id: str, path: str, expected: str | None
) -> None:
    config = partners.load_config(configured)[0]
    partner = config.partner(partner_id)
    assert partner is not None
    assert partners.readable_document(config, partner, path) == expected


def test_the_example_config_file_validates_against_the_schema() -> None:
    example = json.loads((REPO / "infra" / "subscriptions.example.json").read_text())
    schema = json.loads((SCHEMA_DIR / "subscriptions.schema.json").read_text())
    assert list(Draft202012Validator(schema).iter_errors(example)) == []
    SubscriptionConfig.model_validate(example)
    example["feeds"][1]["filter"]["subjects"] = "medtop:15000000"  # a string, not a list
    assert list(Draft202012Validator(schema).iter_errors(example))
