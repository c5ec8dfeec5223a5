"""WebSub publish pings against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest

from cli.localstack import free_port
from wirefeed.fetching import FetchError
from wirefeed.publish.websub import HubError, ping


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, list[str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        Recorder.received.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(503 if self.path == "/down" else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_ping_posts_mode_and_topic(hub: str) -> None:
    ping(f"{hub}/", "https://feeds.example.com/feeds/all.atom", allow_private=True)
    assert Recorder.received[-1] == {
        "hub.mode": ["publish"],
        "hub.url": ["https://feeds.example.com/feeds/all.atom"],
    }


def test_a_refusing_or_unreachable_hub_raises_for_a_retry(hub: str) -> None:
    with pytest.raises(HubError, match="503"):
        ping(f"{hub}/down", "https://feeds.example.com/feeds/all.atom", allow_private=True)
    with pytest.raises(HubError):
        ping(f"http://127.0.0.1:{free_port()}/", "https://x", timeout_s=1, allow_private=True)


NON_PUBLIC = [
    "127.0.0.1",
    "[::1]",
    "10.1.2.3",
    "192.168.0.1",
    "169.254.169.254",
    "[::ffff:127.0.0.1]",
    "0.0.0.0",
    "localhost",
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_a_hub_on_a_non_public_address_is_refused_unless_allowed(hub: str, address: str) -> None:
    before = len(Recorder.received)
    with pytest.raises(FetchError) as refused:
        ping(f"http://{address}:{hub.rsplit(':', 1)[1]}/", "https://feeds.example.com/x")
    assert refused.value.reason == "address_refused"
    assert len(Recorder.received) == before
    # Not a HubError: a refusal is final, the task does not retry it.
    assert not isinstance(refused.value, HubError)
