"""Who is calling, and whether their role reaches the route: one parser, one check.

Four kinds of credential exist, each for one role (README, "Who may do what"):

- the admin (service) token: agencies, partners, feeds, hubs, quarantine; it may also
  submit stories as any source;
- an agency key: submit stories as that agency, read the status of its own;
- an editor's token, or the editor page's session cookie: the editor API and page;
- a partner key: the partner gateway.

A request without a credential, or with one nobody issued, is a 401. A valid credential
on a route its role does not reach is a 403. A state-changing request authenticated by
the session cookie must come from the service's own origin, else 403 (a cross-site
form or script cannot act as the editor).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status

from services.context import Context, get_context
from wirefeed.editor.users import User
from wirefeed.publish.subscription_store import authenticate as partner_for_key

SESSION_COOKIE = "wirefeed_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Kind(StrEnum):
    """The kinds of credential, one per role."""

    admin = "admin"
    agency = "agency"
    editor = "editor"
    partner = "partner"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the kind of credential, and whose it is."""

    kind: Kind
    name: str
    user: User | None = None  # an editor's account
    via_cookie: bool = False


@dataclass(frozen=True)
class Presented:
    """What a request carries: a secret (with a claimed name, for HTTP Basic) or a session."""

    secret: str | None = None
    claimed: str | None = None
    session: str | None = None


def presented(request: Request) -> Presented:
    """The request's credential: ``X-API-Key``, ``Authorization: Bearer`` or ``Basic``
    (the user name is the claimed partner), else the session cookie."""
    if key := request.headers.get("x-api-key"):
        return Presented(secret=key.strip())
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Presented(secret=value)
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Presented()
        return Presented(secret=password or None, claimed=user or None)
    return Presented(session=request.cookies.get(SESSION_COOKIE) or None)


def identify(context: Context, credential: Presented) -> Principal | None:
    """Whose credential this is, or None when nobody issued it."""
    secret = credential.secret
    if secret is None:
        if credential.session is None:
            return None
        user = context.sessions.resume(credential.session, context.users.current())
        return Principal(Kind.editor, user.name, user, via_cookie=True) if user else None
    if hmac.compare_digest(secret.encode(), context.settings.admin_token.encode()):
        return Principal(Kind.admin, "admin")
    if (agency := context.agencies.current().authenticate(secret)) is not None:
        return Principal(Kind.agency, agency.name)
    if (user := context.users.current().authenticate(secret)) is not None:
        return Principal(Kind.editor, user.name, user)
    partner = partner_for_key(context.subscriptions.current().config, secret)
    if partner is not None and credential.claimed in (None, partner.id):
        return Principal(Kind.partner, partner.id)
    return None


def own_origins(request: Request, public_url: str) -> set[str]:
    """The origins this service answers as: the configured public URL's and the Host's
    (with the scheme a proxy reports)."""
    scheme = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("host", request.url.netloc)
    origins = {f"{scheme}://{host}".lower()}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


def same_origin(request: Request, public_url: str) -> bool:
    """Whether the request's Origin (or, without one, its Referer) is this service."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        referer = urlsplit(request.headers.get("referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    return bool(origin) and origin.lower() in own_origins(request, public_url)


def client_address(request: Request) -> str:
    """The caller's address, for throttling."""
    return request.client.host if request.client else "unknown"


def throttled(context: Context, scope: str, *names: str) -> None:
    """Refuse (429) an attempt under names that failed too often lately."""
    retry_after = context.throttle(scope).retry_after(*names)
    if retry_after is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed attempts; try again later",
            {"Retry-After": str(retry_after)},
        )


def unauthenticated(detail: str, challenge: str = "Bearer") -> HTTPException:
    """A 401 with its challenge."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, {"WWW-Authenticate": challenge})


def require(
    *kinds: Kind, throttle: str | None = None, challenge: str = "Bearer"
) -> Callable[[Request], Principal]:
    """A FastAPI dependency: the caller, whose credential must be one of ``kinds``.

    401 without a valid credential, 403 for a credential of another kind (or a
    cookie-authenticated change from another origin). With ``throttle``, failed
    attempts are counted per client address and claimed account under that scope,
    and refused with 429 once too many.
    """
    wanted = ", ".join(kinds)

    def dependency(request: Request) -> Principal:
        context = get_context(request)
        credential = presented(request)
        names = [f"addr:{client_address(request)}"]
        if credential.claimed:
            names.append(f"account:{credential.claimed}")
        if throttle:
            throttled(context, throttle, *names)
        principal = identify(context, credential)
        if principal is None:
            if throttle and credential.secret:
                context.throttle(throttle).failed(*names)
            if credential.secret is None and credential.session is None:
                raise unauthenticated("a credential is required", challenge)
            raise unauthenticated("the credential is not valid", challenge)
        if principal.kind not in kinds:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"{principal.kind} credentials may not use this route"
            )
        cookie_change = principal.via_cookie and request.method not in _SAFE_METHODS
        if cookie_change and not same_origin(request, context.settings.api_public_url):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin request refused")
        return principal

    dependency.__doc__ = f"The caller, who must hold a credential of kind: {wanted}."
    return dependency


admin = require(Kind.admin)
sender = require(Kind.admin, Kind.agency)
editor = require(Kind.editor)
# Who the audit log names for an edit made with the admin token (a shell's are ``cli:USER``).
TOKEN_USER = "admin-token"
