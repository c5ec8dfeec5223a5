"""Hostile payloads on the real stack: the API keeps answering and the stories settle.

The two payloads of the issue: a 7901 header with 3,000 spaces (cubic in the old header
pattern) and a dateline with 60,000 em spaces (quadratic in the old dateline pattern).
Each POST sends its first bytes, then waits until /healthz has answered, then sends the
rest, so /healthz is proven to answer while both POSTs are in flight, and it keeps
being asked while they are parsed. Timings are printed (run with -s), never asserted.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cli.localstack import LocalStack
from tests.conftest import TOKEN, wait_for

pytestmark = pytest.mark.e2e

SETTLED = {"published", "duplicate", "held"}


def header_7901() -> bytes:
    header = "AFP0733" + " " * 3000 + "4 POL 0087\nFRANCE-POLITICS"
    text = "Budget passes after a night of spaces\nPARIS, Oct 17 (AFP) - The vote was close."
    return f"\x01{header}\x02{text}\x03171412 GMT OCT 26".encode()


def dateline_em_spaces() -> bytes:
    body = "PARIS" + "\u2003" * 60_000 + "- A dateline that never ends.\n\nThe second paragraph."
    return f"Sixty thousand em spaces in a dateline\n\n{body}".encode()


class Probe:
    """Asks /healthz in a loop and keeps every answer and its latency."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answered = threading.Event()
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    code = client.get(f"{self.url}/healthz").status_code
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.latencies.append(time.monotonic() - started)
                if code == 200:
                    self.answered.set()
                else:
                    self.failures.append(f"HTTP {code}")
                time.sleep(0.05)


def post_in_flight(
    api_url: str, payload: bytes, source: str, probe: Probe, results: dict[str, Any]
) -> None:
    """POST ``payload``, holding back all but its first bytes until /healthz answered."""

    def body() -> Iterator[bytes]:
        yield payload[:1000]
        assert probe.answered.wait(120), "/healthz never answered while the POST was open"
        yield payload[1000:]

    started = time.monotonic()
    with httpx.Client(timeout=300, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answer = client.post(f"{api_url}/v1/stories", params={"source": source}, content=body())
    results[source] = (answer.status_code, answer.json(), time.monotonic() - started)


def settled(api: httpx.Client, answer: dict[str, Any]) -> str | None:
    """The final state of a story (or ``quarantined``), None while it is still moving."""
    if "quarantine_id" in answer:
        found = api.get(f"/v1/quarantine/{answer['quarantine_id']}")
        return "quarantined" if found.status_code == 200 else None
    state = api.get(f"/v1/stories/{answer['id']}").json()["state"]
    return str(state) if state in SETTLED else None


def test_healthz_answers_while_hostile_payloads_are_posted_and_both_settle(
    stack: LocalStack, api: httpx.Client
) -> None:
    probe = Probe(stack.api_url)
    probe_thread = threading.Thread(target=probe.run, daemon=True)
    results: dict[str, Any] = {}
    run = uuid.uuid4().hex[:8]
    payloads = {f"hostile-7901-{run}": header_7901(), f"hostile-em-{run}": dateline_em_spaces()}
    posts = [
        threading.Thread(target=post_in_flight, args=(stack.api_url, p, s, probe, results))
        for s, p in payloads.items()
    ]
    started = time.monotonic()
    for thread in [*posts, probe_thread]:
        thread.start()
    for thread in posts:
        thread.join(300)
    probe.stop.set()
    probe_thread.join(60)

    assert probe.failures == []
    assert probe.latencies, "/healthz was never answered"
    assert set(results) == set(payloads)
    for source, (code, answer, _) in results.items():
        assert code in (202, 422), (source, code, answer)

    states = {}
    for source, (_, answer, _) in results.items():
        states[source] = wait_for(lambda answer=answer: settled(api, answer), timeout=180)
        states[source] = (states[source], round(time.monotonic() - started, 1))
    print(
        f"\n/healthz: {len(probe.latencies)} answers, slowest {max(probe.latencies):.3f}s; "
        + "; ".join(
            f"{s}: HTTP {code} in {took:.2f}s, {states[s][0]} after {states[s][1]}s"
            for s, (code, _, took) in results.items()
        )
    )
