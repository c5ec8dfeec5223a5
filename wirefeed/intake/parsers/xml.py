"""XML wire formats: NITF 3.x and NewsML-G2 (newsItem, newsMessage, packageItem).

A newsMessage carries any number of items: each newsItem becomes a story of its own,
a packageItem is set aside naming the items it references, and concept, planning,
knowledge and catalog items are refused with a reason that names their class.

Every document goes through defusedxml: entity declarations (billion laughs, XXE) and
external references are refused with their own reason codes, and so is a DOCTYPE
that points at a DTD on the network, except the standard IPTC ones (which are never
fetched; a parser here reads no DTD at all).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any
from urllib.parse import urlparse
from xml.etree.ElementTree import Element, tostring
from xml.etree.ElementTree import ParseError as XMLSyntaxError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

from wirefeed.intake.parsers import Outcome, ParseError, RawItem, attempt, parse_date
from wirefeed.intake.parsers.headlines import headlines_for
from wirefeed.intake.parsers.wirecopy import (
    PARAGRAPH_BREAK,
    clean_line,
    correction_in,
    fingerprint_uri,
)
from wirefeed.model import (
    Body,
    Creator,
    PubStatus,
    Rendition,
    Story,
    Tag,
    story_id_for,
)
from wirefeed.sanitize import clean_html, paragraphs_to_html, strip_xml_illegal

# Hosts whose DTDs appear in real agency files; a DOCTYPE naming them is harmless
# because no DTD is ever loaded.
_KNOWN_DTD_HOSTS = {"www.nitf.org", "nitf.org", "www.iptc.org", "iptc.org", "www.w3.org"}


_XML_DECLARATION = re.compile(r"^\s*+<\?xml[^>]*+\?>")


class _WireXMLParser(DefusedXMLParser):
    """defusedxml with a DOCTYPE check instead of a blanket DTD ban."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        location = urlparse(sysid or "")
        if location.scheme and location.hostname not in _KNOWN_DTD_HOSTS:
            raise DTDForbidden(name, sysid, pubid)


def without_xml_declaration(text: str) -> str:
    """Decoded text without its XML declaration (whose encoding no longer applies)."""
    return _XML_DECLARATION.sub("", text)


def parse_xml(text: str) -> Element:
    """Parse XML text safely, with namespaces stripped from tags and attributes."""
    try:
        parser = _WireXMLParser()
        # The text is already decoded; a leftover encoding declaration would only confuse.
        parser.feed(without_xml_declaration(strip_xml_illegal(text)))
        root: Element = parser.close()
    except EntitiesForbidden as exc:
        raise ParseError(
            "xml_entities_forbidden", f"entity declarations are refused: {exc}"
        ) from exc
    except DTDForbidden as exc:
        raise ParseError("xml_external_dtd", f"a DTD on the network is refused: {exc}") from exc
    except DefusedXmlException as exc:
        raise ParseError(
            "xml_external_reference", f"external references are refused: {exc}"
        ) from exc
    except (XMLSyntaxError, ValueError) as exc:
        raise ParseError("invalid_xml", str(exc)[:300]) from exc
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
        for key in [k for k in element.attrib if "}" in k]:
            element.attrib[key.split("}", 1)[1]] = element.attrib.pop(key)
    return root


def _text(element: Element | None) -> str:
    return clean_line("".join(element.itertext())) if element is not None else ""


def _attr(element: Element | None, name: str) -> str:
    return (element.get(name) or "").strip() if element is not None else ""


def _inner_html(container: Element | None, base: str | None) -> str:
    """The children of ``container`` as sanitised HTML (NITF headings become h2/h3).

    Relative URLs resolve against ``base``, the item's own address, or are dropped.
    """
    if container is None:
        return ""
    renames = {"hl1": "h2", "hl2": "h3", "hedline": "div", "block": "div", "bq": "blockquote"}
    parts = [container.text or ""]
    for child in container:
        for element in child.iter():
            element.tag = renames.get(str(element.tag), element.tag)
        parts.append(tostring(child, encoding="unicode"))
    return clean_html("".join(parts), base)


def _status(value: str) -> PubStatus:
    # NewsML-G2 qcodes ("stat:canceled") and NITF management-status ("canceled").
    name = value.rsplit(":", 1)[-1].strip().lower()
    return PubStatus(name) if name in PubStatus.__members__ else PubStatus.usable


