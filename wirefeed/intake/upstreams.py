"""Upstream RSS 2.0, Atom and JSON Feed sources, polled with conditional GETs.

Sources are listed in a TOML file (``WIREFEED_UPSTREAMS_FILE``), each with its own
interval. Every entry becomes a small ninjs document that goes through intake like a
pushed story, so versions, kills and duplicates follow the same rules; identical
entries are skipped by content address before anything is queued.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
from pydantic import BaseModel, Field

from wirefeed.fetching import FetchError, fetch
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import ParseError, RawItem, decode, parse_date
from wirefeed.intake.parsers.xml import parse_xml, without_xml_declaration
from wirefeed.intake.quarantine import quarantine
from wirefeed.intake.receiving import Quarantined, Receipt, receive, store_raw
from wirefeed.layout import raw_key, upstream_key
from wirefeed.model import utcnow
from wirefeed.storage import BlobStore, NotFound

NINJS = "application/ninjs+json"
# Only these mean the document itself is hostile; other XML errors are left to
# feedparser, which reads the broken feeds found in the wild.
_HOSTILE_XML = {"xml_entities_forbidden", "xml_external_dtd", "xml_external_reference"}
# The defusedxml check above stops at the first syntax error, so a junk line before a
# DTD hides the DTD from it; feedparser's loose parser would then expand its entities.
# These are looked for anywhere in the document instead.
_ENTITY, _DOCTYPE = "<!entity", "<!doctype"


class UpstreamSource(BaseModel):
    """One upstream feed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    url: str = Field(pattern=r"^https?://")
    interval_s: int = Field(default=300, ge=1)
    source: str | None = Field(default=None, description="Agency name; defaults to the id.")
    allow_private: bool = Field(
        default=False,
        description="Fetch (and follow redirects to) loopback, private and link-local "
        "addresses; refused unless set.",
    )


class UpstreamState(BaseModel):
    """What the last poll learnt: validators for the next conditional GET."""

    etag: str | None = None
    last_modified: str | None = None
    polled_at: datetime | None = None
    status: str = ""


def load_sources(path: str) -> list[UpstreamSource]:
    """The sources listed in a TOML file (``[[source]]`` tables); none when unset."""
    if not path or not Path(path).exists():
        return []
    with Path(path).open("rb") as handle:
        tables = tomllib.load(handle).get("source", [])
    return [UpstreamSource.model_validate(t) for t in tables]


def _load_state(store: BlobStore, source_id: str) -> UpstreamState:
    try:
        return UpstreamState.model_validate_json(store.get(upstream_key(source_id)).body)
    except NotFound:
        return UpstreamState()


