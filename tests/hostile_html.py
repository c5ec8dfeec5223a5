"""Checks that HTML (or text a reader might take for HTML) holds nothing active.

The expectations are written out here on their own, not imported from the sanitizer,
so the tests judge the sanitizer rather than restate it. Parsing is html5lib's
(the WHATWG algorithm a browser follows), not the sanitizer's own html5ever.
"""

from __future__ import annotations

import re
from typing import Any

import html5lib

# What a feed body may hold; everything else is a finding.
ALLOWED_ELEMENTS = (
    {"p", "br", "hr", "b", "strong", "i", "em", "u", "span", "sub", "sup", "pre", "code"}
    | {"h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption"}
    | {"table", "thead", "tbody", "tr", "td", "th", "a", "img"}
)
SCRIPT_LIKE = (
    {"script", "iframe", "object", "embed", "form", "svg", "math", "style", "meta", "link"}
    | {"base", "frame", "frameset", "applet", "template", "noscript", "portal", "input"}
    | {"button", "textarea", "select"}
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background"}
SAFE_SCHEMES = {"http", "https", "mailto"}
# Content a browser does not show as text.
UNSHOWN = {"script", "style", "template", "iframe", "noscript", "noembed", "noframes", "title"} | {
    "svg",
    "math",
}
# What a browser strips from a URL before reading its scheme (WHATWG URL parsing).
_URL_STRIP = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_REMOVE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
WORD_JOINER = "\u2060"


_PARSER = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)


def parse(fragment: str) -> Any:
    """The fragment as a browser parses it (inside a div)."""
    return _PARSER.parseFragment(fragment)


def _plain(text: str) -> bool:
    # Without "<" there is no tag, without "&" no character reference: text is text.
    return "<" not in text and "&" not in text


def _local(tag: object) -> str | None:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else None


def findings(fragment: str) -> list[str]:
    """Every active or disallowed construct in an HTML fragment (empty when clean)."""
    if _plain(fragment):
        return []
    found = []
    for element in parse(fragment).iter():
        name = _local(element.tag)
        if name is None or name == "document_fragment":
            continue  # comments, the fragment root
        if name in SCRIPT_LIKE or name not in ALLOWED_ELEMENTS:
            found.append(f"element <{name}>")
        for attribute, value in element.attrib.items():
            attribute = attribute.rsplit("}", 1)[-1].lower()
            if attribute.startswith("on") or attribute == "style":
                found.append(f"attribute {attribute} on <{name}>")
            if attribute in URL_ATTRIBUTES:
                url = _URL_REMOVE.sub("", _URL_STRIP.sub("", value))
                scheme = _SCHEME.match(url)
                if scheme is None:
                    found.append(f"relative URL {value!r} on <{name}>")
                elif scheme.group(1).lower() not in SAFE_SCHEMES:
                    found.append(f"{scheme.group(1)}: URL on <{name}>")
    return found


def visible_text(fragment: str) -> str:
    """The text a browser shows for an HTML fragment."""
    if _plain(fragment):
        return fragment
    parts: list[str] = []

    def walk(element: Any) -> None:
        name = _local(element.tag)
        if name is not None and name not in UNSHOWN:
            parts.append(element.text or "")
            for child in element:
                walk(child)
        parts.append(element.tail or "")

    root = parse(fragment)
    parts.append(root.text or "")
    for child in root:
        walk(child)
    return "".join(parts)


def squeeze(text: str) -> str:
    """Text without whitespace or invisible characters, for comparing what reads the same."""
    return re.sub(r"[\s\u2060\ufeff\u200b\u00ad]+", "", text)


def same_text(got: str, expected: str) -> bool:
    """Whether two texts read the same, ignoring whitespace and characters feeds may drop."""
    return squeeze(strip_unsafe_characters(got)) == squeeze(strip_unsafe_characters(expected))


def starts_with_text(got: str, expected: str) -> bool:
    """Whether ``got`` begins with what reads as ``expected``."""
    return squeeze(strip_unsafe_characters(got)).startswith(
        squeeze(strip_unsafe_characters(expected))
    )


# Characters no XML document may (or should) carry; feeds drop them.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0010fffe\U0010ffff]"
)


def strip_unsafe_characters(text: str) -> str:
    """``text`` without control characters, noncharacters and replacement characters.

    C1 controls count as the windows-1252 characters they stand for in mis-decoded text.
    """
    c1 = re.sub("[\x80-\x9f]", lambda m: m[0].encode("latin-1").decode("cp1252", "ignore"), text)
    return _UNSAFE.sub("", c1)


def assert_clean_html(fragment: str, where: str) -> None:
    """Fail with the findings when an HTML fragment holds anything active."""
    problems = findings(fragment)
    assert not problems, f"{where}: {problems} in {fragment[:300]!r}"


def assert_inert_text(text: str, where: str) -> None:
    """Text in a slot readers may take for HTML: parsed as HTML, it must be text alone."""
    if _plain(text):
        return
    root = parse(text)
    elements = [_local(e.tag) for e in root.iter() if e is not root]
    assert not elements, f"{where}: markup {elements} in {text[:300]!r}"
    shown = visible_text(text)
    assert same_text(shown, text.replace(WORD_JOINER, "")), f"{where}: entities in {text!r}"
