from __future__ import annotations

import pytest

from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import build_pipeline
from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.quarantine import list_records
from wirefeed.layout import story_key
from wirefeed.progress import Stage, load_state
from wirefeed.storage import MemoryStore

TEXT = b"Quake hits the coast\n\nA strong earthquake struck the coast on Monday.\n\nRead Also: more"


def test_receive_stores_the_payload_before_anything_else() -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, RawItem(TEXT, "text/plain", source="agency"))
    raw = receiving.load_raw(store, receipt.raw_key)
    assert raw.payload == TEXT
    assert raw.source == "agency"
    # The stored payload is the only record intake writes: one request.
    assert store.puts == 1 and load_state(store, receipt.story_id) is None


def test_ingest_stores_the_progress_with_the_story() -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, RawItem(TEXT, "text/plain", source="agency"))
    ingesting.ingest(store, receipt.raw_key)
    state = load_state(store, receipt.story_id)
    assert state is not None
    assert (state.stage, state.version) == (Stage.parsed, "1")
    assert [t.stage for t in state.history] == [Stage.received, Stage.parsed]
    assert store.puts == 2  # the payload, then the story with its progress


def test_unparseable_payload_is_kept_and_quarantined() -> None:
    store = MemoryStore()
    with pytest.raises(receiving.Quarantined) as caught:
        receiving.receive(store, RawItem(b"   \n ", "text/plain"))
    records = list(list_records(store))
    assert [r.id for r in records] == [caught.value.record_id]
    assert records[0].reason == "empty"
    assert store.get(records[0].raw_key).body == b"   \n "


def test_ingest_then_enrich_is_idempotent() -> None:
    store = MemoryStore()
    receipt = receiving.receive(store, RawItem(TEXT, "text/plain"))
    first = ingesting.ingest(store, receipt.raw_key)
    assert first.accepted
    stored = store.get(story_key(receipt.story_id)).body
    again = ingesting.ingest(store, receipt.raw_key)
    assert not again.accepted
    assert store.get(story_key(receipt.story_id)).body == stored

    taggers = build_pipeline(["keywords"])
    tagged = enriching.enrich(store, receipt.story_id, taggers)
    assert tagged is not None
    assert tagged.story.word_count and tagged.story.word_count > 5
    after_first = store.get(story_key(receipt.story_id)).body
    enriching.enrich(store, receipt.story_id, taggers)
    assert store.get(story_key(receipt.story_id)).body == after_first
