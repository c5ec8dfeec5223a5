"""Shared pieces for tagger tests: stories from text, the seed story, the loaded model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wirefeed.enrich.entities import EntityTagger
from wirefeed.enrich.vocabulary import ReloadingVocabulary, packaged_vocabulary_path
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.model import Story

FIXTURES = Path(__file__).parents[2] / "fixtures"


def story_from_text(text: str) -> Story:
    """A canonical story from plain wire copy (headline line, blank line, paragraphs)."""
    return parse(RawItem(text.encode(), "text/plain", source="test"))


@pytest.fixture
def make_story() -> Callable[[str], Story]:
    """Build a story from plain wire copy."""
    return story_from_text


@pytest.fixture(scope="session")
def seed_story() -> Story:
    """The seed story from the repository's fixtures."""
    return story_from_text((FIXTURES / "seed-story.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def entity_tagger() -> EntityTagger:
    """The entity tagger with the packaged vocabulary (the model loads once per session)."""
    return EntityTagger(ReloadingVocabulary(packaged_vocabulary_path()))
