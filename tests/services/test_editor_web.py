from __future__ import annotations

import hashlib
import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from services.api import create_app
from tests import hostile_html
from tests.budgets import Stalling
from wirefeed.editor import story_actions
from wirefeed.editor.users import Role, add_user
from wirefeed.ingest.ingesting import ingest
from wirefeed.intake.parsers import RawItem
from wirefeed.intake.receiving import store_raw
from wirefeed.model import Body, Headline, Story, Tag
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

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def client(store: MemoryStore, redis_url: str) -> Iterator[TestClient]:
    # Sessions and login throttling live in Redis: a real one, of the test session's own.
    settings = Settings(dev_mode=True, redis_url=redis_url, auth_failures_per_window=1000)
    app = create_app(settings, store, enqueue=lambda task, *args: None)
    # A browser sends the page's own Origin with every form post.
    yield TestClient(app, headers=ORIGIN)
    app.state.context.parse_budget.close()  # the parse processes, if any were started


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


def test_the_story_page_of_a_version_over_the_parse_budget_is_a_422_with_the_reason(
    client: TestClient, story_id: str
) -> None:
    _login(client)
    budget = Stalling(1, workers=1)
    client.app.state.context.parse_budget = budget  # type: ignore[attr-defined]
    try:
        answer = client.get(f"/editor/stories/{story_id}")
    finally:
        budget.close()
    assert answer.status_code == 422
    assert "parse_timeout" in answer.text


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
    _login(client, "dev-token-editor-admin")
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
        feeds=[
            FeedSpec(
                id="acme-space",
                title="Acme space desk",
                public=False,
                partner="acme",
                filter=Filter(query="Soyuz"),
            )
        ],
    )
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
    subjects = [
        Tag(name="arts, culture, entertainment and media", literal="medtop:01000000"),
        Tag(name="space exploration", literal="medtop:20000739"),
    ]
    story = load_story(store, story_id)
    assert story is not None
    save_story(store, story.model_copy(update={"subjects": subjects}))
    _login(client)
    page = client.get(f"/editor/stories/{story_id}").text
    form = {
        "headline": "Soyuz crew lands",
        "note": "Named the craft",
        "body": _form_field(page, "c-body"),
        "subjects": _form_field(page, "c-subjects"),
    }
    assert 'id="job"' in client.post(f"/editor/stories/{story_id}/correct", data=form).text
    corrected = load_story(store, story_id)
    assert corrected is not None and corrected.headline == "Soyuz crew lands"
    assert corrected.subjects == subjects  # the same machine tags, not editor ones
    assert corrected.body_html == story.body_html


HOSTILE = '<img src=x onerror=alert(1)><a href="/editor/logout">out</a><svg onload=alert(2)>'


def _active_parts(page: str) -> list[str]:
    """Scripts other than the page's own htmx, handlers, and script URLs in an editor page."""
    found = []
    for element in hostile_html.parse(page).iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.rsplit("}", 1)[-1]
        if name in {"svg", "math", "iframe", "object", "embed", "base"}:
            found.append(name)
        if name == "script" and not (element.get("src") or "").endswith("/htmx.min.js"):
            found.append("script")
        for attribute, value in element.attrib.items():
            if attribute.lower().startswith("on"):
                found.append(attribute)
            if attribute in {"href", "src", "action"} and "javascript:" in value.lower():
                found.append(value)
            if attribute == "href" and value == "/editor/logout":  # the body's, not the menu's
                found.append("a body link into the editor")
    return found


