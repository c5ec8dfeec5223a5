from __future__ import annotations

from collections.abc import Callable

import pytest

from wirefeed.enrich.entities import EntityTagger, _name_spans
from wirefeed.enrich.taggers import story_text
from wirefeed.enrich.vocabulary import EntityType
from wirefeed.model import Creator, Story
from wirefeed.sanitize import html_to_text

SEED_PEOPLE = {
    "Oleg Novitskiy",
    "Yulia Peresild",
    "Klim Shipenko",
    "Konstantin Ernst",
    "Tom Cruise",
    "Doug Liman",
    "Elon Musk",
}
SEED_ORGANISATIONS = {"NASA", "SpaceX", "Channel One", "AFP"}
SEED_PLACES = {"Russia", "Kazakhstan", "Baikonur Cosmodrome", "International Space Station"}
# "Kremlin" as an organisation is acceptable; nothing else may appear.
SEED_ACCEPTABLE_EXTRA = {"organisations": {"Kremlin"}}


def names(story: Story, field: str, tagger: EntityTagger) -> set[str]:
    proposal = tagger.propose(story, story_text(story))
    return {tag.name for tag in getattr(proposal, field)}


@pytest.mark.parametrize(
    ("field", "expected"),
    [("people", SEED_PEOPLE), ("organisations", SEED_ORGANISATIONS), ("places", SEED_PLACES)],
)
def test_seed_story_has_exactly_the_right_entities(
    seed_story: Story, entity_tagger: EntityTagger, field: str, expected: set[str]
) -> None:
    found = names(seed_story, field, entity_tagger)
    assert expected <= found, f"missing {expected - found}"
    assert found - expected <= SEED_ACCEPTABLE_EXTRA.get(field, set()), "false tags"


def test_seed_story_tags_carry_offsets_confidence_and_creator(
    seed_story: Story, entity_tagger: EntityTagger
) -> None:
    body = html_to_text(seed_story.body_html)
    proposal = entity_tagger.propose(seed_story, story_text(seed_story))
    tags = proposal.people + proposal.organisations + proposal.places
    for tag in tags:
        assert tag.creator is Creator.machine
        assert tag.confidence is not None and 0 < tag.confidence <= 100
        assert tag.offsets, tag.name
    cruise = next(t for t in proposal.people if t.name == "Tom Cruise")
    # "Tom Cruise" and the later "Cruise's" are one person, both mentions kept.
    assert [body[s:e] for s, e in cruise.offsets] == ["Tom Cruise", "Cruise"]
    novitskiy = next(t for t in proposal.people if t.name == "Oleg Novitskiy")
    assert [body[s:e] for s, e in novitskiy.offsets] == ["Oleg Novitskiy"]
    iss = next(t for t in proposal.places if t.name == "International Space Station")
    assert [body[s:e].casefold() for s, e in iss.offsets] == ["international space station"] * 2
    assert iss.uri == "http://www.wikidata.org/entity/Q25271"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        # Vocabulary aliases become the one name editors chose.
        (
            "Launch delayed\n\nThe ISS crew spoke to Agence France-Presse on Monday.",
            "places",
            {"International Space Station"},
        ),
        (
            "Launch delayed\n\nThe ISS crew spoke to Agence France-Presse on Monday.",
            "organisations",
            {"AFP"},
        ),
        # A role next to a name makes it a person.
        (
            "Premiere set\n\nThe film stars actress Marta Kowalczyk and was shot in Poland.",
            "people",
            {"Marta Kowalczyk"},
        ),
        # Short forms fold into the full name; possessives are dropped.
        (
            "Talks resume\n\nAngela Merkel met Emmanuel Macron in Paris. Merkel's aides said "
            "the talks went well.",
            "people",
            {"Angela Merkel", "Emmanuel Macron"},
        ),
        # Particles stay inside names; a list of places is split.
        (
            "Summit ends\n\nUrsula von der Leyen spoke in Brussels. Von der Leyen said the "
            "talks had gone well.",
            "people",
            {"Ursula von der Leyen"},
        ),
        # Quoted titles are not entities, even where they appear unquoted later.
        (
            "Film opens\n\nThe drama \u201cSilent Harbour\u201d opened in London. Silent Harbour "
            "was directed by Anna Berg.",
            "organisations",
            set(),
        ),
        # "ignore" entries in the vocabulary are never tagged.
        ("Capsule lands\n\nThe Soyuz capsule landed in Kazakhstan.", "organisations", set()),
    ],
)
def test_entity_rules(
    make_story: Callable[[str], Story],
    entity_tagger: EntityTagger,
    text: str,
    field: str,
    expected: set[str],
) -> None:
    assert names(make_story(text), field, entity_tagger) == expected


@pytest.mark.parametrize(
    ("text", "vote", "expected"),
    [
        ("cut in Kharkiv and Odesa, officials", EntityType.place, ["Kharkiv", "Odesa"]),
        (
            "the Food and Drug Administration",
            EntityType.organisation,
            ["Food and Drug Administration"],
        ),
        ("Ursula von der Leyen said", EntityType.person, ["Ursula von der Leyen"]),
    ],
)
def test_name_spans_split_place_lists_and_extend_over_particles(
    text: str, vote: EntityType, expected: list[str]
) -> None:
    # The span the model might return: the whole phrase, or a name cut after a particle.
    phrase = expected[0] if len(expected) == 1 else "Kharkiv and Odesa"
    start = text.index(phrase.split(" von ")[0])
    end = start + len(phrase.split(" Leyen")[0]) if "Leyen" in phrase else start + len(phrase)
    spans = _name_spans(text, start, end, vote)
    assert [text[s:e] for s, e in spans] == expected


