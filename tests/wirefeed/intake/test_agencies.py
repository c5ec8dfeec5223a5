"""Agencies and their keys; intake that keeps each agency to its own stories."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from wirefeed.ingest.ingesting import ingest
from wirefeed.intake import agencies, dropbox, receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.layout import AGENCIES_KEY
from wirefeed.storage import MemoryStore


def test_keys_are_issued_rotated_and_revoked_and_stored_only_hashed(store: MemoryStore) -> None:
    agencies.add_agency(store, "efe")
    first_id, first = agencies.new_key(store, "efe")
    assert first.startswith(f"wfa_{first_id}_")
    assert first not in store.get(AGENCIES_KEY).body.decode()
    found = agencies.load(store).authenticate(first)
    assert found is not None and found.name == "efe"
    second_id, second = agencies.new_key(store, "efe", grace=timedelta(seconds=-1))
    assert agencies.load(store).authenticate(first) is None  # its grace ran out
    agencies.revoke_key(store, "efe", second_id)
    assert agencies.load(store).authenticate(second) is None
    with pytest.raises(agencies.UnknownAgency):
        agencies.revoke_key(store, "efe", second_id)
    with pytest.raises(agencies.UnknownAgency):
        agencies.new_key(store, "nobody")
    (view,) = agencies.public_view(agencies.load(store))
    assert view["name"] == "efe"
    assert view["keys"] and all("sha256" not in k and k["id"] for k in view["keys"])


def test_a_change_applies_without_a_restart(store: MemoryStore) -> None:
    source = agencies.AgencySource(store, refresh_s=0)
    assert source.current().authenticate("dev-agency-a") is None
    assert agencies.ensure_dev_agencies(store) == agencies.DEV_AGENCIES
    agencies.ensure_dev_agencies(store)  # idempotent: still one key each
    assert [len(a.keys) for a in source.current().agencies] == [1, 1]
    found = source.current().authenticate("dev-agency-b")
    assert found is not None and found.name == "agency-b"


def test_a_story_naming_another_source_is_refused_before_anything_is_stored(
    store: MemoryStore,
) -> None:
    doc = {"uri": "urn:x:1", "source": "agency-b", "headlines": [{"value": "Hello"}]}
    item = RawItem(json.dumps(doc).encode(), "application/json", "agency-a", agency="agency-a")
    with pytest.raises(receiving.ForeignSource):
        receiving.receive(store, item)
    assert list(store.list("")) == []


def test_the_drop_box_folder_names_the_agency(store: MemoryStore) -> None:
    doc = {"uri": "urn:x:1", "source": "agency-b", "headlines": [{"value": "Hello"}]}
    store.put("inbox/agency-a/foreign.json", json.dumps(doc).encode())
    store.put("inbox/agency-a/own.txt", b"Harbour\n\nReopens.")
    results = {r.key: r for r in dropbox.sweep(store, "wire", 10_000)}
    assert results["inbox/agency-a/foreign.json"].reason == "foreign_source"
    (receipt,) = results["inbox/agency-a/own.txt"].receipts
    assert receiving.load_raw(store, receipt.raw_key).source == "agency-a"


def test_ingest_holds_an_agency_to_its_source_whatever_path_the_payload_takes(
    store: MemoryStore,
) -> None:
    # A payload stored as an agency's (a replay, the reconciler) is checked again at ingest.
    doc = {"uri": "urn:x:1", "source": "agency-b", "headlines": [{"value": "Hello"}]}
    item = RawItem(json.dumps(doc).encode(), "application/json", "agency-a", agency="agency-a")
    key = receiving.store_raw(store, item)
    assert receiving.load_raw(store, key).agency == "agency-a"
    with pytest.raises(receiving.Quarantined) as refused:
        ingest(store, key)
    assert refused.value.reason == "foreign_source"
    assert list(store.list("private/stories/")) == []
