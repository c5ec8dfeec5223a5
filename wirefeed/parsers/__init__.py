"""Wire format parsers: raw bytes in, one canonical Story out.

``parse`` sniffs the format (an explicit Content-Type wins when it names one we know),
decodes, and hands over to one module per format. Every failure is a ParseError with
a machine-readable ``reason``, which intake turns into a 4xx or a quarantine record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from wirefeed.model import Story, utcnow


class ParseError(ValueError):
    """A payload that cannot become a story; ``reason`` is a stable machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class RawItem:
    """A payload as received, with what the transport told us about it."""

    payload: bytes
    content_type: str = ""
    source: str = "wire"
    received_at: datetime = field(default_factory=utcnow)


FormatParser = Callable[[RawItem, str], Story]


def decode(payload: bytes, content_type: str = "") -> str:
    """Decode bytes using a BOM, then the declared charset, then UTF-8, then cp1252."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if payload.startswith(bom):
            return payload.decode(codec, errors="replace").lstrip("\ufeff")
    declared = ""
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            declared = value.strip().strip('"')
    for codec in filter(None, (declared, "utf-8")):
        try:
            return payload.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return payload.decode("cp1252", errors="replace")


def sniff(text: str, content_type: str = "") -> str:
    """Name the format of a payload: ``ninjs``, ``xml`` or ``text``."""
    mime = content_type.split(";")[0].strip().lower()
    head = text.lstrip()[:1]
    if mime.endswith("json") or head in ("{", "["):
        return "ninjs"
    if mime.endswith("xml") or head == "<":
        return "xml"
    return "text"


def _parsers() -> dict[str, FormatParser]:
    # Imported here so each format module can import ParseError from this package.
    from wirefeed.parsers import ninjs, plaintext

    return {"ninjs": ninjs.parse, "text": plaintext.parse}


def parse(item: RawItem) -> Story:
    """Parse a raw item into a canonical story, or raise ParseError."""
    if not item.payload.strip():
        raise ParseError("empty", "the payload is empty")
    text = decode(item.payload, item.content_type)
    fmt = sniff(text, item.content_type)
    parser = _parsers().get(fmt)
    if parser is None:
        raise ParseError("unsupported_format", f"no parser for {fmt} payloads")
    try:
        return parser(item, text)
    except ParseError:
        raise
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
        # Pydantic's ValidationError is a ValueError: a story missing what it needs.
        raise ParseError("invalid_story", str(exc)[:500]) from exc
