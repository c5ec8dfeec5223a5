"""Near-duplicate detection: SimHash over word shingles, with a banded Redis index.

Two stories whose 64-bit fingerprints differ in at most ``distance`` bits are taken as
the same story. Splitting the fingerprint into ``distance + 1`` bands means two such
fingerprints agree exactly on at least one band (pigeonhole), so candidates come from
one set lookup per band instead of a scan. The index is a cache with a time window:
losing it only means a duplicate is not spotted, never that a story is lost.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from wirefeed.model import Story
from wirefeed.sanitize import html_to_text

BITS = 64
SHINGLE_WORDS = 3
# Below this many shingles (about a 40-word story) a fingerprint says too little to call
# two stories the same: two flashes that differ in a number or a place ("magnitude 6.1
# hits Japan" / "5.2 hits Chile") share most of their shingles. Holding back a distinct
# flash costs far more than publishing a short repeat.
MIN_SHINGLES = 40
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The overlapping runs of ``size`` words in ``text``, case-folded."""
    words = _WORD.findall(text.casefold())
    return {" ".join(words[i : i + size]) for i in range(max(0, len(words) - size + 1))}


def simhash(features: set[str]) -> int:
    """The 64-bit SimHash of a set of features (each weighted equally).

    A bit is set where more than half of the features' hashes have it set. The hashes
    are counted column by column as binary strings: the same result as adding up each
    bit of each hash, at a quarter of the cost (this runs on every story ingested).
    """
    half = len(features) / 2
    hashes = (hashlib.blake2b(f.encode(), digest_size=8).digest() for f in features)
    # Column 0 of a 64-character binary string is the most significant bit.
    columns = zip(*(format(int.from_bytes(h, "big"), f"0{BITS}b") for h in hashes), strict=True)
    return sum(1 << (BITS - 1 - i) for i, column in enumerate(columns) if column.count("1") > half)


def distance(a: int, b: int) -> int:
    """Hamming distance of two fingerprints."""
    return (a ^ b).bit_count()


def story_text(story: Story) -> str:
    """What a reader reads: headline and body text."""
    return f"{story.headline}\n{html_to_text(story.body_html)}"


def fingerprint(story: Story) -> int | None:
    """The story's SimHash, or None when it is too short to compare."""
    features = shingles(story_text(story))
    return simhash(features) if len(features) >= MIN_SHINGLES else None


class NearDuplicateIndex:
    """Recent fingerprints in Redis, banded for lookup."""

    PREFIX = "wirefeed:simhash"

    def __init__(self, redis: Any, max_distance: int, window_s: int) -> None:
        self.redis = redis
        self.max_distance = max_distance
        self.window_s = window_s
        bands = max(1, max_distance + 1)
        self.band_bits = [BITS // bands + (1 if i < BITS % bands else 0) for i in range(bands)]

    @property
    def enabled(self) -> bool:
        return self.max_distance >= 0

    def _band_keys(self, value: int) -> list[str]:
        keys, shift = [], 0
        for index, width in enumerate(self.band_bits):
            part = value >> shift & ((1 << width) - 1)
            keys.append(f"{self.PREFIX}:band:{index}:{part:x}")
            shift += width
        return keys

    def find(self, story_id: str, value: int) -> str | None:
        """The id of an indexed story within the distance (the closest), or None."""
        if not self.enabled:
            return None
        pipe = self.redis.pipeline()
        for key in self._band_keys(value):
            pipe.smembers(key)
        candidates = sorted(
            {m.decode() for members in pipe.execute() for m in members} - {story_id}
        )
        if not candidates:
            return None
        stored = self.redis.mget([f"{self.PREFIX}:value:{c}" for c in candidates])
        scored = [
            (distance(value, int(raw)), candidate)
            for candidate, raw in zip(candidates, stored, strict=True)
            if raw is not None
        ]
        close = [pair for pair in scored if pair[0] <= self.max_distance]
        return min(close)[1] if close else None

    def add(self, story_id: str, value: int) -> None:
        """Index a story's fingerprint for the time window."""
        if not self.enabled:
            return
        pipe = self.redis.pipeline()
        for key in self._band_keys(value):
            pipe.sadd(key, story_id)
            pipe.expire(key, self.window_s)
        pipe.set(f"{self.PREFIX}:value:{story_id}", str(value), ex=self.window_s)
        pipe.execute()
