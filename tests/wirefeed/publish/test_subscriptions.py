"""Subscription matching: one table of rules, the inverted index, and 10,000 feeds."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from wirefeed.model import Body, Headline, PubStatus, Story, Tag
from wirefeed.publish.subscriptions import (
    FIREHOSE,
    CompiledFeed,
    FeedSpec,
    Filter,
    SubscriptionConfig,
    Subscriptions,
    subject_code,
    subjectcode_parents,
)

MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"


def make_story(**fields: Any) -> Story:
    """A live story with a few tags; ``fields`` override any of them."""
    values: dict[str, Any] = {
        "uri": "urn:test:1",
        "id": "story1",
        "source": "reuters",
        "versioncreated": datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        "language": "en-GB",
        "urgency": 3,
        "headlines": [Headline(value="Storm batters the Atlantic coast")],
        "bodies": [Body(value="<p>The climate summit in Lisbon opened as the storm hit.</p>")],
        "subjects": [
            Tag(name="weather", uri=f"{MEDTOP}17000000", literal="medtop:17000000"),
            Tag(name="football", literal="subj:15054000"),
        ],
        "people": [Tag(name="Ana Lopes", uri="http://www.wikidata.org/entity/Q1")],
        "organisations": [Tag(name="United Nations")],
        "places": [Tag(name="Portugal")],
        "keywords": ["storm", "climate"],
    }
    values.update(fields)
    return Story(**values)


def feed(**selection: Any) -> FeedSpec:
    return FeedSpec(id="f", title="F", filter=Filter(**selection))


@pytest.mark.parametrize(
    ("selection", "story_fields", "expected"),
    [
        pytest.param({}, {}, True, id="firehose"),
        pytest.param({}, {"pubstatus": PubStatus.canceled}, False, id="firehose-skips-killed"),
        pytest.param({"subjects": ["medtop:17000000"]}, {}, True, id="subject-qcode"),
        pytest.param({"subjects": [f"{MEDTOP}17000000"]}, {}, True, id="subject-uri"),
        pytest.param({"subjects": ["medtop:04000000"]}, {}, False, id="subject-other"),
        pytest.param({"subjects": ["subj:15000000"]}, {}, True, id="broader-subjectcode"),
        pytest.param({"subjects": ["subj:15054000"]}, {}, True, id="exact-subjectcode"),
        pytest.param({"subjects": ["subj:15054001"]}, {}, False, id="narrower-not-broader"),
        pytest.param({"people": ["ana lopes"]}, {}, True, id="person-name-casefold"),
        pytest.param({"people": ["http://www.wikidata.org/entity/Q1"]}, {}, True, id="person-uri"),
        pytest.param({"people": ["Bob"]}, {}, False, id="person-other"),
        pytest.param({"organisations": ["United Nations"]}, {}, True, id="organisation"),
        pytest.param({"places": ["Portugal", "Spain"]}, {}, True, id="place-any-of"),
        pytest.param({"places": ["Spain"]}, {}, False, id="place-other"),
        pytest.param({"keywords": ["Storm"]}, {}, True, id="keyword"),
        pytest.param({"keywords": ["flood"]}, {}, False, id="keyword-other"),
        pytest.param({"languages": ["en"]}, {}, True, id="language-primary-subtag"),
        pytest.param({"languages": ["en-gb"]}, {}, True, id="language-full"),
        pytest.param({"languages": ["fr"]}, {}, False, id="language-other"),
        pytest.param({"sources": ["Reuters"]}, {}, True, id="source"),
        pytest.param({"sources": ["afp"]}, {}, False, id="source-other"),
        pytest.param({"max_urgency": 3}, {}, True, id="urgency-at-limit"),
        pytest.param({"max_urgency": 2}, {}, False, id="urgency-too-low"),
        pytest.param({"max_urgency": 5}, {"urgency": None}, False, id="urgency-missing"),
        pytest.param({"query": "climate Lisbon"}, {}, True, id="query-all-words"),
        pytest.param({"query": "climate Madrid"}, {}, False, id="query-missing-word"),
        pytest.param({"query": '"climate summit"'}, {}, True, id="query-phrase"),
        pytest.param({"query": '"summit climate"'}, {}, False, id="query-phrase-order"),
        pytest.param({"query": "storm"}, {}, True, id="query-headline"),
        pytest.param(
            {"subjects": ["medtop:17000000"], "places": ["Portugal"], "languages": ["en"]},
            {},
            True,
            id="all-dimensions-match",
        ),
        pytest.param(
            {"subjects": ["medtop:17000000"], "places": ["Spain"]},
            {},
            False,
            id="one-dimension-fails",
        ),
    ],
)
def test_filter_rules(
    selection: dict[str, Any], story_fields: dict[str, Any], expected: bool
) -> None:
    subscriptions = Subscriptions(SubscriptionConfig(feeds=[feed(**selection)]))
    story = make_story(**story_fields)
    assert subscriptions.matches("f", story) is expected
    # The index must never lose a feed the full check accepts, nor add one it rejects.
    assert ("f" in subscriptions.feeds_for(story)) is expected


def test_broader_codes_come_from_the_taxonomy_when_given() -> None:
    parents = {"medtop:20000002": ["medtop:01000000"]}
    config = SubscriptionConfig(feeds=[feed(subjects=["medtop:01000000"])])
    story = make_story(subjects=[Tag(name="art", literal="medtop:20000002")])
    assert Subscriptions(config).feeds_for(story) == set()
    with_taxonomy = Subscriptions(config, broader=lambda code: parents.get(code, []))
    assert with_taxonomy.feeds_for(story) == {"f"}


@pytest.mark.parametrize(
    ("code", "parents"),
    [
        ("subj:15054000", ["subj:15000000"]),
        ("subj:15054001", ["subj:15054000", "subj:15000000"]),
        ("subj:15000000", []),
        ("medtop:20000002", []),
    ],
)
def test_subjectcode_structure_gives_parents(code: str, parents: list[str]) -> None:
    assert subjectcode_parents(code) == parents


def test_subject_codes_normalise_uris_to_qcodes() -> None:
    assert subject_code(f"{MEDTOP}20000002") == "medtop:20000002"
    assert subject_code("MEDTOP:20000002") == "medtop:20000002"


def test_firehose_is_not_filed_and_filtered_feeds_are() -> None:
    assert CompiledFeed(FIREHOSE).index_keys() == []
    compiled = CompiledFeed(feed(subjects=["medtop:1"], places=["Lisbon"]))
    assert compiled.index_keys() == [("subjects", "medtop:1")]
    assert CompiledFeed(feed(max_urgency=2)).index_keys() == [("urgency", "1"), ("urgency", "2")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"feeds": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]}, "duplicate feed"),
        ({"feeds": [{"id": "a", "title": "A", "partner": "ghost"}]}, "unknown partners"),
        ({"feeds": [{"id": "a", "title": "A", "public": False}]}, "needs a partner"),
        ({"feeds": [{"id": "Bad Id", "title": "A"}]}, "pattern"),
        ({"hubs": ["ftp://hub"]}, "not an http"),
        ({"feeds": [{"id": "a", "title": "A", "filter": {"colour": ["red"]}}]}, "Extra inputs"),
    ],
)
def test_invalid_configurations_are_refused_with_a_reason(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SubscriptionConfig.model_validate(config)


def _random_feeds(count: int, rng: random.Random) -> list[FeedSpec]:
    dimensions = ["subjects", "people", "places", "keywords", "query"]
    feeds = []
    for i in range(count):
        dimension = dimensions[i % len(dimensions)]
        value = f"{dimension[:3]}{rng.randrange(2000)}"
        selection = {dimension: value} if dimension == "query" else {dimension: [value]}
        feeds.append(FeedSpec(id=f"feed-{i}", title=f"Feed {i}", filter=Filter(**selection)))
    return feeds


def test_ten_thousand_feeds_match_exactly_and_only_candidates_are_checked() -> None:
    rng = random.Random(5)
    feeds = _random_feeds(10_000, rng)
    subscriptions = Subscriptions(SubscriptionConfig(feeds=[FIREHOSE, *feeds]))
    compiled = [CompiledFeed(f) for f in [FIREHOSE, *feeds]]
    for n in range(10):
        story = make_story(
            id=f"s{n}",
            subjects=[Tag(name="x", literal=f"sub{rng.randrange(2000)}")],
            people=[Tag(name=f"peo{rng.randrange(2000)}")],
            places=[Tag(name=f"pla{rng.randrange(2000)}")],
            keywords=[f"key{rng.randrange(2000)}"],
            headlines=[Headline(value=f"que{rng.randrange(2000)} happened")],
            bodies=[],
        )
        facts = subscriptions.facts(story)
        brute_force = {c.spec.id for c in compiled if c.matches(facts)}
        candidates = subscriptions.candidates(facts)
        assert subscriptions.feeds_for(story) == brute_force
        assert "all" in brute_force and len(brute_force) > 1
        # The work per story is its candidates, a handful, not the 10,000 feeds.
        assert len(candidates) < 50
