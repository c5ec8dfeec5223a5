"""Wire format parsers: raw bytes in, canonical stories out.

``parse_delivery`` reads everything one delivery carries: a NewsML-G2 newsMessage, a
ninjs array, an e-mail with wire attachments or a file of framed legacy messages can
hold several items, each of which becomes a story or fails on its own. ``parse`` reads
one item (the whole payload, or the item a RawItem's ``part`` selects). Formats are
sniffed (an explicit Content-Type wins when it names one we know), decoded by what
the bytes are rather than what they claim (see ``charsets``), and handed over to one
module per format. Every failure is a ParseError with a machine-readable ``reason``,
which intake turns into a 4xx or a quarantine record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dateutil import parser as dateparser

from wirefeed.model import Story, utcnow
from wirefeed.sanitize import strip_xml_illegal


class ParseError(ValueError):
    """A payload that cannot become a story; ``reason`` is a stable machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str]]:
        # Parsing runs in worker processes (intake/budget.py): the error crosses back.
        return ParseError, (self.reason, self.detail)


@dataclass(frozen=True)
class RawItem:
    """A payload as received, with what the transport told us about it."""

    payload: bytes
    content_type: str = ""
    source: str = "wire"
    received_at: datetime = field(default_factory=utcnow)
    # The agency that sent it with its own key (or drop box folder): its stories may
    # name no other source. None: sent by the operator, who may name any.
    agency: str | None = None
    # Which item of a multi-item delivery this is (None: the payload holds one item).
    part: int | None = None


# One item of a delivery: its story, or why it cannot be one.
Outcome = Story | ParseError
FormatParser = Callable[[RawItem, str], list[Outcome]]


@dataclass(frozen=True)
class Delivery:
    """Everything a payload carries, in order, and the charset repairs made to read it."""

    items: list[Outcome]
    repairs: list[str] = field(default_factory=list)

    def selected(self, part: int | None) -> list[tuple[int, Outcome]]:
        """The items with their positions; only the one at ``part`` when it is set."""
        if part is None:
            return list(enumerate(self.items))
        if not 0 <= part < len(self.items):
            raise ParseError("no_such_item", f"item {part} of a delivery of {len(self.items)}")
        return [(part, self.items[part])]


def attempt(parser: Callable[[], Story]) -> Outcome:
    """The story a parser returns, or the ParseError it raised (so one item fails alone)."""
    try:
        return parser()
    except ParseError as error:
        return error
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        # Pydantic's ValidationError is a ValueError: a story missing what it needs.
        return ParseError("invalid_story", str(exc)[:500])


