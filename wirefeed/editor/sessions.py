"""Editor sessions: a random id in the cookie, the session itself in Redis with a TTL.

The cookie never carries the editor's token. A session remembers which account opened
it and the hash of that account's token then: when the account is removed or re-keyed,
its sessions stop working at the next request. Each request moves the idle expiry on;
logging out deletes the session on the server, so a copied cookie is worthless after.
Redis keys hold the SHA-256 of the session id, so a Redis dump opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from wirefeed.editor.users import Directory, User
from wirefeed.model import utcnow

_PREFIX = "wirefeed:session:"


class Session(BaseModel):
    """What the server keeps about one login."""

    user: str
    token_sha256: str
    opened: datetime


def _key(session_id: str) -> str:
    return _PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sessions in Redis, each expiring after ``idle_s`` without use."""

    def __init__(self, redis: Any, idle_s: int) -> None:
        self.redis = redis
        self.idle_s = idle_s

    def open(self, user: User) -> str:
        """Start a session for ``user``; return its id (for the cookie, shown once)."""
        session_id = secrets.token_urlsafe(32)
        session = Session(user=user.name, token_sha256=user.token_sha256, opened=utcnow())
        self.redis.set(_key(session_id), session.model_dump_json(), ex=self.idle_s)
        return session_id

    def resume(self, session_id: str, directory: Directory) -> User | None:
        """The account of a live session, moving its idle expiry on; None (and the session
        deleted) when it expired or its account was removed or re-keyed since."""
        raw = self.redis.getex(_key(session_id), ex=self.idle_s)
        if raw is None:
            return None
        session = Session.model_validate_json(raw)
        user = directory.get(session.user)
        if user is None or user.token_sha256 != session.token_sha256:
            self.close(session_id)
            return None
        return user

    def close(self, session_id: str) -> None:
        """End a session (logging out); closing an unknown one is not an error."""
        self.redis.delete(_key(session_id))
