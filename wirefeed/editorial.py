"""Editorial actions on stories: republish, correct, kill, embargo; and what editors see.

Each action rewrites ``stories/{id}.json`` with a conditional write over the version
it read, so it never silently overwrites a version that ingest stored meanwhile; the
version it replaces is kept under ``state/versions/`` for the story's history. The
caller then queues the publication (``publish.publish_now``) under a job.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from wirefeed import jobs
from wirefeed.coalesce import FeedScheduler
from wirefeed.embargo import EmbargoSchedule
from wirefeed.layout import story_key, version_key
from wirefeed.model import Body, Creator, Headline, PubStatus, Story, Tag, utcnow
from wirefeed.parsers import ParseError, parse
from wirefeed.parsers.plaintext import split_paragraphs
from wirefeed.pipeline import load_raw, load_story
from wirefeed.publishing import feeds_to_update, load_feed_document, update_feed
from wirefeed.quarantine import get_record
from wirefeed.sanitize import html_to_text, paragraphs_to_html, strip_xml_illegal
from wirefeed.settings import Settings
from wirefeed.state import Stage, StoryState, load_state, record_stage
from wirefeed.storage import BlobStore, NotFound, PreconditionFailed
from wirefeed.subscriptions import Subscriptions
from wirefeed.taggers import TAG_FIELDS

_CONFLICT_RETRIES = 5
KILLED_HEADLINE = "This story has been withdrawn"


class EditorialError(Exception):
    """An action that cannot be done; ``code`` is ``not_found``, ``conflict`` or ``invalid``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class FeedBusy(Exception):
    """Another render held a feed's lease for too long; the task retries."""


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


# -- writing ----------------------------------------------------------------------------


def _rewrite(
    store: BlobStore, story_id: str, user: str, detail: str, change: Callable[[Story], Story]
) -> Story:
    """Apply ``change`` to the current story and store it over exactly what was read."""
    for _ in range(_CONFLICT_RETRIES):
        try:
            blob = store.get(story_key(story_id))
        except NotFound:
            raise EditorialError("not_found", f"no story {story_id}") from None
        current = Story.from_json(blob.body)
        new = change(current)
        if new is current:
            return current
        stamp = current.versioncreated.strftime("%Y%m%dT%H%M%S%fZ")
        store.put(
            version_key(story_id, current.version, stamp),
            blob.body,
            content_type="application/json",
        )
        try:
            store.put(
                story_key(story_id),
                new.to_json(),
                content_type="application/json; charset=utf-8",
                cache_control="public, max-age=60",
                if_match=blob.etag,
            )
        except PreconditionFailed:
            continue
        record_stage(
            store, story_id, Stage.edited, detail=f"{detail} by {user}", version=new.version
        )
        return new
    raise EditorialError("conflict", f"story {story_id} kept changing; try again")


def _next_version(story: Story) -> str:
    try:
        return str(int(story.version) + 1)
    except ValueError:
        return f"{story.version}.1"


def _require_live(story: Story) -> None:
    if story.pubstatus is PubStatus.canceled:
        raise EditorialError("conflict", "the story was killed; a kill is final")


def republish(store: BlobStore, story_id: str, user: str) -> Story:
    """Send the current version again: same version and guid, ``updated`` bumped."""

    def change(story: Story) -> Story:
        _require_live(story)
        return story.model_copy(update={"versioncreated": _later_than(story.versioncreated)})

    return _rewrite(store, story_id, user, "republished", change)


def _later_than(moment: datetime) -> datetime:
    """Now, or a second after ``moment``: feeds show whole seconds, and ``updated`` must move."""
    now = utcnow()
    return now if now > moment else moment.replace(microsecond=0) + timedelta(seconds=1)


def _editor_tags(inputs: list[TagInput]) -> list[Tag]:
    return [
        Tag(name=strip_xml_illegal(t.name), literal=t.literal, uri=t.uri, creator=Creator.editor)
        for t in inputs
    ]


def correct(store: BlobStore, story_id: str, user: str, correction: Correction) -> Story:
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

    return _rewrite(store, story_id, user, "corrected", change)


def kill(store: BlobStore, story_id: str, user: str, reason: str) -> Story:
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

    return _rewrite(store, story_id, user, "killed", change)


