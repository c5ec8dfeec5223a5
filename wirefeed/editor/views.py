"""What editors see: recent stories, a story's versions and the differences between them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from wirefeed.editor.errors import EditorialError
from wirefeed.editor.feed_actions import story_ids
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import ParseError
from wirefeed.intake.receiving import load_raw
from wirefeed.model import TAG_FIELDS, PubStatus, Story, Tag, utcnow
from wirefeed.progress import (
    StoryState,
    Timeline,
    Transition,
    derive,
    ignored_payloads,
    load_progress,
    payload_keys_named,
)
from wirefeed.sanitize import html_to_text
from wirefeed.storage import BlobStore, NotFound
from wirefeed.stories import load_stored, load_story


@dataclass
class StoryRow:
    """A story as the recent-stories list shows it."""

    story: Story
    state: StoryState | None

    @property
    def status(self) -> str:
        """``killed``, ``withheld``, ``embargoed``, or the pipeline stage."""
        if self.story.pubstatus is not PubStatus.usable:
            return "killed" if self.story.pubstatus is PubStatus.canceled else "withheld"
        if self.story.embargoed is not None and self.story.embargoed > utcnow():
            return "embargoed"
        return str(self.state.stage) if self.state else "unknown"

    @property
    def feeds(self) -> list[str]:
        """The feeds the story is in."""
        return self.state.feeds if self.state else []


@dataclass(frozen=True)
class StageVisits:
    """A stage of a story's timeline: how often the story reached it, first and last."""

    stage: str
    count: int
    first: datetime
    last: datetime
    detail: str | None


def timeline(history: Iterable[Transition]) -> list[StageVisits]:
    """Each stage once, in the order first reached, with its count and latest detail.

    A story corrected twice is published three times; the editor wants to see that it
    was, not three rows that look like a loop.
    """
    visits: dict[str, StageVisits] = {}
    for step in history:
        seen = visits.get(step.stage)
        visits[step.stage] = StageVisits(
            stage=step.stage,
            count=seen.count + 1 if seen else 1,
            first=seen.first if seen else step.at,
            last=step.at,
            detail=step.detail or (seen.detail if seen else None),
        )
    return list(visits.values())


@dataclass
class StoryFilter:
    """Filters of the recent-stories list; empty fields match everything."""

    status: str = ""
    source: str = ""
    subject: str = ""
    text: str = ""
    limit: int = 100
    scan: int = 1000

    def matches(self, row: StoryRow) -> bool:
        """Whether a row passes every filter."""
        story = row.story
        if self.status and row.status != self.status:
            return False
        if self.source and story.source.casefold() != self.source.casefold():
            return False
        if self.subject:
            wanted = self.subject.casefold()
            names = [t.name for t in story.subjects] + [t.literal or "" for t in story.subjects]
            if not any(wanted in n.casefold() for n in names):
                return False
        if self.text:
            haystack = f"{story.headline}\n{html_to_text(story.body_html)}".casefold()
            if self.text.casefold() not in haystack:
                return False
        return True


def recent_stories(
    store: BlobStore, wanted: StoryFilter, timeline: Timeline | None = None
) -> list[StoryRow]:
    """The newest stories that pass the filter (looks at up to ``wanted.scan`` stories)."""
    ids = story_ids(store)[: wanted.scan]
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = [s for s in pool.map(lambda i: load_stored(store, i), ids) if s is not None]
    histories = timeline.histories(s.story.id for s in found) if timeline is not None else {}
    rows = [
        StoryRow(s.story, derive(s.story.id, s.progress, histories.get(s.story.id, [])))
        for s in found
    ]
    rows = [r for r in rows if wanted.matches(r)]
    rows.sort(key=lambda r: r.story.versioncreated, reverse=True)
    return rows[: wanted.limit]


def versions(store: BlobStore, story_id: str, budget: ParseBudget = INLINE) -> list[Story]:
    """Every known version of a story, oldest first.

    Wire versions are parsed again from their kept raw payloads, which are untrusted
    input: each parse runs within ``budget``, as at intake (the services pass theirs).
    A payload that no longer parses (over the budget, say) is ``invalid``, with the
    reason: a history with a silent gap would mislead the editor. Versions an editor
    replaced were kept when they were replaced; the current one is the canonical story.
    """
    found: list[Story] = []
    for key in store.list(f"state/versions/{story_id}/"):
        try:
            # Our own canonical JSON, validated when it was written: no parser runs on it.
            found.append(Story.from_json(store.get(key).body))
        except NotFound:
            continue
    for raw_key in payload_keys(store, story_id):
        try:
            found.append(budget.parse(load_raw(store, raw_key)))
        except NotFound:
            continue
        except ParseError as error:
            reason = f"the version in {raw_key} cannot be read: {error.reason}: {error.detail}"
            raise EditorialError("invalid", reason) from error
    current = load_story(store, story_id)
    if current is not None:
        found.append(current)
    unique = {(s.version, s.versioncreated, s.content_hash()): s for s in found}
    return sorted(unique.values(), key=Story.version_key)


def payload_keys(store: BlobStore, story_id: str) -> list[str]:
    """The kept payloads of a story: those its versions came from and those ingest ignored."""
    progress = load_progress(store, story_id)
    keys = ignored_payloads(store, story_id)
    if progress is not None:
        keys += [progress.raw] if progress.raw else []
        # Earlier payloads are named by the start of their digest, to fit the metadata.
        for digest in progress.earlier:
            keys += payload_keys_named(store, digest)
    return sorted(set(keys))


def story_text(story: Story) -> list[str]:
    """The lines a diff compares: headline, correction note, paragraphs, tags."""
    lines = [f"# {story.headline}"]
    if story.correction_note:
        lines.append(f"Correction: {story.correction_note}")
    lines += html_to_text(story.body_html).split("\n\n")
    for name in TAG_FIELDS:
        tags: Iterable[Tag] = getattr(story, name)
        lines += [f"[{name}] {t.name}" for t in tags]
    return [line for line in lines if line]


def diff(older: Story, newer: Story) -> list[str]:
    """A unified diff of two versions' text."""
    return list(
        difflib.unified_diff(
            story_text(older),
            story_text(newer),
            fromfile=f"version {older.version}",
            tofile=f"version {newer.version}",
            lineterm="",
        )
    )
