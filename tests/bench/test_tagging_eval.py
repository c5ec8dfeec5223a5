"""The tagging evaluation set: its size, its coverage and the frozen held-out half."""

from __future__ import annotations

import json
from collections import Counter

from bench.tagging import HELDOUT_SHA256, heldout_checksum, load_eval_set
from bench.train_topics import TRAIN_SET
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


def test_the_topic_training_stories_cover_every_topic_evenly_apart_from_the_eval_set() -> None:
    # bench/topic-train.jsonl teaches the topic model only: its stories are none of the
    # evaluation set's, and every top-level topic has a fair share of them.
    train = [json.loads(line) for line in TRAIN_SET.read_text("utf-8").splitlines() if line]
    assert len(train) >= 400
    assert len({item["id"] for item in train}) == len(train)
    tops = set(Taxonomy.packaged().top_codes)
    assert all(item["topics"] and set(item["topics"]) <= tops for item in train)
    firsts = Counter(item["topics"][0] for item in train)
    assert set(firsts) == tops and min(firsts.values()) >= 20
    assert sum(len(item["text"].split()) < 60 for item in train) >= 100  # briefs
    evaluated = {item["text"] for item in load_eval_set()}
    assert not evaluated & {item["text"] for item in train}
    assert all("split" not in item for item in train)
