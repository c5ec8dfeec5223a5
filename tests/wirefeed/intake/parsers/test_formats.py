"""One hand-written fixture per wire format, parsed into the canonical story."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wirefeed.intake.parsers import ParseError, RawItem, parse, sniff
from wirefeed.model import Story

FORMATS = Path(__file__).resolve().parents[3] / "fixtures" / "formats"


def parsed(name: str, content_type: str = "") -> Story:
    return parse(RawItem((FORMATS / name).read_bytes(), content_type, source="agency"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "plain-reuters.txt",
            {
                "headline": "Russian crew lands after filming in orbit",
                "by": "Polina Ivanova",
                "located": "MOSCOW",
                "version": "2",
                "correction_note": "Corrects spelling of director's name in paragraph 2",
            },
        ),
        (
            "ninjs-1x-text.json",
            {
                "headline": "Reef survey finds coral recovery in north",
                "by": "Jane Hill",
                "versioncreated": datetime(2026, 10, 16, 16, tzinfo=UTC),
                "type": "text",
            },
        ),
        (
            "ninjs-2x-picture.json",
            {"headline": "Soyuz capsule lands in Kazakhstan", "type": "picture", "version": "0"},
        ),
        (
            "ninjs-3x-video.json",
            {
                "headline": "Watch: film crew back on Earth",
                "type": "video",
                "version": "2",
                "located": "Zhezkazgan",
                "correction_note": "Corrects the name of the landing site",
                "versioncreated": datetime(2026, 10, 17, 11, tzinfo=UTC),
            },
        ),
        (
            "nitf-3.6.xml",
            {
                "headline": "Madrid abre su primer tranvía nocturno",
                "by": "Lucía Ferrer",
                "located": "Madrid",
                "version": "2",
                "urgency": 3,
                "language": "es",
                "uri": "efe-2026-1017-0042",
                "correction_note": "Corrige el nombre de la alcaldesa en el segundo párrafo",
            },
        ),
        (
            "newsml-g2-newsitem.xml",
            {
                "headline": "Russische Filmcrew kehrt aus dem All zurück",
                "version": "3",
                "uri": "urn:newsml:dpa.example:20261017:space-crew",
                "located": "Moskau",
                "by": "Anna Weber",
                "embargoed": datetime(2026, 10, 17, 12, tzinfo=UTC),
                "correction_note": "This story has been corrected.",
                "urgency": 4,
            },
        ),
        (
            "anpa-1312.txt",
            {
                "headline": "Strong quake shakes northern Chile",
                "by": "Pedro Alvarez",
                "located": "SANTIAGO, Chile",
                "version": "2",
                "slugline": "Quake-Chile",
                "urgency": 3,
                "versioncreated": datetime(2026, 10, 17, 14, 12, tzinfo=UTC),
            },
        ),
        (
            "iptc-7901.txt",
            {
                "headline": "French parliament passes budget after all-night session",
                "located": "PARIS",
                "slugline": "FRANCE-POLITICS-BUDGET",
                "urgency": 4,
                "ednote": "check the final tally",
                "versioncreated": datetime(2026, 10, 17, 14, 12, tzinfo=UTC),
            },
        ),
    ],
)
def test_each_format_becomes_a_canonical_story(name: str, expected: dict[str, Any]) -> None:
    story = parsed(name)
    for field, value in expected.items():
        assert getattr(story, field) == value, field
    assert story.source == "agency"
    assert "<script" not in story.body_html and "onclick" not in story.body_html


@pytest.mark.parametrize(
    ("name", "in_body", "not_in_body"),
    [
        ("plain-reuters.txt", "12 days on the International", ["Read Also", "MOSCOW", "Corrects"]),
        ("nitf-3.6.xml", "<h3>Horarios</h3>", ["alert(1)", "steal()"]),
        ("newsml-g2-newsitem.xml", "<p>Die Kapsel landete in Kasachstan.</p>", ["<title>"]),
        ("anpa-1312.txt", "<p>There were no immediate reports of damage.</p>", ["Read more", "^"]),
        ("iptc-7901.txt", "<p>The vote was 289 to 250.</p>", ["not for publication", "tally"]),
        ("ninjs-2x-picture.json", "capsule lands near Zhezkazgan", []),
    ],
)
def test_bodies_keep_the_story_and_drop_the_rest(
    name: str, in_body: str, not_in_body: list[str]
) -> None:
    body = parsed(name).body_html
    assert in_body in body
    for text in not_in_body:
        assert text not in body


def test_media_items_keep_their_web_renditions() -> None:
    story = parsed("ninjs-2x-picture.json")
    assert set(story.renditions) == {"main", "preview"}  # the file:// one is not published
    main = story.renditions["main"]
    assert (main.href, main.contenttype, main.width, main.sizeinbytes) == (
        "https://media.ap.example/7f3e2a/main.jpg",
        "image/jpeg",
        3000,
        4764958,
    )
    assert parsed("ninjs-3x-video.json").renditions["main"].contenttype == "video/mp4"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ((FORMATS / "newsml-g2-packageitem.xml").read_bytes(), "package_item"),
        ((FORMATS / "ninjs-3x-event.json").read_bytes(), "unsupported_item"),
        (
            b'{"uri": "u1", "type": "picture", "headlines": [{"value": "H"}]}',
            "media_without_renditions",
        ),
        (b'{"headlines": [{"value": "H"}]}', "invalid_ninjs"),
        (b'{"uri": "u1", "headlines": []}', "no_headline"),
        (b"{not json", "invalid_json"),
        (b"<nitf><head>", "invalid_xml"),
        (b"<rss version='2.0'><channel/></rss>", "unsupported_format"),
        (b"<newsItem><itemMeta/></newsItem>", "invalid_newsml"),
        (b"\x01AFP0001 4 POL 0001\n\x02\n\x03", "empty"),
        (b"  \n\t ", "empty"),
    ],
)
def test_what_cannot_be_a_story_says_why(payload: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(RawItem(payload))
    assert caught.value.reason == reason


def test_the_package_reason_names_the_referenced_items() -> None:
    with pytest.raises(ParseError, match="story-1"):
        parsed("newsml-g2-packageitem.xml")


@pytest.mark.parametrize(
    ("text", "content_type", "fmt"),
    [
        ('{"uri": 1}', "", "ninjs"),
        ("<nitf/>", "", "xml"),
        ("Headline\n\nBody", "", "text"),
        ("\x16\x16\x01a0001\x1fx", "", "legacy"),
        ("ZCZC AFP0001 4 POL", "", "legacy"),
        ("Headline\n\nBody", "application/ninjs+json", "ninjs"),
        ("Headline", "application/vnd.iptc.g2.newsitem+xml; charset=utf-8", "xml"),
        ("Headline\x02text\x03", "text/plain", "legacy"),
        ("Headline", "text/vnd.iptc.anpa", "legacy"),
    ],
)
def test_sniffing_names_the_format(text: str, content_type: str, fmt: str) -> None:
    assert sniff(text, content_type) == fmt


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("Café crème\n\nÀ la carte.".encode("utf-16"), ""),
        (b"\xef\xbb\xbfCaf\xc3\xa9 cr\xc3\xa8me\n\n\xc3\x80 la carte.", ""),
        ("Café crème\n\nÀ la carte.".encode("latin-1"), "text/plain; charset=ISO-8859-1"),
        ("Café crème\n\nÀ la carte.".encode("cp1252"), "text/plain"),
    ],
)
def test_charsets_boms_and_bad_bytes(payload: bytes, content_type: str) -> None:
    story = parse(RawItem(payload, content_type))
    assert story.headline == "Café crème"
    assert "À la carte." in story.body_html


def test_the_xml_declaration_names_the_charset() -> None:
    story = parsed("nitf-3.6.xml")  # ISO-8859-1 bytes, declared only in the prolog
    assert "tranvía" in story.headline


def test_characters_illegal_in_xml_are_stripped() -> None:
    story = parse(RawItem(b"Head\x0bline\x00\n\nBody \x1b text\x07."))
    assert story.headline == "Headline"
    assert story.body_html == "<p>Body text.</p>"
