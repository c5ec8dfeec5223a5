"""Text hygiene shared by parsers and renderers.

Two kinds of values travel through Wirefeed, and each is treated as what it is:

- HTML bodies go through ``clean_html``, the one allow-list sanitizer (nh3): allowed
  tags and attributes, URLs only with the http, https and mailto schemes, relative
  URLs resolved against the story's own absolute address or dropped.
- Everything else (headlines, correction notes, bylines, tag names) is plain text.
  It is never markup: where an output needs HTML it is escaped with ``text_to_html``,
  and in XML the serializer escapes it once more.

``language_tag`` keeps language codes to valid BCP 47 tags.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urlsplit

import langcodes
import nh3

# Characters XML 1.0 forbids (lxml raises on them), plus those it discourages and feed
# validators flag as bad characters: C1 controls, noncharacters, and the replacement
# character a failed decode leaves behind.
_XML_ILLEGAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff]"
)
# Noncharacters beyond the BMP (U+1FFFE, U+1FFFF ... U+10FFFF) are found through one
# range: a class listing the 32 of them makes the regex engine slower by far.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# C1 controls in text are nearly always windows-1252 bytes decoded as Latin-1 upstream:
# they become the quotes, dashes and ellipses they were (as browsers and feedparser do).
_C1 = re.compile("[\x80-\x9f]")
_C1_AS_CP1252 = {chr(code): bytes([code]).decode("cp1252", "ignore") for code in range(0x80, 0xA0)}


def _astral_kept(found: re.Match[str]) -> str:
    return "" if ord(found[0]) & 0xFFFE == 0xFFFE else found[0]


ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "b", "strong", "i", "em", "u", "span", "sub", "sup", "pre", "code"}
    | {"h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure", "figcaption"}
    | {"table", "thead", "tbody", "tr", "td", "th", "a", "img"}
)
ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Elements dropped together with their content, because that content is code, is
# never shown to a reader, or is drawing and formula markup (svg, math) rather than
# text. Every other element outside the allow-list (form, object, select...) is
# unwrapped: its text stays, its markup goes.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "noscript", "noembed", "noframes", "title"}
    | {"svg", "math"}
)
LINK_REL = "noopener noreferrer"


def strip_xml_illegal(text: str) -> str:
    """Remove characters that may not (or should not) appear in an XML document.

    C1 controls are first read as the windows-1252 characters they nearly always are.
    """
    if not text.isascii():
        text = _C1.sub(lambda found: _C1_AS_CP1252[found[0]], text)
        text = _ASTRAL.sub(_astral_kept, text)
    return _XML_ILLEGAL.sub("", text)


def absolute_base(address: str | None) -> str | None:
    """``address`` when it is an absolute http(s) URL that can serve as a base, else None."""
    if not address:
        return None
    try:
        parts = urlsplit(address.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return address.strip()
    return None


def clean_html(fragment: str, base: str | None = None) -> str:
    """Sanitise an HTML body against the allow-list: no script, style or handlers survive.

    Relative URLs are resolved against ``base`` (the story's own absolute address)
    when there is one, and dropped otherwise: on a partner's page they would point
    at the partner's own paths.
    """
    # Characters XML cannot carry go after parsing, as a browser would have seen them
    # (``<scr\0ipt>`` is no script to a browser; removed first, it would become one).
    return strip_xml_illegal(_cleaner(absolute_base(base)).clean(fragment)).strip()


@lru_cache(maxsize=256)
def _cleaner(base: str | None) -> nh3.Cleaner:
    try:
        return nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            clean_content_tags=set(DROPPED_WITH_CONTENT),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel=LINK_REL,
            url_relative=("rewrite_with_base", base) if base else "deny",
        )
    except ValueError:  # a base nh3 cannot parse: drop relative URLs instead
        return _cleaner(None)


def text_to_html(text: str) -> str:
    """Plain text as HTML text: ``<`` and ``&`` (and ``>``) escaped, nothing else changed."""
    return html.escape(strip_xml_illegal(text), quote=False)


def paragraphs_to_html(paragraphs: list[str]) -> str:
    """Turn plain paragraphs into escaped HTML paragraphs."""
    return "".join(f"<p>{text_to_html(p)}</p>" for p in paragraphs if p)


# An invisible WORD JOINER, put after "<" or "&" where they could start markup.
WORD_JOINER = "\u2060"
_MARKUP_START = re.compile(r"([<])(?=[A-Za-z/!?])|([&])(?=[#A-Za-z0-9])")


def inert_text(text: str) -> str:
    """Plain text for an RSS or Atom slot that cannot say it holds text, not HTML.

    RSS titles and categories, and Atom names and category labels, have no type
    attribute; readers (and feed validators) guess, and take ``</b>``, ``<img ...>`` or
    ``&amp;`` there for markup. An invisible word joiner after such a ``<`` or ``&``
    keeps the text as it reads while no HTML parser can see a tag or an entity in it.
    """
    return _MARKUP_START.sub(lambda m: m.group(0) + WORD_JOINER, strip_xml_illegal(text))


# A tag, with quoted attribute values that may hold ">", but never past the next "<":
# every match attempt stops there and the quantifiers are possessive, so a run of "<"
# or of quotes costs linear work (a tag that may scan to the end of the text for each
# "<" is quadratic).
_TAG = re.compile(r"""<(?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+>""")
_BREAK = re.compile(r"(?i)</(p|h\d|li|blockquote)>|<br\s*/?>")
_SPACE = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML body: paragraphs become blank-line separated."""
    with_breaks = _BREAK.sub("\n\n", fragment)
    text = html.unescape(_TAG.sub("", with_breaks))
    paragraphs = [_SPACE.sub(" ", p).strip() for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


# Codes that are valid BCP 47 but say nothing about the language of a text: no
# linguistic content, undetermined, multiple, uncoded.
_NOT_A_LANGUAGE = frozenset({"zxx", "und", "mul", "mis"})
_PRIMARY = re.compile("[a-z]{2,3}")


@lru_cache(maxsize=1024)
def language_tag(value: str | None) -> str | None:
    """A valid BCP 47 tag (language, script, region) for ``value``, or None.

    ``en_US``, ``EN-gb`` and ``eng`` become ``en-US``, ``en-GB`` and ``en``; codes that
    are not languages (``zxx``, ``und``, private use) and unknown codes give None.
    """
    value = strip_xml_illegal(value or "").strip()
    if not value:
        return None
    try:
        found = langcodes.Language.get(value.replace("_", "-"), normalize=True)
    except (langcodes.LanguageTagError, ValueError):
        return None
    language = found.language or ""
    if (
        not _PRIMARY.fullmatch(language)
        or language in _NOT_A_LANGUAGE
        or "qaa" <= language <= "qtz"
    ):
        return None
    tag = langcodes.Language.make(
        language=language, script=found.script, territory=found.territory
    ).to_tag()
    return tag if langcodes.tag_is_valid(tag) else None
