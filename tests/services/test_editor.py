from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from services.api import create_app
from tests.budgets import Stalling
from wirefeed.editor import audit, jobs
from wirefeed.editor.users import Role, add_user
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.intake.quarantine import get_record, quarantine
from wirefeed.intake.receiving import store_raw
from wirefeed.layout import story_key
from wirefeed.model import PubStatus
from wirefeed.progress import Stage, Timeline, start
from wirefeed.settings import Settings
from wirefeed.storage import MemoryStore
from wirefeed.stories import load_story, save_story

Sent = list[tuple[str, tuple[Any, ...]]]
ADMIN = {"Authorization": "Bearer dev-token-editor-admin"}
EDITOR = {"Authorization": "Bearer dev-token-editor"}


@pytest.fixture
def sent() -> Sent:
    return []


@pytest.fixture
def viewer_token(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "users.json"
    return path, add_user(path, "reader", [])


@pytest.fixture
def client(
    store: MemoryStore, sent: Sent, viewer_token: tuple[Path, str], redis_url: str
) -> Iterator[TestClient]:
    # Embargoes go on the schedule in Redis: a real one, of the test session's own.
    settings = Settings(dev_mode=True, users_file=str(viewer_token[0]), redis_url=redis_url)
    app = create_app(settings, store, enqueue=lambda task, *args: sent.append((task, args)))
    yield TestClient(app)
    app.state.context.parse_budget.close()  # the parse processes, if any were started


@pytest.fixture
def story_id(store: MemoryStore, fixtures: Path, redis_url: str) -> str:
    payload = (fixtures / "seed-story.txt").read_bytes()
    raw_key = store_raw(store, RawItem(payload=payload))
    story = parse(RawItem(payload=payload))
    progress = start(Stage.enriched, story.version, raw=raw_key)
    save_story(store, story, progress=progress.model_copy(update={"feeds": ["all"]}))
    Timeline(redis.Redis.from_url(redis_url)).note(
        story.id, Stage.published, version=story.version, feed="all", member=True
    )
    return story.id


ACTIONS = [
    ("stories/{id}/republish", None, Role.editor),
    ("stories/{id}/correct", {"note": "Fixed a name", "headline": "New headline"}, Role.editor),
    ("stories/{id}/kill", {"reason": "legal"}, Role.editor),
    ("stories/{id}/embargo", {"until": "2030-01-01T00:00:00Z"}, Role.editor),
    ("stories/{id}/embargo/release", None, Role.editor),
    ("feeds/all/rebuild", None, Role.admin),
    ("feeds/rebuild", None, Role.admin),
]


@pytest.mark.parametrize(("path", "body", "role"), ACTIONS)
def test_every_action_needs_a_token_and_its_role(
    client: TestClient,
    story_id: str,
    viewer_token: tuple[Path, str],
    sent: Sent,
    path: str,
    body: dict[str, Any] | None,
    role: Role,
) -> None:
    url = "/v1/editor/" + path.format(id=story_id)
    viewer = {"Authorization": f"Bearer {viewer_token[1]}"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post(url, json=body, headers=viewer).status_code == 403
    assert sent == []
    as_editor = client.post(url, json=body, headers=EDITOR)
    assert as_editor.status_code == (202 if role is Role.editor else 403), as_editor.text
    as_admin = client.post(url, json=body, headers=ADMIN)
    # A second kill is allowed (it sweeps the feeds again); the rest are fresh actions.
    assert as_admin.status_code == 202, as_admin.text
    assert sent and all(args[-1] for _, args in sent)


def test_refused_attempts_are_audited(
    client: TestClient, store: MemoryStore, story_id: str, viewer_token: tuple[Path, str]
) -> None:
    viewer = {"Authorization": f"Bearer {viewer_token[1]}"}
    client.post(f"/v1/editor/stories/{story_id}/kill", json={"reason": "x"}, headers=viewer)
    (entry,) = audit.query(store, story_id=story_id)
    assert (entry.user, entry.action, entry.result) == ("reader", "kill", audit.Result.refused)


def test_quarantine_replay_is_for_admins(
    client: TestClient, store: MemoryStore, sent: Sent
) -> None:
    raw_key = store_raw(store, RawItem(payload=b"Headline\n\nBody after the fix."))
    record = quarantine(store, raw_key, reason="x", detail="y", source="wire", content_type="")
    url = f"/v1/editor/quarantine/{record.id}/replay"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=EDITOR).status_code == 403
    answer = client.post(url, headers=ADMIN)
    assert answer.status_code == 202, answer.text
    assert sent == [("ingest.ingest_story", (raw_key,))]
    assert get_record(store, record.id) is None
    job = client.get(f"/v1/editor/jobs/{answer.json()['job_id']}", headers=ADMIN).json()
    assert job["status"] == "done"


def test_replaying_an_item_that_still_fails_keeps_it(
    client: TestClient, store: MemoryStore, sent: Sent
) -> None:
    raw_key = store_raw(
        store, RawItem(payload=b'{"headlines": []}', content_type="application/json")
    )
    record = quarantine(store, raw_key, reason="x", detail="y", source="wire", content_type="")
    answer = client.post(f"/v1/editor/quarantine/{record.id}/replay", headers=ADMIN)
    assert answer.status_code == 422
    assert "still does not parse" in answer.json()["detail"]
    assert get_record(store, record.id) is not None
    assert sent == []


def test_a_replay_over_the_parse_budget_is_a_422_with_the_reason(
    client: TestClient, store: MemoryStore, sent: Sent
) -> None:
    raw_key = store_raw(store, RawItem(payload=b"Headline\n\nBody."))
    record = quarantine(store, raw_key, reason="x", detail="y", source="wire", content_type="")
    budget = Stalling(1, workers=1)
    client.app.state.context.parse_budget = budget  # type: ignore[attr-defined]
    try:
        answer = client.post(f"/v1/editor/quarantine/{record.id}/replay", headers=ADMIN)
    finally:
        budget.close()
    assert answer.status_code == 422
    assert "still does not parse: parse_timeout" in answer.json()["detail"]
    kept = get_record(store, record.id)
    assert kept is not None and kept.reason == "parse_timeout"
    assert sent == []


def test_a_story_whose_wire_version_overruns_the_parse_budget_is_a_422_with_the_reason(
    client: TestClient, story_id: str
) -> None:
    budget = Stalling(1, workers=1)
    client.app.state.context.parse_budget = budget  # type: ignore[attr-defined]
    try:
        answer = client.get(f"/v1/editor/stories/{story_id}", headers=EDITOR)
    finally:
        budget.close()
    assert answer.status_code == 422
    assert "parse_timeout" in answer.json()["detail"]


def test_republish_bumps_updated_and_keeps_the_version(
    client: TestClient, store: MemoryStore, story_id: str, sent: Sent
) -> None:
    before = load_story(store, story_id)
    assert before is not None
    answer = client.post(f"/v1/editor/stories/{story_id}/republish", headers=EDITOR)
    assert answer.status_code == 202
    job_id = answer.json()["job_id"]
    assert answer.json()["status_url"].endswith(f"/v1/editor/jobs/{job_id}")
    after = load_story(store, story_id)
    assert after is not None
    assert after.version == before.version
    assert after.versioncreated > before.versioncreated
    assert sent == [("publish.publish_now", (story_id, job_id))]
    job = client.get(f"/v1/editor/jobs/{job_id}", headers=EDITOR).json()
    assert (job["status"], job["action"], job["user"]) == ("queued", "republish", "dev-editor")


def test_a_text_correction_makes_a_new_version_and_is_tagged_again(
    client: TestClient, store: MemoryStore, story_id: str, sent: Sent
) -> None:
    answer = client.post(
        f"/v1/editor/stories/{story_id}/correct",
        json={
            "note": "The crew spent 12 days in orbit.",
            "headline": "Crew back on Earth",
            "body": "First paragraph.\n\nSecond paragraph.",
        },
        headers=EDITOR,
    )
    assert answer.status_code == 202, answer.text
    story = load_story(store, story_id)
    assert story is not None
    assert (story.version, story.headline) == ("2", "Crew back on Earth")
    assert story.correction_note == "The crew spent 12 days in orbit."
    assert story.body_html == "<p>First paragraph.</p><p>Second paragraph.</p>"
    assert sent == [("enrich.enrich_story", (story_id, answer.json()["job_id"]))]
    detail = client.get(f"/v1/editor/stories/{story_id}", headers=EDITOR).json()
    assert [v["version"] for v in detail["versions"]] == ["1", "2"]
    assert detail["audit"][0]["result"] == "requested"


def test_a_tag_correction_sets_editor_tags_and_publishes_at_once(
    client: TestClient, store: MemoryStore, story_id: str, sent: Sent
) -> None:
    tags = {
        "subjects": [{"name": "space programme", "literal": "medtop:20000769"}],
        "keywords": ["Soyuz"],
    }
    answer = client.post(
        f"/v1/editor/stories/{story_id}/correct",
        json={"note": "Subject added", "tags": tags},
        headers=EDITOR,
    )
    assert answer.status_code == 202
    story = load_story(store, story_id)
    assert story is not None
    assert [(t.name, t.creator) for t in story.subjects] == [("space programme", "editor")]
    assert story.keywords == ["Soyuz"]
    assert sent[0][0] == "publish.publish_now"


def test_kill_leaves_a_final_tombstone(
    client: TestClient, store: MemoryStore, story_id: str, sent: Sent
) -> None:
    answer = client.post(
        f"/v1/editor/stories/{story_id}/kill", json={"reason": "Legal"}, headers=EDITOR
    )
    assert answer.status_code == 202
    story = load_story(store, story_id)
    assert story is not None
    assert story.pubstatus is PubStatus.canceled
    assert (story.bodies, story.subjects, story.version) == ([], [], "2")
    assert story.ednote == "Killed: Legal"
    assert "Soyuz" not in store.get(story_key(story_id)).body.decode()
    refused = client.post(
        f"/v1/editor/stories/{story_id}/correct", json={"note": "undo"}, headers=EDITOR
    )
    assert refused.status_code == 409
    assert "killed" in refused.json()["detail"]
    assert (
        client.post(f"/v1/editor/stories/{story_id}/republish", headers=EDITOR).status_code == 409
    )


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("stories/nope/kill", {"reason": "x"}, 404),
        ("stories/{id}/kill", {"reason": ""}, 422),
        ("stories/{id}/kill", {"reason": "   "}, 422),
        ("stories/{id}/kill", None, 422),
        ("stories/{id}/correct", {"headline": "no note"}, 422),
        ("stories/{id}/embargo", {"until": "not a date"}, 422),
        ("stories/nope/republish", None, 404),
    ],
)
def test_bad_requests_get_a_reason_and_queue_nothing(
    client: TestClient, story_id: str, sent: Sent, path: str, body: Any, code: int
) -> None:
    answer = client.post("/v1/editor/" + path.format(id=story_id), json=body, headers=EDITOR)
    assert answer.status_code == code
    assert answer.json()["detail"]
    assert sent == []


