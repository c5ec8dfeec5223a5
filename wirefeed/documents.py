"""Small JSON documents in the bucket (configuration): edited safely, watched for changes.

An edit is read-modify-write with a conditional PUT (``storage.until_written``),
retried when another writer got there first, so two admins never overwrite each other.
A ``Watched`` document is re-read when its ETag changes (checked at most every
``refresh_s``), so every process picks a change up within seconds, without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from wirefeed.storage import BlobStore, NotFound, until_written

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
V = TypeVar("V")


class EditRefused(ValueError):
    """An edit of a configuration document that cannot be made; the message says why."""


class UnknownEntry(EditRefused):
    """An edit names an entry (an agency, partner, feed or key) the document lacks."""


def load(store: BlobStore, key: str, model: type[M]) -> tuple[M, str | None]:
    """The stored document and its ETag (the model's defaults and None when none is stored)."""
    try:
        blob = store.get(key)
    except NotFound:
        return model(), None
    return model.model_validate_json(blob.body), blob.etag


def save(store: BlobStore, key: str, document: BaseModel, if_match: str | None = None) -> str:
    """Store a document; only over ``if_match`` when given, else only when there is none."""
    return store.put(
        key,
        document.model_dump_json(indent=2, exclude_none=True).encode(),
        content_type="application/json",
        if_match=if_match,
        if_none_match=if_match is None,
    )


def edit(
    store: BlobStore,
    key: str,
    model: type[M],
    change: Callable[[M], T],
    check: Callable[[M], M] | None = None,
) -> T:
    """Apply ``change`` to a fresh copy of the document and store it, retrying lost races.

    ``change`` mutates the copy it is given and returns whatever the caller needs back;
    ``check`` validates the result (raising stops the edit, nothing is stored) and
    returns the document to store.
    """

    def attempt() -> T:
        document, etag = load(store, key, model)
        draft = document.model_copy(deep=True)
        result = change(draft)
        save(store, key, check(draft) if check else draft, if_match=etag)
        return result

    return until_written(attempt, subject=key)


class Watched(Generic[V]):
    """A value built from a stored document, rebuilt when the document changes."""

    def __init__(
        self,
        store: BlobStore,
        key: str,
        build: Callable[[bytes | None], V],
        refresh_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.key = key
        self.build = build
        self.refresh_s = refresh_s
        self.clock = clock
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._checked_at = float("-inf")
        self._current = build(None)

    def current(self) -> V:
        """The value in force, checking the stored document at most every ``refresh_s``."""
        with self._lock:
            now = self.clock()
            if now - self._checked_at >= self.refresh_s:
                self._checked_at = now
                self._reload()
            return self._current

    def _reload(self) -> None:
        try:
            blob = self.store.get(self.key)
        except NotFound:
            blob = None
        etag = blob.etag if blob else None
        if etag != self._etag:
            self._current = self.build(blob.body if blob else None)
            self._etag = etag
