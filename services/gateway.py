"""The partner gateway: private feeds over HTTP, per-partner keys, conditional GET, limits.

A separate app from the API (its own port), since partners reach it from outside and
it must never expose the admin or intake routes. Keys come in an ``X-API-Key`` header,
as ``Authorization: Bearer <key>``, or as HTTP Basic with the partner id as user name.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import redis
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status

from services import auth
from services.context import Context, get_context
from wirefeed.publish.ratelimit import RateLimiter
from wirefeed.publish.subscription_store import readable_document
from wirefeed.publish.subscriptions import Partner
from wirefeed.settings import Settings
from wirefeed.storage import BlobStore, NotFound, S3Store

# Failed keys are throttled per client address and claimed partner; the challenge asks
# for HTTP Basic, which feed readers know.
_partner_key = auth.require(
    auth.Kind.partner, throttle="gateway", challenge='Basic realm="wirefeed", charset="UTF-8"'
)


class Gateway(Context):
    """What the gateway's routes share: the API's context, plus the request limiter."""

    def __init__(self, settings: Settings, store: BlobStore, limiter: RateLimiter) -> None:
        super().__init__(settings, store)
        self.limiter = limiter


def partner_of(
    principal: auth.Principal = Depends(_partner_key), context: Context = Depends(get_context)
) -> Partner:
    """FastAPI dependency: the authenticated partner, within its rate limit."""
    assert isinstance(context, Gateway)
    partner = context.subscriptions.current().config.partner(principal.name)
    if partner is None:  # removed since the key was checked
        raise auth.unauthenticated("the API key is not valid")
    retry_after = context.limiter.allow(partner.id, partner.rate_limit_per_minute)
    if retry_after is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "rate limit exceeded",
            {"Retry-After": str(retry_after)},
        )
    return partner


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
    settings.check_for_service()
    app = FastAPI(title="Wirefeed partner gateway", version="1")
    app.state.context = Gateway(
        settings,
        store or S3Store(settings),
        limiter or RateLimiter(redis.Redis.from_url(settings.redis_url)),
    )

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/feeds/{path:path}", tags=["feeds"])
    def feed(
        request: Request,
        path: str,
        partner: Partner = Depends(partner_of),
        gateway: Context = Depends(get_context),
    ) -> Response:
        """A feed document the partner may read; 304 when the client's copy is current."""
        key = readable_document(gateway.subscriptions.current().config, partner, path)
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
