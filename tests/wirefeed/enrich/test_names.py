from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirefeed.enrich.names import looks_like_name, prepare_for_ner, quoted_titles, trim_span


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oleg Novitskiy- Russian cosmonaut", "Oleg Novitskiy, Russian cosmonaut"),
        ("Klim Shipenko-producer and director", "Klim Shipenko,producer and director"),
        ("the Russia-leased Baikonur Cosmodrome", "the Russia,leased Baikonur Cosmodrome"),
        # Hyphenated names and ordinary compounds stay whole.
        ("Jean-Pierre Dubois met Coca-Cola", "Jean-Pierre Dubois met Coca-Cola"),
        ("the director Park Chan-wook", "the director Park Chan-wook"),
        ("a full-length film by al-Assad", "a full-length film by al-Assad"),
        ("Soyuz MS-18 landed", "Soyuz MS-18 landed"),
        ("in 2020 - the year", "in 2020 - the year"),
    ],
)
def test_prepare_for_ner_unglues_names(text: str, expected: str) -> None:
    assert prepare_for_ner(text) == expected


@given(st.text())
def test_prepare_for_ner_keeps_offsets_valid(text: str) -> None:
    assert len(prepare_for_ner(text)) == len(text)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("“The Challenge”", "Challenge"),
        ("NASA\u2019s", "NASA"),
        ("Elon Musk's", "Elon Musk"),
        ("the Kremlin", "Kremlin"),
        ("Oleg Novitskiy-", "Oleg Novitskiy"),
        ("Mr. Biden", "Biden"),
        ("Dr Aiko Tanaka,", "Aiko Tanaka"),
        ("The", "The"),
    ],
)
def test_trim_span(span: str, expected: str) -> None:
    start, end = trim_span(span, 0, len(span))
    assert span[start:end] == expected


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Oleg Novitskiy", True),
        ("Bank of England", True),
        ("NASA", True),
        ("Soyuz MS-18", True),
        ("the movie", False),
        ("12 days", False),
        ("2020", False),
        ("X", False),
        ("One Two Three Four Five Six Seven", False),
        ("Russian crew\nreturns", False),
        ("“The Challenge", False),
    ],
)
def test_looks_like_name(name: str, ok: bool) -> None:
    assert looks_like_name(name) is ok


def test_quoted_titles_are_found_in_any_quote_style() -> None:
    text = "the movie “The Challenge” and the book \"War and Peace\"; he said 'no'."
    assert quoted_titles(text) == {"the challenge", "war and peace"}
