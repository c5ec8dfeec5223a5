"""The seed story's tags, from the enrich workers on the real stack, in S3 and in the feeds."""

from __future__ import annotations

from pathlib import Path

import feedparser
import httpx
import pytest

from tests.conftest import wait_for
from wirefeed.layout import feed_key, story_key
from wirefeed.model import Creator, Story
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e

PEOPLE = {"Oleg Novitskiy", "Yulia Peresild", "Klim Shipenko", "Tom Cruise", "Elon Musk"}
ORGANISATIONS = {"NASA", "SpaceX", "Channel One", "AFP"}
PLACES = {"Russia", "Kazakhstan", "Baikonur Cosmodrome", "International Space Station"}
SUBJECTS = {"medtop:20000005", "medtop:20000739"}  # movies; space exploration


# The first story makes the enrich worker load its model: slow on a busy machine.
@pytest.mark.timeout(600)
def test_seed_story_tags_reach_s3_and_the_feed_categories(
    api: httpx.Client, stack_store: S3Store, stack_settings: Settings, fixtures: Path
) -> None:
    payload = (fixtures / "seed-story.txt").read_bytes()
    answer = api.post("/v1/stories", content=payload, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 202, answer.text
    story_id = answer.json()["id"]
    # Generous: on a busy machine the enrich worker may still be loading its model.
    wait_for(lambda: api.get(f"/v1/stories/{story_id}").json()["state"] == "published", 400)

    story = Story.from_json(stack_store.get(story_key(story_id)).body)
    assert {t.name for t in story.people} >= PEOPLE
    assert {t.name for t in story.organisations} >= ORGANISATIONS
    assert {t.name for t in story.places} >= PLACES
    assert {t.literal for t in story.subjects} >= SUBJECTS
    tags = story.people + story.organisations + story.places + story.subjects
    assert all(t.creator is Creator.machine and t.confidence for t in tags)
    assert story.language == "en" and story.keywords and story.word_count

    feed = feedparser.parse(httpx.get(stack_settings.public_url(feed_key("all", "rss"))).content)
    entry = next(e for e in feed.entries if e.id.endswith(f"story/{story_id}"))
    terms = {tag.term for tag in entry.tags}
    assert terms >= PEOPLE | ORGANISATIONS | PLACES | SUBJECTS


@pytest.mark.timeout(600)
def test_a_burst_of_stories_is_all_tagged(api: httpx.Client, stack_store: S3Store) -> None:
    # Stories that arrive together queue for the enrich workers; each comes out tagged,
    # its dateline place and the organisation its name's ending marks among its tags.
    cities = ["Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Quito", "Accra", "Riga"]
    ids = {}
    for number, city in enumerate(cities):
        text = (
            f"Mayor opens bridge {number}\n\n{city.upper()} (Wirefeed) - Mayor Karin Vold of "
            f"{city} opened a new bridge on Monday, the Harbour Works Company said."
        )
        answer = api.post("/v1/stories", content=text, headers={"Content-Type": "text/plain"})
        assert answer.status_code == 202, answer.text
        ids[answer.json()["id"]] = city

    def all_published() -> bool:
        states = [api.get(f"/v1/stories/{story_id}").json()["state"] for story_id in ids]
        return all(state == "published" for state in states)

    wait_for(all_published, 400)
    for story_id, city in ids.items():
        story = Story.from_json(stack_store.get(story_key(story_id)).body)
        assert city in {t.name for t in story.places}
        assert "Harbour Works Company" in {t.name for t in story.organisations}
