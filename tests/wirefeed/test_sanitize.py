"""The one sanitizer, plain-text escaping, inert text for untyped slots, language tags."""

from __future__ import annotations

import pytest

from tests.hostile_html import findings, parse, visible_text
from wirefeed.sanitize import (
    WORD_JOINER,
    clean_html,
    html_to_text,
    inert_text,
    language_tag,
    strip_xml_illegal,
    text_to_html,
)

BASE = "https://news.example.com/world/story-1.html"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<a href="/editor/logout">x</a>', "https://news.example.com/editor/logout"),
        ('<a href="../up">x</a>', "https://news.example.com/up"),
        ('<a href="#top">x</a>', "https://news.example.com/world/story-1.html#top"),
        ('<img src="pic.jpg">', "https://news.example.com/world/pic.jpg"),
        ('<a href="//cdn.example.net/a">x</a>', "https://cdn.example.net/a"),
    ],
)
def test_relative_urls_resolve_against_the_story_address(fragment: str, expected: str) -> None:
    cleaned = clean_html(fragment, BASE)
    assert expected in cleaned
    assert not findings(cleaned)


@pytest.mark.parametrize("base", [None, "urn:newsml:example:1", "tag:x,2026:1", "not a url"])
def test_relative_urls_are_dropped_without_an_absolute_address(base: str | None) -> None:
    cleaned = clean_html('<a href="/editor/logout">log out</a><img src="x" alt="x">', base)
    assert "href" not in cleaned and "src" not in cleaned
    assert visible_text(cleaned) == "log out"


def test_only_http_https_and_mailto_urls_survive() -> None:
    cleaned = clean_html(
        '<a href="https://a.example/">a</a><a href="mailto:d@example.com">m</a>'
        '<a href="javascript:alert(1)">j</a><a href="data:text/html,x">d</a>'
        '<a href="vbscript:x">v</a><a href="ftp://f.example/">f</a>'
    )
    hrefs = [e.get("href") for e in parse(cleaned).iter("a")]
    assert hrefs == ["https://a.example/", "mailto:d@example.com", None, None, None, None]


def test_script_like_elements_go_with_their_content_and_others_keep_their_text() -> None:
    cleaned = clean_html(
        "<script>s()</script><style>p{}</style><iframe>i</iframe><svg><text>g</text></svg>"
        "<math><mi>m</mi></math><form>form text<input value=v></form><object>fallback</object>"
    )
    assert visible_text(cleaned) == "form textfallback"
    assert not findings(cleaned)


def test_control_characters_are_dropped_after_parsing_as_a_browser_would() -> None:
    # To a browser "<scr\0ipt>" is an unknown element, not a script: its text shows.
    assert clean_html("<scr\x00ipt>shown</scr\x00ipt>") == "shown"
    assert clean_html("<p>bell\x07 and\x0b tab</p>") == "<p>bell and tab</p>"


def test_c1_controls_read_as_the_windows_1252_characters_they_stand_for() -> None:
    assert strip_xml_illegal("\x93quoted\x94 \x85 \x81\ufffd\ufffe") == "\u201cquoted\u201d \u2026 "


def test_plain_text_is_escaped_once_for_html() -> None:
    text = '<script>alert(1)</script> & &amp; "quotes"'
    escaped = text_to_html(text)
    assert escaped == '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &amp;amp; "quotes"'
    assert visible_text(escaped) == text


@pytest.mark.parametrize(
    "text",
    ["</b> breaks pages", "<img src=x onerror=alert(1)>", "Q&amp;A", "&#60;b&#62;", "a@b <a@b.c>"],
)
def test_inert_text_reads_the_same_and_holds_no_markup_or_entity(text: str) -> None:
    inert = inert_text(text)
    assert inert.replace(WORD_JOINER, "") == text
    root = parse(inert)
    assert not list(root), "an HTML parser found an element"
    assert visible_text(inert) == inert, "an HTML parser found a character reference"


def test_inert_text_leaves_ordinary_text_alone() -> None:
    assert inert_text("1 < 2 & 3 > 2, caf\u00e9") == "1 < 2 & 3 > 2, caf\u00e9"


def test_html_to_text_keeps_a_quoted_greater_than_inside_a_tag() -> None:
    assert html_to_text('<p><a title="a>b" href="https://x.example/">link</a></p>') == "link"


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("en", "en"),
        ("en_US", "en-US"),
        ("EN-gb", "en-GB"),
        ("eng", "en"),
        ("iw", "he"),
        ("fr-FR-u-ca-gregory", "fr-FR"),
        ("es-419", "es-419"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("zxx", None),
        ("und", None),
        ("mul", None),
        ("qaa", None),
        ("x-private", None),
        ("klingon", None),
        ("xx", None),
        ("", None),
        (None, None),
        ("123", None),
    ],
)
def test_language_tags_are_valid_bcp47_or_none(value: str | None, tag: str | None) -> None:
    assert language_tag(value) == tag
