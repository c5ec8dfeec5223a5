"""Wire format parsers: raw bytes in, one canonical Story out.

``parse`` sniffs the format (an explicit Content-Type wins when it names one we know),
decodes, and hands over to one module per format. Every failure is a ParseError with
a machine-readable ``reason``, which intake turns into a 4xx or a quarantine record.
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


FormatParser = Callable[[RawItem, str], Story]


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
    """Decode bytes using a BOM, then the declared charset, then UTF-8, then cp1252."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if payload.startswith(bom):
            return payload.decode(codec, errors="replace").lstrip("\ufeff")
    for codec in filter(None, (declared_charset(payload, content_type), "utf-8")):
        try:
            return payload.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return payload.decode("cp1252", errors="replace")


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

    return {"ninjs": ninjs.parse, "text": plaintext.parse, "xml": xml.parse, "legacy": legacy.parse}


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


def parse(item: RawItem) -> Story:
    """Parse a raw item into a canonical story, or raise ParseError (and nothing else).

    Whatever goes wrong inside a parser is the payload's doing, so it becomes a
    ParseError with a reason (and a quarantined 422), never a server error.
    """
    if not item.payload.strip():
        raise ParseError("empty", "the payload is empty")
    try:
        text = decode(item.payload, item.content_type)
        return xml_safe(_parsers()[sniff(text, item.content_type)](item, text))
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("too_deeply_nested", "the document nests too deeply to read") from exc
    except (ValueError, TypeError, KeyError, OverflowError, json.JSONDecodeError) as exc:
        # Pydantic's ValidationError is a ValueError: a story missing what it needs.
        raise ParseError("invalid_story", str(exc)[:500]) from exc
    except Exception as exc:
        raise ParseError("parser_failed", f"{type(exc).__name__}: {exc}"[:500]) from exc
