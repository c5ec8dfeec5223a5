"""Editorial actions on stories: republish, correct, kill, embargo.

Each action rewrites the canonical story with a conditional write over the version
it read, so it never silently overwrites a version that ingest stored meanwhile; the
version it replaces is kept under ``state/versions/`` for the story's history. The
caller then queues the publication (``publish.publish_now``) under a job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from wirefeed.editor.errors import EditorialError
from wirefeed.ingest.embargo import EmbargoSchedule
from wirefeed.intake.parsers.plaintext import split_paragraphs
from wirefeed.layout import version_key
from wirefeed.model import TAG_FIELDS, Body, Creator, Headline, PubStatus, Story, Tag, utcnow
from wirefeed.progress import Stage, Timeline, start
from wirefeed.sanitize import paragraphs_to_html, strip_xml_illegal
from wirefeed.storage import BlobStore, KeptChanging, until_written
from wirefeed.stories import load_stored, save_story, sync_public_copy

KILLED_HEADLINE = "This story has been withdrawn"


class TagInput(BaseModel):
    """A tag as an editor gives it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    literal: str | None = Field(default=None, max_length=200, description="e.g. medtop:20000001")
    uri: str | None = Field(default=None, max_length=500)


class TagEdit(BaseModel):
    """The tags an editor sets; a field left out keeps its tags, a list replaces them."""

    model_config = ConfigDict(extra="forbid")

    subjects: list[TagInput] | None = None
    people: list[TagInput] | None = None
    organisations: list[TagInput] | None = None
    places: list[TagInput] | None = None
    keywords: list[str] | None = None


