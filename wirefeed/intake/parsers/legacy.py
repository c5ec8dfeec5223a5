"""The legacy wire formats still on satellites and FTP feeds: ANPA-1312 and IPTC 7901.

Both frame a story with control characters: SOH (or telex ``ZCZC``) opens a header,
STX opens the text, ETX (or ``NNNN``) closes it, and a trailer with the filing time
may follow. Real feeds bend every rule (missing SYNs, CR/LF mixes, no ETX, tabs or
blank lines between paragraphs), so the framing is read liberally and only a missing
headline is an error. A capture file of several framed messages (each opened by SOH or
``ZCZC``) is a delivery of several items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from wirefeed.intake.parsers import Outcome, ParseError, RawItem, attempt
from wirefeed.intake.parsers.plaintext import story_from_copy
from wirefeed.intake.parsers.wirecopy import (
    clean_line,
    fingerprint_uri,
    is_boilerplate,
    read_copy,
    split_paragraphs,
)
from wirefeed.model import Story

SOH, STX, ETX, EOT, SYN, US = "\x01", "\x02", "\x03", "\x04", "\x16", "\x1f"


# Every pattern here runs on untrusted text, so none may backtrack more than linearly:
# whitespace runs are matched possessively (``*+``, ``++``) or within one line, never by
# two quantifiers that could share the same spaces (tests/wirefeed/test_regex_work.py
# counts their steps on adversarial input).
_TELEX_END = re.compile(r"\nNNNN\s*+$")
_TELEX_START = re.compile(r"^ZCZC")


@dataclass(frozen=True)
class Frame:
    """The three parts of a framed message."""

    header: str
    text: str
    trailer: str


def frame(message: str) -> Frame:
    """Split a message at its control characters (each part may be empty)."""
    message = message.replace("\r\n", "\n").replace("\r", "\n").lstrip(SYN + " \n")
    message = _TELEX_START.sub(SOH, message)
    message = _TELEX_END.sub(ETX, message)
    header, stx, rest = message.partition(STX)
    if not stx:  # No STX: no header either, the whole message is text.
        header, rest = "", message
    text, _, trailer = rest.partition(ETX)
    return Frame(header.lstrip(SOH).strip("\n"), text.rstrip(EOT), trailer.strip(EOT + "\n "))


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_ANPA_TIME = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{2,4})\s+(\d{2})(\d{2})\s*GMT", re.IGNORECASE)
_7901_TIME = re.compile(r"(\d{2})(\d{2})(\d{2})\s*GMT\s+([A-Z]{3})\s+(\d{2,4})", re.IGNORECASE)


def _year(value: str) -> int:
    year = int(value)
    return year + 2000 if year < 100 else year


def _filed_at(trailer: str) -> datetime | None:
    """The filing time in a trailer: ANPA ``10-17-21 1234GMT``, 7901 ``171234 GMT OCT 21``."""
    try:
        if match := _ANPA_TIME.search(trailer):
            month, day, year, hour, minute = match.groups()
            return datetime(_year(year), int(month), int(day), int(hour), int(minute), tzinfo=UTC)
        if (match := _7901_TIME.search(trailer)) and match.group(4).upper() in _MONTHS:
            day, hour, minute, month, year = match.groups()
            return datetime(
                _year(year), _MONTHS[month.upper()], int(day), int(hour), int(minute), tzinfo=UTC
            )
    except ValueError:  # A trailer with an impossible date: keep the receive time.
        return None
    return None


# ANPA header: service level, story number, unit separator, selector code; then a line
# with priority, category, slug ("am-Space-Film"), take key, filing date and word count.
_ANPA_PRIORITY = re.compile(r"^[^\S\n]*+([a-z])[^\S\n]++([a-z])\b", re.IGNORECASE | re.MULTILINE)
_ANPA_SLUG = re.compile(r"\b(?:am|pm|bc|ap)-([\w.-]+)", re.IGNORECASE)
_ANPA_DATE = re.compile(r"\s(\d{1,2}-\d{1,2})(?:[^\S\n]++\d{1,4}+)?[^\S\n]*+$", re.MULTILINE)
_WRITETHRU = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+ld\b", re.IGNORECASE)
_ANPA_URGENCY = {"f": 1, "b": 2, "u": 3, "r": 5, "d": 6, "z": 7}


def _anpa_text(text: str) -> tuple[list[str], list[str]]:
    """Header lines (``^…``) and paragraphs (tab-indented, or blank-line separated)."""
    headers: list[str] = []
    paragraphs: list[str] = []
    indented = "\n\t" in f"\n{text}"
    for raw in text.split("\n"):
        line = raw.replace("\x10", " ").replace("\b", "")
        if line.startswith("^"):
            headers.append(clean_line(line.strip("^<=\t ").rstrip("<=")))
        elif (indented and line.startswith("\t")) or not paragraphs:
            paragraphs.append(line)
        elif not line.strip():
            paragraphs.append("")
        else:
            paragraphs[-1] += f" {line}"
    body = split_paragraphs("\n\n".join(paragraphs))
    return [h for h in headers if h], body


_KEYWORD_LINE = re.compile(r"^[A-Z]{2}-[\w.-]+")


def parse_anpa(item: RawItem, parts: Frame) -> Story:
    """An ANPA-1312 message."""
    headers, body = _anpa_text(parts.text)
    slug_match = _ANPA_SLUG.search(parts.header)
    # The first ^ line is usually the keyword line ("BC-Space-Film,0450"), not a headline.
    if headers and _KEYWORD_LINE.match(headers[0]) and len(headers) > 1:
        slug_line, headers = headers[0], headers[1:]
        slug_match = slug_match or _ANPA_SLUG.search(f"bc-{slug_line[3:]}")
    headline = headers[0] if headers else (body.pop(0) if body else "")
    # Header lines after the headline (byline, "Associated Press Writer") precede the text.
    copy = read_copy(headline, [*headers[1:2], *body])
    if (writethru := _WRITETHRU.search(parts.header)) is not None:
        copy.version = int(writethru.group(1)) + 1
    slug = slug_match.group(1).strip(".,") if slug_match else None
    filed = _ANPA_DATE.search(parts.header)
    key = f"{slug}/{filed.group(1)}" if slug and filed else slug or copy.headline
    priority = _ANPA_PRIORITY.search(parts.header.split(US, 1)[-1])
    return story_from_copy(
        item,
        copy,
        fingerprint_uri("anpa", item.source, key),
        created=_filed_at(parts.trailer),
        slugline=slug,
        urgency=_ANPA_URGENCY.get(priority.group(1).lower()) if priority else None,
    )


# IPTC 7901 header line: source and sequence ("AFP0733" or "AFP 0733"), priority digit,
# category (1-3 letters), word count (optional), then keywords. Read as words, not with
# one regex: a pattern with several optional parts around whitespace backtracks
# cubically on a long run of spaces.
_7901_SOURCE = re.compile(r"[A-Za-z]*\d*")
_7901_CATEGORY = re.compile(r"[A-Za-z]{1,3}")
_7901_COUNT = re.compile(r"\d{1,5}")


@dataclass(frozen=True)
class Header7901:
    """The parts of a 7901 header line that Wirefeed uses."""

    priority: int
    keywords: str


def header_7901(header: str) -> Header7901 | None:
    """The first header line shaped like ``AFP0733 4 POL 0087 KEYWORDS``, if any."""
    for line in header.split("\n"):
        words = line.split()
        for lead in (0, 1, 2):  # words taken by the source and sequence
            if len(words) < lead + 2 or not _7901_SOURCE.fullmatch("".join(words[:lead])):
                continue
            priority, category, rest = words[lead], words[lead + 1], words[lead + 2 :]
            if not (len(priority) == 1 and priority.isdecimal()):
                continue
            if not _7901_CATEGORY.fullmatch(category):
                continue
            if rest and _7901_COUNT.fullmatch(rest[0]):
                rest = rest[1:]
            return Header7901(int(priority), " ".join(rest))
    return None


_NOT_FOR_PUBLICATION = re.compile(
    r"^[^\n]*not (?:intended )?for publication[\s:.-]*", re.IGNORECASE | re.MULTILINE
)


def parse_7901(item: RawItem, parts: Frame) -> Story:
    """An IPTC 7901 message."""
    lines = parts.text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    headline = lines.pop(0) if lines else ""
    text, ednote = "\n".join(lines), None
    if (note := _NOT_FOR_PUBLICATION.search(text)) is not None:
        text, ednote = text[: note.start()], clean_line(text[note.end() :])
    header = header_7901(parts.header)
    keywords = [clean_line(ln).strip("/") for ln in parts.header.split("\n")[1:] if ln.strip()]
    slug = (header.keywords if header else "") or (keywords[0] if keywords else None)
    copy = read_copy(headline, [p for p in split_paragraphs(text) if not is_boilerplate(p)])
    return story_from_copy(
        item,
        copy,
        fingerprint_uri("7901", item.source, slug or copy.headline),
        created=_filed_at(parts.trailer),
        slugline=slug or None,
        urgency=header.priority if header and header.priority else None,
        ednote=ednote or None,
    )


_ANPA_CARET = re.compile(r"^\^", re.MULTILINE)


def parse(item: RawItem, text: str) -> Story:
    """Parse an ANPA-1312 or IPTC 7901 message (told apart by their header conventions)."""
    parts = frame(text)
    if not parts.text.strip():
        raise ParseError("empty", "the message has no text between STX and ETX")
    anpa = US in parts.header or _ANPA_CARET.search(parts.text) is not None
    return (parse_anpa if anpa else parse_7901)(item, parts)


# Where a framed message opens: SOH (after any SYNs), or a telex ZCZC at a line start.
_OPENING = re.compile(r"(?:^|(?<=[\x03\x04\n]))[\x16 ]*(?:\x01|ZCZC)")


def split_messages(text: str) -> list[str]:
    """The framed messages of a capture file, in order (the whole text when only one)."""
    starts = [m.start() for m in _OPENING.finditer(text)]
    if len(starts) < 2:
        return [text]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def parse_items(item: RawItem, text: str) -> list[Outcome]:
    """Every framed message of a payload; one message fails without the others."""
    messages = split_messages(text)
    if len(messages) == 1:
        return [parse(item, text)]
    return [attempt(partial(parse, item, message)) for message in messages]