def test_embargo_set_and_release(
    client: TestClient, store: MemoryStore, story_id: str, sent: Sent
) -> None:
    url = f"/v1/editor/stories/{story_id}/embargo"
    assert client.post(url, json={"until": "2030-01-01T09:00:00+01:00"}, headers=EDITOR).is_success
    story = load_story(store, story_id)
    assert story is not None and story.embargoed is not None
    assert story.embargoed.isoformat() == "2030-01-01T08:00:00+00:00"
    listed = client.get("/v1/editor/stories", params={"status": "embargoed"}, headers=EDITOR)
    assert [s["id"] for s in listed.json()] == [story_id]
    assert client.post(f"{url}/release", headers=EDITOR).is_success
    story = load_story(store, story_id)
    assert story is not None and story.embargoed is None
    assert [task for task, _ in sent] == ["publish.publish_now"] * 2


def test_rebuild_queues_one_feed_or_all(client: TestClient, sent: Sent) -> None:
    one = client.post("/v1/editor/feeds/all/rebuild", headers=ADMIN).json()["job_id"]
    every = client.post("/v1/editor/feeds/rebuild", headers=ADMIN).json()["job_id"]
    assert sent == [
        ("publish.rebuild_feeds", ("all", one)),
        ("publish.rebuild_feeds", (None, every)),
    ]


