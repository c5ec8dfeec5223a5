"""The storage contract, checked on the in-memory backend (S3Store runs it in e2e tests)."""

from __future__ import annotations

import pytest

from wirefeed.storage import MemoryStore, NotFound, PreconditionFailed, etag_of


def test_put_get_round_trip_keeps_headers() -> None:
    store = MemoryStore()
    etag = store.put("a/b", b"body", content_type="text/plain", metadata={"k": "v"})
    blob = store.get("a/b")
    assert (blob.body, blob.content_type, blob.etag, dict(blob.metadata)) == (
        b"body",
        "text/plain",
        etag,
        {"k": "v"},
    )
    assert etag == etag_of(b"body")


def test_missing_keys_raise_not_found_and_delete_is_idempotent() -> None:
    store = MemoryStore()
    with pytest.raises(NotFound):
        store.get("nope")
    store.delete("nope")


def test_conditional_writes_detect_lost_races() -> None:
    store = MemoryStore()
    first = store.put("k", b"1", if_none_match=True)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"2", if_none_match=True)
    store.put("k", b"2", if_match=first)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"3", if_match=first)
    assert store.get("k").body == b"2"


def test_list_is_sorted_and_scoped_to_the_prefix() -> None:
    store = MemoryStore()
    for key in ("raw/b", "raw/a", "stories/x"):
        store.put(key, b"")
    assert list(store.list("raw/")) == ["raw/a", "raw/b"]