def test_editor_pages_show_hostile_stories_as_text(client: TestClient, store: MemoryStore) -> None:
    # Stored as an older version (or another path) might have left it: body unsanitised.
    story = Story(
        uri="urn:hostile:1",
        id="hostile1",
        source="wire",
        versioncreated=datetime.now(UTC),
        headlines=[Headline(value=HOSTILE)],
        bodies=[Body(value=f"<p>Body {HOSTILE}</p>")],
        ednote=f"Corrects {HOSTILE}",
        correction_note=f"Note {HOSTILE}",
        by=HOSTILE,
        subjects=[Tag(name=HOSTILE)],
        keywords=[HOSTILE],
    )
    save_story(store, story)
    update_feed(store, Settings(dev_mode=True), Subscriptions(), "all", ["hostile1"])
    _login(client)
    for path in ("/editor/", "/editor/stories/hostile1", "/editor/feeds/all"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not _active_parts(page.text), (path, _active_parts(page.text))
        # The plain-text fields read as the text they are.
        assert html.escape(HOSTILE, quote=False) in page.text.replace("&#34;", '"'), path


def _session(client: TestClient) -> str:
    return client.cookies["wirefeed_session"]


def test_the_cookie_is_a_server_session_not_the_token(client: TestClient, redis_url: str) -> None:
    answer = client.post(
        "/editor/login", data={"token": "dev-token-editor"}, follow_redirects=False
    )
    cookie = answer.headers["set-cookie"]
    assert "dev-token-editor" not in cookie
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; https below
    key = "wirefeed:session:" + hashlib.sha256(_session(client).encode()).hexdigest()
    ttl = redis.Redis.from_url(redis_url).ttl(key)
    assert 0 < ttl <= 8 * 3600  # idle expiry, the default eight hours
    assert client.get("/editor/").status_code == 200


def test_the_cookie_is_secure_over_https(store: MemoryStore, redis_url: str) -> None:
    settings = Settings(dev_mode=True, redis_url=redis_url, api_public_url="https://wf.example")
    client = TestClient(create_app(settings, store, enqueue=lambda *a: None))
    answer = client.post(
        "/editor/login", data={"token": "dev-token-editor"}, follow_redirects=False
    )
    assert "secure" in answer.headers["set-cookie"].lower()


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    _login(client)
    old = _session(client)
    answer = client.post("/editor/logout", follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("wirefeed_session", old)  # a copy of the cookie, kept
    assert client.get("/editor/", follow_redirects=False).status_code == 303
    assert client.get("/v1/editor/stories").status_code == 401


def test_changes_with_the_cookie_must_come_from_this_origin(
    client: TestClient, story_id: str
) -> None:
    _login(client)
    api, page = f"/v1/editor/stories/{story_id}/republish", f"/editor/stories/{story_id}/republish"
    for origin in ({"Origin": "https://evil.example"}, {"Origin": ""}):
        for url in (api, page):
            assert client.post(url, headers=origin).status_code == 403, (url, origin)
    referer = {"Origin": "", "Referer": f"http://testserver/editor/stories/{story_id}"}
    assert client.post(api, headers=referer).status_code == 202
    assert client.get("/v1/editor/stories", headers={"Origin": "https://evil.example"}).is_success


def test_removing_or_rekeying_an_account_ends_its_sessions(
    store: MemoryStore, redis_url: str, tmp_path: Path
) -> None:
    users = tmp_path / "users.json"
    token = add_user(users, "ann", [Role.editor])
    settings = Settings(dev_mode=True, redis_url=redis_url, users_file=str(users))
    client = TestClient(create_app(settings, store, enqueue=lambda *a: None), headers=ORIGIN)
    _login(client, token)
    assert client.get("/editor/", follow_redirects=False).status_code == 200
    add_user(users, "ann", [Role.editor])  # re-keyed: the old token and its sessions end
    time.sleep(1.1)  # the file is checked at most once a second
    assert client.get("/editor/", follow_redirects=False).status_code == 303


def test_failed_logins_are_throttled_per_address_and_account(
    store: MemoryStore, redis_url: str
) -> None:
    shared = redis.Redis.from_url(redis_url)  # other tests fail logins on purpose too
    for key in shared.scan_iter("wirefeed:authfail:login:*"):
        shared.delete(key)
    settings = Settings(dev_mode=True, redis_url=redis_url, auth_failures_per_window=3)
    client = TestClient(create_app(settings, store, enqueue=lambda *a: None))
    for _ in range(3):
        wrong = {"name": "dev-editor", "token": "guess"}
        assert client.post("/editor/login", data=wrong).status_code == 401
    right = {"name": "dev-editor", "token": "dev-token-editor"}
    throttled = client.post("/editor/login", data=right)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