def _entry_doc(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A ninjs document for one feed entry (RSS/Atom via feedparser, or JSON Feed)."""
    uri = entry.get("id") or entry.get("link") or entry.get("url")
    title = entry.get("title")
    if not uri or not title:
        return None
    content = entry.get("content")
    if isinstance(content, list) and content:  # feedparser: a list of content objects
        html = content[0].get("value", "")
    else:
        html = entry.get("content_html") or entry.get("summary") or ""
    enclosures = [
        {"name": f"enclosure{i}", "href": link.get("href"), "contenttype": link.get("type"),
         "sizeinbytes": int(link["length"]) if str(link.get("length", "")).isdigit() else None}
        for i, link in enumerate(entry.get("links") or [])
        if link.get("rel") == "enclosure" and link.get("href")
    ] + [
        {"name": f"attachment{i}", "href": a.get("url"), "contenttype": a.get("mime_type")}
        for i, a in enumerate(entry.get("attachments") or []) if a.get("url")
    ]  # fmt: skip
    updated = entry.get("updated") or entry.get("date_modified") or entry.get("published")
    published = entry.get("published") or entry.get("date_published")
    authors = entry.get("authors") or []
    doc = {
        "uri": str(uri),
        "headlines": [{"value": str(title)}],
        "body_html": html,
        "body_text": entry.get("content_text") or "",
        "by": entry.get("author") or (authors[0].get("name") if authors else None),
        "subjects": [{"name": t.get("term")} for t in entry.get("tags") or [] if t.get("term")]
        + [{"name": t} for t in entry.get("tags") or [] if isinstance(t, str)],
        "renditions": enclosures,
    }
    if (versioncreated := parse_date(updated)) is not None:
        doc["versioncreated"] = versioncreated.isoformat()
    if (firstcreated := parse_date(published)) is not None:
        doc["firstcreated"] = firstcreated.isoformat()
    return doc


def refuse_declarations(text: str) -> None:
    """Refuse entity declarations and internal DTD subsets wherever they appear."""
    lowered = text.lower()
    if _ENTITY in lowered:
        raise ParseError("xml_entities_forbidden", "entity declarations are refused")
    start = lowered.find(_DOCTYPE)
    while start >= 0:
        end = lowered.find(">", start)
        if "[" in lowered[start : end if end >= 0 else len(lowered)]:
            raise ParseError("xml_entities_forbidden", "a DTD internal subset is refused")
        start = lowered.find(_DOCTYPE, start + 1)


def feed_entries(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """ninjs documents for the entries of an RSS, Atom or JSON Feed document."""
    text = decode(body, content_type)
    if text.lstrip().startswith("{"):
        try:
            feed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError("invalid_json", str(exc)[:300]) from exc
        items = feed.get("items") if isinstance(feed, dict) else None
        if not isinstance(items, list):
            raise ParseError("invalid_feed", "a JSON Feed needs an items list")
        entries: list[Any] = [i for i in items if isinstance(i, dict)]
    else:
        refuse_declarations(text)
        try:
            parse_xml(text)
        except ParseError as error:
            if error.reason in _HOSTILE_XML:
                raise
        # feedparser reads exactly the text checked above: decoded once, here, and
        # handed over as UTF-8, so no charset trick shows it something else.
        mime = content_type.split(";")[0].strip() or "application/xml"
        parsed = feedparser.parse(
            without_xml_declaration(text).encode("utf-8"),
            response_headers={"content-type": f"{mime}; charset=utf-8"},
        )
        if parsed.bozo and not parsed.entries:
            raise ParseError("invalid_feed", str(parsed.get("bozo_exception", "unreadable")))
        entries = list(parsed.entries)
    return [doc for doc in map(_entry_doc, entries) if doc is not None]


def poll_source(
    store: BlobStore,
    source: UpstreamSource,
    client: httpx.Client,
    max_bytes: int,
    timeout_s: float = 30.0,
    budget: ParseBudget = INLINE,
) -> list[Receipt]:
    """Fetch a source (conditionally) and take in its new or changed entries.

    The fetch is bounded (addresses, size after decompression, total time; see
    wirefeed/fetching.py), and so is the parse of the feed and of each entry (``budget``).
    """
    state = _load_state(store, source.id)
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    receipts: list[Receipt] = []
    try:
        response = fetch(
            client,
            source.url,
            headers=headers,
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            allow_private=source.allow_private,
        )
    except FetchError as error:
        state.status = f"refused: {error}"
    else:
        state.status = str(response.status_code)
        if response.status_code == 200:
            state.etag = response.headers.get("etag")
            state.last_modified = response.headers.get("last-modified")
            content_type = response.headers.get("content-type", "")
            receipts = _take_entries(store, source, response.content, content_type, budget)
    state.polled_at = utcnow()
    store.put(upstream_key(source.id), state.model_dump_json().encode(),
              content_type="application/json")  # fmt: skip
    return receipts


def _take_entries(
    store: BlobStore, source: UpstreamSource, body: bytes, content_type: str, budget: ParseBudget
) -> list[Receipt]:
    agency = source.source or source.id
    try:
        docs = budget.run(feed_entries, body, content_type)
    except ParseError as error:
        # The feed document itself is kept and set aside, like any refused payload.
        key = store_raw(store, RawItem(body, content_type, source=agency))
        quarantine(store, key, reason=error.reason, detail=error.detail, source=agency,
                   content_type=content_type)  # fmt: skip
        return []
    receipts = []
    for doc in docs:
        payload = json.dumps(doc, sort_keys=True).encode()
        item = RawItem(payload, NINJS, source=agency)
        if _already_received(store, payload):
            continue
        try:
            receipts.append(receive(store, item, budget))
        except Quarantined:
            continue  # kept and listed in quarantine with its reason
    return receipts


def _already_received(store: BlobStore, payload: bytes) -> bool:
    try:
        store.get(raw_key(hashlib.sha256(payload).hexdigest()))
    except NotFound:
        return False
    return True
