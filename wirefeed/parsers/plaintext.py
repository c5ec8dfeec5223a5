"""Plain-text wire copy: headline on the first line, then paragraphs."""

from __future__ import annotations

import hashlib
import re

from wirefeed.model import Body, Headline, Story, story_id_for
from wirefeed.parsers import ParseError, RawItem
from wirefeed.sanitize import paragraphs_to_html, strip_xml_illegal

# Lines that are navigation or promotion, not part of the story.
_BOILERPLATE = re.compile(r"^\s*(read also|read more|also read|see also)\s*:", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


def split_paragraphs(text: str) -> list[str]:
    """Split wire copy into paragraphs on blank lines, dropping boilerplate lines."""
    text = strip_xml_illegal(text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = re.split(r"\n\s*\n", text)
    paragraphs = []
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip() and not _BOILERPLATE.match(ln)]
        joined = _SPACES.sub(" ", " ".join(ln.strip() for ln in lines)).strip()
        if joined:
            paragraphs.append(joined)
    return paragraphs


def parse(item: RawItem, text: str) -> Story:
    """Parse plain wire copy; the headline identifies the story within its source."""
    first, _, rest = text.strip().partition("\n")
    headline = _SPACES.sub(" ", strip_xml_illegal(first)).strip()
    if not headline:
        raise ParseError("empty", "no text in the payload")
    if len(headline) > 300:
        raise ParseError("no_headline", "the first line is too long to be a headline")
    body = split_paragraphs(rest)
    # Plain copy has no guid: the normalised headline stands in for one, so a re-send of
    # the same story (even with edits to the body) is a new version of the same story.
    fingerprint = hashlib.sha256(headline.casefold().encode()).hexdigest()[:20]
    uri = f"urn:wirefeed:text:{item.source}:{fingerprint}"
    return Story(
        uri=uri,
        id=story_id_for(item.source, uri),
        source=item.source,
        versioncreated=item.received_at,
        firstcreated=item.received_at,
        headlines=[Headline(value=headline)],
        bodies=[Body(value=paragraphs_to_html(body))] if body else [],
    )