def _urgency(value: str) -> int | None:
    return int(value) if value.isdigit() and 1 <= int(value) <= 9 else None


def _version(value: str) -> str:
    return value if value.isdigit() else "1"


def _story(item: RawItem, uri: str, **fields: Any) -> Story:
    html = fields.pop("html")
    headlines = headlines_for(fields.pop("headline"), fields.pop("abstract"), html)
    return Story(
        uri=uri,
        id=story_id_for(item.source, uri),
        source=item.source,
        headlines=headlines,
        bodies=[Body(value=html)] if html else [],
        versioncreated=fields.pop("versioncreated") or item.received_at,
        **fields,
    )


def parse_nitf(item: RawItem, root: Element) -> Story:
    """A NITF 3.x document."""
    head, body = root.find("head"), root.find("body")
    docdata = root.find("head/docdata")
    body_head = body.find("body.head") if body is not None else None
    headline = _text(root.find(".//hedline/hl1")) or _text(root.find("head/title"))
    doc_id = _attr(root.find("head/docdata/doc-id"), "id-string")
    status = _attr(docdata, "management-status")
    release = parse_date(_attr(root.find("head/docdata/date.release"), "norm"))
    issued = parse_date(_attr(root.find("head/docdata/date.issue"), "norm"))
    ednote = _attr(root.find("head/docdata/ed-msg"), "info")
    correction = _attr(root.find("head/docdata/correction"), "info")
    abstract = _text(body_head.find("abstract")) if body_head is not None else ""
    html = _inner_html(body.find("body.content") if body is not None else None, doc_id)
    if not html and abstract:
        html = paragraphs_to_html([abstract])
    return _story(
        item,
        doc_id or fingerprint_uri("nitf", item.source, headline or abstract or html),
        headline=headline,
        abstract=abstract,
        html=html,
        version=_version(_attr(root.find("head/docdata/du-key"), "version")),
        versioncreated=issued,
        firstcreated=issued,
        embargoed=release
        if status == "embargoed" or (release and issued and release > issued)
        else None,
        pubstatus=_status(status) if status != "embargoed" else PubStatus.usable,
        urgency=_urgency(_attr(root.find("head/docdata/urgency"), "ed-urg")),
        language=_attr(root, "lang") or _attr(head, "lang") or None,
        by=_text(root.find("body/body.head/byline")).removeprefix("By ").strip() or None,
        located=_text(root.find(".//dateline/location"))
        or _text(root.find(".//dateline/city"))
        or None,
        ednote=ednote or None,
        correction_note=correction or correction_in(ednote),
        subjects=[
            Tag(
                name=_attr(s, "tobject.subject.matter") or _attr(s, "tobject.subject.refnum"),
                literal=_attr(s, "tobject.subject.refnum") or None,
                creator=Creator.source,
            )
            for s in root.iterfind("head/tobject/tobject.subject")
            if _attr(s, "tobject.subject.matter") or _attr(s, "tobject.subject.refnum")
        ],
        keywords=[_attr(k, "key") for k in root.iterfind(".//key-list/keyword") if _attr(k, "key")],
    )


_G2_TYPES = {
    "text": "text",
    "picture": "picture",
    "graphic": "graphic",
    "audio": "audio",
    "video": "video",
    "composite": "composite",
}


