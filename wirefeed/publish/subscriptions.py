"""Partners, their feeds, and which stories each feed selects.

A feed's filter combines dimensions (subjects, people, organisations, places, keywords,
languages, sources, urgency, a text query): a story must satisfy every dimension the
filter sets, and within a dimension any listed value will do. A feed with no filter is
a firehose.

Matching goes through an inverted index from story tags to feeds: each feed is filed
under the values of its most selective dimension, so a story only looks up its own
tags and checks the few candidate feeds found there. Its cost grows with the story's
tags and the feeds it matches, not with the number of subscriptions.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wirefeed.keys import ApiKey
from wirefeed.model import Story, Tag
from wirefeed.sanitize import html_to_text, language_tag

FIREHOSE_ID = "all"
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# Vocabulary URIs that have a qcode alias, so "medtop:20000002" and its URI are one code.
_QCODE_SCHEMES = {
    "http://cv.iptc.org/newscodes/mediatopic/": "medtop:",
    "https://cv.iptc.org/newscodes/mediatopic/": "medtop:",
    "http://cv.iptc.org/newscodes/subjectcode/": "subj:",
    "https://cv.iptc.org/newscodes/subjectcode/": "subj:",
}
_SUBJECTCODE = re.compile(r"^subj:(\d{2})(\d{3})(\d{3})$")
_WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")
_QUERY_TERM = re.compile(r'"([^"]+)"|(\S+)')

# Given a subject code, its broader codes (transitively); e.g. from the Media Topics taxonomy.
BroaderLookup = Callable[[str], Iterable[str]]


def subject_code(value: str) -> str:
    """The canonical form of a subject code: a qcode (``medtop:…``, ``subj:…``), casefolded."""
    value = value.strip()
    for prefix, alias in _QCODE_SCHEMES.items():
        if value.startswith(prefix):
            return alias + value[len(prefix) :].strip("/")
    return value.casefold()


def subjectcode_parents(code: str) -> list[str]:
    """Broader codes implied by the structure of an IPTC Subject Code (``subj:15054000``)."""
    found = _SUBJECTCODE.match(code)
    if not found:
        return []
    top, mid, low = found.groups()
    parents = []
    if low != "000":
        parents.append(f"subj:{top}{mid}000")
    if mid != "000":
        parents.append(f"subj:{top}000000")
    return parents


def words(text: str) -> list[str]:
    """Casefolded words of a text, for keyword and query matching."""
    return [w.casefold() for w in _WORD.findall(text)]


class Filter(BaseModel):
    """What a feed selects: every dimension set must match; an empty filter is a firehose."""

    model_config = ConfigDict(extra="forbid")

    subjects: list[str] = Field(
        default_factory=list,
        description="IPTC codes (qcode or URI); a broader code also selects its narrower codes.",
    )
    people: list[str] = Field(default_factory=list, description="Names or URIs.")
    organisations: list[str] = Field(default_factory=list, description="Names or URIs.")
    places: list[str] = Field(default_factory=list, description="Names or URIs.")
    keywords: list[str] = Field(default_factory=list)
    languages: list[str] = Field(
        default_factory=list, description="Language tags; 'en' also selects 'en-GB'."
    )
    sources: list[str] = Field(default_factory=list)
    max_urgency: int | None = Field(
        default=None, ge=1, le=9, description="Urgency 1 (flash) to this value; 9 is lowest."
    )
    query: str | None = Field(
        default=None,
        description='Words that must all appear in headline or body; "quoted phrases" allowed.',
    )

    def is_firehose(self) -> bool:
        """Whether the filter selects every live story."""
        return self == Filter()


class Partner(BaseModel):
    """An outlet that reads feeds."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    name: str
    keys: list[ApiKey] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=600, ge=1)


