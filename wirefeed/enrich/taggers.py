"""Pluggable taggers and the pipeline that runs them.

A tagger looks at a story and proposes tags; the pipeline merges the proposals into
the story and never replaces a tag an editor set. Taggers are named in settings and
built once per process, since some load models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast, runtime_checkable

from wirefeed.model import TAG_FIELDS, Creator, Story, Tag
from wirefeed.sanitize import html_to_text
from wirefeed.settings import Settings

T = TypeVar("T")


@dataclass
class Proposal:
    """What one tagger proposes for one story."""

    subjects: list[Tag] = field(default_factory=list)
    people: list[Tag] = field(default_factory=list)
    organisations: list[Tag] = field(default_factory=list)
    places: list[Tag] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    located: str | None = None
    slugline: str | None = None


class Tagger(Protocol):
    """One tagging step."""

    name: str

    def propose(self, story: Story, text: str) -> Proposal:
        """Propose tags for ``story``, whose plain text is ``text``."""
        ...


@runtime_checkable
class BatchTagger(Tagger, Protocol):
    """A tagging step that is cheaper per story on several stories at once (a model)."""

    def propose_many(self, stories: Sequence[Story], texts: Sequence[str]) -> list[Proposal]:
        """``propose`` for each story, in order; the same result, less time per story."""
        ...


def _proposals(tagger: Tagger, stories: Sequence[Story], texts: Sequence[str]) -> list[Proposal]:
    if isinstance(tagger, BatchTagger):
        return tagger.propose_many(stories, texts)
    return [tagger.propose(story, text) for story, text in zip(stories, texts, strict=True)]


def merge_tags(existing: list[Tag], proposed: Iterable[Tag]) -> list[Tag]:
    """Editor and agency tags stay as they are; machine tags are replaced by the proposal."""
    kept = [t for t in existing if t.creator is not Creator.machine]
    seen = {t.key for t in kept}
    for tag in proposed:
        if tag.key not in seen:
            seen.add(tag.key)
            kept.append(tag)
    return kept


def story_text(story: Story) -> str:
    """The plain text taggers read: headline, blank line, body paragraphs."""
    return f"{story.headline}\n\n{html_to_text(story.body_html)}"


def body_start(story: Story) -> int:
    """Where the plain-text body begins in ``story_text(story)`` (tag offsets count from it)."""
    return len(story.headline) + 2


class TaggerPipeline:
    """Runs taggers in order and merges what they propose into a story."""

    def __init__(self, taggers: list[Tagger]) -> None:
        self.taggers = taggers

    def enrich(self, story: Story) -> Story:
        """Return a tagged copy of ``story``; running it twice gives the same result."""
        return self.enrich_many([story])[0]

    def enrich_many(self, stories: Sequence[Story]) -> list[Story]:
        """``enrich`` for several stories at once: models see them as one batch.

        Each story's tags are exactly what ``enrich`` gives it alone.
        """
        texts = [story_text(story) for story in stories]
        merged = [Proposal() for _ in stories]
        for tagger in self.taggers:
            for total, proposal in zip(merged, _proposals(tagger, stories, texts), strict=True):
                for name in TAG_FIELDS:
                    getattr(total, name).extend(getattr(proposal, name))
                total.keywords.extend(proposal.keywords)
                total.language = total.language or proposal.language
                total.located = total.located or proposal.located
                total.slugline = total.slugline or proposal.slugline
        return [
            _apply(story, text, proposal)
            for story, text, proposal in zip(stories, texts, merged, strict=True)
        ]


def _apply(story: Story, text: str, merged: Proposal) -> Story:
    update: dict[str, object] = {
        name: merge_tags(getattr(story, name), getattr(merged, name)) for name in TAG_FIELDS
    }
    update["keywords"] = list(dict.fromkeys(merged.keywords)) or story.keywords
    update["language"] = story.language or merged.language
    update["located"] = story.located or merged.located
    update["slugline"] = story.slugline or merged.slugline
    update["word_count"] = len(text.split())
    return story.model_copy(update=update)


TaggerFactory = Callable[[Settings], Tagger]
_REGISTRY: dict[str, TaggerFactory] = {}


def register(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: make a tagger available under ``name`` in settings.

    The pipeline builds the tagger with ``cls.from_settings(settings)`` when the class
    has that constructor (taggers with data files or models), else with ``cls()``.
    """

    def decorate(cls: type[T]) -> type[T]:
        factory: TaggerFactory = getattr(cls, "from_settings", None) or (
            lambda _settings: cast(Tagger, cls())
        )
        _REGISTRY[name] = factory
        return cls

    return decorate


def build_pipeline(names: Iterable[str], settings: Settings | None = None) -> TaggerPipeline:
    """Build the taggers named in settings, in that order."""
    # Importing the modules registers their taggers.
    from wirefeed.enrich import entities, keyphrases, keywords, origin, topics  # noqa: F401

    names = list(names)
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown taggers {unknown}; known: {sorted(_REGISTRY)}")
    settings = settings or Settings.from_env()
    return TaggerPipeline([_REGISTRY[n](settings) for n in names])
