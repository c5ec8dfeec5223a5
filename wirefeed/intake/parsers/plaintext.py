"""Plain-text wire copy: headline on the first line, then paragraphs."""

from __future__ import annotations

from datetime import datetime

from wirefeed.intake.parsers import Outcome, ParseError, RawItem
from wirefeed.intake.parsers.wirecopy import (
    Copy,
    clean_line,
    fingerprint_uri,
    read_copy,
    split_paragraphs,
)
from wirefeed.model import Body, Headline, Story, story_id_for
from wirefeed.sanitize import paragraphs_to_html


def story_from_copy(
    item: RawItem,
    copy: Copy,
    uri: str,
    *,
    created: datetime | None = None,
    slugline: str | None = None,
    urgency: int | None = None,
    ednote: str | None = None,
) -> Story:
    """The canonical story for a piece of wire copy (shared by the text-framed formats)."""
    if not copy.headline:
        raise ParseError("no_headline", "the item has no headline")
    return Story(
        uri=uri,
        id=story_id_for(item.source, uri),
        source=item.source,
        version=str(copy.version or 1),
        versioncreated=created or item.received_at,
        firstcreated=created or item.received_at,
        urgency=urgency,
        headlines=[Headline(value=copy.headline)],
        bodies=[Body(value=paragraphs_to_html(copy.paragraphs))] if copy.paragraphs else [],
        by=copy.byline,
        located=copy.located,
        slugline=slugline,
        ednote=ednote,
        correction_note=copy.correction_note,
    )


def parse(item: RawItem, text: str) -> Story:
    """Parse plain wire copy; the headline identifies the story within its source."""
    first, _, rest = text.strip().partition("\n")
    headline = clean_line(first)
    if not headline:
        raise ParseError("empty", "no text in the payload")
    if len(headline) > 300:
        raise ParseError("no_headline", "the first line is too long to be a headline")
    copy = read_copy(headline, split_paragraphs(rest))
    # Plain copy has no guid: the normalised headline (without UPDATE/CORRECTED markers)
    # stands in for one, so a re-send or an update is a new version of the same story.
    return story_from_copy(item, copy, fingerprint_uri("text", item.source, copy.headline))


def parse_items(item: RawItem, text: str) -> list[Outcome]:
    """Plain copy is always one item."""
    return [parse(item, text)]
