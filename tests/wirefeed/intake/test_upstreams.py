"""Upstream polling against a real HTTP server on loopback: hostile feeds stop at the door."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import httpx
import pytest

from tests.e2e.helpers import http_server
from wirefeed import fetching
from wirefeed.fetching import FetchError, fetch
from wirefeed.intake.parsers import ParseError
from wirefeed.intake.quarantine import list_records
from wirefeed.intake.upstreams import UpstreamSource, feed_entries, load_sources, poll_source
from wirefeed.storage import MemoryStore

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<link>http://example.com/</link><description>D</description>
<item><title>Ferry resumes</title><guid>urn:x:1</guid><description>Body.</description></item>
</channel></rss>"""
BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


class Upstream(BaseHTTPRequestHandler):
    """Serves what each path says: a feed, a bomb, a trickle, redirects."""

    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        if self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            try:
                for _ in range(600):  # a minute, a byte at a time
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client gave up, as it should
            return
        code, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    Upstream.routes = {
        "/feed": (200, {"Content-Type": "application/rss+xml"}, RSS),
        "/gzip": (200, {"Content-Encoding": "gzip"}, gzip.compress(RSS)),
        "/bomb": (200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, BOMB),
    }
    with http_server(Upstream) as url:
        yield url.rstrip("/")


def redirect(path: str, location: str) -> None:
    Upstream.routes[path] = (302, {"Location": location}, b"")


def source(url: str, allow_private: bool = True) -> UpstreamSource:
    return UpstreamSource(id="wire", url=url, allow_private=allow_private)


def test_a_feed_is_taken_in(upstream: str, store: MemoryStore) -> None:
    with httpx.Client() as client:
        receipts = poll_source(store, source(f"{upstream}/feed"), client, 1_000_000)
    assert len(receipts) == 1


def test_a_gzip_body_is_read_and_a_gzip_bomb_stops_at_the_cap(upstream: str) -> None:
    with httpx.Client() as client:
        read = fetch(client, f"{upstream}/gzip", max_bytes=10_000, timeout_s=30, allow_private=True)
        assert read.content == RSS
        with pytest.raises(FetchError) as refused:
            fetch(client, f"{upstream}/bomb", max_bytes=10**6, timeout_s=30, allow_private=True)
    assert refused.value.reason == "too_large"


def test_a_bomb_leaves_the_source_state_refused(upstream: str, store: MemoryStore) -> None:
    with httpx.Client() as client:
        assert poll_source(store, source(f"{upstream}/bomb"), client, 1_000_000) == []
    assert list(list_records(store)) == []


def test_a_trickling_upstream_is_cut_off_at_the_total_time_limit(upstream: str) -> None:
    with httpx.Client() as client, pytest.raises(FetchError) as refused:
        fetch(client, f"{upstream}/trickle", max_bytes=10**6, timeout_s=1, allow_private=True)
    assert refused.value.reason == "timeout"


def test_loopback_is_refused_unless_the_source_allows_it(upstream: str) -> None:
    with httpx.Client() as client, pytest.raises(FetchError) as refused:
        fetch(client, f"{upstream}/feed", max_bytes=10_000, timeout_s=30)
    assert refused.value.reason == "address_refused"


def test_redirects_are_followed_only_to_allowed_addresses(
    upstream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 127.0.0.1 stands for a public address here; 127.0.0.2 stays what it is.
    monkeypatch.setattr(fetching, "is_public", lambda address: address == "127.0.0.1")
    port = upstream.rsplit(":", 1)[1]
    redirect("/hop", "/feed")
    redirect("/inside", f"http://127.0.0.2:{port}/feed")
    redirect("/metadata", "http://169.254.169.254/latest/meta-data/")
    redirect("/file", "file:///etc/passwd")
    with httpx.Client() as client:
        assert fetch(client, f"{upstream}/hop", max_bytes=10_000, timeout_s=30).content == RSS
        for path in ("/inside", "/metadata", "/file"):
            with pytest.raises(FetchError) as refused:
                fetch(client, f"{upstream}{path}", max_bytes=10_000, timeout_s=30)
            assert refused.value.reason == "address_refused", path


def test_a_redirect_loop_ends(upstream: str) -> None:
    redirect("/loop", "/loop")
    with httpx.Client() as client, pytest.raises(FetchError) as refused:
        fetch(client, f"{upstream}/loop", max_bytes=10_000, timeout_s=30, allow_private=True)
    assert refused.value.reason == "too_many_redirects"


HOSTILE = [
    b'<!DOCTYPE rss [<!ENTITY x "boom">]><rss version="2.0"><channel><item><title>&x;'
    b"</title><guid>g</guid></item></channel></rss>",
    b"junk first line\n" + b'<!DOCTYPE rss [<!ENTITY x "boom">]><rss version="2.0"><channel>'
    b"<item><title>&x;</title><guid>g</guid></item></channel></rss>",
    b'\xef\xbb\xbfnot xml <!doctype rss [<!eNtItY % p SYSTEM "http://evil/">%p;]><rss/>',
    b'<rss version="2.0"><channel><!DOCTYPE x [<!ELEMENT x ANY>]><item><title>t</title>'
    b"<guid>g</guid></item></channel></rss>",
]


@pytest.mark.parametrize("document", HOSTILE)
def test_hostile_xml_is_refused_whatever_precedes_it(document: bytes) -> None:
    with pytest.raises(ParseError) as refused:
        feed_entries(document, "application/rss+xml")
    assert refused.value.reason == "xml_entities_forbidden"


def test_a_hostile_feed_is_quarantined_and_takes_nothing_in(
    upstream: str, store: MemoryStore
) -> None:
    Upstream.routes["/hostile"] = (200, {"Content-Type": "application/rss+xml"}, HOSTILE[1])
    with httpx.Client() as client:
        assert poll_source(store, source(f"{upstream}/hostile"), client, 1_000_000) == []
    assert [r.reason for r in list_records(store)] == ["xml_entities_forbidden"]


def test_allow_private_is_read_from_the_toml(tmp_path: Any) -> None:
    path = tmp_path / "upstreams.toml"
    path.write_text(
        '[[source]]\nid = "a"\nurl = "http://10.0.0.5/feed"\nallow_private = true\n'
        '[[source]]\nid = "b"\nurl = "https://feeds.example.com/"\n'
    )
    assert [s.allow_private for s in load_sources(str(path))] == [True, False]