class FeedSpec(BaseModel):
    """One feed: its identity, presentation, owner and selection."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    description: str = "Wire stories from Wirefeed"
    language: str = Field(default="en", description="xml:lang of the feed documents.")
    size: int = Field(default=100, ge=1, le=1000, description="Newest entries in the feed.")
    public: bool = Field(
        default=True, description="Public feeds are in the bucket; private ones via the gateway."
    )
    partner: str | None = Field(default=None, description="Owner; required for a private feed.")
    filter: Filter = Field(default_factory=Filter)

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        # It becomes the feed's xml:lang and <language>: refuse what readers cannot use.
        tag = language_tag(value)
        if tag is None:
            raise ValueError(f"language {value!r} is not a BCP 47 tag of a language")
        return tag

    @model_validator(mode="after")
    def _private_has_owner(self) -> Self:
        if not self.public and not self.partner:
            raise ValueError(f"private feed {self.id!r} needs a partner")
        return self


FIREHOSE = FeedSpec(id=FIREHOSE_ID, title="All stories", description="Every story on the wire")


class SubscriptionConfig(BaseModel):
    """The whole subscription configuration (``config/subscriptions.json``)."""

    model_config = ConfigDict(extra="forbid", title="Subscriptions")

    partners: list[Partner] = Field(default_factory=list)
    feeds: list[FeedSpec] = Field(default_factory=lambda: [FIREHOSE])
    hubs: list[str] = Field(
        default_factory=list, description="WebSub hubs pinged after a feed changes."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for kind, ids in (
            ("partner", [p.id for p in self.partners]),
            ("feed", [f.id for f in self.feeds]),
        ):
            duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
            if duplicates:
                raise ValueError(f"duplicate {kind} ids: {', '.join(duplicates)}")
        partners = {p.id for p in self.partners}
        unknown = sorted({f.partner for f in self.feeds if f.partner and f.partner not in partners})
        if unknown:
            raise ValueError(f"feeds name unknown partners: {', '.join(unknown)}")
        key_ids = [k.id for p in self.partners for k in p.keys]
        if len(key_ids) != len(set(key_ids)):
            raise ValueError("API key ids must be unique across partners")
        for hub in self.hubs:
            if not hub.startswith(("http://", "https://")):
                raise ValueError(f"hub {hub!r} is not an http(s) URL")
        return self

    def partner(self, partner_id: str) -> Partner | None:
        """The partner with this id, if any."""
        return next((p for p in self.partners if p.id == partner_id), None)

    def feed(self, feed_id: str) -> FeedSpec | None:
        """The feed with this id, if any."""
        return next((f for f in self.feeds if f.id == feed_id), None)


def _entity_keys(tags: Iterable[Tag]) -> set[str]:
    keys = set()
    for tag in tags:
        keys.add(tag.name.casefold())
        for code in (tag.uri, tag.literal):
            if code:
                keys.add(code.casefold())
    return keys


def _language_keys(language: str | None) -> set[str]:
    if not language:
        return set()
    full = language.casefold().replace("_", "-")
    return {full, full.split("-", 1)[0]}


def _query_terms(query: str) -> list[list[str]]:
    """A query as word sequences: each bare word or quoted phrase is one term."""
    terms = []
    for phrase, word in _QUERY_TERM.findall(query):
        term = words(phrase or word)
        if term:
            terms.append(term)
    return terms


class StoryFacts:
    """The values of a story that filters look at, computed once per story."""

    def __init__(self, story: Story, broader: BroaderLookup | None = None) -> None:
        subjects: set[str] = set()
        for tag in story.subjects:
            for code in (tag.literal, tag.uri):
                if code:
                    subjects.add(subject_code(code))
        for code in list(subjects):
            subjects.update(subjectcode_parents(code))
            if broader is not None:
                subjects.update(subject_code(c) for c in broader(code))
        self.dimensions: dict[str, set[str]] = {
            "subjects": subjects,
            "people": _entity_keys(story.people),
            "organisations": _entity_keys(story.organisations),
            "places": _entity_keys(story.places),
            "keywords": {k.casefold() for k in story.keywords},
            "languages": _language_keys(story.language),
            "sources": {story.source.casefold()},
        }
        self.urgency = story.urgency
        self.text_words = words(f"{story.headline}\n{html_to_text(story.body_html)}")
        self.text_vocabulary = set(self.text_words)
        self.live = story.is_live

    def has_phrase(self, phrase: list[str]) -> bool:
        """Whether the words of ``phrase`` appear consecutively in the story text."""
        if len(phrase) == 1:
            return phrase[0] in self.text_vocabulary
        if not set(phrase) <= self.text_vocabulary:
            return False
        size = len(phrase)
        return any(
            self.text_words[i : i + size] == phrase for i in range(len(self.text_words) - size + 1)
        )

    def index_keys(self) -> Iterator[tuple[str, str]]:
        """Every (dimension, value) under which a feed that selects this story may be filed."""
        for dimension, values in self.dimensions.items():
            for value in values:
                yield dimension, value
        if self.urgency is not None:
            yield "urgency", str(self.urgency)
        for word in self.text_vocabulary:
            yield "query", word


def _filter_values(spec_filter: Filter) -> dict[str, set[str]]:
    return {
        "subjects": {subject_code(s) for s in spec_filter.subjects},
        "people": {p.casefold() for p in spec_filter.people},
        "organisations": {o.casefold() for o in spec_filter.organisations},
        "places": {p.casefold() for p in spec_filter.places},
        "keywords": {k.casefold() for k in spec_filter.keywords},
        "languages": {lang.casefold().replace("_", "-") for lang in spec_filter.languages},
        "sources": {s.casefold() for s in spec_filter.sources},
    }


class CompiledFeed:
    """A feed's filter in the normalised form matching uses."""

    # Most selective first: a feed is filed under the first dimension it sets.
    INDEX_ORDER = (
        "subjects",
        "people",
        "organisations",
        "places",
        "keywords",
        "query",
        "sources",
        "languages",
        "urgency",
    )

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec
        self.values = _filter_values(spec.filter)
        self.max_urgency = spec.filter.max_urgency
        self.query = _query_terms(spec.filter.query or "")

    def matches(self, facts: StoryFacts) -> bool:
        """Whether the feed selects a story with these facts."""
        if not facts.live:
            return False
        for dimension, wanted in self.values.items():
            if wanted and not wanted & facts.dimensions[dimension]:
                return False
        if self.max_urgency is not None and (
            facts.urgency is None or facts.urgency > self.max_urgency
        ):
            return False
        return all(facts.has_phrase(term) for term in self.query)

    def index_keys(self) -> list[tuple[str, str]]:
        """Where the feed is filed in the index; empty for a firehose."""
        for dimension in self.INDEX_ORDER:
            if dimension == "query" and self.query:
                # Every term must appear, so one of them (the longest word) is enough.
                return [("query", max((w for t in self.query for w in t), key=len))]
            if dimension == "urgency" and self.max_urgency is not None:
                return [("urgency", str(u)) for u in range(1, self.max_urgency + 1)]
            if self.values.get(dimension):
                return [(dimension, v) for v in sorted(self.values[dimension])]
        return []


