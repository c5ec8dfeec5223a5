"""Headlines, and the one derived when an agency sends an item without one.

STT NewsML exports and some NITF leave the headline element empty while the text is
there. Such an item is not refused: its headline is the first sentence of the abstract
or of the lead, cut at a word boundary, and marked with the role ``derived`` so editors
see that nobody wrote it. Only an item with neither headline nor text is refused.
"""

from __future__ import annotations

import re

from wirefeed.intake.parsers import ParseError
from wirefeed.intake.parsers.wirecopy import clean_line, read_copy
from wirefeed.model import Headline
from wirefeed.sanitize import html_to_text

DERIVED = "derived"
MAX_CHARS = 90

# Words a full stop follows without ending a sentence (titles, months, "No.", Finnish
# and German short forms seen in wire copy).
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "gen",
    "sen",
    "rep",
    "gov",
    "lt",
    "col",
    "sgt",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "no",
    "nr",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "approx",
    "ca",
    "klo",
    "mm",
    "esim",
    "n",
    "bzw",
    "z",
    "u",
    "dt",
    "ps",
}
# A full stop, question or exclamation mark, then (past closing quotes) a space and the
# next sentence's first letter or opening quote.
_CLOSING, _OPENING = "\"')\u201d\u2019", "\"'(\u201c\u2018"
_SENTENCE_END = re.compile(rf"[.!?\u2026](?=[{_CLOSING}]?\s+[{_OPENING}]?[^\W_])")
_TRAILING = " ,;:-\u2013\u2014"
# The word before a full stop is looked for in a window just big enough for the longest
# abbreviation and one more character: a longer word fills the window, so it is never
# taken for one, and each full stop costs the same whatever the length of the text (a
# search over all the text before it made "J. J. J. ..." quadratic).
_WORD_WINDOW = max(map(len, _ABBREVIATIONS)) + 1
_LAST_WORD = re.compile(r"\w+$")


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph (abbreviations and initials do not end one)."""
    for match in _SENTENCE_END.finditer(text):
        if match.group() == ".":
            end = match.start()
            word = _LAST_WORD.search(text, max(0, end - _WORD_WINDOW), end)
            # "J. Smith", "U.S.", "Mr.": not the end of a sentence.
            if word and (len(word.group()) == 1 or word.group().lower() in _ABBREVIATIONS):
                continue
        return text[: match.end()]
    return text


def shorten(sentence: str, limit: int = MAX_CHARS) -> str:
    """A sentence as a headline: no final full stop, cut at a word boundary if too long."""
    sentence = clean_line(sentence).rstrip(".")
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1].rsplit(" ", 1)[0] if " " in sentence[:limit] else sentence[:limit]
    return cut.rstrip(_TRAILING) + "\u2026"


def derive_headline(abstract: str, body_html: str) -> str:
    """A headline from the first sentence of the abstract, else of the lead ('' if none)."""
    for text in (abstract, html_to_text(body_html).split("\n\n")[0]):
        text = clean_line(text)
        if not text:
            continue
        # The dateline ("HELSINKI (STT) -") and byline are not part of the sentence.
        copy = read_copy("", [text])
        lead = copy.paragraphs[0] if copy.paragraphs else text
        return shorten(first_sentence(lead))
    return ""


def headlines_for(headline: str, abstract: str, body_html: str) -> list[Headline]:
    """The item's headline, or a derived one; ParseError ``no_headline`` when neither."""
    if headline:
        return [Headline(value=headline)]
    derived = derive_headline(abstract, body_html)
    if not derived:
        raise ParseError("no_headline", "the item has neither a headline nor any text")
    return [Headline(value=derived, role=DERIVED)]