def parse_date(value: object) -> datetime | None:
    """A date from any of the notations wires use (ISO 8601 basic or extended, RFC 822...).

    Liberal on purpose: an unreadable date is treated as absent, never as an error.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return dateparser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:
        return dateparser.parse(text)
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return None


_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def declared_charset(payload: bytes, content_type: str = "") -> str:
    """The charset named by the Content-Type, else by an XML declaration, else ''."""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            return value.strip().strip('"')
    match = _XML_ENCODING.match(payload.lstrip()[:200])
    return match.group(1).decode("ascii") if match else ""


def decode(payload: bytes, content_type: str = "") -> str:
    """Decode bytes by what they are: see ``charsets.decode_text`` (repairs not reported)."""
    from wirefeed.intake.parsers.charsets import decode_text

    return decode_text(payload, content_type).text


# Content-Types that name a format outright; anything else is sniffed from the bytes.
_MIME_FORMATS = {
    "application/ninjs+json": "ninjs",
    "application/json": "ninjs",
    "application/nitf+xml": "xml",
    "application/vnd.iptc.g2.newsitem+xml": "xml",
    "application/vnd.iptc.g2.packageitem+xml": "xml",
    "application/vnd.iptc.g2.newsmessage+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/vnd.iptc.anpa": "legacy",
    "text/vnd.iptc.7901": "legacy",
    "application/x-anpa-1312": "legacy",
    "application/x-iptc-7901": "legacy",
}

# SOH, STX and ETX frame the legacy wire formats (ANPA-1312, IPTC 7901); telex copy
# opens with ZCZC instead.
_LEGACY_MARKERS = re.compile(r"^[\x16\s]*(\x01|ZCZC)|\x02")


def sniff(text: str, content_type: str = "") -> str:
    """Name the format of a payload: ``ninjs``, ``xml``, ``legacy`` or ``text``."""
    mime = content_type.split(";")[0].strip().lower()
    if mime in _MIME_FORMATS:
        return _MIME_FORMATS[mime]
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return "ninjs"
    if head == "<":
        return "xml"
    if _LEGACY_MARKERS.search(text[:2000]):
        return "legacy"
    if mime.endswith("json"):
        return "ninjs"
    if mime.endswith("xml"):
        return "xml"
    return "text"


def _parsers() -> dict[str, FormatParser]:
    # Imported here so each format module can import ParseError from this package.
    from wirefeed.intake.parsers import legacy, ninjs, plaintext, xml

    return {
        "ninjs": ninjs.parse_items,
        "text": plaintext.parse_items,
        "xml": xml.parse_items,
        "legacy": legacy.parse_items,
    }


def _strip_illegal(value: object) -> object:
    if isinstance(value, str):
        return strip_xml_illegal(value)
    if isinstance(value, dict):
        return {key: _strip_illegal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_illegal(item) for item in value]
    return value


def xml_safe(story: Story) -> Story:
    """The story without characters XML forbids in any of its text fields.

    Every format can carry control characters (a JSON escape, a flipped byte in a
    header), and one in any field would make every feed the story lands in
    unrenderable. Cleaned once here, for every field, however it was read.
    """
    dumped = story.model_dump(mode="json")
    cleaned = _strip_illegal(dumped)
    return story if cleaned == dumped else Story.model_validate(cleaned)


def parse_delivery(item: RawItem) -> Delivery:
    """Every item a payload carries, each a story or a ParseError.

    Raises ParseError (and nothing else) when the payload as a whole cannot be read:
    empty, not well-formed, a format we do not know.
    """
    if not item.payload.strip():
        raise ParseError("empty", "the payload is empty")
    # E-mail goes through the same net and the same cleaning as every other format.
    try:
        delivery = _read_delivery(item)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("too_deeply_nested", "the document nests too deeply to read") from exc
    except (ValueError, TypeError, KeyError, OverflowError, json.JSONDecodeError) as exc:
        raise ParseError("invalid_story", str(exc)[:500]) from exc
    except Exception as exc:
        raise ParseError("parser_failed", f"{type(exc).__name__}: {exc}"[:500]) from exc
    if not delivery.items:
        raise ParseError("empty", "the delivery carries no items")
    safe = [xml_safe(o) if isinstance(o, Story) else o for o in delivery.items]
    return Delivery(safe, delivery.repairs)


def _read_delivery(item: RawItem) -> Delivery:
    """The items of a payload as its format's parser reads them (not yet cleaned)."""
    # Imported here: both modules import ParseError and RawItem from this package.
    from wirefeed.intake.parsers import charsets, mail

    if mail.is_mail(item.payload, item.content_type):
        return mail.read_mail(item)
    decoded = charsets.decode_text(item.payload, item.content_type)
    fmt = sniff(decoded.text, item.content_type)
    return Delivery(_parsers()[fmt](item, decoded.text), list(decoded.repairs))


def parse(item: RawItem) -> Story:
    """Parse one item into a canonical story, or raise ParseError (and nothing else).

    The item is the whole payload, or the one ``item.part`` selects in a delivery of
    several; a delivery of several read without a part is refused as ``multiple_items``.
    """
    delivery = parse_delivery(item)
    selected = delivery.selected(item.part)
    if len(selected) != 1:
        raise ParseError(
            "multiple_items", f"the delivery holds {len(selected)} items; take each in on its own"
        )
    outcome = selected[0][1]
    if isinstance(outcome, ParseError):
        raise outcome
    return outcome