def test_a_queue_outage_fails_the_job_with_503(store: MemoryStore, story_id: str) -> None:
    def broken(task: str, *args: Any) -> None:
        raise ConnectionError("broker unreachable")

    client = TestClient(create_app(Settings(dev_mode=True), store, enqueue=broken))
    answer = client.post(f"/v1/editor/stories/{story_id}/republish", headers=EDITOR)
    assert answer.status_code == 503
    (done, requested) = audit.query(store, story_id=story_id)
    assert done.result is audit.Result.failed
    job = jobs.load_job(store, requested.job_id or "")
    assert job is not None and job.status is jobs.JobStatus.failed


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"text": "soyuz"}, 1),
        ({"text": "no such words"}, 0),
        ({"source": "wire"}, 1),
        ({"source": "afp"}, 0),
        ({"status": "published"}, 1),
        ({"status": "killed"}, 0),
    ],
)
def test_story_list_filters(
    client: TestClient, story_id: str, params: dict[str, str], expected: int
) -> None:
    listed = client.get("/v1/editor/stories", params=params, headers=EDITOR)
    assert listed.status_code == 200
    assert len(listed.json()) == expected
    if expected:
        assert listed.json()[0]["feeds"] == ["all"]


def test_audit_is_queryable_by_user_and_time(client: TestClient, story_id: str) -> None:
    client.post(f"/v1/editor/stories/{story_id}/republish", headers=EDITOR)
    client.post("/v1/editor/feeds/rebuild", headers=ADMIN)
    by_user = client.get("/v1/editor/audit", params={"user": "dev-admin"}, headers=EDITOR).json()
    assert [(e["action"], e["result"]) for e in by_user] == [("rebuild", "requested")]
    everything = client.get("/v1/editor/audit", headers=EDITOR).json()
    assert [e["action"] for e in everything] == ["rebuild", "republish"]
    later = client.get(
        "/v1/editor/audit", params={"since": "2099-01-01T00:00:00Z"}, headers=EDITOR
    ).json()
    assert later == []
    assert client.get("/v1/editor/audit").status_code == 401