class Subscriptions:
    """The feeds of a configuration, indexed by tag for matching."""

    def __init__(
        self, config: SubscriptionConfig | None = None, broader: BroaderLookup | None = None
    ) -> None:
        self.config = config or SubscriptionConfig()
        self.broader = broader
        self.feeds = {f.id: CompiledFeed(f) for f in self.config.feeds}
        self._index: dict[tuple[str, str], list[CompiledFeed]] = defaultdict(list)
        self._unfiled: list[CompiledFeed] = []
        for compiled in self.feeds.values():
            keys = compiled.index_keys()
            for key in keys:
                self._index[key].append(compiled)
            if not keys:
                self._unfiled.append(compiled)

    def get(self, feed_id: str) -> FeedSpec | None:
        """The feed with this id, if any."""
        compiled = self.feeds.get(feed_id)
        return compiled.spec if compiled else None

    def facts(self, story: Story) -> StoryFacts:
        """What the filters look at in ``story``."""
        return StoryFacts(story, self.broader)

    def matches(self, feed_id: str, story: Story) -> bool:
        """Whether the feed ``feed_id`` selects ``story``."""
        compiled = self.feeds.get(feed_id)
        return compiled is not None and compiled.matches(self.facts(story))

    def candidates(self, facts: StoryFacts) -> dict[str, CompiledFeed]:
        """Feeds filed under any of the story's tags, plus the firehoses."""
        found = {c.spec.id: c for c in self._unfiled}
        for key in facts.index_keys():
            for compiled in self._index.get(key, ()):
                found[compiled.spec.id] = compiled
        return found

    def feeds_for(self, story: Story) -> set[str]:
        """The ids of the feeds that select ``story``."""
        facts = self.facts(story)
        return {fid for fid, c in self.candidates(facts).items() if c.matches(facts)}
