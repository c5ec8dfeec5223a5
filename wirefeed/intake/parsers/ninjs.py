"""IPTC ninjs JSON, versions 1.x, 2.x and 3.x, mapped onto the canonical profile.

ninjs 3.x spells properties in camelCase (``versionCreated``), 1.x and 2.x in lower
case; keys are folded to lower case first so one mapping serves every version. 1.x
shapes (``headline``, ``body_html``, renditions as an object, ``subject``/``place``)
are read as well. A JSON array of ninjs objects is a delivery of several items, each
parsed (and refused) on its own.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import urlparse

from wirefeed.intake.parsers import Outcome, ParseError, RawItem, attempt, parse_date
from wirefeed.intake.parsers.headlines import headlines_for
from wirefeed.intake.parsers.wirecopy import correction_in, split_paragraphs
from wirefeed.model import (
    Body,
    Creator,
    Headline,
    PubStatus,
    Rendition,
    Story,
    Tag,
    story_id_for,
)
from wirefeed.sanitize import clean_html, paragraphs_to_html

MEDIA_TYPES = {"picture", "audio", "video", "graphic"}
STORY_TYPES = {"text", "composite", *MEDIA_TYPES}


def fold_keys(value: Any) -> Any:
    """The document with every object key in lower case (ninjs 3.x → 2.x spelling)."""
    if isinstance(value, dict):
        return {str(k).lower(): fold_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fold_keys(v) for v in value]
    return value


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and low <= value <= high else None


def _headlines(doc: dict[str, Any]) -> list[Headline]:
    found = [
        Headline(value=_str(h.get("value")), role=_str(h.get("role")) or "main")
        for h in doc.get("headlines") or []
        if isinstance(h, dict) and _str(h.get("value"))
    ]
    for fallback in ("headline", "title"):
        if not found and _str(doc.get(fallback)):
            found = [Headline(value=_str(doc[fallback]))]
    return found


def _descriptions(doc: dict[str, Any]) -> list[str]:
    """Caption-like descriptions, which stand in for a body on media items."""
    values = [
        _str(d.get("value"))
        for d in doc.get("descriptions") or []
        if isinstance(d, dict) and _str(d.get("role")) in ("caption", "summary", "text", "")
    ]
    return [v for v in values if v] or [v for v in [_str(doc.get("description_text"))] if v]


def _nitf_body(document: str, base: str | None) -> str:
    # Imported here: the XML module imports this package's siblings.
    from wirefeed.intake.parsers.xml import _inner_html, parse_xml

    return _inner_html(parse_xml(document).find("body/body.content"), base)


def _body_html(doc: dict[str, Any], base: str | None) -> str:
    """The body as sanitised HTML; relative URLs resolve against ``base`` (or are dropped)."""
    bodies = [b for b in doc.get("bodies") or [] if isinstance(b, dict) and _str(b.get("value"))]
    for kind in ("html", "nitf"):
        for body in bodies:
            if kind in _str(body.get("contenttype")).lower():
                value = _str(body["value"])
                return clean_html(value, base) if kind == "html" else _nitf_body(value, base)
    if bodies:
        return paragraphs_to_html(split_paragraphs(_str(bodies[0]["value"])))
    for key in ("body_html", "body_xhtml"):
        if _str(doc.get(key)):
            return clean_html(_str(doc[key]), base)
    if _str(doc.get("body_text")):
        return paragraphs_to_html(split_paragraphs(_str(doc["body_text"])))
    return ""


def _tags(items: Any) -> list[Tag]:
    tags = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name = _str(item.get("name")) or _str(item.get("literal")) or _str(item.get("code"))
        if not name:
            continue
        tags.append(
            Tag(
                name=name,
                uri=_str(item.get("uri")) or None,
                literal=_str(item.get("literal")) or _str(item.get("code")) or None,
                rel=_str(item.get("rel")) or None,
                confidence=_int(item.get("confidence"), 0, 100),
                relevance=_int(item.get("relevance"), 0, 100),
                creator=Creator.source,
            )
        )
    return tags


def _renditions(value: Any) -> dict[str, Rendition]:
    """Renditions with a web address; ninjs 1.x keys them by name, 2.x+ lists them."""
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        pairs = [(_str(r.get("name")) if isinstance(r, dict) else "", r) for r in value]
    else:
        return {}
    found: dict[str, Rendition] = {}
    for index, (name, rendition) in enumerate(pairs):
        if not isinstance(rendition, dict):
            continue
        href = _str(rendition.get("href"))
        if urlparse(href).scheme not in ("http", "https"):
            continue
        found[name or f"r{index}"] = Rendition(
            href=href,
            contenttype=_str(rendition.get("contenttype") or rendition.get("mimetype")) or None,
            title=_str(rendition.get("title")) or None,
            sizeinbytes=_int(rendition.get("sizeinbytes"), 0, 2**62),
            width=_int(rendition.get("width"), 0, 2**31),
            height=_int(rendition.get("height"), 0, 2**31),
        )
    return found


def _item_type(doc: dict[str, Any]) -> str:
    kind = _str(doc.get("type")).lower() or ("event" if "eventdetails" in doc else "text")
    if kind not in STORY_TYPES:
        raise ParseError("unsupported_item", f"ninjs items of type {kind!r} are not stories")
    return kind


def parse_items(item: RawItem, text: str) -> list[Outcome]:
    """Parse a ninjs document of any published major version, or an array of them."""
    try:
        doc = fold_keys(json.loads(text))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError("invalid_json", str(exc)[:300]) from exc
    if isinstance(doc, list):
        return [attempt(partial(parse_document, item, entry)) for entry in doc]
    return [parse_document(item, doc)]


def parse_document(item: RawItem, doc: Any) -> Story:
    """One ninjs object (keys already folded to lower case)."""
    if not isinstance(doc, dict):
        raise ParseError("invalid_ninjs", "a ninjs document is a JSON object")
    uri = _str(doc.get("uri")) or _str(doc.get("guid"))
    if not uri:
        raise ParseError("invalid_ninjs", "ninjs requires a uri")
    kind = _item_type(doc)
    descriptions = _descriptions(doc)
    html = _body_html(doc, uri) or paragraphs_to_html(descriptions)
    headlines = _headlines(doc) or headlines_for("", descriptions[0] if descriptions else "", html)
    renditions = _renditions(doc.get("renditions"))
    if kind in MEDIA_TYPES and not renditions:
        raise ParseError("media_without_renditions", f"a {kind} item with no usable rendition")
    source = _str(doc.get("source")) or item.source
    status = _str(doc.get("pubstatus")).lower()
    return Story(
        uri=uri,
        id=story_id_for(source, uri),
        source=source,
        type=kind,
        version=str(doc.get("version") if doc.get("version") is not None else "1")[:20],
        versioncreated=parse_date(doc.get("versioncreated")) or item.received_at,
        firstcreated=parse_date(doc.get("firstcreated")),
        embargoed=parse_date(doc.get("embargoed")),
        pubstatus=PubStatus(status) if status in PubStatus.__members__ else PubStatus.usable,
        urgency=_int(doc.get("urgency"), 1, 9),
        language=_str(doc.get("language")) or None,
        headlines=headlines,
        bodies=[Body(value=html)] if html else [],
        by=_str(doc.get("by")) or _str(doc.get("byline")) or None,
        slugline=_str(doc.get("slugline")) or None,
        located=_str(doc.get("located")) or None,
        ednote=_str(doc.get("ednote")) or None,
        correction_note=correction_in(_str(doc.get("ednote"))),
        subjects=_tags(doc.get("subjects") or doc.get("subject")),
        people=_tags(doc.get("people") or doc.get("person")),
        organisations=_tags(doc.get("organisations") or doc.get("organisation")),
        places=_tags(doc.get("places") or doc.get("place")),
        keywords=[k for k in doc.get("keywords") or [] if isinstance(k, str) and k.strip()],
        renditions=renditions,
    )
