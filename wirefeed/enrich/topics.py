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
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

import yaml

from wirefeed.enrich.taggers import Proposal, register
from wirefeed.model import Story, Tag
from wirefeed.settings import Settings

QCODE_PREFIX = "medtop:"
MODEL_FILE = "topic-model.json"


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


_WORD = re.compile(r"\w+")
_PLURALS = ("", "s", "es")
# Words whose candidate keywords a TopicRules keeps (then it starts afresh).
_MAX_CACHED_WORDS = 50_000


@dataclass(frozen=True)
class _Keyword:
    """One rule keyword as words: all but the last match exactly; the last takes a
    plural ending, or any ending for a keyword written with a trailing "*"."""

    code: str
    words: tuple[str, ...]
    separators: tuple[str, ...]  # what stands between the words ("-" in "e-commerce")
    prefix: bool

    @classmethod
    def parse(cls, code: str, keyword: str) -> _Keyword:
        prefix = keyword.endswith("*")
        text = keyword.removesuffix("*").casefold()
        words = _WORD.findall(text)
        separators = tuple(re.split(r"\w+", text)[1:-1])
        return cls(code, tuple(words), separators, prefix)

    def match(self, text: str, tokens: list[re.Match[str]], at: int) -> int | None:
        """The end (in ``text``) of this keyword starting at ``tokens[at]``, if it does."""
        last = at + len(self.words) - 1
        if last >= len(tokens):
            return None
        for i, word in enumerate(self.words[:-1]):
            if tokens[at + i].group() != word:
                return None
            if text[tokens[at + i].end() : tokens[at + i + 1].start()] != self.separators[i]:
                return None
        token, word = tokens[last].group(), self.words[-1]
        ok = token.startswith(word) if self.prefix else token in (word + e for e in _PLURALS)
        return tokens[last].end() if ok else None


class TopicRules:
    """Keyword rules per topic, matched in one pass over the words of a story.

    Keywords are indexed by their first word (or, for one-word keywords ending in "*",
    by that prefix), so the cost of scoring grows with the story, not with the rules.
    """

    def __init__(self, rules: dict[str, list[str]], taxonomy: Taxonomy) -> None:
        problems = [
            code for code in rules if code not in taxonomy.topics or taxonomy.topics[code].retired
        ]
        if problems:
            raise ValueError(f"topic rules name unknown or retired Media Topics: {problems}")
        self.taxonomy = taxonomy
        self.rules = rules
        self._by_first: dict[str, list[_Keyword]] = defaultdict(list)
        self._by_prefix: dict[str, list[_Keyword]] = defaultdict(list)
        for code, words in rules.items():
            for keyword in (_Keyword.parse(code, k) for k in words):
                if not keyword.words:
                    continue
                if len(keyword.words) == 1 and keyword.prefix:
                    self._by_prefix[keyword.words[0]].append(keyword)
                elif len(keyword.words) == 1:
                    for ending in _PLURALS:
                        self._by_first[keyword.words[0] + ending].append(keyword)
                else:
                    self._by_first[keyword.words[0]].append(keyword)
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        # The keywords that may start at a word, by word: most words of a story recur
        # or start no keyword at all, and news uses a bounded vocabulary.
        self._starting: dict[str, tuple[_Keyword, ...]] = {}

    @classmethod
    @cache
    def packaged(cls) -> TopicRules:
        """The rules shipped with Wirefeed over the packaged taxonomy."""
        rules = yaml.safe_load(_data("topic-rules.yaml"))
        return cls({str(code): list(words) for code, words in rules.items()}, Taxonomy.packaged())

    def _starting_at(self, word: str) -> tuple[_Keyword, ...]:
        """The keywords whose first word ``word`` may be."""
        found = self._starting.get(word)
        if found is None:
            candidates = list(self._by_first.get(word, ()))
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                candidates += self._by_prefix.get(word[:length], ())
            if len(self._starting) >= _MAX_CACHED_WORDS:
                self._starting.clear()
            found = self._starting[word] = tuple(candidates)
        return found

    def _counts(self, text: str, weight: float, counts: dict[str, dict[str, float]]) -> None:
        # Per topic, the longest keyword at each word counts, and its words are used up.
        folded = text.casefold()
        tokens = list(_WORD.finditer(folded))
        used_until: dict[str, int] = {}
        for at, token in enumerate(tokens):
            candidates = self._starting_at(token.group())
            if not candidates:
                continue
            best: dict[str, int] = {}
            for keyword in candidates:
                end = keyword.match(folded, tokens, at)
                if end is not None and end > best.get(keyword.code, -1):
                    best[keyword.code] = end
            for code, end in best.items():
                if token.start() >= used_until.get(code, 0):
                    counts[code][folded[token.start() : end]] += weight
                    used_until[code] = end

    def scores(self, headline: str, body: str) -> dict[str, float]:
        """Evidence per topic: distinct keywords count fully, repeats add less and less.

        A keyword in the headline counts twice.
        """
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._counts(body, 1, counts)
        self._counts(headline, 2, counts)
        return {
            code: sum(1 + math.log(n) for n in found.values()) for code, found in counts.items()
        }


