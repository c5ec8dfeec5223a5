"""Administrative edits leave the same audit entries from the API and the command line."""

from __future__ import annotations

import pytest

from wirefeed.editor import admin_actions
from wirefeed.editor.audit import Result, query
from wirefeed.intake import agencies
from wirefeed.publish import subscription_store as partners
from wirefeed.publish.subscriptions import FeedSpec, Partner
from wirefeed.storage import MemoryStore


def test_each_edit_is_audited_as_done_under_its_user(store: MemoryStore) -> None:
    admin_actions.put_partner(store, "cli:ann", Partner(id="acme", name="Acme"))
    secret = admin_actions.new_partner_key(store, "cli:ann", "acme")
    key_id = secret.split("_")[1]
    admin_actions.revoke_partner_key(store, "admin-token", "acme", key_id)
    spec = FeedSpec(id="acme-news", title="News", public=False, partner="acme")
    admin_actions.put_feed(store, "cli:ann", spec)
    admin_actions.delete_feed(store, "cli:ann", "acme-news")
    admin_actions.delete_partner(store, "cli:ann", "acme")

    entries = list(reversed(query(store)))
    assert [(e.action, e.user, e.result) for e in entries] == [
        ("partner.put", "cli:ann", Result.done),
        ("partner.key", "cli:ann", Result.done),
        ("partner.revoke", "admin-token", Result.done),
        ("feed.put", "cli:ann", Result.done),
        ("feed.delete", "cli:ann", Result.done),
        ("partner.delete", "cli:ann", Result.done),
    ]
    assert all(secret not in (e.detail or "") for e in entries), "a key is never logged"
    assert [e.action for e in query(store, feed_id="acme-news")] == ["feed.delete", "feed.put"]
    assert partners.load_config(store)[0].partners == []


def test_a_refused_edit_is_audited_with_its_reason_and_raised(store: MemoryStore) -> None:
    orphan = FeedSpec(id="lost", title="Lost", public=False, partner="nobody")
    with pytest.raises(partners.ConfigError):
        admin_actions.put_feed(store, "cli:ann", orphan)
    [entry] = query(store, user="cli:ann")
    assert (entry.action, entry.result, entry.feed_id) == ("feed.put", Result.refused, "lost")
    assert "nobody" in (entry.detail or "")


def test_agency_edits_are_audited_and_a_key_never_logged(store: MemoryStore) -> None:
    admin_actions.add_agency(store, "cli:ann", "reuters")
    key_id, secret = admin_actions.new_agency_key(store, "admin-token", "reuters")
    admin_actions.revoke_agency_key(store, "cli:ann", "reuters", key_id)
    with pytest.raises(agencies.UnknownAgency):
        admin_actions.new_agency_key(store, "cli:ann", "nobody")

    entries = list(reversed(query(store)))
    assert [(e.action, e.user, e.result) for e in entries] == [
        ("agency.add", "cli:ann", Result.done),
        ("agency.key", "admin-token", Result.done),
        ("agency.revoke", "cli:ann", Result.done),
        ("agency.key", "cli:ann", Result.refused),
    ]
    assert key_id in (entries[2].detail or "") and "nobody" in (entries[3].detail or "")
    assert all(secret not in (e.detail or "") for e in entries), "a key is never logged"
    assert agencies.load(store).get("reuters") is not None
