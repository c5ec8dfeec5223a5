"""The newsroom vocabulary: known entities and their aliases, maintained by editors.

The file (YAML, see ``wirefeed/data/vocabulary.yaml``) is re-read whenever its
modification time changes, so an edit reaches running workers without a restart. A
file that no longer parses keeps the last good vocabulary in use and is logged, so a
typo never stops tagging.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

import structlog
import yaml
from pydantic import BaseModel, ConfigDict, Field

log = structlog.get_logger(__name__)

PACKAGED_VOCABULARY = "vocabulary.yaml"


class EntityType(StrEnum):
    """The kinds of entity a story is tagged with, named after the ninjs fields."""

    person = "person"
    organisation = "organisation"
    place = "place"
    # Known names that must never become tags (spacecraft, programmes, titles).
    ignore = "ignore"


class Entry(BaseModel):
    """One known entity."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    type: EntityType
    aliases: list[str] = Field(default_factory=list)
    wikidata: str | None = Field(default=None, pattern=r"^Q\d+$")
    iptc: str | None = None

    @property
    def uri(self) -> str | None:
        """The identifier published with the tag, if the entry has one."""
        if self.iptc:
            return self.iptc
        return f"http://www.wikidata.org/entity/{self.wikidata}" if self.wikidata else None


class VocabularyFile(BaseModel):
    """The file as editors write it."""

    model_config = ConfigDict(extra="forbid")

    entities: list[Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    """A vocabulary name found in a text, at ``[start, end)``."""

    entry: Entry
    start: int
    end: int


def _pattern(alias: str) -> str:
    # One word keeps its case ("AFP" is not "afp"); a phrase matches in any case.
    body = re.escape(alias)
    if " " not in alias.strip():
        return body
    return f"(?i:{body})"


class Vocabulary:
    """Known entities, looked up by name or alias and found in text."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_name: dict[str, Entry] = {}
        aliases: dict[str, Entry] = {}
        for entry in entries:
            for alias in [entry.name, *entry.aliases]:
                self._by_name.setdefault(alias.casefold(), entry)
                aliases.setdefault(alias, entry)
        # Longest first, so "International Space Station" wins over a shorter alias inside it.
        ordered = sorted(aliases, key=len, reverse=True)
        self._entry_for_alias = {alias.casefold(): aliases[alias] for alias in ordered}
        self._regex = (
            re.compile(r"(?<![\w-])(" + "|".join(_pattern(a) for a in ordered) + r")(?!\w)")
            if ordered
            else None
        )

    @classmethod
    def from_yaml(cls, text: str) -> Vocabulary:
        """Parse the YAML form; raises ValueError with the reason when it is invalid."""
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"vocabulary is not valid YAML: {error}") from error
        return cls(VocabularyFile.model_validate(data).entities)

    def lookup(self, name: str) -> Entry | None:
        """The entry known by ``name`` (its name or an alias, in any case)."""
        return self._by_name.get(name.casefold())

    def find(self, text: str) -> Iterator[Mention]:
        """Every mention of a known name in ``text``, left to right, not overlapping."""
        if self._regex is None:
            return
        for match in self._regex.finditer(text):
            entry = self._entry_for_alias[match.group(1).casefold()]
            yield Mention(entry, match.start(1), match.end(1))


def packaged_vocabulary_path() -> Path:
    """The vocabulary shipped with Wirefeed."""
    return Path(str(resources.files("wirefeed") / "data" / PACKAGED_VOCABULARY))


class ReloadingVocabulary:
    """A vocabulary file, re-read when its modification time changes.

    ``current()`` costs one ``stat`` call, so taggers call it for every story.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._vocabulary = Vocabulary([])
        self.current()

    def current(self) -> Vocabulary:
        """The vocabulary as the file says now (the last good one if the file is broken)."""
        try:
            stat = os.stat(self.path)
        except OSError as error:
            log.warning("vocabulary.unreadable", path=str(self.path), error=str(error))
            return self._vocabulary
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return self._vocabulary
        with self._lock:
            if stamp != self._stamp:
                self._reload(stamp)
        return self._vocabulary

    def _reload(self, stamp: tuple[int, int]) -> None:
        try:
            vocabulary = Vocabulary.from_yaml(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            # Keep tagging with the last good vocabulary; the stamp is recorded so the
            # broken file is not re-parsed for every story, only after its next edit.
            log.error("vocabulary.invalid", path=str(self.path), error=str(error))
        else:
            self._vocabulary = vocabulary
            log.info("vocabulary.loaded", path=str(self.path), entries=len(vocabulary.entries))
        self._stamp = stamp
