"""The rules of a story's life across versions: which version wins, kills, corrections.

Plain functions over stories, so every rule can be table-tested on its own; the
pipeline applies them under conditional writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wirefeed.ingest.embargo import EmbargoSchedule
from wirefeed.ingest.near_duplicates import NearDuplicateIndex
from wirefeed.model import TAG_FIELDS, Creator, PubStatus, Story
from wirefeed.progress import Timeline


@dataclass(frozen=True)
class Decision:
    """Whether an incoming version replaces the stored one, and why."""

    accept: bool
    reason: str


def decide(new: Story, current: Story | None) -> Decision:
    """Order versions by (version number, versioncreated); a kill is final.

    The decision depends only on the two versions, never on arrival order, so versions
    that arrive shuffled end with the same stored story.
    """
    if current is None:
        return Decision(True, "new story")
    if current.pubstatus is PubStatus.canceled:
        return Decision(False, "killed: the story was canceled and stays a tombstone")
    if new.version_key() < current.version_key():
        return Decision(False, f"older than the stored version {current.version}")
    if new.version_key() == current.version_key():
        # Same version and time: the first copy stored wins, whatever its bytes, so
        # a re-send (or a different rendering of the same version) changes nothing.
        return Decision(False, f"version {current.version} is already stored")
    if new.pubstatus is PubStatus.canceled:
        return Decision(True, "kill")
    return Decision(True, "correction" if new.correction_note else "update")


def tombstone(story: Story) -> Story:
    """What remains of a killed or withheld story: identity and status, no content."""
    return story.model_copy(update={"bodies": [], "renditions": {}, "keywords": []})


def is_held(story: Story, now: datetime) -> bool:
    """Whether a live story is still under embargo at ``now``."""
    return story.is_live and story.embargoed is not None and story.embargoed > now


def carry_over(new: Story, current: Story | None) -> Story:
    """The version to store: editor tags survive an update, non-live versions lose content.

    The first creation time is the stored version's: feeds keep an entry where its
    first version put it, and find it again (in an archive page too) by that time.
    """
    if current is not None:
        update: dict[str, object] = {"firstcreated": current.firstcreated or current.versioncreated}
        for name in TAG_FIELDS:
            proposed = getattr(new, name)
            keys = {t.key for t in proposed}
            editors = [t for t in getattr(current, name) if t.creator is Creator.editor]
            kept = [t for t in editors if t.key not in keys]
            update[name] = kept + proposed
        new = new.model_copy(update=update)
    return new if new.is_live else tombstone(new)


@dataclass(frozen=True)
class Lifecycle:
    """The Redis-backed parts ingest consults; absent parts are skipped (unit tests)."""

    embargoes: EmbargoSchedule | None = None
    duplicates: NearDuplicateIndex | None = None
    # Each story's steps, for the editor's timeline (wirefeed.progress).
    timeline: Timeline | None = None
