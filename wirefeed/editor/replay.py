"""Checking a quarantined item before it is handed back to ingest."""

from __future__ import annotations

from dataclasses import dataclass

from wirefeed.editor.errors import EditorialError
from wirefeed.intake.parsers import ParseError, parse
from wirefeed.intake.quarantine import get_record
from wirefeed.intake.receiving import ForeignSource, check_source, load_raw
from wirefeed.storage import BlobStore


@dataclass(frozen=True)
class Replay:
    """A quarantined item handed back to ingest."""

    raw_key: str
    story_id: str


def check_replay(store: BlobStore, item_id: str) -> Replay:
    """Check that a quarantined item parses now, before it is handed back to ingest.

    The caller queues the raw payload for ingest, then releases the quarantine record.
    """
    record = get_record(store, item_id)
    if record is None:
        raise EditorialError("not_found", f"no quarantined item {item_id}")
    item = load_raw(store, record.raw_key)
    try:
        story = parse(item)
        check_source(item, story)
    except ParseError as error:
        raise EditorialError("invalid", f"still does not parse: {error}") from error
    except ForeignSource as foreign:
        raise EditorialError("invalid", str(foreign)) from foreign
    return Replay(raw_key=record.raw_key, story_id=story.id)
