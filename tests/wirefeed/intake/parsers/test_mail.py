"""E-mail deliveries go through the same cleaning and the same error net as every format."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import feedparser
import pytest
from defusedxml import ElementTree

from wirefeed.intake.parsers import Delivery, ParseError, RawItem, mail, parse, parse_delivery
from wirefeed.model import Body, Headline, Story
from wirefeed.publish.feeds import FeedDocument, FeedLinks, entry_from_story, render
from wirefeed.publish.subscriptions import FeedSpec
from wirefeed.settings import Settings

# What XML 1.0 forbids (and the C1 controls, which it discourages).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x1f"


def _mail(subject: bytes, content_type: bytes, body: bytes) -> bytes:
    return (
        b"From: Jane Smith <jane@example.com>\r\n"
        b"To: desk@example.com\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: <storm\x01\x02@example.com>\r\n"
        b"Content-Language: en\x07\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: " + content_type + b"\r\n\r\n" + body
    )


MAILS = {
    "plain": _mail(
        b"Storm\x07 hits\x1b the\x0b coast",
        b"text/plain; charset=utf-8",
        b"LONDON\x07 (AP) -- The storm\x08 hit the\x0c coast at dawn.\x00\r\n\r\n"
        b"Second\x1f paragraph \x01with\x02 controls.\r\n",
    ),
    # An RFC 2047 encoded subject can carry any byte, controls included.
    "encoded subject, html body": _mail(
        b"=?utf-8?q?Storm=07_hits=1B_the=0B_coast?=",
        b"text/html; charset=utf-8",
        b"<p>The storm\x08 hit the\x0c coast at dawn.\x00</p>"
        b"<p title='a\x01b'>Second\x1f paragraph \x01with\x02 controls.</p>",
    ),
}


def _feeds(story: Story, settings: Settings) -> dict[str, bytes]:
    doc = FeedDocument(feed_id="mail")
    doc.upsert(entry_from_story(story, settings), size=10)
    links = FeedLinks(FeedSpec(id="mail", title="Mail"), settings)
    return {fmt: render(doc, links, fmt) for fmt in ("rss", "atom")}


@pytest.mark.parametrize("payload", MAILS.values(), ids=MAILS.keys())
def test_a_mail_with_control_characters_reads_and_renders_as_clean_xml(
    payload: bytes, settings: Settings
) -> None:
    story = parse(RawItem(payload, "message/rfc822"))
    assert not NOT_XML.search(json.dumps(story.model_dump(mode="json"), ensure_ascii=False))
    assert story.headline == "Storm hits the coast"
    assert story.uri == "storm@example.com"
    assert story.language == "en"
    for fmt, body in _feeds(story, settings).items():
        ElementTree.fromstring(body)  # well-formed, and nothing a safe reader refuses
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (fmt, parsed.get("bozo_exception"))
        (entry,) = parsed.entries
        assert entry.title == "Storm hits the coast"
        text = re.sub(r"<[^>]+>", " ", entry.content[0].value)
        assert "The storm hit the coast at dawn." in text, (fmt, text)
        assert "paragraph with controls." in re.sub(r"\s+", " ", text), (fmt, text)


def test_every_story_a_mail_yields_is_made_xml_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mail reader's own cleaning is not all there is: parse_delivery cleans every
    field of every story, as it does for the other formats."""
    dirty = Story(
        uri="urn:mail:1",
        id="mail1",
        source="wire",
        versioncreated=datetime(2026, 11, 30, 9, tzinfo=UTC),
        headlines=[Headline(value=f"Storm{CONTROLS}")],
        bodies=[Body(value=f"<p>Text{CONTROLS}</p>")],
        by=f"Jane{CONTROLS} Smith",
        ednote=f"Note{CONTROLS}",
    )
    monkeypatch.setattr(mail, "read_mail", lambda item: Delivery([dirty]))
    (story,) = parse_delivery(RawItem(MAILS["plain"], "message/rfc822")).items
    assert isinstance(story, Story)
    assert (story.headline, story.by, story.ednote) == ("Storm", "Jane Smith", "Note")
    assert story.bodies[0].value == "<p>Text</p>"


def test_a_mail_nested_too_deeply_is_a_parse_error_not_a_crash() -> None:
    # 3,000 multiparts, each inside the one before: the reader recurses through them.
    part = b"Content-Type: text/plain\r\n\r\nThe innermost text.\r\n"
    for depth in range(3000, 1, -1):
        part = b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % depth + _wrapped(
            depth, part
        )
    payload = _mail(b"Nested", b'multipart/mixed; boundary="b1"', _wrapped(1, part))
    with pytest.raises(ParseError) as refused:
        parse_delivery(RawItem(payload, "message/rfc822"))
    assert refused.value.reason == "too_deeply_nested"


def _wrapped(depth: int, part: bytes) -> bytes:
    return b"--b%d\r\n%s\r\n--b%d--\r\n" % (depth, part, depth)
