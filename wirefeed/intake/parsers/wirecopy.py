"""Conventions of wire copy shared by the text formats: datelines, bylines, boilerplate.

Plain text, ANPA-1312 and IPTC 7901 carry the same copy conventions inside different
framing, so the rules live here once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from wirefeed.sanitize import strip_xml_illegal

# Lines that are navigation, promotion or legal small print, not part of the story.
_BOILERPLATE = re.compile(
    r"^\s*(?:(?:read also|read more|also read|see also|related|more from)\s*:"
    r"|click here\b|follow us on\b|subscribe to\b|sign up for\b"
    r"|our standards:|all rights reserved\b|(?:©|\(c\)|copyright)\s*\d{4})",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0]+")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# "MOSCOW, Oct 17 (Reuters) -", "GROSSETO, Italy (AP) --", "Madrid, 17 oct (EFE).-",
# "(ANSA) - ROME, OCT 17 -", "BERLIN (dpa) -": place, optional region, optional date,
# optional agency in brackets, then a dash.
# It runs on untrusted text: whitespace is matched possessively (``\s*+``), so the
# optional parts cannot share a run of spaces, and only the first DATELINE_WINDOW
# characters of a paragraph are looked at (no dateline is longer), so even the lazy
# place and date cost a bounded number of steps per paragraph.
DATELINE_WINDOW = 160
_DATELINE = re.compile(
    r"""^(?:\((?P<lead_agency>[^()\n]{1,24})\)\s*+[-\u2013\u2014]++\s*+)?
    (?P<place>[^\W\d_][^\d\n(),:;]{0,40}?(?:,\s*+[^\W\d_][^\d\n(),:;]{0,30}?)?)
    (?:,\s*+(?P<date>(?=[^\n(),]{0,23}\d)[^\n(),]{3,24}?))?
    \s*+(?:\((?P<agency>[^()\n]{1,24})\))?\s*+\.?\s*+(?:-{1,2}|_|\u2013|\u2014)\s++""",
    re.VERBOSE,
)
# A byline is a short first paragraph; longer ones are never matched (bounded work).
BYLINE_MAX = 80
_BYLINE = re.compile(
    r"^(?:by|por|von|di|par|door|av)\s+(?P<name>[^\W\d_][\w.'\u2019 &-]{1,60}?)"
    r"(?:\s*[,/(].*)?$",
    re.IGNORECASE,
)
# Reuters-style headline markers: "UPDATE 2-", "CORRECTED-", "REFILE-", combined.
_HEADLINE_MARKER = re.compile(
    r"^(?:(?P<corrected>CORRECTED)|UPDATE\s+(?P<update>\d{1,3})|REFILE|RPT|WRAPUP(?:\s+\d+)?)"
    r"\s*-\s*",
)
_CORRECTION_NOTE = re.compile(r"^\(\s*(?P<note>correct(?:s|ed|ing|ion)\b[^)]*)\)$", re.IGNORECASE)


def clean_line(text: str) -> str:
    """One line of copy with control characters removed and spaces collapsed."""
    return _SPACES.sub(" ", strip_xml_illegal(text)).strip()


def split_paragraphs(text: str) -> list[str]:
    """Split wire copy into paragraphs on blank lines, dropping boilerplate lines."""
    text = strip_xml_illegal(text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = []
    for block in PARAGRAPH_BREAK.split(text):
        lines = [ln for ln in block.split("\n") if ln.strip() and not _BOILERPLATE.match(ln)]
        joined = clean_line(" ".join(ln.strip() for ln in lines))
        if joined:
            paragraphs.append(joined)
    return paragraphs


def is_boilerplate(line: str) -> bool:
    """Whether a line is navigation or small print rather than story text."""
    return bool(_BOILERPLATE.match(line))


@dataclass
class Copy:
    """What the copy conventions reveal about a story, besides its paragraphs."""

    headline: str
    paragraphs: list[str] = field(default_factory=list)
    byline: str | None = None
    located: str | None = None
    version: int | None = None
    correction_note: str | None = None


def _dateline(paragraph: str) -> tuple[str | None, str]:
    """The dateline place and the paragraph without its dateline (None when there is none)."""
    match = _DATELINE.match(paragraph, 0, DATELINE_WINDOW)
    if match is None or match.end() >= len(paragraph):
        return None, paragraph
    place = match.group("place").strip()
    has_agency = bool(match.group("agency") or match.group("lead_agency"))
    first_word = place.split(",")[0]
    # Without an agency, only an upper-case place is taken as a dateline, so an
    # ordinary sentence with a dash in it is left alone.
    if not has_agency and not (first_word.isupper() and len(first_word) > 1):
        return None, paragraph
    return place, paragraph[match.end() :]


def read_copy(headline: str, paragraphs: list[str]) -> Copy:
    """Apply the wire conventions to a headline and its paragraphs."""
    copy = Copy(headline=clean_line(headline))
    while (marker := _HEADLINE_MARKER.match(copy.headline)) is not None and marker.end():
        if marker.group("update"):
            copy.version = int(marker.group("update")) + 1
        copy.headline = copy.headline[marker.end() :].strip()
    body = [p for p in paragraphs if p]
    if body and (note := _CORRECTION_NOTE.match(body[0])):
        copy.correction_note = note.group("note").strip()
        body = body[1:]
    if body and len(body[0]) <= BYLINE_MAX and (byline := _BYLINE.match(body[0])):
        copy.byline = byline.group("name").strip()
        body = body[1:]
    if body:
        copy.located, body[0] = _dateline(body[0])
    copy.paragraphs = [p for p in body if p]
    return copy


# "Corrects", "corrige", "korrigiert", "rettifica", "berichtigt": a note announcing a fix.
_CORRECTION_WORDS = re.compile(r"\b(?:correct|corrig|korrig|rettific|berichtig)", re.IGNORECASE)


def correction_in(*notes: str | None) -> str | None:
    """The first editorial note that says this version corrects an earlier one."""
    return next((n for n in notes if n and _CORRECTION_WORDS.search(n)), None)


def fingerprint_uri(kind: str, source: str, key: str) -> str:
    """A stand-in guid for copy that carries none: same source and key, same story."""
    digest = hashlib.sha256(clean_line(key).casefold().encode()).hexdigest()[:20]
    return f"urn:wirefeed:{kind}:{source}:{digest}"
