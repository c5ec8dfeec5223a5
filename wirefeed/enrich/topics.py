"""IPTC Media Topics subjects, by keyword rules over the taxonomy Wirefeed carries.

``wirefeed/data/mediatopics.json`` holds the codes, labels, hierarchy and retired flags
of IPTC Media Topics (CC BY 4.0, see its ``attribution``); ``topic-rules.yaml`` holds
the words that signal each topic. A story gets its best-scored top-level topics, the
best topics under each, and every broader topic between them.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from wirefeed.enrich.taggers import Proposal, register
from wirefeed.model import Story, Tag
from wirefeed.settings import Settings

QCODE_PREFIX = "medtop:"


def _data(name: str) -> str:
    return (resources.files("wirefeed") / "data" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Topic:
    """One Media Topic."""

    code: str
    label: str
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    retired: bool = False


class Taxonomy:
    """IPTC Media Topics: labels and hierarchy by code (``"20000005"``, no prefix)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.scheme: str = data["scheme"]
        self.attribution: str = data["attribution"]
        self.top_codes: tuple[str, ...] = tuple(data["top"])
        self.topics = {
            code: Topic(
                code=code,
                label=t["label"],
                broader=tuple(t.get("broader", ())),
                narrower=tuple(t.get("narrower", ())),
                retired=bool(t.get("retired", False)),
            )
            for code, t in data["topics"].items()
        }

    @classmethod
    @cache
    def packaged(cls) -> Taxonomy:
        """The taxonomy shipped with Wirefeed (parsed once per process)."""
        return cls(json.loads(_data("mediatopics.json")))

    def ancestors(self, code: str) -> list[str]:
        """Broader topics of ``code``, nearest first, up to its top-level topic."""
        chain: list[str] = []
        current = self.topics.get(code)
        while current and current.broader:
            parent = current.broader[0]
            if parent not in self.topics or parent in chain:
                break  # a gap in the published hierarchy; stop rather than guess
            chain.append(parent)
            current = self.topics[parent]
        return chain

    def top_level(self, code: str) -> str:
        """The top-level topic ``code`` sits under (itself if it is one)."""
        chain = [code, *self.ancestors(code)]
        return chain[-1]

    def tag(self, code: str, confidence: int) -> Tag:
        """The ninjs subject for a topic."""
        return Tag(
            name=self.topics[code].label,
            literal=f"{QCODE_PREFIX}{code}",
            uri=f"{self.scheme}{code}",
            confidence=confidence,
        )


def _keyword_pattern(keyword: str) -> str:
    if keyword.endswith("*"):
        return re.escape(keyword[:-1]) + r"\w*"
    return re.escape(keyword) + "(?:s|es)?"


class TopicRules:
    """Keyword rules per topic, compiled to one regex per topic."""

    def __init__(self, rules: dict[str, list[str]], taxonomy: Taxonomy) -> None:
        problems = [
            code for code in rules if code not in taxonomy.topics or taxonomy.topics[code].retired
        ]
        if problems:
            raise ValueError(f"topic rules name unknown or retired Media Topics: {problems}")
        self.taxonomy = taxonomy
        self.patterns = {
            code: re.compile(
                r"(?<!\w)(" + "|".join(_keyword_pattern(k.casefold()) for k in words) + r")(?!\w)",
                re.IGNORECASE,
            )
            for code, words in rules.items()
            if words
        }

    @classmethod
    @cache
    def packaged(cls) -> TopicRules:
        """The rules shipped with Wirefeed over the packaged taxonomy."""
        rules = yaml.safe_load(_data("topic-rules.yaml"))
        return cls({str(code): list(words) for code, words in rules.items()}, Taxonomy.packaged())

    def scores(self, headline: str, body: str) -> dict[str, float]:
        """Evidence per topic: distinct keywords count fully, repeats add less and less."""
        scores: dict[str, float] = {}
        for code, pattern in self.patterns.items():
            counts: dict[str, float] = defaultdict(float)
            for match in pattern.finditer(body):
                counts[match.group(1).casefold()] += 1
            for match in pattern.finditer(headline):
                counts[match.group(1).casefold()] += 2
            if counts:
                scores[code] = sum(1 + math.log(n) for n in counts.values())
        return scores


@dataclass(frozen=True)
class Classification:
    """The chosen topics with confidences; ``primary`` is the best top-level topic."""

    primary: str | None
    confidences: dict[str, int]


class TopicClassifier:
    """Picks topics from rule scores: strong top-level topics, then their best topics."""

    # A top-level topic needs this much evidence, and this share of the best one.
    min_top_score = 2.5
    min_top_share = 0.5
    max_top_levels = 2
    # A narrower topic needs this much evidence, and this share of its best sibling.
    min_topic_score = 1.5
    min_topic_share = 0.6
    max_topics_per_top = 2

    def __init__(self, rules: TopicRules) -> None:
        self.rules = rules
        self.taxonomy = rules.taxonomy

    def classify(self, headline: str, body: str) -> Classification:
        """The topics of a story."""
        scores = self.rules.scores(headline, body)
        by_top: dict[str, dict[str, float]] = defaultdict(dict)
        for code, score in scores.items():
            by_top[self.taxonomy.top_level(code)][code] = score
        totals = {top: sum(leaves.values()) for top, leaves in by_top.items()}
        ranked = sorted(totals, key=lambda top: totals[top], reverse=True)
        if not ranked or totals[ranked[0]] < self.min_top_score:
            return Classification(None, {})
        best, grand_total = totals[ranked[0]], sum(totals.values())
        confidences: dict[str, int] = {}
        for top in ranked[: self.max_top_levels]:
            if totals[top] < max(self.min_top_score, self.min_top_share * best):
                break
            top_confidence = max(20, min(95, round(100 * totals[top] / grand_total)))
            confidences[top] = top_confidence
            leaves = {c: s for c, s in by_top[top].items() if c != top}
            strongest = max(leaves.values(), default=0.0)
            chosen = sorted(leaves, key=lambda c: leaves[c], reverse=True)
            for code in chosen[: self.max_topics_per_top]:
                if leaves[code] < max(self.min_topic_score, self.min_topic_share * strongest):
                    break
                confidence = round(top_confidence * leaves[code] / strongest)
                for node in [code, *self.taxonomy.ancestors(code)]:
                    confidences[node] = max(confidences.get(node, 0), confidence)
        return Classification(ranked[0], confidences)


@register("topics")
class TopicTagger:
    """IPTC Media Topics subjects with their broader topics."""

    name = "topics"

    def __init__(self, classifier: TopicClassifier) -> None:
        self.classifier = classifier

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicTagger:
        """The tagger over the packaged taxonomy and rules."""
        return cls(TopicClassifier(TopicRules.packaged()))

    def propose(self, story: Story, text: str) -> Proposal:
        """Subjects, most confident first, each with ``literal`` ``medtop:...``."""
        headline, _, body = text.partition("\n\n")
        result = self.classifier.classify(headline, body)
        taxonomy = self.classifier.taxonomy
        ordered = sorted(result.confidences.items(), key=lambda item: (-item[1], item[0]))
        return Proposal(subjects=[taxonomy.tag(code, confidence) for code, confidence in ordered])