# The model reads the headline and the first words of the body: wire copy says what a
# story is about first, and the stories the model learned from are shorter than this
# (the rules read the whole story).
MODEL_WORDS = 250
# Pieces of words, by length: they carry what a word shares with its relatives
# ("elect" in "elections", "electoral"), which words the model never saw have too.
_PIECE_LENGTHS = (3, 4, 5)
_PIECE_MARK = "#"


@lru_cache(maxsize=65_536)
def _pieces(word: str) -> tuple[str, ...]:
    # " word " cut into pieces of each length, spaces marking its edges; "#" keeps a
    # piece apart from a word that is spelt the same.
    padded = f" {word} "
    return tuple(
        _PIECE_MARK + padded[i : i + n] for n in _PIECE_LENGTHS for i in range(len(padded) - n + 1)
    )


def _model_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.casefold()) if len(word) > 1 and not word.isdigit()]


def topic_terms(headline: str, body: str) -> list[str]:
    """The terms the topic model reads: words, word pairs and pieces of words (3 to 5
    characters) of the headline, twice, and of the body's first ``MODEL_WORDS`` words."""
    head = _model_words(headline)
    words = head + head + _model_words(body)[:MODEL_WORDS]
    terms = words + [f"{first} {second}" for first, second in pairwise(words)]
    for word in words:
        terms += _pieces(word)
    return terms


