"""Text hygiene shared by parsers and renderers."""

from __future__ import annotations

import html
import re

import nh3

# Characters XML 1.0 forbids; lxml (and so feedgen) raises on them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")

_ALLOWED_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "td", "th", "figure",
    "figcaption", "img", "pre", "code", "span", "sub", "sup", "hr",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}


def strip_xml_illegal(text: str) -> str:
    """Remove characters that may not appear in an XML document."""
    return _XML_ILLEGAL.sub("", text)


def clean_html(fragment: str) -> str:
    """Sanitise an HTML body against an allow-list: no script, style or handlers survive."""
    cleaned = nh3.clean(
        strip_xml_illegal(fragment),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return cleaned.strip()


def paragraphs_to_html(paragraphs: list[str]) -> str:
    """Turn plain paragraphs into escaped HTML paragraphs."""
    return "".join(f"<p>{html.escape(strip_xml_illegal(p))}</p>" for p in paragraphs if p)


# A tag ends at the next "<" too, so a run of "<" costs linear work (it is quadratic
# when each "<" may scan to the end of the text looking for ">").
_TAG = re.compile(r"<[^<>]+>")
_BREAK = re.compile(r"(?i)</(p|h\d|li|blockquote)>|<br\s*/?>")
_SPACE = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML body: paragraphs become blank-line separated."""
    with_breaks = _BREAK.sub("\n\n", fragment)
    text = html.unescape(_TAG.sub("", with_breaks))
    paragraphs = [_SPACE.sub(" ", p).strip() for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
