from __future__ import annotations

from collections.abc import Callable

import pytest

from wirefeed.enrich.keyphrases import YakeTagger
from wirefeed.enrich.names import dateline_place
from wirefeed.enrich.origin import LanguageTagger
from wirefeed.enrich.taggers import story_text
from wirefeed.model import Story


@pytest.mark.parametrize(
    ("body", "place"),
    [
        ("MOSCOW, Oct 17 (AFP) - The crew landed.", "Moscow"),
        ("PARIS (Reuters) — Ministers met.", "Paris"),
        ("NEW YORK, Nov. 3, 2026 (Wirefeed) - Stocks fell.", "New York"),
        ("Baikonur, Kazakhstan, Oct 5 - The rocket lifted off.", "Baikonur"),
        ("KAZAKHSTAN, Nov 12 (Wirefeed) - Inflation slowed.", "Kazakhstan"),
        ("After spending 12 days at the station, the team returned.", None),
        ("The Russian team - actors and crew - returned.", None),
    ],
)
def test_dateline_place(body: str, place: str | None) -> None:
    assert dateline_place(body) == place


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ministers agreed on Tuesday to raise the budget for schools and hospitals.", "en"),
        ("Les ministres ont décidé mardi d'augmenter le budget des écoles et des hôpitaux.", "fr"),
        ("Die Minister beschlossen am Dienstag, das Budget für Schulen zu erhöhen.", "de"),
        ("Los ministros acordaron el martes aumentar el presupuesto de las escuelas.", "es"),
    ],
)
def test_language(make_story: Callable[[str], Story], text: str, language: str) -> None:
    story = make_story(f"{text}\n\n{text}")
    assert LanguageTagger().propose(story, story_text(story)).language == language


def test_yake_keywords_and_slug(seed_story: Story) -> None:
    proposal = YakeTagger().propose(seed_story, story_text(seed_story))
    assert set(proposal.keywords[:2]) == {"space", "movie"}
    assert "space station" in proposal.keywords
    # A phrase that occurs once is an accident of YAKE's window, not a keyword.
    assert all(
        " " not in k or story_text(seed_story).casefold().count(k) > 1 for k in proposal.keywords
    )
    assert len(proposal.keywords) == len(set(proposal.keywords)) <= 8
    assert proposal.slugline == "russian-crew-returns-to-earth-after"


def test_yake_reads_only_the_lead_of_a_long_story(make_story: Callable[[str], Story]) -> None:
    lead = "Harbour cranes idle as dockers strike. " * 40
    tail = "Glaciers retreat in the mountains. " * 100
    story = make_story(f"Dock strike\n\n{lead}\n\n{tail}")
    keywords = YakeTagger().propose(story, story_text(story)).keywords
    assert "dockers" in keywords and "glaciers" not in keywords
