"""A kill on the real stack: gone from every feed and its documents, and it stays gone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_for
from wirefeed.layout import feed_key, feed_state_key
from wirefeed.settings import Settings
from wirefeed.stack import LocalStack
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e


def _feeds_holding(store: S3Store, settings: Settings, feeds: list[str], story_id: str) -> set[str]:
    """The feeds whose rendered documents or feed document still mention the story."""
    holding = set()
    for feed_id in feeds:
        documents = [store.get(feed_state_key(feed_id)).body]
        documents += [httpx.get(settings.public_url(feed_key(feed_id, f))).content
                      for f in ("rss", "atom")]  # fmt: skip
        if any(story_id.encode() in doc for doc in documents):
            holding.add(feed_id)
    return holding


def test_a_killed_story_leaves_every_feed_for_good(
    stack: LocalStack,
    api: httpx.Client,
    stack_settings: Settings,
    stack_store: S3Store,
    fixtures: Path,
) -> None:
    payload = (fixtures / "seed-story.txt").read_bytes()
    answer = api.post("/v1/stories", params={"source": "kill-test"}, content=payload,
                      headers={"Content-Type": "text/plain"})  # fmt: skip
    story_id = answer.json()["id"]
    state = wait_for(
        lambda: (s := api.get(f"/v1/stories/{story_id}").json())["state"] == "published" and s,
        timeout=60,
    )
    feeds = state["feeds"]  # type: ignore[index]
    assert feeds, "the story reached no feed"
    assert _feeds_holding(stack_store, stack_settings, feeds, story_id) == set(feeds)

    kill = api.post(f"/v1/editor/stories/{story_id}/kill", json={"reason": "Legal: test kill"})
    assert kill.status_code == 202, kill.text
    # The test's own polling is slow on a busy machine; the deadline is read from the
    # job, which notes when each feed was rewritten.
    wait_for(lambda: not _feeds_holding(stack_store, stack_settings, feeds, story_id), 60)
    job = wait_for(lambda: (j := api.get(kill.json()["status_url"]).json())["status"] == "done"
                   and j, timeout=60)  # fmt: skip
    assert sorted(w["feed_id"] for w in job["feeds"]) == sorted(feeds)  # type: ignore[index]
    assert not any(w["in_feed"] for w in job["feeds"])  # type: ignore[index]
    created = datetime.fromisoformat(job["created"])  # type: ignore[index]
    took = max(datetime.fromisoformat(w["at"]) for w in job["feeds"]) - created  # type: ignore[index]
    # No timed assertion (the suite runs on busy shared machines): the figure is printed,
    # and the README keeps the measured ones against the 5 s target.
    print(f"kill: out of {len(feeds)} feed(s) {took.total_seconds():.2f}s after the request")
    tombstone = httpx.get(stack_settings.public_url(f"stories/{story_id}.json")).json()
    assert tombstone["pubstatus"] == "canceled"
    assert "Soyuz" not in str(tombstone)

    # The wire sends the story again: the tombstone holds and no feed takes it back.
    api.post("/v1/stories", params={"source": "kill-test"}, content=payload,
             headers={"Content-Type": "text/plain"})  # fmt: skip

    def resend_ignored() -> bool:
        last = api.get(f"/v1/stories/{story_id}").json()["history"][-1]
        return bool(last["stage"] == "parsed" and "ignored" in (last.get("detail") or ""))

    wait_for(resend_ignored, timeout=30)
    assert api.get(f"/v1/stories/{story_id}").json()["story"]["pubstatus"] == "canceled"
    assert not _feeds_holding(stack_store, stack_settings, feeds, story_id)
    audit = api.get("/v1/editor/audit", params={"story_id": story_id}).json()
    assert [(e["action"], e["result"]) for e in audit] == [("kill", "done"), ("kill", "requested")]
