from __future__ import annotations

import pytest

from wirefeed import pipeline
from wirefeed.layout import story_key
from wirefeed.parsers import RawItem
from wirefeed.quarantine import list_records
from wirefeed.state import Stage, load_state
from wirefeed.storage import MemoryStore
from wirefeed.taggers import build_pipeline

TEXT = b"Quake hits the coast\n\nA strong earthquake struck the coast on Monday.\n\nRead Also: more"


def test_receive_stores_the_payload_before_anything_else() -> None:
    store = MemoryStore()
    receipt = pipeline.receive(store, RawItem(TEXT, "text/plain", source="agency"))
    raw = pipeline.load_raw(store, receipt.raw_key)
    assert raw.payload == TEXT
    assert raw.source == "agency"
    state = load_state(store, receipt.story_id)
    assert state is not None
    assert state.stage is Stage.received
    assert state.raw_keys == [receipt.raw_key]


def test_unparseable_payload_is_kept_and_quarantined() -> None:
    store = MemoryStore()
    with pytest.raises(pipeline.Quarantined) as caught:
        pipeline.receive(store, RawItem(b"   \n ", "text/plain"))
    records = list(list_records(store))
    assert [r.id for r in records] == [caught.value.record_id]
    assert records[0].reason == "empty"
    assert store.get(records[0].raw_key).body == b"   \n "


def test_ingest_then_enrich_is_idempotent() -> None:
    store = MemoryStore()
    receipt = pipeline.receive(store, RawItem(TEXT, "text/plain"))
    first = pipeline.ingest(store, receipt.raw_key)
    assert first.accepted
    stored = store.get(story_key(receipt.story_id)).body
    again = pipeline.ingest(store, receipt.raw_key)
    assert not again.accepted
    assert store.get(story_key(receipt.story_id)).body == stored

    taggers = build_pipeline(["keywords"])
    tagged = pipeline.enrich(store, receipt.story_id, taggers)
    assert tagged is not None
    assert tagged.word_count and tagged.word_count > 5
    after_first = store.get(story_key(receipt.story_id)).body
    pipeline.enrich(store, receipt.story_id, taggers)
    assert store.get(story_key(receipt.story_id)).body == after_first
