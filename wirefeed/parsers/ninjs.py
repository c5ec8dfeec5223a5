"""IPTC ninjs JSON, versions 1.x, 2.x and 3.x, mapped onto the canonical profile."""

from __future__ import annotations

import json
from typing import Any

from dateutil import parser as dateparser

from wirefeed.model import Body, Headline, PubStatus, Story, Tag, story_id_for
from wirefeed.parsers import ParseError, RawItem
from wirefeed.sanitize import clean_html, paragraphs_to_html


def _headlines(doc: dict[str, Any]) -> list[Headline]:
    found = [
        Headline(value=str(h["value"]).strip(), role=h.get("role") or "main")
        for h in doc.get("headlines") or []
        if isinstance(h, dict) and str(h.get("value", "")).strip()
    ]
    if not found and str(doc.get("headline", "")).strip():
        found = [Headline(value=str(doc["headline"]).strip())]
    if not found and str(doc.get("title", "")).strip():
        found = [Headline(value=str(doc["title"]).strip())]
    return found


def _body_html(doc: dict[str, Any]) -> str:
    bodies = [b for b in doc.get("bodies") or [] if isinstance(b, dict) and b.get("value")]
    for body in bodies:
        if "html" in str(body.get("contenttype", "")):
            return clean_html(str(body["value"]))
    if bodies:
        return paragraphs_to_html(str(bodies[0]["value"]).split("\n\n"))
    if doc.get("body_html"):
        return clean_html(str(doc["body_html"]))
    if doc.get("body_xhtml"):
        return clean_html(str(doc["body_xhtml"]))
    if doc.get("body_text"):
        return paragraphs_to_html(str(doc["body_text"]).split("\n\n"))
    return ""


def _tags(items: Any) -> list[Tag]:
    tags = []
    for item in items or []:
        if not isinstance(item, dict) or not (item.get("name") or item.get("literal")):
            continue
        tags.append(
            Tag(
                name=str(item.get("name") or item.get("literal")),
                uri=item.get("uri"),
                literal=item.get("literal") or item.get("code"),
                rel=item.get("rel"),
                confidence=item.get("confidence"),
                relevance=item.get("relevance"),
            )
        )
    return tags


def _date(value: Any) -> Any:
    return dateparser.isoparse(value) if isinstance(value, str) and value else None


def parse(item: RawItem, text: str) -> Story:
    """Parse a ninjs document of any published major version."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError("invalid_json", str(exc)) from exc
    if not isinstance(doc, dict):
        raise ParseError("invalid_ninjs", "a ninjs document is a JSON object")
    uri = str(doc.get("uri") or doc.get("guid") or "").strip()
    if not uri:
        raise ParseError("invalid_ninjs", "ninjs requires a uri")
    headlines = _headlines(doc)
    if not headlines:
        raise ParseError("no_headline", "the item has no headline")
    source = str(doc.get("source") or item.source)
    status = str(doc.get("pubstatus") or "usable").lower()
    versioncreated = _date(doc.get("versioncreated")) or item.received_at
    return Story(
        uri=uri,
        id=story_id_for(source, uri),
        source=source,
        version=str(doc.get("version") or "1"),
        versioncreated=versioncreated,
        firstcreated=_date(doc.get("firstcreated")),
        embargoed=_date(doc.get("embargoed")),
        pubstatus=PubStatus(status) if status in PubStatus.__members__ else PubStatus.usable,
        urgency=doc.get("urgency") if isinstance(doc.get("urgency"), int) else None,
        language=doc.get("language"),
        headlines=headlines,
        bodies=[Body(value=html)] if (html := _body_html(doc)) else [],
        by=doc.get("by") if isinstance(doc.get("by"), str) else None,
        slugline=doc.get("slugline"),
        ednote=doc.get("ednote"),
        subjects=_tags(doc.get("subjects") or doc.get("subject")),
        people=_tags(doc.get("people")),
        organisations=_tags(doc.get("organisations")),
        places=_tags(doc.get("places") or doc.get("place")),
        keywords=[str(k) for k in doc.get("keywords") or [] if isinstance(k, str)],
    )
