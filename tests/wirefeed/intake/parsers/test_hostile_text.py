"""The payloads that used to stall a parser now parse, and read as they should.

The step counts in tests/wirefeed/test_regex_work.py are the real check; these run the
issue's payloads end to end through ``parse`` (pytest-timeout is only a safety net).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_hostile_input import dateline_em_spaces, header_7901
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.intake.parsers.legacy import header_7901 as read_header


def test_a_7901_header_with_3000_spaces() -> None:
    story = parse(RawItem(header_7901()))
    assert story.headline == "Budget passes after a night of spaces"
    assert story.urgency == 4
    assert story.located == "PARIS"


def test_a_dateline_with_60000_em_spaces_is_text_not_a_dateline() -> None:
    story = parse(RawItem(dateline_em_spaces()))
    assert story.headline == "Sixty thousand em spaces in a dateline"
    assert story.located is None
    assert "A dateline that never ends." in story.bodies[0].value


@pytest.mark.parametrize(
    ("header", "priority", "keywords"),
    [
        ("AFP0733 4 POL 0087", 4, ""),
        ("AFP 0733 2 ECO 12 EU-BUDGET", 2, "EU-BUDGET"),
        ("1 SPO", 1, ""),
        ("\n   \nREU0001   3   GEN   FRANCE STRIKE", 3, "FRANCE STRIKE"),
    ],
)
def test_7901_header_lines(header: str, priority: int, keywords: str) -> None:
    found = read_header(header)
    assert found is not None
    assert (found.priority, found.keywords) == (priority, keywords)


@pytest.mark.parametrize("header", ["", "FRANCE-POLITICS", "AFP0733 X POL", " " * 10_000])
def test_not_a_7901_header_line(header: str) -> None:
    assert read_header(header) is None


def test_no_text_field_keeps_a_character_xml_forbids() -> None:
    doc = (
        '{"uri": "urn:x:\\u0001", "version": "\\u0002", "headlines": [{"value": "Quake\\u0000"}],'
        ' "ednote": "Corrects\\u001b", "language": "en\\u0008", "body_text": "Text\\u0007."}'
    )
    story = parse(RawItem(doc.encode(), "application/json"))
    assert story.headline == "Quake"
    assert (story.uri, story.version, story.ednote) == ("urn:x:", "", "Corrects")
    assert story.language == "en"
    plain = parse(RawItem(b"\x01AFP0733 4 POL 12 SL\x07UG\x1b\x02Headline\nText.\x03"))
    assert plain.slugline == "SLUG"
