"""Every regex that runs on untrusted text does work linear in the text, on any input.

Work is counted, not timed: tests/regex_steps.py counts the attempts a backtracking
engine makes. For each pattern, hypothesis builds texts ``prefix + unit * n + suffix``
from characters the pattern cares about, and the steps at sizes n, 2n and 3n must grow
by a constant step: the second step is at most a little larger than the first. A
quadratic pattern grows its steps by 5/3 from one to the next, a cubic one by 19/7.
Patterns that their callers apply to a bounded window are measured on that window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.regex_steps import steps
from wirefeed import sanitize
from wirefeed.enrich import entities, names, topics
from wirefeed.enrich.vocabulary import Vocabulary, packaged_vocabulary_path
from wirefeed.intake import parsers
from wirefeed.intake.parsers import legacy, wirecopy, xml
from wirefeed.publish import subscriptions


@dataclass(frozen=True)
class Use:
    """A pattern as the code applies it: the mode, an optional window, telling seeds."""

    pattern: re.Pattern[str]
    mode: str = "search"
    window: int | None = None
    seeds: tuple[str, ...] = ()


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


@pytest.mark.parametrize("name", sorted(USES))
def test_known_adversarial_runs(name: str) -> None:
    """Each seed followed by long runs of the characters hostile inputs repeat."""
    use = USES[name]
    for seed in ("", *use.seeds):
        for unit in (" ", "\u2003", "\n", "a", "A", "1", "-", "<", "(", " \n", "a-", "A "):
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
}


@pytest.mark.parametrize("name", sorted(OLD_PATTERNS))
def test_the_counter_sees_the_patterns_this_code_replaced(name: str) -> None:
    """The measure catches what it is for: the old patterns fail the same check."""
    old = Use(re.compile(OLD_PATTERNS[name], re.MULTILINE), mode="all")
    with pytest.raises(AssertionError, match="super-linear"):
        for seed, unit in (("A", " "), (" 1-1", " "), ("", "<")):
            assert_linear(old, seed, unit, "x")
