from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources

import pytest

from wirefeed.enrich.taggers import story_text
from wirefeed.enrich.topics import (
    MODEL_WORDS,
    Taxonomy,
    TopicClassifier,
    TopicModel,
    TopicRules,
    TopicTagger,
    topic_terms,
)
from wirefeed.model import Story

ARTS, SCIENCE = "medtop:01000000", "medtop:13000000"


def classifier() -> TopicClassifier:
    return TopicClassifier(TopicRules.packaged(), TopicModel.packaged())


@pytest.fixture(scope="module")
def tagger() -> TopicTagger:
    return TopicTagger(classifier())


def test_taxonomy_carries_codes_labels_hierarchy_and_attribution_but_no_definitions() -> None:
    raw = (resources.files("wirefeed") / "data" / "mediatopics.json").read_text()
    data = json.loads(raw)
    assert "CC BY 4.0" in data["attribution"] and "IPTC" in data["attribution"]
    assert all(
        set(t) <= {"label", "broader", "narrower", "retired"} for t in data["topics"].values()
    )
    taxonomy = Taxonomy.packaged()
    assert len(taxonomy.top_codes) == 17
    assert taxonomy.topics["20000005"].label == "movies"
    assert taxonomy.ancestors("20000739") == ["20000738", "20000735", "13000000"]
    assert taxonomy.top_level("20000005") == "01000000"
    assert taxonomy.topics["20000030"].retired


def test_rules_refuse_unknown_and_retired_topics() -> None:
    taxonomy = Taxonomy.packaged()
    with pytest.raises(ValueError, match="99999999"):
        TopicRules({"99999999": ["word"]}, taxonomy)
    with pytest.raises(ValueError, match="20000030"):
        TopicRules({"20000030": ["musical"]}, taxonomy)


def test_seed_story_is_about_film_and_space(seed_story: Story, tagger: TopicTagger) -> None:
    subjects = tagger.propose(seed_story, story_text(seed_story)).subjects
    literals = {tag.literal for tag in subjects}
    assert {"medtop:20000005", ARTS} <= literals  # movies, under arts and culture
    assert {"medtop:20000739", SCIENCE} <= literals  # space exploration, under science
    for tag in subjects:
        code = tag.literal.removeprefix("medtop:") if tag.literal else ""
        assert tag.uri == f"http://cv.iptc.org/newscodes/mediatopic/{code}"
        assert tag.confidence is not None and 0 < tag.confidence <= 100
        # Every broader topic of a subject is a subject too.
        for parent in Taxonomy.packaged().ancestors(code):
            assert f"medtop:{parent}" in literals


@pytest.mark.parametrize(
    ("text", "top"),
    [
        (
            "Striker scores twice in cup final\n\nThe striker scored twice as the home side won "
            "the cup final 3-1 in front of 60,000 fans at the stadium.",
            "15000000",
        ),
        (
            "Central bank raises interest rates\n\nThe central bank raised interest rates by 25 "
            "basis points to fight inflation, and economists expect another rate hike.",
            "04000000",
        ),
        (
            "Earthquake kills dozens\n\nA magnitude 6.8 earthquake struck the region overnight; "
            "rescuers searched collapsed buildings and the death toll rose.",
            "03000000",
        ),
        (
            "Opposition wins election\n\nVoters gave the opposition party a majority in "
            "parliament in an election with record turnout.",
            "11000000",
        ),
        (
            "Measles outbreak spreads\n\nHealth officials reported new measles cases and urged "
            "parents to vaccinate their children; hospitals opened extra clinics.",
            "07000000",
        ),
        (
            "Man charged with murder\n\nPolice arrested a suspect, who was charged with murder and "
            "will appear in court next week, prosecutors said.",
            "02000000",
        ),
    ],
)
def test_primary_topic(make_story: Callable[[str], Story], text: str, top: str) -> None:
    story = make_story(text)
    headline, _, body = story_text(story).partition("\n\n")
    assert classifier().classify(headline, body).primary == top


def test_no_evidence_gives_no_subjects(
    make_story: Callable[[str], Story], tagger: TopicTagger
) -> None:
    story = make_story("Notice\n\nThe item was moved to a later date.")
    assert tagger.propose(story, story_text(story)).subjects == []


@pytest.mark.parametrize(
    ("keyword", "text", "matches"),
    [
        ("court", "Two courts ruled.", True),  # plural endings
        ("elect*", "The electoral commission met.", True),  # any ending
        ("interest rate*", "Interest rates rose.", True),  # phrase, last word open
        ("e-commerce", "E-commerce sales grew.", True),  # the hyphen must be there
        ("e-commerce", "The e commerce site.", False),
        ("court", "A courtyard was built.", False),  # whole words only
        ("central bank", "The central\nbank said.", False),  # words apart are not a phrase
    ],
)
def test_rule_keywords_match_whole_words_plurals_and_phrases(
    keyword: str, text: str, matches: bool
) -> None:
    rules = TopicRules({"20000107": [keyword]}, Taxonomy.packaged())
    assert bool(rules.scores("", text)) is matches


def test_headline_keywords_count_double() -> None:
    rules = TopicRules({"20000107": ["court"]}, Taxonomy.packaged())
    assert rules.scores("Court rules", "") == rules.scores("", "A court. The court.")


def test_model_gives_calibrated_probabilities_without_scikit_learn() -> None:
    model = TopicModel.packaged()
    probabilities = model.probabilities("Striker scores twice", "The home side won the cup final.")
    assert set(probabilities) == set(Taxonomy.packaged().top_codes)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert max(probabilities, key=lambda code: probabilities[code]) == "15000000"
    assert 0 < model.calibrated(0.1) < model.calibrated(0.9) < 1


def test_a_story_without_a_confident_topic_gets_none(
    make_story: Callable[[str], Story], tagger: TopicTagger
) -> None:
    story = make_story("Update\n\nMore details were given on Tuesday about the plan.")
    assert tagger.propose(story, story_text(story)).subjects == []


def test_model_reads_words_pairs_and_pieces_of_words_of_the_lead() -> None:
    terms = topic_terms("Polls close", "Electoral officials count the votes.")
    assert {"polls", "polls close", "electoral", "count the"} <= set(terms)
    # Pieces of words, edges marked: "elect" is shared by "election" and "electoral".
    assert {"#elect", "# ele", "#oral ", "#vot"} <= set(terms)
    assert terms.count("polls") == 2  # the headline counts twice
    body = " ".join(["alpha"] * MODEL_WORDS + ["omega"])
    assert "omega" not in topic_terms("Headline", body)
