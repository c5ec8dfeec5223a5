"""The canonical story: a profile of IPTC ninjs 2.x.

Core fields keep ninjs 2.x names and shapes (``headlines``, ``bodies``, ``subjects``,
``people``...). Wirefeed adds a few profile fields that ninjs has no place for
(``keywords``, ``source``, ``correction_note``, entity ``offsets``); the JSON Schema in
``schemas/story.schema.json`` is generated from this module and marks them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wirefeed.sanitize import language_tag

NINJS_PROFILE = "wirefeed-ninjs-2"


class PubStatus(StrEnum):
    """ninjs publication status; anything but ``usable`` keeps a story out of feeds."""

    usable = "usable"
    withheld = "withheld"
    canceled = "canceled"


class Creator(StrEnum):
    """Who set a tag: editor tags are never overwritten by a machine."""

    machine = "machine"
    editor = "editor"
    # Sent by the agency with the story: taggers add to them, never drop them.
    source = "source"


class Tag(BaseModel):
    """A ninjs concept (subject, person, organisation or place) with provenance."""

    model_config = ConfigDict(extra="forbid")

    name: str
    uri: str | None = None
    literal: str | None = Field(default=None, description="Free-text identifier, e.g. a qcode.")
    rel: str | None = None
    creator: Creator = Creator.machine
    confidence: int | None = Field(default=None, ge=0, le=100)
    relevance: int | None = Field(default=None, ge=0, le=100)
    offsets: list[tuple[int, int]] = Field(
        default_factory=list,
        description="Wirefeed profile: [start, end) character offsets in the plain-text body.",
    )

    @property
    def key(self) -> str:
        """What makes two tags the same concept: the code when there is one, else the name."""
        return (self.literal or self.uri or self.name).casefold()


class Headline(BaseModel):
    """A ninjs headline."""

    model_config = ConfigDict(extra="forbid")

    value: str
    role: str = "main"
    contenttype: str = "text/plain"


class Body(BaseModel):
    """A ninjs body; Wirefeed's canonical body is sanitised HTML."""

    model_config = ConfigDict(extra="forbid")

    value: str
    role: str = "main"
    contenttype: str = "text/html"


class Rendition(BaseModel):
    """A ninjs rendition: a media file (picture, audio, video) that belongs to the item."""

    model_config = ConfigDict(extra="forbid")

    href: str
    contenttype: str | None = None
    title: str | None = None
    sizeinbytes: int | None = None
    width: int | None = None
    height: int | None = None


def utcnow() -> datetime:
    """The current time in UTC, truncated to whole seconds as feeds show it."""
    return datetime.now(UTC).replace(microsecond=0)


def story_id_for(source: str, guid: str) -> str:
    """Derive the stable story id from the source and its own guid or uri.

    The same (source, guid) always gives the same id, so every version of a story,
    in whatever format it arrives, lands on one record and one feed guid.
    """
    digest = hashlib.sha256(f"{source}\x00{guid}".encode()).hexdigest()
    return digest[:24]


_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_words: int = 6) -> str:
    """A short lowercase slug from a headline."""
    words = _SLUG_STRIP.sub(" ", text.casefold()).split()
    return "-".join(words[:max_words])


class Story(BaseModel):
    """The canonical Wirefeed story (a ninjs 2.x profile)."""

    model_config = ConfigDict(extra="forbid")

    uri: str = Field(description="The source's own identifier for the story (ninjs uri).")
    id: str = Field(description="Wirefeed profile: stable id derived from source and uri.")
    source: str = Field(description="Wirefeed profile: the agency or feed it came from.")
    type: Literal["text", "picture", "audio", "video", "graphic", "composite"] = "text"
    profile: str = NINJS_PROFILE
    version: str = "1"
    firstcreated: datetime | None = None
    versioncreated: datetime
    embargoed: datetime | None = None
    pubstatus: PubStatus = PubStatus.usable
    urgency: int | None = Field(default=None, ge=1, le=9)
    language: str | None = None
    headlines: list[Headline] = Field(min_length=1)
    bodies: list[Body] = Field(default_factory=list)
    by: str | None = None
    slugline: str | None = None
    located: str | None = Field(default=None, description="The dateline place.")
    ednote: str | None = None
    correction_note: str | None = Field(
        default=None, description="Wirefeed profile: set when this version is a correction."
    )
    subjects: list[Tag] = Field(default_factory=list)
    people: list[Tag] = Field(default_factory=list)
    organisations: list[Tag] = Field(default_factory=list)
    places: list[Tag] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="Wirefeed profile.")
    renditions: dict[str, Rendition] = Field(default_factory=dict)
    word_count: int | None = Field(default=None, description="Wirefeed profile.")

    @field_validator("versioncreated", "firstcreated", "embargoed")
    @classmethod
    def _aware_utc(cls, value: datetime | None) -> datetime | None:
        # Feeds need timezone-aware dates; a naive date from a wire is taken as UTC.
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str | None) -> str | None:
        # Feeds carry the language as xml:lang: only a valid BCP 47 tag, else none
        # (the language tagger may then find one).
        return language_tag(value)

    @property
    def headline(self) -> str:
        """The main headline."""
        for h in self.headlines:
            if h.role == "main":
                return h.value
        return self.headlines[0].value

    @property
    def body_html(self) -> str:
        """The main HTML body (empty for items without text)."""
        for b in self.bodies:
            if b.contenttype == "text/html":
                return b.value
        return ""

    @property
    def is_live(self) -> bool:
        """Whether the story may appear in feeds (not killed or withheld)."""
        return self.pubstatus is PubStatus.usable

    def version_key(self) -> tuple[int, datetime]:
        """Ordering of versions: version number first, then versioncreated."""
        try:
            number = int(self.version)
        except ValueError:
            number = 0
        return (number, self.versioncreated)

    def content_hash(self) -> str:
        """Hash of everything a reader sees, to skip identical re-sends."""
        payload = self.model_dump_json(include={"headlines", "bodies", "pubstatus", "by"})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_json(self) -> bytes:
        """Serialise for storage."""
        return self.model_dump_json(exclude_none=True, indent=2).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Story:
        """Load a stored story."""
        return cls.model_validate_json(data)


# The tag lists of a story, in the order editors and feeds show them.
TAG_FIELDS = ("subjects", "people", "organisations", "places")