def set_embargo(
    store: BlobStore,
    schedule: EmbargoSchedule,
    story_id: str,
    user: str,
    until: datetime | None,
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
    story = _rewrite(store, story_id, user, detail, change)
    if until is None:
        schedule.cancel(story_id)
    else:
        schedule.hold(story_id, None, until)
    return story


@dataclass(frozen=True)
class Replay:
    """A quarantined item handed back to ingest."""

    raw_key: str
    story_id: str


def check_replay(store: BlobStore, item_id: str) -> Replay:
    """Check that a quarantined item parses now, before it is handed back to ingest.

    The caller queues the raw payload for ingest, then releases the quarantine record.
    """
    record = get_record(store, item_id)
    if record is None:
        raise EditorialError("not_found", f"no quarantined item {item_id}")
    try:
        story = parse(load_raw(store, record.raw_key))
    except ParseError as error:
        raise EditorialError("invalid", f"still does not parse: {error}") from error
    return Replay(raw_key=record.raw_key, story_id=story.id)


# -- publishing under a job -------------------------------------------------------------


def publish_now(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    story_id: str,
    job_id: str,
) -> list[str]:
    """Bring every feed the story touches up to date at once, noting each on the job.

    An editor's action skips the coalescing window: a kill has to be gone within
    seconds. Each feed is written under its render lease, so it never races a render.
    """
    feed_ids = sorted(feeds_to_update(store, subscriptions, story_id))
    for feed_id in feed_ids:
        spec = subscriptions.get(feed_id)
        if spec is None:
            continue
        with scheduler.exclusive(feed_id) as held:
            if not held:
                raise FeedBusy(feed_id)
            update = update_feed(store, settings, subscriptions, spec.id, [story_id])
            written_at = datetime.now(UTC)
            member = update.membership.get(story_id, False)
            record_stage(store, story_id, Stage.published, in_feeds={feed_id: member})
        jobs.note_feed_write(store, job_id, feed_id, update.uploaded, member, written_at)
    if not feed_ids:
        record_stage(store, story_id, Stage.published, detail="in no feed")
    jobs.finish(store, job_id)
    return feed_ids


def story_ids(store: BlobStore) -> list[str]:
    """Every stored story id."""
    return [k.removeprefix("stories/").removesuffix(".json") for k in store.list("stories/")]


def rebuild_feeds(
    store: BlobStore,
    settings: Settings,
    subscriptions: Subscriptions,
    scheduler: FeedScheduler,
    feed_id: str | None,
    job_id: str,
) -> list[str]:
    """Render one feed (or every feed) again from the stored stories, uploading every format."""
    feed_ids = [feed_id] if feed_id else sorted(subscriptions.feeds)
    every_story = set(story_ids(store))
    for fid in feed_ids:
        spec = subscriptions.get(fid)
        if spec is None:
            raise EditorialError("not_found", f"no feed {fid}")
        with scheduler.exclusive(fid) as held:
            if not held:
                raise FeedBusy(fid)
            before = {e.story_id for e in load_feed_document(store, fid).entries}
            update = update_feed(
                store, settings, subscriptions, spec.id, sorted(every_story | before), force=True
            )
            written_at = datetime.now(UTC)
            for sid, member in update.membership.items():
                if member != (sid in before):
                    record_stage(store, sid, Stage.published, in_feeds={fid: member})
        jobs.note_feed_write(store, job_id, fid, update.uploaded, None, written_at)
    jobs.finish(store, job_id)
    return feed_ids


# -- what editors see -------------------------------------------------------------------


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


def versions(store: BlobStore, story_id: str) -> list[Story]:
    """Every known version of a story, oldest first.

    Wire versions are parsed again from their kept raw payloads; versions an editor
    replaced were kept when they were replaced; the current one is in ``stories/``.
    """
    found: list[Story] = []
    for key in store.list(f"state/versions/{story_id}/"):
        try:
            found.append(Story.from_json(store.get(key).body))
        except NotFound:
            continue
    state = load_state(store, story_id)
    for raw_key in state.raw_keys if state else []:
        try:
            found.append(parse(load_raw(store, raw_key)))
        except (NotFound, ParseError):
            continue
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
