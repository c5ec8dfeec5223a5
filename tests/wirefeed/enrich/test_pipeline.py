"""The tagger pipeline as configured by settings, and what it does to editor tags."""

from __future__ import annotations

import pytest

from wirefeed import stories
from wirefeed.enrich import enriching
from wirefeed.enrich.taggers import TaggerPipeline, build_pipeline
from wirefeed.ingest import ingesting
from wirefeed.intake import receiving
from wirefeed.intake.parsers import RawItem
from wirefeed.model import Creator, Story, Tag
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore

from .conftest import story_from_text


@pytest.fixture(scope="module")
def full_pipeline():
    return build_pipeline(Settings().taggers, Settings())


def _enriched(store: MemoryStore, story_id: str, pipeline: TaggerPipeline) -> Story | None:
    """The stored story enrichment left."""
    done = enriching.enrich(store, story_id, pipeline)
    return done.story if done is not None else None


def test_default_settings_run_the_full_pipeline(full_pipeline, seed_story: Story) -> None:
    assert [t.name for t in full_pipeline.taggers] == [
        "language",
        "dateline",
        "entities",
        "topics",
        "yake",
    ]
    tagged = full_pipeline.enrich(seed_story)
    assert tagged.language == "en"
    assert {"Oleg Novitskiy", "Elon Musk"} <= {t.name for t in tagged.people}
    assert "medtop:20000005" in {t.literal for t in tagged.subjects}
    assert tagged.keywords and tagged.slugline and tagged.word_count


def test_tagging_can_be_turned_off(seed_story: Story) -> None:
    tagged = build_pipeline([], Settings()).enrich(seed_story)
    assert (tagged.people, tagged.subjects, tagged.keywords) == ([], [], [])


def test_unknown_tagger_names_are_refused() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        build_pipeline(["entities", "nonsense"], Settings())


def test_settings_choose_the_vocabulary_file(tmp_path, seed_story: Story) -> None:
    vocabulary = tmp_path / "vocabulary.yaml"
    vocabulary.write_text(
        "entities:\n  - name: Agence France-Presse\n    type: organisation\n    aliases: [AFP]\n"
    )
    taggers = build_pipeline(["entities"], Settings(vocabulary_path=str(vocabulary)))
    organisations = {t.name for t in taggers.enrich(seed_story).organisations}
    assert "Agence France-Presse" in organisations and "AFP" not in organisations


def test_editor_tags_survive_re_enrichment(full_pipeline, fixtures) -> None:
    store = MemoryStore()
    receipt = receiving.receive(
        store, RawItem((fixtures / "seed-story.txt").read_bytes(), "text/plain", source="test")
    )
    ingesting.ingest(store, receipt.raw_key)
    first = _enriched(store, receipt.story_id, full_pipeline)
    assert first is not None

    # An editor renames a person, removes a machine place and adds a subject of their own.
    editor_person = Tag(
        name="Oleg Novitsky", uri="http://www.wikidata.org/entity/Q1", creator=Creator.editor
    )
    editor_subject = Tag(
        name="movies", literal="medtop:20000005", creator=Creator.editor, confidence=100
    )
    edited = first.model_copy(
        update={
            "people": [editor_person, *first.people],
            "subjects": [
                editor_subject,
                *[t for t in first.subjects if t.literal != "medtop:20000005"],
            ],
        }
    )
    stories.save_story(store, edited)

    again = _enriched(store, receipt.story_id, full_pipeline)
    assert again is not None
    assert editor_person in again.people
    movies = [t for t in again.subjects if t.literal == "medtop:20000005"]
    assert movies == [editor_subject]  # the machine did not add its own copy or replace it
    assert {"Oleg Novitskiy", "Tom Cruise"} <= {t.name for t in again.people}
    # Re-running changes nothing more: enrichment is idempotent.
    assert _enriched(store, receipt.story_id, full_pipeline) == again


def test_tags_the_agency_sent_survive_enrichment(full_pipeline, fixtures) -> None:
    store = MemoryStore()
    nitf = (fixtures / "formats" / "nitf-3.6.xml").read_bytes()
    receipt = receiving.receive(store, RawItem(nitf, "application/nitf+xml", source="efe"))
    assert ingesting.ingest(store, receipt.raw_key).accepted
    parsed = stories.load_story(store, receipt.story_id)
    assert parsed is not None
    sent = parsed.subjects
    assert sent and all(t.creator is Creator.source for t in sent)

    tagged = _enriched(store, receipt.story_id, full_pipeline)
    assert tagged is not None
    assert all(t in tagged.subjects for t in sent)
    assert tagged.language == "es"  # the machine still tagged the story
    assert _enriched(store, receipt.story_id, full_pipeline) == tagged


def test_stories_tagged_in_a_batch_are_tagged_as_alone(full_pipeline, seed_story: Story) -> None:
    other = story_from_text("Talks resume\n\nAngela Merkel met Emmanuel Macron in Paris.")
    assert full_pipeline.enrich_many([seed_story, other]) == [
        full_pipeline.enrich(seed_story),
        full_pipeline.enrich(other),
    ]
