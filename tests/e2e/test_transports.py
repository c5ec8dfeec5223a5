"""Each transport on the real stack: HTTP push, upstream feed polling, the S3 drop box."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import feedparser
import httpx
import pytest

from cli.localstack import LocalStack
from tests.conftest import wait_for
from tests.e2e.helpers import http_server
from wirefeed.layout import feed_key
from wirefeed.model import utcnow
from wirefeed.settings import Settings
from wirefeed.storage import NotFound, S3Store

pytestmark = pytest.mark.e2e
FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def feed_titles(settings: Settings) -> list[str]:
    """Every title in the firehose, its RFC 5005 archive pages included.

    Other tests fill the shared stack with newer stories, so a fixture dated earlier
    may sit on an archive page; an archiving reader follows prev-archive links.
    """
    titles: list[str] = []
    url: str | None = settings.public_url(feed_key("all", "rss"))
    while url is not None:
        parsed = feedparser.parse(httpx.get(url, timeout=30).content)
        titles += [e.title for e in parsed.entries]
        url = next(
            (
                link.href
                for link in parsed.feed.get("links", [])
                if link.get("rel") == "prev-archive"
            ),
            None,
        )
    return titles


def state_of(api: httpx.Client, story_id: str) -> dict[str, object]:
    answer = api.get(f"/v1/stories/{story_id}")
    return dict(answer.json()) if answer.status_code == 200 else {}


def test_push_nitf_then_correct_then_kill(api: httpx.Client, stack_settings: Settings) -> None:
    nitf = (FORMATS / "nitf-3.6.xml").read_bytes()
    answer = api.post(
        "/v1/stories",
        content=nitf,
        params={"source": "efe"},
        headers={"Content-Type": "application/nitf+xml"},
    )
    assert answer.status_code == 202, answer.text
    story_id = answer.json()["id"]
    title = "Madrid abre su primer tranvía nocturno"
    wait_for(lambda: title in feed_titles(stack_settings), timeout=60)

    killed = nitf.replace(b'management-status="usable"', b'management-status="canceled"')
    killed = killed.replace(b'version="2"', b'version="3"')
    assert (
        api.post("/v1/stories", content=killed, params={"source": "efe"}).json()["id"] == story_id
    )
    wait_for(lambda: title not in feed_titles(stack_settings), timeout=60)
    # A late copy of the older version does not bring it back.
    api.post("/v1/stories", content=nitf, params={"source": "efe"})
    wait_for(lambda: "ignored" in json.dumps(state_of(api, story_id)["history"]), timeout=60)
    assert title not in feed_titles(stack_settings)
    assert state_of(api, story_id)["story"]["pubstatus"] == "canceled"  # type: ignore[index]


def test_hostile_xml_is_refused_and_kept(api: httpx.Client) -> None:
    payload = b'<!DOCTYPE x [<!ENTITY a "b"><!ENTITY c "&a;&a;">]><nitf>&c;</nitf>'
    answer = api.post("/v1/stories", content=payload, headers={"Content-Type": "text/xml"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "xml_entities_forbidden"
    record = api.get(f"/v1/quarantine/{answer.json()['quarantine_id']}").json()
    assert record["raw_bytes"] == len(payload)


def test_an_embargoed_story_appears_only_after_its_time(
    api: httpx.Client, stack_settings: Settings
) -> None:
    until = utcnow() + timedelta(seconds=6)
    doc = {
        "uri": "urn:e2e:embargo",
        "headlines": [{"value": "Budget figures under embargo"}],
        "body_text": "The figures.",
        "embargoed": until.isoformat(),
    }
    story_id = api.post("/v1/stories", json=doc).json()["id"]
    wait_for(lambda: "held until" in json.dumps(state_of(api, story_id)["history"]), timeout=30)
    assert "Budget figures under embargo" not in feed_titles(stack_settings)
    wait_for(lambda: "Budget figures under embargo" in feed_titles(stack_settings), timeout=60)
    assert utcnow() >= until


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Upstream</title><link>http://example.com/</link>
<description>x</description>
<item><title>{title}</title><guid>urn:upstream:1</guid><link>http://example.com/1</link>
<pubDate>Sat, 17 Oct 2026 09:00:00 GMT</pubDate>
<description>&lt;p&gt;A ferry service resumed on Saturday.&lt;/p&gt;</description>
<enclosure url="http://example.com/1.jpg" type="image/jpeg" length="1234"/></item>
</channel></rss>"""


class UpstreamFeed(BaseHTTPRequestHandler):
    """Serves one RSS document with an ETag, answering 304 to a matching If-None-Match."""

    body = RSS.format(title="Ferry service resumes").encode()
    requests: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        etag = f'"{len(self.body)}-{hash(self.body) & 0xFFFF}"'
        self.requests.append(dict(self.headers))
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    with http_server(UpstreamFeed) as url:
        yield f"{url}feed.rss"


def test_upstream_feed_is_polled_conditionally(
    stack: LocalStack, upstream: str, stack_settings: Settings
) -> None:
    config = Path(stack.env()["WIREFEED_UPSTREAMS_FILE"])
    config.write_text(
        f'[[source]]\nid = "ferries"\nurl = "{upstream}"\ninterval_s = 1\n'
        "allow_private = true\n"  # the test's upstream listens on loopback
    )
    try:
        wait_for(lambda: "Ferry service resumes" in feed_titles(stack_settings), timeout=60)
        wait_for(lambda: any("If-None-Match" in r for r in UpstreamFeed.requests), timeout=30)
        # The upstream changes its entry: a newer version replaces the old one.
        UpstreamFeed.body = RSS.format(title="Ferry service resumes after storm").encode()
        UpstreamFeed.body = UpstreamFeed.body.replace(b"09:00:00", b"10:00:00")
        wait_for(
            lambda: "Ferry service resumes after storm" in feed_titles(stack_settings), timeout=60
        )
        assert "Ferry service resumes" not in feed_titles(stack_settings)
    finally:
        config.unlink()


def test_drop_box_moves_files_to_done_or_failed(
    stack_store: S3Store, stack_settings: Settings
) -> None:
    stack_store.put("inbox/aap/reef.json", (FORMATS / "ninjs-1x-text.json").read_bytes())
    stack_store.put("inbox/broken.xml", b"<nitf><head><title>x</title>", content_type="text/xml")
    stack_store.put("inbox/afp/budget.txt", (FORMATS / "iptc-7901.txt").read_bytes())

    def moved(key: str) -> bool:
        try:
            stack_store.get(key)
        except NotFound:
            return False
        return True

    for key in ("inbox/done/aap/reef.json", "inbox/failed/broken.xml", "inbox/done/afp/budget.txt"):
        wait_for(lambda key=key: moved(key), timeout=60)  # type: ignore[misc]
    assert not moved("inbox/aap/reef.json") and not moved("inbox/broken.xml")
    failed = stack_store.get("inbox/failed/broken.xml")
    assert failed.metadata["reason"] == "invalid_xml"
    note = json.loads(stack_store.get("inbox/failed/broken.xml.reason.json").body)
    assert note["reason"] == "invalid_xml"
    wait_for(lambda: "Reef survey finds coral recovery in north" in feed_titles(stack_settings), 60)
    wait_for(
        lambda: (
            "French parliament passes budget after all-night session" in feed_titles(stack_settings)
        ),
        60,
    )
