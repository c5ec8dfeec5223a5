"""The walking skeleton: the seed story through real Redis, S3 and Celery into the feeds."""

from __future__ import annotations

import feedparser
import httpx
import pytest

from cli.localstack import LocalStack
from tests.conftest import wait_for
from wirefeed.layout import feed_key
from wirefeed.settings import Settings

pytestmark = pytest.mark.e2e


def test_seed_story_reaches_rss_and_atom(
    stack: LocalStack, api: httpx.Client, stack_settings: Settings, fixtures
) -> None:
    payload = (fixtures / "seed-story.txt").read_bytes()
    answer = api.post("/v1/stories", content=payload, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 202, answer.text
    story_id = answer.json()["id"]
    assert answer.json()["status_url"].endswith(f"/v1/stories/{story_id}")

    def published() -> bool:
        return api.get(f"/v1/stories/{story_id}").json()["state"] == "published"

    wait_for(published, timeout=60)
    status = api.get(f"/v1/stories/{story_id}").json()
    assert status["feeds"] == ["all"]
    assert status["story"]["headlines"][0]["value"].startswith("Russian crew returns to earth")
    assert [t["stage"] for t in status["history"]][:4] == [
        "received",
        "parsed",
        "enriched",
        "published",
    ]

    for fmt, content_type in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
        response = httpx.get(stack_settings.public_url(feed_key("all", fmt)))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(content_type)
        assert "charset=utf-8" in response.headers["content-type"]
        assert "max-age" in response.headers["cache-control"]
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        entries = [e for e in feed.entries if e.id.endswith(f"story/{story_id}")]
        assert len(entries) == 1
        entry = entries[0]
        assert (
            entry.title == "Russian crew returns to earth after shooting the first movie in space"
        )
        assert entry.id.startswith("tag:")
        assert entry.link == stack_settings.public_url(f"stories/{story_id}.json")
        # The whole body is the content (RSS content:encoded); the summary is the lead.
        body = entry.content[0].value
        assert "Soyuz MS-18" in body
        assert "Read Also" not in body
        assert entry.summary.startswith("After spending 12 days") and len(entry.summary) <= 301
        self_links = [link.href for link in feed.feed.links if link.rel == "self"]
        assert self_links == [stack_settings.public_url(feed_key("all", fmt))]


def test_resending_the_same_story_keeps_one_entry(
    stack: LocalStack, api: httpx.Client, stack_settings: Settings, fixtures
) -> None:
    payload = (fixtures / "seed-story.txt").read_bytes()
    ids = {
        api.post("/v1/stories", content=payload, headers={"Content-Type": "text/plain"}).json()[
            "id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 1
    story_id = ids.pop()
    wait_for(lambda: api.get(f"/v1/stories/{story_id}").json()["state"] == "published", 60)
    feed = feedparser.parse(httpx.get(stack_settings.public_url(feed_key("all", "rss"))).content)
    assert sum(1 for e in feed.entries if e.id.endswith(f"story/{story_id}")) == 1