def all_names(story: Story, tagger: EntityTagger) -> dict[str, set[str]]:
    proposal = tagger.propose(story, story_text(story))
    return {
        field: {tag.name for tag in getattr(proposal, field)}
        for field in ("people", "organisations", "places")
    }


def test_results_lines_are_teams(
    make_story: Callable[[str], Story], entity_tagger: EntityTagger
) -> None:
    # Intake joins the lines of a results table into one paragraph.
    story = make_story(
        "Football results\n\nResults of Saturday's matches:\nKirkwall Rovers 2 Dunmore 1\n"
        "Ashby Vale 0 Tullow Harps 3\nPenrith 1 Carnmoor 1"
    )
    found = all_names(story, entity_tagger)
    teams = {"Kirkwall Rovers", "Dunmore", "Ashby Vale", "Tullow Harps", "Penrith", "Carnmoor"}
    assert found["organisations"] == teams
    assert not found["people"] and not found["places"]


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Shares in Fernhollow Brands plc fell 9 percent on Monday.", "Fernhollow Brands plc"),
        ("Mirewood Athletic FC sacked their coach on Monday.", "Mirewood Athletic FC"),
        ("Voters backed the Civic Renewal Party in the election on Sunday.", "Civic Renewal Party"),
        (
            "The Ministry of Coastal Affairs said on Monday the port would reopen.",
            "Ministry of Coastal Affairs",
        ),
        (
            "The decision was taken by Bramford District Council on Monday.",
            "Bramford District Council",
        ),
    ],
)
def test_names_with_organisation_cues_are_organisations(
    make_story: Callable[[str], Story], entity_tagger: EntityTagger, sentence: str, name: str
) -> None:
    found = all_names(make_story(f"Business news\n\n{sentence}"), entity_tagger)
    assert name in found["organisations"]
    assert name not in found["people"] | found["places"]


def test_short_forms_fold_into_the_organisation_and_keep_its_type(
    make_story: Callable[[str], Story], entity_tagger: EntityTagger
) -> None:
    story = make_story(
        "Insurers to merge\n\nZURICH - Calder Re AG agreed to buy a rival on Monday. "
        "Calder said the deal would close next year, and Calder shares rose 4 percent."
    )
    found = all_names(story, entity_tagger)
    assert "Calder Re AG" in found["organisations"]
    assert "Calder" not in found["organisations"] | found["people"] | found["places"]


def test_the_dateline_the_parser_took_out_is_a_place(
    make_story: Callable[[str], Story], entity_tagger: EntityTagger
) -> None:
    story = make_story(
        "Port reopens\n\nSANTA CLARA, California (Wirefeed) - The harbour reopened on Monday."
    )
    assert story.located == "SANTA CLARA, California"
    assert {"Santa Clara", "California"} <= all_names(story, entity_tagger)["places"]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # Events and storms are not entities.
        (
            "Storm warning\n\nStorm Amy brought gusts of 100 mph to the coast of Ireland.",
            "Storm Amy",
        ),
        # A descriptor that opens a sentence is not part of the name.
        (
            "Steel cuts\n\nSteelmaker Ostrava Steel Corp will cut output by a third.",
            "Steelmaker Ostrava Steel Corp",
        ),
        # A title before a person's name is not part of it.
        (
            "Cathedral reopens\n\nArchbishop Laurent Ulrich opened the first service.",
            "Archbishop Laurent Ulrich",
        ),
    ],
)
def test_what_is_not_part_of_a_name(
    make_story: Callable[[str], Story], entity_tagger: EntityTagger, text: str, absent: str
) -> None:
    found = all_names(make_story(text), entity_tagger)
    assert absent not in found["people"] | found["organisations"] | found["places"]


def test_batched_tagging_gives_what_one_story_at_a_time_gives(
    make_story: Callable[[str], Story], seed_story: Story, entity_tagger: EntityTagger
) -> None:
    stories = [
        seed_story,
        make_story("Talks resume\n\nAngela Merkel met Emmanuel Macron in Paris."),
        make_story("Results\n\nKirkwall Rovers 2 Dunmore 1"),
    ]
    texts = [story_text(story) for story in stories]
    one_by_one = [entity_tagger.propose(s, t) for s, t in zip(stories, texts, strict=True)]
    assert entity_tagger.propose_many(stories, texts) == one_by_one


def test_the_model_multiplies_matrices_with_numpy_blas_on_one_thread(
    entity_tagger: EntityTagger,
) -> None:
    # spaCy's BLIS falls back to its slow generic kernel on CPUs it does not know; the
    # network's layers run on numpy's BLAS instead, kept to the worker's one core.
    from threadpoolctl import threadpool_info

    ner = entity_tagger.nlp.get_pipe("ner").model
    for name in ("tok2vec", "lower"):
        assert all(not node.ops.use_blis for node in ner.get_ref(name).walk())
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)
