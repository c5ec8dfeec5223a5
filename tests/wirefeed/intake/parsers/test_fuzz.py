"""Fuzzing every parser: whatever the bytes, the only failure is a ParseError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirefeed.intake.parsers import ParseError, RawItem, parse

FORMATS = Path(__file__).resolve().parents[3] / "fixtures" / "formats"
SEEDS = sorted(p.read_bytes() for p in FORMATS.iterdir())
CONTENT_TYPES = [
    "",
    "text/plain",
    "application/json",
    "application/xml",
    "text/vnd.iptc.anpa",
    "application/vnd.iptc.g2.newsitem+xml",
    "text/plain; charset=bogus",
]


def parses_or_refuses(payload: bytes, content_type: str) -> None:
    try:
        story = parse(RawItem(payload, content_type))
    except ParseError as error:
        assert error.reason
        return
    assert story.headline.strip()


@given(st.binary(max_size=2000), st.sampled_from(CONTENT_TYPES))
@settings(max_examples=200, deadline=None)
def test_random_bytes(payload: bytes, content_type: str) -> None:
    parses_or_refuses(payload, content_type)


@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=8)), max_size=6),
    st.sampled_from(CONTENT_TYPES),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_fixtures(seed: bytes, edits: list[tuple[int, bytes]], content_type: str) -> None:
    payload = bytearray(seed)
    for position, replacement in edits:
        at = position % (len(payload) + 1)
        payload[at : at + len(replacement)] = replacement
    parses_or_refuses(bytes(payload), content_type)


SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
JSON_VALUES = (
    SCALARS
    | st.lists(SCALARS, max_size=3)
    | st.lists(
        st.dictionaries(st.sampled_from(["value", "href", "name", "role", "contentType"]), SCALARS),
        max_size=3,
    )
)
NINJS_KEYS = [
    "uri",
    "type",
    "version",
    "versionCreated",
    "pubstatus",
    "headlines",
    "bodies",
    "renditions",
    "subjects",
    "urgency",
    "embargoed",
    "by",
    "located",
]


VALID = {"uri": "urn:x:1", "headlines": [{"value": "Headline"}]}


@given(st.dictionaries(st.sampled_from(NINJS_KEYS), JSON_VALUES, max_size=6))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ninjs_shaped_documents(overrides: dict[str, object]) -> None:
    parses_or_refuses(json.dumps({**VALID, **overrides}).encode(), "application/json")


@pytest.mark.parametrize("seed", SEEDS, ids=sorted(p.name for p in FORMATS.iterdir()))
def test_every_truncation_of_a_fixture(seed: bytes) -> None:
    for end in range(0, len(seed), max(1, len(seed) // 60)):
        parses_or_refuses(seed[:end], "")
