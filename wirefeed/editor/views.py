"""What editors see: recent stories, a story's versions and the differences between them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from wirefeed.editor.errors import EditorialError
from wirefeed.editor.feed_actions import story_ids
from wirefeed.intake.budget import INLINE, ParseBudget
from wirefeed.intake.parsers import ParseError
from wirefeed.intake.receiving import load_raw
from wirefeed.model import TAG_FIELDS, PubStatus, Story, Tag, utcnow
from wirefeed.progress import StoryState, load_state
from wirefeed.sanitize import html_to_text
from wirefeed.storage import BlobStore, NotFound
from wirefeed.stories import load_story


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


def recent_stories(store: BlobStore, wanted: StoryFilter) -> list[StoryRow]:
    """The newest stories that pass the filter (looks at up to ``wanted.scan`` stories)."""
    ids = story_ids(store)[: wanted.scan]

    def row(story_id: str) -> StoryRow | None:
        story = load_story(store, story_id)
        return StoryRow(story, load_state(store, story_id)) if story else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = [r for r in pool.map(row, ids) if r is not None]
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
    state = load_state(store, story_id)
    for raw_key in state.raw_keys if state else []:
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
