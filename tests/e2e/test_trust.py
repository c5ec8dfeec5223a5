"""Who may do what, on the real stack with the dev credentials (README, "Who may do what").

Agencies send under their own name only and cannot touch each other's stories; the
editor page's cookie is a server session that logout ends and that other origins
cannot use; an embargoed story is nowhere public until it is released.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cli.localstack import LocalStack
from tests.conftest import AGENCY_KEYS, EDITOR_TOKEN, wait_for
from tests.e2e.helpers import entry_story_ids
from wirefeed.layout import feed_key, public_story_key, story_key
from wirefeed.settings import Settings

pytestmark = pytest.mark.e2e
NINJS = {"Content-Type": "application/json"}
EVIL = {"Origin": "https://evil.example"}


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _story(uri: str, **fields: Any) -> bytes:
    doc = {
        "uri": uri,
        "headlines": [{"value": "Harbour reopens after the storm"}],
        "body_html": "<p>The harbour reopened on Monday.</p>",
        "language": "en",
        **fields,
    }
    return json.dumps(doc).encode()


def _state(client: httpx.Client, story_id: str, secret: str) -> dict[str, Any]:
    answer = client.get(f"/v1/stories/{story_id}", headers=_bearer(secret))
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()
    return status


def _firehose_ids(settings: Settings) -> set[str]:
    return entry_story_ids(httpx.get(settings.public_url(feed_key("all", "rss"))).content, "rss")


def test_agencies_roles_sessions_and_embargoes_on_the_real_stack(
    stack: LocalStack, stack_settings: Settings, editor_api: httpx.Client
) -> None:
    a_key, b_key = AGENCY_KEYS["agency-a"], AGENCY_KEYS["agency-b"]
    uri = f"urn:e2e-trust:{uuid.uuid4().hex}"
    client = httpx.Client(base_url=stack.api_url, timeout=30)

    # An agency key submits, as its own agency only, and reaches nothing else.
    sent = client.post("/v1/stories", content=_story(uri), headers={**_bearer(a_key), **NINJS})
    assert sent.status_code == 202, sent.text
    a_id = sent.json()["id"]
    as_b = {"source": "agency-b"}
    foreign = client.post("/v1/stories", params=as_b, content=_story(uri), headers=_bearer(a_key))
    assert foreign.status_code == 403
    assert client.get("/v1/admin/subscriptions", headers=_bearer(a_key)).status_code == 403
    assert client.post("/v1/admin/partners/x/keys", headers=_bearer(a_key)).status_code == 403
    assert client.post("/v1/stories", content=_story(uri), headers=NINJS).status_code == 401
    wait_for(lambda: _state(client, a_id, a_key)["state"] == "published", timeout=120)
    assert a_id in _firehose_ids(stack_settings)

    # Agency B sends A's uri as a kill with a higher version: a story of its own.
    kill = _story(uri, version="9", pubstatus="canceled")
    b_sent = client.post("/v1/stories", content=kill, headers={**_bearer(b_key), **NINJS})
    assert b_sent.status_code == 202, b_sent.text
    b_id = b_sent.json()["id"]
    assert b_id != a_id
    wait_for(lambda: _state(client, b_id, b_key)["state"] == "published", timeout=60)
    assert client.get(f"/v1/stories/{a_id}", headers=_bearer(b_key)).status_code == 403
    assert _state(client, a_id, a_key)["story"]["pubstatus"] == "usable"
    assert a_id in _firehose_ids(stack_settings)

    # The editor page: a server session, not the token; other origins cannot act with it.
    login = client.post("/editor/login", data={"token": EDITOR_TOKEN})
    assert login.status_code == 303
    assert EDITOR_TOKEN not in login.headers["set-cookie"]
    # The cookie is sent by hand from here on, so the old one can be tried after logout.
    cookie = {"Cookie": f"wirefeed_session={login.cookies['wirefeed_session']}"}
    client.cookies.clear()
    own = {**cookie, "Origin": stack.api_url}
    for url in (f"/v1/editor/stories/{a_id}/republish", f"/editor/stories/{a_id}/republish"):
        assert client.post(url, headers={**cookie, **EVIL}).status_code == 403, url
    assert client.get("/editor/", headers=cookie).status_code == 200
    assert client.post("/editor/logout", headers=own).status_code == 303
    assert client.get("/editor/", headers=cookie).headers["location"].endswith("/editor/login")

    # An editor's embargo takes the story off every public place until it is released.
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    held = editor_api.post(f"/v1/editor/stories/{a_id}/embargo", json={"until": until})
    assert held.status_code == 202, held.text
    wait_for(lambda: editor_api.get(held.json()["status_url"]).json()["status"] == "done", 60)
    public_copy = stack_settings.public_url(public_story_key(a_id))
    assert httpx.get(public_copy).status_code in (403, 404)
    assert httpx.get(stack_settings.public_url(story_key(a_id))).status_code == 403  # private
    assert a_id not in _firehose_ids(stack_settings)
    released = editor_api.post(f"/v1/editor/stories/{a_id}/embargo/release")
    assert released.status_code == 202, released.text
    wait_for(lambda: editor_api.get(released.json()["status_url"]).json()["status"] == "done", 60)
    assert httpx.get(public_copy).status_code == 200
    assert a_id in _firehose_ids(stack_settings)