class Correction(BaseModel):
    """What a correction changes; the note is shown to readers in the feeds."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=1000)
    headline: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(
        default=None, description="Plain text; paragraphs separated by blank lines."
    )
    tags: TagEdit | None = None

    @property
    def changes_text(self) -> bool:
        """Whether the headline or body changes (machine tags then need a new look)."""
        return self.headline is not None or self.body is not None


def _rewrite(
    store: BlobStore,
    story_id: str,
    user: str,
    detail: str,
    change: Callable[[Story], Story],
    timeline: Timeline | None,
) -> Story:
    """Apply ``change`` to the current story and store it over exactly what was read."""

    def attempt() -> Story:
        stored = load_stored(store, story_id)
        if stored is None:
            raise EditorialError("not_found", f"no story {story_id}")
        current = stored.story
        new = change(current)
        if new is current:
            return current
        stamp = current.versioncreated.strftime("%Y%m%dT%H%M%S%fZ")
        store.put(
            version_key(story_id, current.version, stamp),
            current.to_json(),
            content_type="application/json",
        )
        before = stored.progress or start(Stage.edited, current.version)
        progress = before.moved(Stage.edited, version=new.version)
        save_story(store, new, progress=progress, if_match=stored.etag)
        return new

    try:
        new = until_written(attempt, subject=f"story {story_id}")
    except KeptChanging:
        raise EditorialError("conflict", f"story {story_id} kept changing; try again") from None
    if timeline is not None:
        timeline.note(story_id, Stage.edited, detail=f"{detail} by {user}", version=new.version)
    return new


def _next_version(story: Story) -> str:
    try:
        return str(int(story.version) + 1)
    except ValueError:
        return f"{story.version}.1"


def _require_live(story: Story) -> None:
    if story.pubstatus is PubStatus.canceled:
        raise EditorialError("conflict", "the story was killed; a kill is final")


def republish(
    store: BlobStore, story_id: str, user: str, *, timeline: Timeline | None = None
) -> Story:
    """Send the current version again: same version and guid, ``updated`` bumped."""

    def change(story: Story) -> Story:
        _require_live(story)
        return story.model_copy(update={"versioncreated": _later_than(story.versioncreated)})

    return _rewrite(store, story_id, user, "republished", change, timeline)


def _later_than(moment: datetime) -> datetime:
    """Now, or a second after ``moment``: feeds show whole seconds, and ``updated`` must move."""
    now = utcnow()
    return now if now > moment else moment.replace(microsecond=0) + timedelta(seconds=1)


def _editor_tags(inputs: list[TagInput]) -> list[Tag]:
    return [
        Tag(name=strip_xml_illegal(t.name), literal=t.literal, uri=t.uri, creator=Creator.editor)
        for t in inputs
    ]


def correct(
    store: BlobStore,
    story_id: str,
    user: str,
    correction: Correction,
    *,
    timeline: Timeline | None = None,
) -> Story:
    """Make a new version from the edited headline, body or tags, with a correction note."""

    def change(story: Story) -> Story:
        _require_live(story)
        update: dict[str, object] = {
            "version": _next_version(story),
            "versioncreated": _later_than(story.versioncreated),
            "correction_note": strip_xml_illegal(correction.note.strip()),
        }
        if correction.headline is not None:
            others = [h for h in story.headlines if h.role != "main"]
            update["headlines"] = [Headline(value=strip_xml_illegal(correction.headline)), *others]
        if correction.body is not None:
            # The text a signed-in editor typed, in a request of bounded size, not a
            # wire payload: split by the copy rules' linear patterns (tests/regex_steps.py
            # counts their work), so no parse budget is needed.
            paragraphs = split_paragraphs(correction.body)
            update["bodies"] = [Body(value=paragraphs_to_html(paragraphs))] if paragraphs else []
        tags = correction.tags
        if tags is not None:
            for name in TAG_FIELDS:
                given = getattr(tags, name)
                if given is not None:
                    update[name] = _editor_tags(given)
            if tags.keywords is not None:
                update["keywords"] = [k.strip() for k in tags.keywords if k.strip()]
        return story.model_copy(update=update)

    return _rewrite(store, story_id, user, "corrected", change, timeline)


def kill(
    store: BlobStore, story_id: str, user: str, reason: str, *, timeline: Timeline | None = None
) -> Story:
    """Replace the story with a tombstone: canceled, without its text, tags or media.

    Killing a tombstone again changes nothing, but the caller still re-publishes it,
    so a second kill sweeps the feeds once more.
    """
    reason = strip_xml_illegal(reason.strip())
    if not reason:
        raise EditorialError("invalid", "a kill needs a reason")

    def change(story: Story) -> Story:
        if story.pubstatus is PubStatus.canceled:
            return story
        return Story(
            uri=story.uri,
            id=story.id,
            source=story.source,
            type=story.type,
            version=_next_version(story),
            firstcreated=story.firstcreated,
            versioncreated=_later_than(story.versioncreated),
            pubstatus=PubStatus.canceled,
            language=story.language,
            headlines=[Headline(value=KILLED_HEADLINE)],
            ednote=f"Killed: {reason}",
        )

    return _rewrite(store, story_id, user, "killed", change, timeline)


def set_embargo(
    store: BlobStore,
    schedule: EmbargoSchedule,
    story_id: str,
    user: str,
    until: datetime | None,
    *,
    timeline: Timeline | None = None,
) -> Story:
    """Hold the story until ``until`` (None releases it now).

    The hold goes on the embargo schedule too, so the periodic sweep publishes the
    story when its time comes; a release now takes it off the schedule.
    """

    def change(story: Story) -> Story:
        _require_live(story)
        return story.model_copy(
            update={"embargoed": until, "versioncreated": _later_than(story.versioncreated)}
        )

    detail = f"embargoed until {until.isoformat()}" if until else "embargo released"
    story = _rewrite(store, story_id, user, detail, change, timeline)
    if until is None:
        schedule.cancel(story_id)
    else:
        schedule.hold(story_id, None, until)
    # The public copy goes at once (the feeds follow when the job runs).
    sync_public_copy(store, story_id)
    return story
