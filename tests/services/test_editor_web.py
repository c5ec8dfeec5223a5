from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed.editor import story_actions
from wirefeed.ingest.ingesting import ingest
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.receiving import store_raw
from wirefeed.model import Tag
from wirefeed.progress import Timeline
from wirefeed.publish.publishing import update_feed
from wirefeed.publish.subscription_store import save_config
from wirefeed.publish.subscriptions import (
    FeedSpec,
    Filter,
    Partner,
    SubscriptionConfig,
    Subscriptions,
)
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore
from wirefeed.stories import load_story, save_story


@pytest.fixture
def client(store: MemoryStore, redis_url: str) -> TestClient:
    settings = Settings(dev_mode=True, redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda task, *args: None)
    return TestClient(app)


@pytest.fixture
def story_id(store: MemoryStore, fixtures: Path) -> str:
    payload = (fixtures / "seed-story.txt").read_bytes()
    return ingest(store, store_raw(store, RawItem(payload=payload))).story_id


def _login(client: TestClient, token: str = "dev-token-editor") -> None:
    answer = client.post("/editor/login", data={"token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=strict" in answer.headers["set-cookie"].lower()


def test_pages_need_a_session(client: TestClient) -> None:
    answer = client.get("/editor/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/editor/login")
    refused = client.post("/editor/login", data={"token": "wrong"})
    assert refused.status_code == 401
    assert "not valid" in refused.text


def test_the_story_list_filters_and_links_to_the_story(client: TestClient, story_id: str) -> None:
    _login(client)
    page = client.get("/editor/", params={"text": "Soyuz", "status": "parsed"})
    assert f'href="http://testserver/editor/stories/{story_id}"' in page.text
    assert "Russian crew returns to earth" in page.text
    assert "No story matches" in client.get("/editor/", params={"source": "afp"}).text


def test_the_story_page_shows_versions_diff_timeline_and_audit(
    client: TestClient, store: MemoryStore, story_id: str, redis_url: str
) -> None:
    correction = story_actions.Correction(note="Named it", headline="Soyuz crew lands")
    timeline = Timeline(redis.Redis.from_url(redis_url))
    story_actions.correct(store, story_id, "dev-editor", correction, timeline=timeline)
    _login(client)
    page = client.get(f"/editor/stories/{story_id}").text
    assert "<h1>Soyuz crew lands</h1>" in page
    assert '<span class="add">+# Soyuz crew lands</span>' in page
    assert "corrected by dev-editor" in page
    assert "Kill story" in page
    assert 'hx-confirm="Kill this story?' in page


def test_an_action_answers_with_a_polling_job_fragment(client: TestClient, story_id: str) -> None:
    _login(client)
    fragment = client.post(f"/editor/stories/{story_id}/kill", data={"reason": "Legal"}).text
    assert 'id="job"' in fragment
    assert 'hx-trigger="every 400ms"' in fragment
    refused = client.post(f"/editor/stories/{story_id}/kill", data={"reason": ""}).text
    assert 'role="alert"' in refused
    after = client.get(f"/editor/stories/{story_id}").text
    assert "a kill is final" in after


def test_an_admin_action_is_refused_in_place_for_an_editor(client: TestClient) -> None:
    _login(client)
    fragment = client.post("/editor/feeds/rebuild").text
    assert "dev-editor may not rebuild" in fragment


def test_the_feed_preview_renders_the_feed_document(
    client: TestClient, store: MemoryStore, story_id: str
) -> None:
    _login(client, "dev-token")
    assert client.get("/editor/feeds/nope").status_code == 404
    page = client.get("/editor/feeds/all")
    assert page.status_code == 200
    assert "This feed is empty." in page.text
    assert client.get("/editor/static/htmx.min.js").text.startswith("var htmx")


def test_the_feed_pages_follow_the_stored_subscriptions(
    client: TestClient, store: MemoryStore, story_id: str
) -> None:
    # Feeds configured through the admin API live in the bucket, not in the app's defaults.
    config = SubscriptionConfig(
        partners=[Partner(id="acme", name="Acme")],
        feeds=[FeedSpec(id="acme-space", title="Acme space desk", public=False, partner="acme",
                        filter=Filter(query="Soyuz"))],
    )  # fmt: skip
    save_config(store, config)
    update_feed(store, Settings(dev_mode=True), Subscriptions(config), "acme-space", [story_id])
    _login(client)
    listed = client.get("/editor/feeds").text
    assert "Acme space desk" in listed
    assert "All stories" in listed  # the public firehose is always there
    page = client.get("/editor/feeds/acme-space")
    assert page.status_code == 200
    assert "Russian crew returns to earth" in page.text
    assert "Private feed of acme" in page.text
    assert "/feeds/acme-space.rss" not in page.text  # no public URL for a private feed


def _form_field(page: str, field_id: str) -> str:
    """What a browser submits for a text field: a textarea's text or an input's value."""
    area = re.search(rf'<textarea id="{field_id}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    found = area or re.search(rf'<input id="{field_id}"[^>]* value="([^"]*)"', page)
    assert found, field_id
    return html.unescape(found.group(1))


def test_a_headline_correction_leaves_the_machine_subjects_alone(
    client: TestClient, store: MemoryStore, story_id: str
) -> None:
    # IPTC Media Topic names may hold commas; the form must hand them back unchanged.
    subjects = [Tag(name="arts, culture, entertainment and media", literal="medtop:01000000"),
                Tag(name="space exploration", literal="medtop:20000739")]  # fmt: skip
    story = load_story(store, story_id)
    assert story is not None
    save_story(store, story.model_copy(update={"subjects": subjects}))
    _login(client)
    page = client.get(f"/editor/stories/{story_id}").text
    form = {"headline": "Soyuz crew lands", "note": "Named the craft",
            "body": _form_field(page, "c-body"),
            "subjects": _form_field(page, "c-subjects")}  # fmt: skip
    assert 'id="job"' in client.post(f"/editor/stories/{story_id}/correct", data=form).text
    corrected = load_story(store, story_id)
    assert corrected is not None and corrected.headline == "Soyuz crew lands"
    assert corrected.subjects == subjects  # the same machine tags, not editor ones
    assert corrected.body_html == story.body_html
