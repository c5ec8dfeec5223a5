"""The storage contract, checked on the in-memory backend (S3Store runs it in e2e tests)."""

from __future__ import annotations

import pytest

from wirefeed.storage import (
    KeptChanging,
    MemoryStore,
    NotFound,
    PreconditionFailed,
    etag_of,
    honours_conditional_writes,
    until_written,
)


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


def test_until_written_decides_again_on_what_the_winner_stored() -> None:
    store = MemoryStore()
    store.put("counter", b"1")
    rivals = iter([b"5"])

    def increment() -> int:
        blob = store.get("counter")
        for rival in rivals:  # another writer lands between our read and our write, once
            store.put("counter", rival)
        value = int(blob.body) + 1
        store.put("counter", str(value).encode(), if_match=blob.etag)
        return value

    assert until_written(increment, subject="counter") == 6
    assert store.get("counter").body == b"6"


def test_until_written_gives_up_with_a_reason_that_is_not_a_lost_race() -> None:
    store = MemoryStore()
    store.put("busy", b"0")

    def always_beaten() -> None:
        blob = store.get("busy")
        store.put("busy", blob.body + b"!")
        store.put("busy", b"mine", if_match=blob.etag)

    with pytest.raises(KeptChanging, match="busy kept changing") as raised:
        until_written(always_beaten, subject="busy", attempts=3)
    assert not isinstance(raised.value, PreconditionFailed)
    assert store.get("busy").body == b"0!!!"


def test_the_memory_store_honours_conditional_writes() -> None:
    assert honours_conditional_writes(MemoryStore())
