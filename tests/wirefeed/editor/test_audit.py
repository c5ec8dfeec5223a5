from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wirefeed.editor.audit import AuditEntry, Result, query, record
from wirefeed.storage import MemoryStore, PreconditionFailed


def _at(hour: int) -> datetime:
    return datetime(2026, 11, 28, hour, tzinfo=UTC)


def test_entries_are_found_by_story_user_feed_and_time() -> None:
    store = MemoryStore()
    record(
        store,
        AuditEntry(at=_at(9), user="ann", action="kill", result=Result.requested, story_id="s1"),
    )
    record(
        store,
        AuditEntry(at=_at(10), user="bob", action="correct", result=Result.done, story_id="s1"),
    )
    record(
        store,
        AuditEntry(
            at=_at(11), user="ann", action="rebuild", result=Result.requested, feed_id="all"
        ),
    )
    assert [e.user for e in query(store, story_id="s1")] == ["bob", "ann"]
    assert [e.action for e in query(store, user="ann")] == ["rebuild", "kill"]
    assert [e.action for e in query(store, feed_id="all")] == ["rebuild"]
    assert [e.action for e in query(store, story_id="s1", user="ann")] == ["kill"]
    assert [e.action for e in query(store, since=_at(10), until=_at(10))] == ["correct"]
    assert [e.action for e in query(store, since=_at(10))] == ["rebuild", "correct"]
    assert [e.action for e in query(store, limit=1)] == ["rebuild"]


def test_an_entry_is_never_overwritten() -> None:
    store = MemoryStore()
    entry = record(store, AuditEntry(user="ann", action="kill", result=Result.requested))
    puts = store.puts
    with pytest.raises(PreconditionFailed):
        record(store, entry)
    assert store.puts == puts