class TopicModel:
    """A linear model over TF-IDF terms that scores the 17 top-level Media Topics.

    Trained offline by ``bench/train_topics.py`` (scikit-learn: TfidfVectorizer over
    ``topic_terms`` with sublinear term frequency and L2 norm, multinomial
    LogisticRegression with balanced class weights) and shipped
    as plain numbers in ``wirefeed/data/topic-model.json``; scoring needs neither
    scikit-learn nor the network.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.classes: list[str] = list(data["classes"])
        self.intercept: list[float] = list(data["intercept"])
        # How the classifier combines the model with the rules, and maps the combined
        # score to a confidence (both fitted by cross-validation with the model).
        self.model_weight: float = float(data.get("model_weight", 0.5))
        a, b = data.get("calibration", (1.0, 0.0))
        self.calibration: tuple[float, float] = (float(a), float(b))
        # term -> (idf, [(class index, weight), ...]); the file lists the pairs flat.
        self.terms: dict[str, tuple[float, list[tuple[int, float]]]] = {
            term: (float(row[0]), list(zip(map(int, row[1::2]), row[2::2], strict=True)))
            for term, row in data["terms"].items()
        }

    @classmethod
    @cache
    def packaged(cls) -> TopicModel:
        """The model shipped with Wirefeed (read once per process)."""
        return cls(json.loads(_data(MODEL_FILE)))

    def calibrated(self, score: float) -> float:
        """The chance that a topic with this combined score is right."""
        a, b = self.calibration
        return 1 / (1 + math.exp(-(a * score + b)))

    def probabilities(self, headline: str, body: str) -> dict[str, float]:
        """Probability of each top-level topic (they sum to 1)."""
        counts = Counter(t for t in topic_terms(headline, body) if t in self.terms)
        weights = {t: (1 + math.log(n)) * self.terms[t][0] for t, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        scores = list(self.intercept)
        for term, weight in weights.items():
            for i, coefficient in self.terms[term][1]:
                scores[i] += weight / norm * coefficient
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {code: e / total for code, e in zip(self.classes, exps, strict=True)}


@dataclass(frozen=True)
class Classification:
    """The chosen topics with confidences; ``primary`` is the best top-level topic."""

    primary: str | None
    confidences: dict[str, int]


class TopicClassifier:
    """Top-level topics from the model and the editors' rules; narrower topics from rules.

    A top-level topic's score is the model's probability mixed with the rules' share
    of the evidence (the model alone when no rule fires); the model's calibration
    turns the score into the published confidence. A story whose best topic is less
    likely right than ``min_confidence`` gets no topic: a missing subject costs a
    partner less than a wrong one.
    """

    min_confidence = 0.5
    # Rule evidence below this total counts for less (one weak keyword is not a topic).
    full_rule_evidence = 5.0
    # A second top-level topic needs this share of the best one's confidence.
    min_top_share = 0.5
    max_top_levels = 2
    # A narrower topic needs this much evidence, and this share of its best sibling.
    min_topic_score = 1.5
    min_topic_share = 0.6
    max_topics_per_top = 2

    def __init__(self, rules: TopicRules, model: TopicModel) -> None:
        self.rules = rules
        self.model = model
        self.taxonomy = rules.taxonomy

    def _by_top(self, headline: str, body: str) -> dict[str, dict[str, float]]:
        by_top: dict[str, dict[str, float]] = defaultdict(dict)
        for code, score in self.rules.scores(headline, body).items():
            by_top[self.taxonomy.top_level(code)][code] = score
        return by_top

    def top_level_scores(
        self, headline: str, body: str, by_top: dict[str, dict[str, float]] | None = None
    ) -> dict[str, float]:
        """Score (0-1, uncalibrated) of each top-level topic with any evidence."""
        if by_top is None:
            by_top = self._by_top(headline, body)
        totals = {top: sum(leaves.values()) for top, leaves in by_top.items()}
        evidence = max(sum(totals.values()), self.full_rule_evidence)
        from_rules = {top: total / evidence for top, total in totals.items()}
        from_model = self.model.probabilities(headline, body)
        if not from_rules:
            return from_model
        weight = self.model.model_weight
        return {
            top: weight * p + (1 - weight) * from_rules.get(top, 0.0)
            for top, p in from_model.items()
        }

    def top_level_confidences(
        self, headline: str, body: str, by_top: dict[str, dict[str, float]]
    ) -> dict[str, float]:
        """Confidence (0-1) of each top-level topic: the chance that it is right."""
        scores = self.top_level_scores(headline, body, by_top)
        return {top: self.model.calibrated(score) for top, score in scores.items()}

    def classify(self, headline: str, body: str) -> Classification:
        """The topics of a story."""
        by_top = self._by_top(headline, body)
        tops = self.top_level_confidences(headline, body, by_top)
        ranked = sorted(tops, key=lambda top: tops[top], reverse=True)
        if not ranked or tops[ranked[0]] < self.min_confidence:
            return Classification(None, {})
        best = tops[ranked[0]]
        confidences: dict[str, int] = {}
        for top in ranked[: self.max_top_levels]:
            if tops[top] < max(self.min_confidence, self.min_top_share * best):
                break
            top_confidence = max(1, min(99, round(100 * tops[top])))
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
        """The tagger over the packaged taxonomy, rules and model."""
        return cls(TopicClassifier(TopicRules.packaged(), TopicModel.packaged()))

    def propose(self, story: Story, text: str) -> Proposal:
        """Subjects, most confident first, each with ``literal`` ``medtop:...``."""
        headline, _, body = text.partition("\n\n")
        result = self.classifier.classify(headline, body)
        taxonomy = self.classifier.taxonomy
        ordered = sorted(result.confidences.items(), key=lambda item: (-item[1], item[0]))
        return Proposal(subjects=[taxonomy.tag(code, confidence) for code, confidence in ordered])
