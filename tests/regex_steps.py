"""A deterministic measure of how much work a backtracking regex does on a text.

Python's ``re`` exposes no step count, and timing a match is no basis for a test. This
module walks the pattern's parse tree (``re._parser``) the way a backtracking engine
does, in the same order, and counts every attempt to match one node at one position.
The count is an upper bound on the real engine's work up to a constant (``_sre`` only
adds shortcuts), so a pattern whose count grows linearly with its input is linear in
``re``, and one that is quadratic or cubic here is so in ``re`` too.

Single characters and anchors are tested with the real engine (one compiled node each),
so character classes, case folding and ``\\b`` mean exactly what they mean in ``re``.
Supports what the project's patterns use: literals, classes, ``.``, anchors, groups,
alternation, greedy/lazy/possessive repeats, atomic groups and lookarounds.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

Cont = Callable[[int], bool]
_SINGLE = {c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN, c.CATEGORY}


class Counter:
    """Counts node attempts while matching ``pattern`` against ``text[:endpos]``."""

    def __init__(self, pattern: re.Pattern[str], text: str, endpos: int | None = None) -> None:
        self.pattern = pattern
        self.text = text[:endpos] if endpos is not None else text
        self.steps = 0
        self.tree = sre_parse.parse(pattern.pattern, pattern.flags)
        self.flags = self.tree.state.flags

    def _one(self, node: tuple[Any, Any], pos: int) -> bool:
        """Whether the single-character or anchor ``node`` matches at ``pos`` (real re)."""
        return _node_regex(repr(node), node, self.flags).match(self.text, pos) is not None

    def _seq(self, nodes: list[Any], i: int, pos: int, k: Cont) -> bool:
        if i == len(nodes):
            return k(pos)
        self.steps += 1
        op, av = nodes[i]
        rest: Cont = lambda p: self._seq(nodes, i + 1, p, k)  # noqa: E731
        if op in _SINGLE:
            return pos < len(self.text) and self._one(nodes[i], pos) and rest(pos + 1)
        if op is c.AT:
            return self._one(nodes[i], pos) and rest(pos)
        if op is c.SUBPATTERN:
            return self._seq(list(av[3]), 0, pos, rest)
        if op is c.BRANCH:
            return any(self._seq(list(alt), 0, pos, rest) for alt in av[1])
        if op is c.ATOMIC_GROUP:
            end = self._first_end(list(av), pos)
            return end is not None and rest(end)
        if op in (c.ASSERT, c.ASSERT_NOT):
            direction, sub = av
            start = pos - sub.getwidth()[0] if direction < 0 else pos
            found = start >= 0 and (
                self._seq(list(sub), 0, start, lambda p: direction > 0 or p == pos)
            )
            return found == (op is c.ASSERT) and rest(pos)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, sub = av
            return self._repeat(op, low, high, list(sub), pos, rest)
        raise NotImplementedError(f"regex_steps does not model {op}")

    def _first_end(self, nodes: list[Any], pos: int) -> int | None:
        ends: list[int] = []
        self._seq(nodes, 0, pos, lambda p: ends.append(p) is None)
        return ends[0] if ends else None

    def _repeat(self, op: Any, low: int, high: int, sub: list[Any], pos: int, k: Cont) -> bool:
        if op is c.POSSESSIVE_REPEAT:
            count = 0
            while count < high and (end := self._first_end(sub, pos)) is not None:
                self.steps += 1
                if end == pos:
                    break
                pos, count = end, count + 1
            return count >= low and k(pos)

        def step(count: int, at: int) -> bool:
            self.steps += 1

            def again(p: int) -> bool:
                return p != at and step(count + 1, p)

            if op is c.MAX_REPEAT:
                return (count < high and self._seq(sub, 0, at, again)) or (count >= low and k(at))
            return (count >= low and k(at)) or (count < high and self._seq(sub, 0, at, again))

        return step(0, pos)

    def match_at(self, pos: int) -> int | None:
        """The end of the first match at ``pos`` (None when there is none)."""
        return self._first_end(list(self.tree), pos)


_COMPILED: dict[tuple[str, int], re.Pattern[str]] = {}


def _node_regex(key: str, node: tuple[Any, Any], flags: int) -> re.Pattern[str]:
    """One node compiled on its own (cached by its printed form: nodes hold lists)."""
    if (key, flags) in _COMPILED:
        return _COMPILED[key, flags]
    state = sre_parse.State()
    state.flags = flags
    sub = sre_parse.SubPattern(state, [node])
    compiled: re.Pattern[str] = re._compiler.compile(sub, flags)  # type: ignore[attr-defined]
    _COMPILED[key, flags] = compiled
    return compiled


def steps(
    pattern: re.Pattern[str], text: str, mode: str = "search", endpos: int | None = None
) -> int:
    """Node attempts to run ``pattern`` on ``text`` as ``mode`` does.

    ``match`` tries position 0; ``search`` every start until one matches; ``all``
    (what sub, split, findall and finditer do) searches again after each match.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 100_000))
    try:
        counter = Counter(pattern, text, endpos)
        if mode == "match":
            counter.match_at(0)
            return counter.steps
        pos = 0
        while pos <= len(counter.text):
            counter.steps += 1
            end = counter.match_at(pos)
            if end is not None and mode == "search":
                break
            pos = end if end is not None and end > pos else pos + 1
        return counter.steps
    finally:
        sys.setrecursionlimit(old)
