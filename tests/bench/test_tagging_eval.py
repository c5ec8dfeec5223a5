"""The tagging evaluation set: its size, its coverage and the frozen held-out half."""

from __future__ import annotations

from bench.tagging import HELDOUT_SHA256, heldout_checksum, load_eval_set
from wirefeed.enrich.topics import Taxonomy


def test_the_held_out_half_is_unchanged_since_it_was_frozen() -> None:
    # Rules, vocabulary and the topic model are never written against this half; a
    # change to it must be a deliberate new freeze (and a new checksum in bench/tagging.py).
    assert heldout_checksum() == HELDOUT_SHA256


def test_both_halves_cover_every_top_level_topic_with_unique_ids() -> None:
    items = load_eval_set()
    assert len(items) >= 300
    assert len({item["id"] for item in items}) == len(items)
    tops = set(Taxonomy.packaged().top_codes)
    for split in ("dev", "heldout"):
        half = [item for item in items if item["split"] == split]
        assert len(half) >= 150
        assert {code for item in half for code in item["topics"]} == tops
        assert all(set(item["topics"]) <= tops for item in half)
