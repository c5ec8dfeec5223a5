"""SimHash fingerprints: the fast count gives exactly the textbook definition's bits.

Fingerprints live in Redis for the near-duplicate window, so a change in how they are
computed must not change a single bit of them.
"""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from wirefeed.ingest.near_duplicates import BITS, distance, shingles, simhash


def textbook_simhash(features: set[str]) -> int:
    """Each bit of each feature's hash adds one or takes one away; positive sums are set."""
    weights = [0] * BITS
    for feature in features:
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        for bit in range(BITS):
            weights[bit] += 1 if digest >> bit & 1 else -1
    return sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)


@given(st.sets(st.text(max_size=30), max_size=300))
def test_simhash_is_the_textbook_definition(features: set[str]) -> None:
    assert simhash(features) == textbook_simhash(features)


def test_a_small_edit_moves_few_bits_and_another_story_many() -> None:
    text = " ".join(f"word{n}" for n in range(300))
    edited = text.replace("word150", "changed")
    other = " ".join(f"other{n}" for n in range(300))

    original = simhash(shingles(text))

    assert distance(original, simhash(shingles(edited))) <= 3
    assert distance(original, simhash(shingles(other))) >= 16
