"""Text and name hygiene around entity recognition.

``prepare_for_ner`` repairs wire-copy habits that break a statistical model (names
glued to a hyphen: "Oleg Novitskiy- Russian cosmonaut", "Klim Shipenko-producer")
without changing the length of the text, so character offsets found in the prepared
text are offsets in the original. ``clean_name`` turns a recognised span into the
name a tag carries.
"""

from __future__ import annotations

import re

# "Novitskiy- Russian": a hyphen closing a name and followed by a space reads as a dash.
_DANGLING_HYPHEN = re.compile(r"(?<=[^\W\d_]{2})-(?=\s)")
# "Shipenko-producer": a capitalised word glued to a lower-case word. Hyphenated names
# ("Jean-Pierre", "Coca-Cola", "al-Assad") are capitalised on the right and stay whole.
# Short left parts stay glued: they are often given names ("Park Chan-wook").
_GLUED_HYPHEN = re.compile(r"\b([A-Z][a-z]{4,})-([a-z]{3,})\b")

# Typographic quotes and dashes, spelled as escapes so they cannot be mistaken for ASCII.
_APOSTROPHES = "'\u2019"
_QUOTES = '"\u201c\u201d\u2018\u00ab\u00bb\u201e' + _APOSTROPHES
_DASHES = "-\u2013\u2014"
_EDGE_JUNK = _QUOTES + _DASHES + " \t\n,.;:!?()[]{}*/"
_POSSESSIVE = re.compile(f"(?:[{_APOSTROPHES}]s|[{_APOSTROPHES}])$")
# A phrase between opening and closing quotes: "...", \u201c...\u201d or \u2018...\u2019.
_QUOTED = re.compile('[\u201c"\u2018]([^\u201c\u201d"\u2018\u2019\n]{2,80}?)[\u201d"\u2019](?!\\w)')
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
_HONORIFIC = re.compile(
    r"^(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Dame|Lord|Lady|Rev|Gen|Col|Capt|Sgt|Lt)\.?\s+"
)


def prepare_for_ner(text: str) -> str:
    """Repair glued hyphens with same-length replacements (offsets stay valid)."""
    text = _DANGLING_HYPHEN.sub(",", text)
    return _GLUED_HYPHEN.sub(r"\1,\2", text)


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``[start, end)`` past quotes, dashes, punctuation, a leading "the",
    a trailing possessive and (for people) an honorific."""
    while True:
        before = (start, end)
        while start < end and text[start] in _EDGE_JUNK:
            start += 1
        while end > start and text[end - 1] in _EDGE_JUNK:
            end -= 1
        span = text[start:end]
        for pattern in (_LEADING_ARTICLE, _HONORIFIC):
            match = pattern.match(span)
            if match and match.end() < len(span):
                start += match.end()
                span = text[start:end]
        match = _POSSESSIVE.search(span)
        if match and match.start() > 0:
            end -= len(match.group(0))
        if (start, end) == before:
            return start, end


def looks_like_name(name: str) -> bool:
    """Whether a cleaned span can be a proper name at all.

    Rejects what a model sometimes marks: phrases in lower case, numbers, dates, one
    letter, very long spans, spans across lines or sentences.
    """
    if len(name) < 2 or len(name) > 80 or "\n" in name:
        return False
    words = name.split()
    if len(words) > 6:
        return False
    if not any(ch.isalpha() for ch in name):
        return False
    if any(ch in name for ch in _QUOTES if ch not in _APOSTROPHES):
        return False
    # Every significant word of a name is capitalised ("Bank of England", "Jean de la Croix").
    significant = [w for w in words if len(w) > 3 or w[0].isupper()]
    return bool(significant) and all(w[0].isupper() or w[0].isdigit() for w in significant)


def quoted_titles(text: str) -> set[str]:
    """Phrases the story puts in quotes ("The Challenge"): titles, never entities.

    A title quoted once stays a title where it appears unquoted later in the story.
    """
    titles = set()
    for match in _QUOTED.finditer(text):
        inner = match.group(1).strip(" ,.;:")
        if inner and inner[0].isupper() and len(inner.split()) <= 8:
            titles.add(inner.casefold())
    return titles


# A dateline opens the first paragraph: "MOSCOW, Oct 17 (AFP) -", "PARIS (Reuters) —",
# "Baikonur, Kazakhstan, Oct. 5 -". The place is the run of words before the first comma
# or bracket, written in capitals or as a name.
# Whitespace is matched possessively and only the start of the body is read, so a long
# run of spaces after a capitalised word costs linear work, not quadratic.
_DATELINE_WINDOW = 160
_DATELINE = re.compile(
    r"""^\s*+
    (?P<place>[A-Z][A-Za-z.'\u2019-]*(?:\s++[A-Z][A-Za-z.'\u2019-]*){0,3})   # the place
    (?:,\s*+[A-Z][A-Za-z.]*(?:\s++[A-Z][A-Za-z.]*){0,2})?        # ", Kazakhstan"
    (?:,?\s*+[A-Z][a-z]{2,8}\.?\s++\d{1,2}(?:,\s*+\d{4})?)?      # ", Oct 17"
    \s*+(?:\([^)]{1,40}\))?                                      # "(AFP)"
    \s*+[-\u2013\u2014]{1,2}\s""",
    re.VERBOSE,
)


def dateline_span(body: str) -> tuple[int, int] | None:
    """Where the place of a dateline at the start of ``body`` is, if there is one."""
    match = _DATELINE.match(body, 0, _DATELINE_WINDOW)
    return match.span("place") if match else None


def dateline_place(body: str) -> str | None:
    """The place of a dateline at the start of ``body`` ("MOSCOW" → "Moscow"), if any."""
    span = dateline_span(body)
    if span is None:
        return None
    place = body[span[0] : span[1]]
    return place.title() if place.isupper() else place
