"""Upstream RSS 2.0, Atom and JSON Feed sources, polled with conditional GETs.

Sources are listed in a TOML file (``WIREFEED_UPSTREAMS_FILE``), each with its own
interval. Every entry becomes a small ninjs document that goes through intake like a
pushed story, so versions, kills and duplicates follow the same rules; identical
entries are skipped by content address before anything is queued. A source that
serves wire documents instead of a feed (a NewsML-G2 newsMessage, NITF, ninjs or a
ninjs array) has each document taken in as it is, every item on its own.
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

from wirefeed.intake.parsers import ParseError, RawItem, decode, parse_date
from wirefeed.intake.parsers.xml import parse_xml
from wirefeed.intake.quarantine import quarantine
from wirefeed.intake.receiving import Quarantined, Receipt, receive, receive_all, store_raw
from wirefeed.layout import raw_key, upstream_key
from wirefeed.model import utcnow
from wirefeed.storage import BlobStore, NotFound

NINJS = "application/ninjs+json"
# Only these mean the document itself is hostile; other XML errors are left to
# feedparser, which reads the broken feeds found in the wild.
_HOSTILE_XML = {"xml_entities_forbidden", "xml_external_dtd", "xml_external_reference"}
# Root elements of wire documents, which intake reads itself (feeds go to feedparser).
_WIRE_ROOTS = {
    "newsMessage",
    "newsItem",
    "packageItem",
    "nitf",
    "conceptItem",
    "planningItem",
    "knowledgeItem",
    "catalogItem",
}


class UpstreamSource(BaseModel):
    """One upstream feed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    url: str = Field(pattern=r"^https?://")
    interval_s: int = Field(default=300, ge=1)
    source: str | None = Field(default=None, description="Agency name; defaults to the id.")


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
        {
            "name": f"enclosure{i}",
            "href": link.get("href"),
            "contenttype": link.get("type"),
            "sizeinbytes": int(link["length"]) if str(link.get("length", "")).isdigit() else None,
        }
        for i, link in enumerate(entry.get("links") or [])
        if link.get("rel") == "enclosure" and link.get("href")
    ] + [
        {"name": f"attachment{i}", "href": a.get("url"), "contenttype": a.get("mime_type")}
        for i, a in enumerate(entry.get("attachments") or [])
        if a.get("url")
    ]
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


def is_wire_document(body: bytes, content_type: str) -> bool:
    """Whether a fetched document is wire copy (NewsML-G2, NITF, ninjs) rather than a feed."""
    text = decode(body, content_type).lstrip()
    if text.startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return False
        if isinstance(doc, dict):  # a JSON Feed has items; a ninjs document has a uri
            return "items" not in doc and bool(doc.get("uri") or doc.get("guid"))
        return isinstance(doc, list)
    if text.startswith("<"):
        try:
            return parse_xml(text).tag in _WIRE_ROOTS
        except ParseError:
            return False
    return False


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
        try:
            parse_xml(text)
        except ParseError as error:
            if error.reason in _HOSTILE_XML:
                raise
        parsed = feedparser.parse(body, response_headers={"content-type": content_type})
        if parsed.bozo and not parsed.entries:
            raise ParseError("invalid_feed", str(parsed.get("bozo_exception", "unreadable")))
        entries = list(parsed.entries)
    return [doc for doc in map(_entry_doc, entries) if doc is not None]


def poll_source(
    store: BlobStore, source: UpstreamSource, client: httpx.Client, max_bytes: int
) -> list[Receipt]:
    """Fetch a source (conditionally) and take in its new or changed entries."""
    state = _load_state(store, source.id)
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    response = client.get(source.url, headers=headers)
    state.polled_at = utcnow()
    state.status = str(response.status_code)
    receipts: list[Receipt] = []
    if response.status_code == 200 and len(response.content) <= max_bytes:
        state.etag = response.headers.get("etag")
        state.last_modified = response.headers.get("last-modified")
        receipts = _take_entries(store, source, response)
    elif response.status_code == 200:
        state.status = f"refused: feed over {max_bytes} bytes"
    store.put(
        upstream_key(source.id), state.model_dump_json().encode(), content_type="application/json"
    )
    return receipts


def _take_entries(
    store: BlobStore, source: UpstreamSource, response: httpx.Response
) -> list[Receipt]:
    agency = source.source or source.id
    content_type = response.headers.get("content-type", "")
    if is_wire_document(response.content, content_type):
        if _already_received(store, response.content):
            return []
        results = receive_all(store, RawItem(response.content, content_type, source=agency))
        return [r for r in results if isinstance(r, Receipt)]  # the rest are quarantined
    try:
        docs = feed_entries(response.content, content_type)
    except ParseError as error:
        # The feed document itself is kept and set aside, like any refused payload.
        key = store_raw(store, RawItem(response.content, content_type, source=agency))
        quarantine(
            store,
            key,
            reason=error.reason,
            detail=error.detail,
            source=agency,
            content_type=content_type,
        )
        return []
    receipts = []
    for doc in docs:
        payload = json.dumps(doc, sort_keys=True).encode()
        item = RawItem(payload, NINJS, source=agency)
        if _already_received(store, payload):
            continue
        try:
            receipts.append(receive(store, item))
        except Quarantined:
            continue  # kept and listed in quarantine with its reason
    return receipts


def _already_received(store: BlobStore, payload: bytes) -> bool:
    try:
        store.get(raw_key(hashlib.sha256(payload).hexdigest()))
    except NotFound:
        return False
    return True
