"""Upstream RSS 2.0, Atom and JSON Feed sources, polled with conditional GETs.

Sources are listed in a TOML file (``WIREFEED_UPSTREAMS_FILE``), each with its own
interval. Every entry becomes a small ninjs document that goes through intake like a
pushed story, so versions, kills and duplicates follow the same rules; identical
entries are skipped by content address before anything is queued. A source that
serves wire documents instead of a feed (a NewsML-G2 newsMessage, NITF, ninjs or a
ninjs array) has each document taken in as it is, every item on its own.
"""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import structlog
from pydantic import BaseModel, Field

from wirefeed.fetching import FetchError, fetch
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import ParseError, RawItem, decode, parse_date
from wirefeed.intake.parsers.xml import parse_xml, without_xml_declaration
from wirefeed.intake.quarantine import quarantine
from wirefeed.intake.receiving import (
    ForeignSource,
    Quarantined,
    Receipt,
    raw_key_of,
    receive,
    receive_all,
    store_raw,
)
from wirefeed.layout import upstream_key
from wirefeed.model import utcnow
from wirefeed.sanitize import absolute_base, clean_html, html_to_text
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

log = structlog.get_logger(__name__)

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


def _is_html(detail: Any) -> bool:
    """Whether a feedparser text construct (title, summary, content) is HTML."""
    return isinstance(detail, dict) and "html" in str(detail.get("type") or "")


def _entry_title(entry: dict[str, Any]) -> str:
    """The entry's title as plain text (an Atom or guessed RSS HTML title loses its markup)."""
    title = str(entry.get("title") or "")
    return html_to_text(clean_html(title)) if _is_html(entry.get("title_detail")) else title


def _entry_body(entry: dict[str, Any], link: str | None) -> tuple[str, str]:
    """(sanitised HTML, plain text) of the entry's body, whichever the feed gave.

    Each comes as the feed declared it: feedparser's content, else its summary, by
    their type; JSON Feed's content_html, else content_text, else its (plain) summary.
    Relative URLs resolve against the content's xml:base or the feed's address, else
    the entry's own link, or are dropped.
    """
    content = entry.get("content")
    detail = content[0] if isinstance(content, list) and content else entry.get("summary_detail")
    if isinstance(detail, dict):  # feedparser
        value = str(detail.get("value") or "")
        if not _is_html(detail):
            return "", value
        return clean_html(value, absolute_base(detail.get("base")) or link), ""
    text = entry.get("content_text") or entry.get("summary") or ""
    return clean_html(str(entry.get("content_html") or ""), link), str(text)


def _entry_doc(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A ninjs document for one feed entry (RSS/Atom via feedparser, or JSON Feed)."""
    link = entry.get("link") or entry.get("url")
    uri = entry.get("id") or link
    title = _entry_title(entry)
    if not uri or not title.strip():
        return None
    html, text = _entry_body(entry, absolute_base(str(link or "")))
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
        "headlines": [{"value": title}],
        "body_html": html,
        "body_text": text,
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


def feed_entries(body: bytes, content_type: str, base_url: str = "") -> list[dict[str, Any]]:
    """ninjs documents for the entries of an RSS, Atom or JSON Feed document.

    ``base_url`` is where the feed was fetched: relative links in it resolve there.
    """
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
        # handed over as UTF-8, so no charset trick shows it something else. Entry HTML
        # is sanitised by Wirefeed's own sanitizer (one set of rules, one HTML parser),
        # which also resolves relative URLs against base_url; feedparser's are off.
        mime = content_type.split(";")[0].strip() or "application/xml"
        headers = {"content-type": f"{mime}; charset=utf-8", "content-location": base_url}
        parsed = feedparser.parse(
            without_xml_declaration(text).encode("utf-8"),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
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
    store.put(
        upstream_key(source.id), state.model_dump_json().encode(), content_type="application/json"
    )
    return receipts


def _take_entries(
    store: BlobStore, source: UpstreamSource, body: bytes, content_type: str, budget: ParseBudget
) -> list[Receipt]:
    agency = source.source or source.id
    if is_wire_document(body, content_type):
        item = RawItem(body, content_type, source=agency, agency=agency)
        if _already_received(store, item):
            return []
        try:
            results = receive_all(store, item, budget)
        except ForeignSource as foreign:
            log.warning("upstream.foreign_source", source=source.id, error=str(foreign))
            return []
        return [r for r in results if isinstance(r, Receipt)]  # the rest are quarantined
    try:
        docs = budget.run(feed_entries, body, content_type, source.url)
    except ParseError as error:
        # The feed document itself is kept and set aside, like any refused payload.
        key = store_raw(store, RawItem(body, content_type, source=agency))
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
        item = RawItem(payload, NINJS, source=agency, agency=agency)
        if _already_received(store, item):
            continue
        try:
            receipts.append(receive(store, item, budget))
        except Quarantined:
            continue  # kept and listed in quarantine with its reason
    return receipts


def _already_received(store: BlobStore, item: RawItem) -> bool:
    try:
        store.get(raw_key_of(item))
    except NotFound:
        return False
    return True
