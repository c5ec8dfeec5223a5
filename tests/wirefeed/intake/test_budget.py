"""The parse budget: work that overruns is stopped in its process, not merely abandoned."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator

import pytest

from tests.budgets import Stalling
from tests.conftest import FIXTURES
from wirefeed.ingest.ingesting import ingest
from wirefeed.intake.budget import ParseBudget
from wirefeed.intake.parsers import ParseError, RawItem
from wirefeed.intake.quarantine import get_record
from wirefeed.intake.receiving import Quarantined, store_raw
from wirefeed.storage import MemoryStore


@pytest.fixture
def budget() -> Iterator[ParseBudget]:
    # Generous against a loaded machine: only the sleep below may overrun it.
    budget = ParseBudget(20, workers=1)
    try:
        yield budget
    finally:
        budget.close()


def test_a_payload_parses_in_a_worker_process(budget: ParseBudget) -> None:
    story = budget.parse(RawItem((FIXTURES / "formats" / "nitf-3.6.xml").read_bytes()))
    assert story.headline
    assert budget.run(os.getpid) != os.getpid()


def test_work_past_the_budget_is_a_parse_timeout_and_its_process_is_replaced(
    budget: ParseBudget,
) -> None:
    first = budget.run(os.getpid)
    budget.seconds = 1  # the pool is warm: nothing but the sleep can overrun this
    with pytest.raises(ParseError) as refused:
        budget.run(time.sleep, 3600)
    budget.seconds = 20
    assert refused.value.reason == "parse_timeout"
    # The overrunning process was killed; a new one takes the next payload.
    second = budget.run(os.getpid)
    assert second != first
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)


def test_a_parse_error_crosses_back_with_its_reason(budget: ParseBudget) -> None:
    with pytest.raises(ParseError) as refused:
        budget.parse(RawItem(b'{"headlines": []}', "application/json"))
    assert refused.value.reason == "invalid_ninjs"


def test_a_crashed_parser_process_is_a_parse_error(budget: ParseBudget) -> None:
    with pytest.raises(ParseError) as refused:
        budget.run(os._exit, 3)
    assert refused.value.reason == "parser_crashed"
    assert budget.run(sum, [1, 2]) == 3


def test_no_budget_runs_inline() -> None:
    assert ParseBudget(None).run(os.getpid) == os.getpid()


def test_without_isolation_an_alarm_stops_python_code_and_the_regex_engine() -> None:
    budget = ParseBudget(0.5, isolate=False)
    with pytest.raises(ParseError) as refused:
        budget.run(time.sleep, 3600)
    assert refused.value.reason == "parse_timeout"
    catastrophic = re.compile(r"(a|a)*b")  # exponential: never finishes on 60 a's
    with pytest.raises(ParseError) as refused:
        budget.run(catastrophic.match, "a" * 60)
    assert refused.value.reason == "parse_timeout"
    assert budget.run(sum, [1, 2]) == 3  # the alarm is off again


def test_a_worker_parse_past_the_budget_quarantines_the_item(store: MemoryStore) -> None:
    key = store_raw(store, RawItem(b"Headline\n\nBody."))
    with pytest.raises(Quarantined) as refused:
        ingest(store, key, budget=Stalling(0.5, isolate=False))
    assert refused.value.reason == "parse_timeout"
    record = get_record(store, refused.value.record_id)
    assert record is not None and record.raw_key == key
