"""Bearer-token checks shared by the HTTP services."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

# Who the audit log names for an edit made with the service token.
TOKEN_USER = "admin-token"


def require_token(request: Request, expected: str) -> None:
    """Reject a request whose bearer token is missing (401) or wrong (403)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the token is not valid")
