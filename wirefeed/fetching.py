"""Outbound HTTP to addresses someone else chose: upstream feeds and WebSub hubs.

A URL in a config file, or in a redirect an upstream sends, must not turn the service
into a client of our own network (SSRF): only http(s) addresses that resolve to public
IPs are fetched, at every redirect hop, and the address actually connected to is
checked again (a name can resolve differently the second time). A source may be
allowed private addresses explicitly (an agency on the internal network, the tests on
loopback).

Bodies are streamed and decompressed here, with a cap on the decompressed bytes, so a
gzip bomb stops at the cap instead of filling memory; and a whole fetch, redirects
included, has one deadline.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that was refused or failed; ``reason`` is a stable machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Fetched:
    """A response with its whole (decompressed, capped) body."""

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes


def is_public(address: str) -> bool:
    """Whether an IP address is a public unicast one (not loopback, private, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool = False) -> None:
    """Refuse (FetchError ``address_refused``) anything but http(s) to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("address_refused", f"{url!r} is not an http(s) URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("unreachable", f"{parts.hostname}: {exc}") from exc
    private = sorted({str(info[4][0]) for info in infos if not is_public(str(info[4][0]))})
    if private:
        raise FetchError(
            "address_refused", f"{parts.hostname} resolves to a non-public address {private}"
        )


def _check_peer(response: httpx.Response, url: str, allow_private: bool) -> None:
    """The address the connection went to must be public too (DNS may have changed)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not allow_private and peer and not is_public(str(peer[0])):
        raise FetchError("address_refused", f"{url} connected to non-public {peer[0]}")


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """The body, decompressed chunk by chunk; FetchError once it passes ``max_bytes``."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
        raise FetchError("unsupported_encoding", f"content-encoding {encoding!r}")
    # wbits 47: a gzip or zlib stream, told apart by its header.
    inflater = zlib.decompressobj(47) if encoding not in ("identity", "") else None
    parts: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError("timeout", "the fetch ran past its time limit")
        pending = raw
        while pending:
            if inflater is None:
                data, pending = pending, b""
            else:
                # Never more than one byte past the cap per call: a bomb stops here.
                data = inflater.decompress(pending, max_bytes - size + 1)
                pending = inflater.unconsumed_tail
            size += len(data)
            if size > max_bytes:
                raise FetchError("too_large", f"body over {max_bytes} bytes (decompressed)")
            parts.append(data)
    return b"".join(parts)


def fetch(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int,
    timeout_s: float,
    allow_private: bool = False,
    max_redirects: int = 5,
) -> Fetched:
    """GET ``url``, following redirects only to allowed addresses, within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    request_headers = {**(headers or {}), "Accept-Encoding": "gzip, deflate"}
    for _ in range(max_redirects + 1):
        check_url(url, allow_private)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", "the fetch ran past its time limit")
        try:
            with client.stream(
                "GET",
                url,
                headers=request_headers,
                timeout=httpx.Timeout(remaining),
                follow_redirects=False,
            ) as response:
                _check_peer(response, url, allow_private)
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                body = _read_capped(response, max_bytes, deadline)
                return Fetched(url, response.status_code, response.headers, body)
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError("unreachable", f"{url}: {exc}") from exc
    raise FetchError("too_many_redirects", f"more than {max_redirects} redirects")
