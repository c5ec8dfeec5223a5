"""WebSub publisher pings: tell a hub that a topic (a feed URL) has new content."""

from __future__ import annotations

import httpx

from wirefeed.fetching import check_url


class HubError(Exception):
    """The hub could not be reached or refused the ping; worth retrying later."""


def ping(hub: str, topic: str, timeout_s: float = 5.0, allow_private: bool = False) -> None:
    """Send ``hub.mode=publish`` for ``topic`` to ``hub``; raise HubError unless it accepted.

    Hubs answer 2xx (usually 204) when they accept; anything else is a failure. A hub
    on a loopback, private or link-local address is refused (FetchError, not retried)
    unless ``allow_private``; redirects are not followed.
    """
    check_url(hub, allow_private)
    data = {"hub.mode": "publish", "hub.url": topic}
    try:
        response = httpx.post(hub, data=data, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise HubError(f"{hub}: {exc}") from exc
    if not response.is_success:
        raise HubError(f"{hub}: HTTP {response.status_code}")