def _g2_body(content_set: Element | None, base: str) -> tuple[str, dict[str, Rendition]]:
    """HTML of the inline content, and renditions of the remote content."""
    if content_set is None:
        return "", {}
    html = ""
    for inline in content_set.iterfind("inlineXML"):
        container = next(
            (
                found
                for path in (".//body.content", ".//body")
                if (found := inline.find(path)) is not None
            ),
            inline,
        )
        html = _inner_html(container, base)
        if html:
            break
    inline_data = content_set.find("inlineData")
    if not html and inline_data is not None:
        html = paragraphs_to_html(
            [clean_line(p) for p in PARAGRAPH_BREAK.split("".join(inline_data.itertext()))]
        )
    renditions = {}
    for index, remote in enumerate(content_set.iterfind("remoteContent")):
        href = _attr(remote, "href")
        if not urlparse(href).scheme.startswith("http"):
            continue
        name = _attr(remote, "rendition").rsplit(":", 1)[-1] or f"r{index}"
        renditions[name] = Rendition(
            href=href,
            contenttype=_attr(remote, "contenttype") or None,
            sizeinbytes=_int(_attr(remote, "size")),
            width=_int(_attr(remote, "width")),
            height=_int(_attr(remote, "height")),
        )
    return html, renditions


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def parse_news_item(item: RawItem, root: Element) -> Story:
    """A NewsML-G2 newsItem."""
    meta, content = root.find("itemMeta"), root.find("contentMeta")
    guid = _attr(root, "guid")
    if not guid:
        raise ParseError("invalid_newsml", "a newsItem requires a guid")
    headlines = (content.findall("headline") if content is not None else []) or []
    headline = next((_text(h) for h in headlines if _text(h)), "")
    item_class = _attr(meta.find("itemClass") if meta is not None else None, "qcode")
    signals = [_attr(s, "qcode") for s in root.iterfind("itemMeta/signal")]
    ednote = _text(root.find("itemMeta/edNote"))
    html, renditions = _g2_body(root.find("contentSet"), guid)
    descriptions = root.findall("contentMeta/description")
    abstract = next(
        (_text(d) for d in descriptions if _attr(d, "role").endswith(("summary", "abstract"))), ""
    ) or next((_text(d) for d in descriptions if _text(d)), "")
    return _story(
        item,
        guid,
        headline=headline,
        abstract=abstract,
        html=html,
        type=_G2_TYPES.get(item_class.rsplit(":", 1)[-1], "text"),
        version=_version(_attr(root, "version")),
        versioncreated=parse_date(_text(root.find("itemMeta/versionCreated"))),
        firstcreated=parse_date(_text(root.find("itemMeta/firstCreated"))),
        embargoed=parse_date(_text(root.find("itemMeta/embargoed"))),
        pubstatus=_status(_attr(root.find("itemMeta/pubStatus"), "qcode")),
        urgency=_urgency(_text(root.find("contentMeta/urgency"))),
        language=_attr(root.find("contentMeta/language"), "tag") or _attr(root, "lang") or None,
        by=_text(root.find("contentMeta/by")) or None,
        slugline=_text(root.find("contentMeta/slugline")) or None,
        located=_text(root.find("contentMeta/located/name")) or None,
        ednote=ednote or None,
        correction_note=correction_in(ednote)
        or (
            "This story has been corrected."
            if any(s.endswith("correction") for s in signals)
            else None
        ),
        subjects=[
            Tag(
                name=_text(s.find("name")) or _attr(s, "qcode"),
                literal=_attr(s, "qcode") or None,
                uri=_attr(s, "uri") or None,
                creator=Creator.source,
            )
            for s in root.iterfind("contentMeta/subject")
            if _text(s.find("name")) or _attr(s, "qcode")
        ],
        keywords=[_text(k) for k in root.iterfind("contentMeta/keyword") if _text(k)],
        renditions=renditions,
    )


# The reason code of each NewsML-G2 item class that is not a story.
_OTHER_G2_ITEMS = {
    "conceptItem": "concept_item",
    "planningItem": "planning_item",
    "knowledgeItem": "knowledge_item",
    "catalogItem": "catalog_item",
}


def _parse_element(item: RawItem, root: Element) -> Story:
    """One XML item: a NITF document or a NewsML-G2 item of a story-bearing class."""
    if root.tag == "nitf":
        return parse_nitf(item, root)
    if root.tag == "newsItem":
        return parse_news_item(item, root)
    if root.tag == "packageItem":
        refs = [_attr(r, "residref") for r in root.iter("itemRef") if _attr(r, "residref")]
        raise ParseError(
            "package_item",
            f"a NewsML-G2 packageItem only groups other items ({len(refs)} referenced"
            f"{': ' + ', '.join(refs[:5]) if refs else ''}); send the items themselves",
        )
    if root.tag in _OTHER_G2_ITEMS:
        raise ParseError(
            _OTHER_G2_ITEMS[root.tag],
            f"a NewsML-G2 {root.tag} ({_attr(root, 'guid') or 'no guid'}) is not a story",
        )
    raise ParseError("unsupported_format", f"no parser for XML documents of type <{root.tag}>")


def parse_items(item: RawItem, text: str) -> list[Outcome]:
    """Parse an XML wire document of any supported kind: one item, or a newsMessage's items."""
    root = parse_xml(text)
    if root.tag != "newsMessage":
        return [_parse_element(item, root)]
    items = root.findall("itemSet/*")
    if not items:
        raise ParseError("empty", "a newsMessage without items")
    return [attempt(partial(_parse_element, item, element)) for element in items]
