from __future__ import annotations

import os
from pathlib import Path

import pytest

from wirefeed.enrich.vocabulary import (
    EntityType,
    ReloadingVocabulary,
    Vocabulary,
    packaged_vocabulary_path,
)

SMALL = """
entities:
  - name: AFP
    type: organisation
    aliases: [Agence France-Presse]
    wikidata: Q40464
  - name: International Space Station
    type: place
    aliases: [ISS]
"""


def found(vocabulary: Vocabulary, text: str) -> list[tuple[str, str]]:
    return [(m.entry.name, text[m.start : m.end]) for m in vocabulary.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reported AFP.", [("AFP", "AFP")]),
        ("Agence France-Presse said", [("AFP", "Agence France-Presse")]),
        # One word keeps its case; a phrase matches in any case.
        ("afp said", []),
        (
            "at the international space station",
            [("International Space Station", "international space station")],
        ),
        ("the ISS crew", [("International Space Station", "ISS")]),
        ("MISSION and ISSUE", []),
        ("ISS-bound", [("International Space Station", "ISS")]),
    ],
)
def test_find_matches_whole_names(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(Vocabulary.from_yaml(SMALL), text) == expected


def test_lookup_by_alias_in_any_case() -> None:
    vocabulary = Vocabulary.from_yaml(SMALL)
    entry = vocabulary.lookup("agence france-presse")
    assert entry is not None
    assert (entry.name, entry.type, entry.uri) == (
        "AFP",
        EntityType.organisation,
        "http://www.wikidata.org/entity/Q40464",
    )
    assert vocabulary.lookup("Reuters") is None


@pytest.mark.parametrize(
    "text",
    [
        "entities: [",
        "entities:\n  - name: X\n    type: planet\n",
        "entities:\n  - name: X\n    type: place\n    wikidata: 42\n",
        "entities:\n  - type: place\n",
    ],
)
def test_invalid_files_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError):
        Vocabulary.from_yaml(text)


def test_packaged_vocabulary_is_valid_and_knows_the_wire_basics() -> None:
    vocabulary = ReloadingVocabulary(packaged_vocabulary_path()).current()
    for name, kind in [
        ("AFP", EntityType.organisation),
        ("ISS", EntityType.place),
        ("SpaceX", EntityType.organisation),
        ("Baikonur Cosmodrome", EntityType.place),
    ]:
        entry = vocabulary.lookup(name)
        assert entry is not None and entry.type is kind


def _write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_edits_are_picked_up_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    _write(path, SMALL, 1_000_000_000_000_000_000)
    reloading = ReloadingVocabulary(path)
    assert reloading.current().lookup("SpaceX") is None

    _write(path, SMALL + "  - name: SpaceX\n    type: organisation\n", 1_000_000_001_000_000_000)
    assert reloading.current().lookup("SpaceX") is not None


def test_a_broken_edit_keeps_the_last_good_vocabulary(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    _write(path, SMALL, 1_000_000_000_000_000_000)
    reloading = ReloadingVocabulary(path)
    _write(path, "entities: [", 1_000_000_001_000_000_000)
    assert reloading.current().lookup("AFP") is not None
    path.unlink()
    assert reloading.current().lookup("AFP") is not None
