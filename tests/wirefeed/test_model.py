from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from wirefeed.model import Body, Headline, PubStatus, Story, slugify, story_id_for


def make_story(**fields: object) -> Story:
    values: dict[str, object] = {
        "uri": "urn:test:1",
        "id": story_id_for("test", "urn:test:1"),
        "source": "test",
        "versioncreated": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "headlines": [Headline(value="A headline")],
        "bodies": [Body(value="<p>Body</p>")],
    }
    values.update(fields)
    return Story.model_validate(values)


def test_story_id_is_stable_and_depends_on_source_and_guid() -> None:
    assert story_id_for("afp", "urn:1") == story_id_for("afp", "urn:1")
    assert story_id_for("afp", "urn:1") != story_id_for("ap", "urn:1")
    assert len(story_id_for("afp", "urn:1")) == 24


def test_naive_and_offset_dates_are_normalised_to_utc() -> None:
    naive = make_story(versioncreated=datetime(2026, 1, 2, 3, 4, 5))
    assert naive.versioncreated.tzinfo is UTC
    offset = make_story(
        versioncreated=datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    )
    assert offset.versioncreated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("1", 0), ("2", 0)),  # a higher version wins
        (("2", 0), ("2", 60)),  # same version: the later versioncreated wins
        (("x", 0), ("1", 0)),  # a non-numeric version sorts first
    ],
)
def test_versions_order_by_number_then_time(a: tuple[str, int], b: tuple[str, int]) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    older = make_story(version=a[0], versioncreated=base + timedelta(seconds=a[1]))
    newer = make_story(version=b[0], versioncreated=base + timedelta(seconds=b[1]))
    assert older.version_key() < newer.version_key()


def test_json_round_trip_keeps_the_story() -> None:
    story = make_story(pubstatus=PubStatus.canceled, keywords=["space"])
    again = Story.from_json(story.to_json())
    assert again == story
    assert not again.is_live


def test_a_story_needs_a_headline_and_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        make_story(headlines=[])
    with pytest.raises(ValidationError):
        make_story(colour="red")


def test_headline_and_body_accessors_pick_the_main_ones() -> None:
    story = make_story(
        headlines=[Headline(value="Sub", role="sub"), Headline(value="Main")],
        bodies=[Body(value="plain", contenttype="text/plain"), Body(value="<p>x</p>")],
    )
    assert story.headline == "Main"
    assert story.body_html == "<p>x</p>"


def test_slugify() -> None:
    assert (
        slugify("Russian crew returns to earth after shooting!")
        == "russian-crew-returns-to-earth-after"
    )
