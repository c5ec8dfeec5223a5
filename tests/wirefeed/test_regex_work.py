"""Every regex that runs on untrusted text does work linear in the text, on any input.

Work is counted, not timed: tests/regex_steps.py counts the attempts a backtracking
engine makes. For each pattern, hypothesis builds texts ``prefix + unit * n + suffix``
from characters the pattern cares about, and the steps at sizes n, 2n and 3n must grow
by a constant step: the second step is at most a little larger than the first. A
quadratic pattern grows its steps by 5/3 from one to the next, a cubic one by 19/7.
Patterns that their callers apply to a bounded window are measured on that window.
Every pattern compiled at module level anywhere in the domain is either measured here or
named in TRUSTED_INPUT with the reason it never sees untrusted text.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wirefeed
from tests.regex_steps import steps
from wirefeed import model, sanitize
from wirefeed.enrich import cues, entities, keywords, names, topics
from wirefeed.enrich.vocabulary import Vocabulary, packaged_vocabulary_path
from wirefeed.ingest import near_duplicates
from wirefeed.intake import parsers
from wirefeed.intake.parsers import headlines, legacy, mail, wirecopy, xml
from wirefeed.publish import subscription_store, subscriptions


@dataclass(frozen=True)
class Use:
    """A pattern as the code applies it: the mode, an optional window, telling seeds."""

    pattern: re.Pattern[str]
    mode: str = "search"
    window: int | None = None
    seeds: tuple[str, ...] = ()


def _as_text(pattern: re.Pattern[bytes]) -> re.Pattern[str]:
    """A bytes pattern as the same pattern on text (the counter walks text); ASCII, as
    bytes patterns are."""
    return re.compile(pattern.pattern.decode("latin-1"), pattern.flags | re.ASCII)


def _vocabulary_pattern() -> re.Pattern[str]:
    vocabulary = Vocabulary.from_yaml(packaged_vocabulary_path().read_text())
    assert vocabulary._regex is not None
    return vocabulary._regex


USES = {
    "legacy markers": Use(parsers._LEGACY_MARKERS, window=2000, seeds=("\x01", "ZCZC")),
    "telex end": Use(legacy._TELEX_END, seeds=("\nNNNN",)),
    "anpa priority": Use(legacy._ANPA_PRIORITY, seeds=("u a", "\na")),
    "anpa slug": Use(legacy._ANPA_SLUG, seeds=("bc-",)),
    "anpa date": Use(legacy._ANPA_DATE, seeds=(" 10-17", " 1-1 ")),
    "writethru": Use(legacy._WRITETHRU, seeds=("1st", "2nd ")),
    "anpa time": Use(legacy._ANPA_TIME, seeds=("10-17-26", "10-17-26 1412")),
    "7901 time": Use(legacy._7901_TIME, seeds=("171412", "171412 GMT")),
    "7901 source": Use(legacy._7901_SOURCE, mode="match", seeds=("AFP",)),
    "not for publication": Use(legacy._NOT_FOR_PUBLICATION, seeds=("not ", "not for ")),
    "boilerplate": Use(wirecopy._BOILERPLATE, mode="match", seeds=("read more", "(c)")),
    "spaces": Use(wirecopy._SPACES, mode="all"),
    "paragraph break": Use(wirecopy.PARAGRAPH_BREAK, mode="all", seeds=("\n",)),
    "dateline": Use(
        wirecopy._DATELINE,
        mode="match",
        window=wirecopy.DATELINE_WINDOW,
        seeds=("PARIS", "PARIS, Oct 17", "(AFP) - ROME", "MOSCOW, Oct 1 (R)"),
    ),
    "byline": Use(wirecopy._BYLINE, mode="match", window=wirecopy.BYLINE_MAX, seeds=("By A",)),
    "headline marker": Use(wirecopy._HEADLINE_MARKER, mode="match", seeds=("UPDATE", "RPT")),
    "correction note": Use(wirecopy._CORRECTION_NOTE, mode="match", seeds=("(corrects",)),
    "correction words": Use(wirecopy._CORRECTION_WORDS, seeds=("correc",)),
    "xml declaration": Use(xml._XML_DECLARATION, mode="match", seeds=("<?xml",)),
    "xml illegal": Use(sanitize._XML_ILLEGAL, mode="all"),
    "html tag": Use(sanitize._TAG, mode="all", seeds=("<", "<a")),
    "html break": Use(sanitize._BREAK, mode="all", seeds=("<br", "</p")),
    "html space": Use(sanitize._SPACE, mode="all"),
    "dangling hyphen": Use(names._DANGLING_HYPHEN, mode="all", seeds=("ab-",)),
    "glued hyphen": Use(names._GLUED_HYPHEN, mode="all", seeds=("Aaaaa", "Aaaaa-aaa")),
    "quoted": Use(names._QUOTED, mode="all", seeds=('"', "\u201c")),
    "possessive": Use(names._POSSESSIVE, seeds=("'s",)),
    "leading article": Use(names._LEADING_ARTICLE, mode="match", seeds=("the",)),
    "honorific": Use(names._HONORIFIC, mode="match", seeds=("Dr.",)),
    "names dateline": Use(
        names._DATELINE,
        mode="match",
        window=names._DATELINE_WINDOW,
        seeds=("PARIS", "Baikonur, Kazakhstan, Oct. 5"),
    ),
    "particle tail": Use(entities._PARTICLE_TAIL, seeds=(" von", " de")),
    "next name word": Use(entities._NEXT_NAME_WORD, mode="match", seeds=(" A",)),
    "subscription words": Use(subscriptions._WORD, mode="all", seeds=("a-", "a'")),
    # Topic rules match words in one pass over the story's words (no pattern per rule).
    "topic words": Use(topics._WORD, mode="all", seeds=("econom",)),
    "vocabulary": Use(_vocabulary_pattern(), mode="all", seeds=("International Space",)),
    # Text cleaning and language codes (sanitize), slugs of headlines (model).
    "c1 controls": Use(sanitize._C1, mode="all"),
    "astral": Use(sanitize._ASTRAL, mode="all"),
    "markup start": Use(sanitize._MARKUP_START, mode="all", seeds=("<", "&")),
    "language primary": Use(sanitize._PRIMARY, mode="match", seeds=("en",)),
    "slug strip": Use(model._SLUG_STRIP, mode="all"),
    # Wire formats: framing, encodings, headlines derived from the lead.
    "telex start": Use(legacy._TELEX_START, seeds=("ZCZC",)),
    "anpa keyword line": Use(legacy._KEYWORD_LINE, mode="match", seeds=("BC-",)),
    "anpa caret": Use(legacy._ANPA_CARET, seeds=("\n^",)),
    "7901 category": Use(legacy._7901_CATEGORY, mode="match", seeds=("POL",)),
    "7901 count": Use(legacy._7901_COUNT, mode="match", seeds=("12",)),
    "message opening": Use(legacy._OPENING, mode="all", seeds=("\n\x16 ", "\x03ZCZC")),
    "xml encoding": Use(
        _as_text(parsers._XML_ENCODING),
        mode="match",
        window=200,
        seeds=("<?xml ", '<?xml encoding="'),
    ),
    "sentence end": Use(headlines._SENTENCE_END, mode="all", seeds=(". ", '." A')),
    "last word": Use(headlines._LAST_WORD, window=headlines._WORD_WINDOW, seeds=("Mr",)),
    # E-mail: the header block, subjects, forwards and signatures, sender addresses.
    "mail header": Use(_as_text(mail._HEADER), mode="match", seeds=("From",)),
    "mail blank line": Use(_as_text(mail._BLANK_LINE), mode="all", seeds=("\r\n",)),
    "reply prefix": Use(mail._REPLY_PREFIX, mode="match", seeds=("Re:", "Fwd [2]:", "re ")),
    "forward word": Use(mail._FORWARD_WORD, seeds=("fw",)),
    "forward marker": Use(mail._FORWARD_MARKER, mode="match", seeds=("--", "-- forwarded")),
    "forward header": Use(mail._FORWARD_HEADER, mode="match", seeds=("from",)),
    "address parts": Use(mail._ADDRESS_PARTS, mode="all", seeds=("a.",)),
    "signature": Use(mail._SIGNATURE, mode="all", seeds=("\n--",)),
    # Enrichment: words, entity cues, results tables.
    "duplicate words": Use(near_duplicates._WORD, mode="all"),
    "keyword words": Use(keywords._WORD, mode="all", seeds=("Abcd",)),
    "ascii word": Use(entities._ASCII_WORD, mode="all", window=40),
    "apposition": Use(entities._APPOSITION, mode="match", window=60, seeds=(", ",)),
    "trailing score": Use(entities._TRAILING_SCORE, seeds=(" 1-", " 12-1")),
    "word before a name": Use(cues._WORD_BEFORE, window=40, seeds=("the town of",)),
    "name and count": Use(
        cues._NAME_AND_COUNT, mode="all", seeds=("Aberdeen 2 ", "Dundee United 0", "A 1")
    ),
    "score after": Use(cues._SCORE_AFTER, mode="match", seeds=(" 3-", " 3-1")),
    "not an entity": Use(cues._NOT_ENTITIES, seeds=("Storm ", " Grand Prix")),
    "body tail": Use(cues._BODY_TAIL, mode="match", seeds=(" of ", " for the A", " of A and B")),
    # Paths of feed documents that partners ask the gateway for.
    "document path": Use(subscription_store._DOCUMENT_PATH, mode="match", seeds=("all", "a/")),
    "subject code": Use(subscriptions._SUBJECTCODE, mode="match", seeds=("subj:", "subj:15")),
}

# Module-level patterns that never see untrusted text, and why.
TRUSTED_INPUT = {
    # The filter query of a feed, from the subscription configuration an admin writes.
    subscriptions._QUERY_TERM: "admin configuration",
}

# Characters that start, extend or end the parts of these patterns.
ALPHABET = " \u2003\t\n\r\x01\x02aAZz19-_,.;:()<>/\"'\u2019\u2014^"
PIECES = st.text(alphabet=ALPHABET, max_size=3)
UNITS = st.text(alphabet=ALPHABET, min_size=1, max_size=3)
N = 60


def work(use: Use, text: str) -> int:
    """Steps of the pattern on the text as the code applies it."""
    return steps(use.pattern, text, use.mode, use.window)


def assert_linear(use: Use, prefix: str, unit: str, suffix: str) -> None:
    """Steps at n, 2n and 3n repetitions grow by (about) the same amount each time."""
    a, b, c = (work(use, prefix + unit * n + suffix) for n in (N, 2 * N, 3 * N))
    first, second = b - a, c - b
    assert second <= 1.3 * first + 30, (
        f"super-linear work on {prefix!r} + {unit!r}*n + {suffix!r}: {a}, {b}, {c} steps"
    )


def _domain_patterns() -> dict[str, re.Pattern[str] | re.Pattern[bytes]]:
    """Every pattern compiled at module level in the domain, by ``module.name``."""
    found = {}
    for info in pkgutil.walk_packages(wirefeed.__path__, "wirefeed."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{info.name}.{name}"] = value
    return found


def test_every_pattern_of_the_domain_is_measured_or_sees_only_trusted_text() -> None:
    measured = {use.pattern.pattern for use in USES.values()}
    uncovered = [
        name
        for name, pattern in _domain_patterns().items()
        if pattern not in TRUSTED_INPUT
        and pattern.pattern not in measured
        and _as_text_source(pattern) not in measured
    ]
    assert not uncovered, f"add these patterns to USES (or to TRUSTED_INPUT): {uncovered}"


def _as_text_source(pattern: re.Pattern[str] | re.Pattern[bytes]) -> str | None:
    source = pattern.pattern
    return source.decode("latin-1") if isinstance(source, bytes) else None


@pytest.mark.parametrize("name", sorted(USES))
def test_known_adversarial_runs(name: str) -> None:
    """Each seed followed by long runs of the characters hostile inputs repeat."""
    use = USES[name]
    for seed in ("", *use.seeds):
        for unit in (" ", "\u2003", "\n", "a", "A", "1", "-", "<", "(", " \n", "a-", "A ", "A'"):
            assert_linear(use, seed, unit, "x")


@pytest.mark.parametrize("name", sorted(USES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_repeated_run(name: str, data: st.DataObject) -> None:
    """Hypothesis looks for a prefix, a repeated unit and a suffix that blow up the work."""
    use = USES[name]
    seed = data.draw(st.sampled_from(("", *use.seeds)))
    prefix, unit, suffix = data.draw(PIECES), data.draw(UNITS), data.draw(PIECES)
    assert_linear(use, seed + prefix, unit, suffix)


OLD_PATTERNS = {
    "7901 header": r"^\s*([A-Za-z]*)\s*(\d*)\s+(\d)\s+([A-Za-z]{1,3})\s+(\d{1,5})?\s*(.*)$",
    "anpa date": r"\s(\d{1,2}-\d{1,2})\s+\d{0,4}\s*$",
    "html tag": r"<[^>]+>",
    "name and count": r"(?<![\w-])(?P<name>[A-Z][\w.'&\u2019-]*(?:[ \t]+(?:[A-Z0-9][\w.'&\u2019-]*"
    r"|&|de|of))*?)[ \t]+\d{1,3}(?=[ \t]+[A-Z]|[ \t]*\.?[ \t]*$|\.\s)",
    "reply prefix": r"^(?:(?:re|fwd?|aw|wg|sv|vs|tr)\s*(?:\[\d+\])?\s*:\s*)+",
    "trailing score": r"\s+\d{1,3}-\d{1,3}$",
}


@pytest.mark.parametrize("name", sorted(OLD_PATTERNS))
def test_the_counter_sees_the_patterns_this_code_replaced(name: str) -> None:
    """The measure catches what it is for: the old patterns fail the same check."""
    old = Use(re.compile(OLD_PATTERNS[name], re.MULTILINE), mode="all")
    with pytest.raises(AssertionError, match="super-linear"):
        for seed, unit in (("A", " "), (" 1-1", " "), ("", "<"), ("", "A "), ("re", " ")):
            assert_linear(old, seed, unit, "x")
