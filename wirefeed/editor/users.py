"""Editor accounts: who may act on stories and feeds.

Accounts live in a JSON file (``WIREFEED_USERS_FILE``) that holds only the SHA-256 of
each token: tokens are long random strings, so a fast hash is enough and a leaked file
gives nobody a working token. The file is read again when it changes, so removing an
account or re-keying it takes effect within seconds (and ends its sessions). In dev
mode two well-known accounts are added so that ``make run`` works out of the box.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from wirefeed.settings import Settings

USER_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class Role(StrEnum):
    """What an account may do; an admin may do everything an editor may."""

    editor = "editor"
    admin = "admin"


class Action(StrEnum):
    """The editorial actions, each needing a role."""

    republish = "republish"
    correct = "correct"
    kill = "kill"
    embargo = "embargo"
    replay = "replay"
    rebuild = "rebuild"


REQUIRED_ROLE: dict[Action, Role] = {
    Action.republish: Role.editor,
    Action.correct: Role.editor,
    Action.kill: Role.editor,
    Action.embargo: Role.editor,
    Action.replay: Role.admin,
    Action.rebuild: Role.admin,
}


class User(BaseModel):
    """One account: a name, its roles and the hash of its token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=USER_NAME_PATTERN)
    roles: list[Role] = Field(default_factory=list)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def may(self, action: Action) -> bool:
        """Whether the account's roles allow ``action``."""
        needed = REQUIRED_ROLE[action]
        return needed in self.roles or Role.admin in self.roles


class UsersFile(BaseModel):
    """The accounts file."""

    model_config = ConfigDict(extra="forbid")

    users: list[User] = Field(default_factory=list)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (shown once, stored only hashed)."""
    return secrets.token_urlsafe(32)


def dev_tokens(settings: Settings) -> dict[str, str]:
    """The dev-mode accounts and their tokens: an editor with the admin role, and an editor.

    Both differ from the service (admin) token: an editor's token never opens the admin
    API, nor the other way round.
    """
    base = settings.admin_token
    return {"dev-admin": f"{base}-editor-admin", "dev-editor": f"{base}-editor"}


class Directory:
    """Looks accounts up by token."""

    def __init__(self, users: list[User]) -> None:
        self.users = users

    @classmethod
    def from_settings(cls, settings: Settings) -> Directory:
        """Accounts from the users file, plus the dev accounts in dev mode."""
        users = load_users(Path(settings.users_file)) if settings.users_file else []
        if settings.dev_mode:
            roles = {"dev-admin": [Role.admin], "dev-editor": [Role.editor]}
            users += [
                User(name=name, roles=roles[name], token_sha256=hash_token(token))
                for name, token in dev_tokens(settings).items()
            ]
        return cls(users)

    def get(self, name: str) -> User | None:
        """The account called ``name``, if any."""
        return next((u for u in self.users if u.name == name), None)

    def authenticate(self, token: str) -> User | None:
        """The account whose token this is, or None."""
        digest = hash_token(token)
        found = None
        for user in self.users:
            # Compare every entry, so the time taken does not tell which one matched.
            if hmac.compare_digest(digest, user.token_sha256):
                found = user
        return found


class UsersSource:
    """The accounts in force, read again when the users file changes (checked at most
    every ``refresh_s``; a stat is cheap)."""

    def __init__(
        self,
        settings: Settings,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.refresh_s = refresh_s
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._seen: tuple[int, int, int] | None = None
        self._current = Directory.from_settings(settings)

    def _signature(self) -> tuple[int, int, int] | None:
        if not self.settings.users_file:
            return None
        try:
            found = Path(self.settings.users_file).stat()
        except FileNotFoundError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    def current(self) -> Directory:
        """The accounts now."""
        with self._lock:
            now = self.clock()
            if now - self._checked_at >= self.refresh_s:
                self._checked_at = now
                seen = self._signature()
                if seen != self._seen:
                    self._current = Directory.from_settings(self.settings)
                    self._seen = seen
            return self._current


def load_users(path: Path) -> list[User]:
    """Read an accounts file; a missing file means no accounts."""
    if not path.exists():
        return []
    return UsersFile.model_validate_json(path.read_text()).users


def add_user(path: Path, name: str, roles: list[Role]) -> str:
    """Add (or re-key) an account in the file and return its new token."""
    token = new_token()
    users = [u for u in load_users(path) if u.name != name]
    users.append(User(name=name, roles=roles, token_sha256=hash_token(token)))
    path.write_text(UsersFile(users=users).model_dump_json(indent=2) + "\n")
    return token
