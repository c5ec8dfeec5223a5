"""A sample of the hostile corpus through the real stack: API, Redis, Celery workers, S3.

Every fragment is sent as a ninjs story whose headline, body and correction note are
the fragment. The feeds and public story JSON that S3 then serves are read back with
an HTML parser: nothing active is left, and the headline still reads as it was sent.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from lxml import etree

from bench.hostile_feeds import load_fragments
from tests.conftest import wait_for
from tests.hostile_html import assert_clean_html, assert_inert_text, same_text, visible_text
from wirefeed.layout import feed_key, public_story_key
from wirefeed.publish.feeds import ATOM_NS
from wirefeed.settings import Settings

pytestmark = pytest.mark.e2e

# Every tenth fragment: a sample of every kind in the corpus, in a few seconds.
SAMPLE = load_fragments()[::10]


def test_hostile_stories_reach_the_served_feeds_inert(
    api: httpx.Client, stack_settings: Settings
) -> None:
    source = f"hostile-{uuid.uuid4().hex[:8]}"
    ids = {}
    for index, fragment in enumerate(SAMPLE):
        story = {
            "uri": f"https://news.example.com/hostile/{index}.html",
            "headlines": [{"value": fragment}],
            "body_html": fragment,
            "ednote": f"Corrects: {fragment}",
        }
        answer = api.post(
            "/v1/stories",
            params={"source": source},
            json=story,
            headers={"Content-Type": "application/ninjs+json"},
        )
        assert answer.status_code == 202, answer.text
        ids[answer.json()["id"]] = fragment

    def all_published() -> bool:
        states = [api.get(f"/v1/stories/{i}").json()["state"] for i in ids]
        return all(state == "published" for state in states)

    wait_for(all_published, timeout=120)
    guids = {f"tag:{stack_settings.tag_authority}:story/{i}": f for i, f in ids.items()}

    rss = etree.fromstring(httpx.get(stack_settings.public_url(feed_key("all", "rss"))).content)
    seen = 0
    for item in rss.iter("item"):
        fragment = guids.get(item.findtext("guid") or "")
        if fragment is None:
            continue
        seen += 1
        assert_inert_text(item.findtext("title") or "", "rss title")
        assert same_text((item.findtext("title") or "").replace("\u2060", ""), fragment)
        assert_clean_html(item.findtext("description") or "", "rss description")
        content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
        assert_clean_html(content, "rss content")
    assert seen == len(SAMPLE)

    atom = etree.fromstring(httpx.get(stack_settings.public_url(feed_key("all", "atom"))).content)
    for entry in atom.iterfind(f"{{{ATOM_NS}}}entry"):
        fragment = guids.get(entry.findtext(f"{{{ATOM_NS}}}id") or "")
        if fragment is None:
            continue
        for name in ("title", "summary", "content"):
            assert_clean_html(entry.findtext(f"{{{ATOM_NS}}}{name}") or "", f"atom {name}")
        assert same_text(visible_text(entry.findtext(f"{{{ATOM_NS}}}title") or ""), fragment)

    feed = json.loads(httpx.get(stack_settings.public_url(feed_key("all", "json"))).content)
    items = [i for i in feed["items"] if i["id"] in guids]
    assert len(items) == len(SAMPLE)
    for item in items:
        assert_clean_html(item["content_html"], "json content_html")
        assert same_text(item["title"], guids[item["id"]])

    for story_id in ids:
        story = httpx.get(stack_settings.public_url(public_story_key(story_id))).json()
        for body in story.get("bodies", []):
            assert_clean_html(body["value"], f"public story {story_id}")
