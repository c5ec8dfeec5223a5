"""The partner gateway: private feeds over HTTP, per-partner keys, conditional GET, limits.

A separate app from the API (its own port), since partners reach it from outside and
it must never expose the admin or intake routes. Keys come in an ``X-API-Key`` header,
as ``Authorization: Bearer <key>``, or as HTTP Basic with the partner id as user name.
"""

from __future__ import annotations

import base64
import binascii
from email.utils import parsedate_to_datetime

import redis
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status

from wirefeed.publish.ratelimit import RateLimiter
from wirefeed.publish.subscription_store import SubscriptionSource, authenticate, readable_document
from wirefeed.publish.subscriptions import Partner
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, NotFound, S3Store

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="wirefeed", charset="UTF-8"'}


def _presented_key(request: Request) -> tuple[str | None, str | None]:
    """(claimed partner id, key) from the request's credentials."""
    if key := request.headers.get("x-api-key"):
        return None, key
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return None, value.strip()
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return user or None, password
    return None, None


def partner_of(request: Request) -> Partner:
    """FastAPI dependency: the authenticated partner, within its rate limit."""
    gateway: Gateway = request.app.state.gateway
    claimed, key = _presented_key(request)
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API key is required", _CHALLENGE)
    partner = authenticate(gateway.source.current().config, key)
    if partner is None or (claimed is not None and claimed != partner.id):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the API key is not valid", _CHALLENGE)
    retry_after = gateway.limiter.allow(partner.id, partner.rate_limit_per_minute)
    if retry_after is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "rate limit exceeded",
            {"Retry-After": str(retry_after)},
        )
    return partner


class Gateway:
    """What the gateway's routes share: storage, live subscriptions, the limiter."""

    def __init__(self, settings: Settings, store: BlobStore, limiter: RateLimiter) -> None:
        self.settings = settings
        self.store = store
        self.source = SubscriptionSource(store, settings.config_refresh_s)
        self.limiter = limiter


def _not_modified(request: Request, etag: str, last_modified: str | None) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only counts without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def create_gateway_app(
    settings: Settings | None = None,
    store: BlobStore | None = None,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    """Build the partner gateway."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="Wirefeed partner gateway", version="1")
    app.state.gateway = Gateway(
        settings,
        store or S3Store(settings),
        limiter or RateLimiter(redis.Redis.from_url(settings.redis_url)),
    )

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/feeds/{path:path}", tags=["feeds"])
    def feed(request: Request, path: str, partner: Partner = Depends(partner_of)) -> Response:
        """A feed document the partner may read; 304 when the client's copy is current."""
        gateway: Gateway = request.app.state.gateway
        key = readable_document(gateway.source.current().config, partner, path)
        if key is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such feed")
        try:
            blob = gateway.store.get(key)
        except NotFound:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such feed") from None
        last_modified = blob.metadata.get("last-modified")
        headers = {
            "ETag": blob.etag,
            "Cache-Control": "private, max-age=30",
            "Vary": "Authorization, X-API-Key",
        }
        if last_modified:
            headers["Last-Modified"] = last_modified
        if _not_modified(request, blob.etag, last_modified):
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(blob.body, media_type=blob.content_type, headers=headers)

    return app
