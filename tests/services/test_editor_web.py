from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from wirefeed import editorial
from wirefeed.parsers import RawItem
from wirefeed.pipeline import ingest, store_raw
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore


@pytest.fixture
def client(store: MemoryStore) -> TestClient:
    app = create_app(Settings(dev_mode=True), store, enqueue=lambda task, *args: None)
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
    client: TestClient, store: MemoryStore, story_id: str
) -> None:
    correction = editorial.Correction(note="Named it", headline="Soyuz crew lands")
    editorial.correct(store, story_id, "dev-editor", correction)
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
