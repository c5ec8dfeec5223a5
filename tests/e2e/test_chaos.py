"""Fault tests on the real stack: stories sent against stories present, under each fault.

Run with ``make chaos`` (the ``slow`` group; ``make test`` leaves it out). Each run sends
``WIREFEED_CHAOS_STORIES`` stories (default 2,000) through the API while a fault is
injected; a tenth of them arrive as three versions in shuffled order. A story counts
as present when its state is ``published`` with the latest version stored and it is in
the firehose: its current document or one of its RFC 5005 archive pages, where no story
may appear twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
import redis

from cli.localstack import LocalStack
from tests.conftest import TOKEN, stack_on_free_ports, store_for
from wirefeed.layout import feed_key
from wirefeed.progress import Stage, Timeline, load_state
from wirefeed.publish.publishing import load_archive_page, load_feed_document
from wirefeed.storage import S3Store
from wirefeed.stories import load_story

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(3600)]

STORIES = int(os.environ.get("WIREFEED_CHAOS_STORIES", "2000"))
SENDERS = int(os.environ.get("WIREFEED_CHAOS_SENDERS", "4"))
SETTLE_S = float(os.environ.get("WIREFEED_CHAOS_SETTLE_S", "900"))
RESULTS = Path(os.environ.get("WIREFEED_CHAOS_RESULTS", ".run/chaos-results.md"))


@dataclass
class Outcome:
    """What one fault run measured."""

    fault: str
    sent: int = 0
    payloads: int = 0
    lost: int = 0
    duplicate_entries: int = 0
    multi_version: int = 0
    latest_won: int = 0
    catch_up_s: float | None = None
    notes: list[str] = field(default_factory=list)


RUNS: list[Outcome] = []


@pytest.fixture(scope="module")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of its own, supervised every half second, as ``make run`` supervises."""
    local = stack_on_free_ports(
        tmp_path_factory.mktemp("chaos"),
        {
            "WIREFEED_COALESCE_WINDOW_S": "0.5",
            # Short tasks: a message held by a killed worker comes back within a minute.
            "WIREFEED_VISIBILITY_TIMEOUT_S": "60",
            "WIREFEED_RECONCILE_INTERVAL_S": "30",
            "WIREFEED_RECONCILE_MIN_AGE_S": "60",
        },
    )
    local.start()
    stop = threading.Event()

    def supervise() -> None:
        while not stop.wait(0.5):
            local.supervise()

    supervisor = threading.Thread(target=supervise, daemon=True)
    supervisor.start()
    try:
        yield local
    finally:
        stop.set()
        supervisor.join()
        local.stop()
        _write_results()


@pytest.fixture(scope="module")
def chaos_store(chaos_stack: LocalStack) -> S3Store:
    return store_for(chaos_stack)


# -- load ---------------------------------------------------------------------------------


def payloads(run: str, count: int, seed: int) -> tuple[list[bytes], dict[str, int]]:
    """ninjs payloads for ``count`` stories; every tenth comes as 3 versions, shuffled.

    Returns the payloads in sending order and the latest version of each story uri.
    """
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    sends: list[bytes] = []
    latest: dict[str, int] = {}
    for n in range(count):
        uri = f"urn:chaos:{run}:{n}"
        versions = [1, 2, 3] if n % 10 == 0 else [1]
        rng.shuffle(versions)
        latest[uri] = max(versions)
        for version in versions:
            doc = {
                "uri": uri,
                "version": str(version),
                "versioncreated": (base + timedelta(minutes=n, seconds=version)).isoformat(),
                "headlines": [{"value": f"Chaos {run} story {n}, version {version}"}],
                "body_text": f"Story {n} of the {run} run, version {version}.",
            }
            sends.append(json.dumps(doc).encode())
    # Versions of one story are spread through the run, not sent back to back.
    order = list(range(len(sends)))
    rng.shuffle(order)
    return [sends[i] for i in order], latest


def send_all(
    api_url: str, bodies: list[bytes], accepted: dict[str, str] | None = None
) -> dict[str, str]:
    """POST every payload, retrying until it is accepted (as a wire client does).

    Fills and returns ``accepted``: story id → uri for every accepted story.
    """
    accepted = {} if accepted is None else accepted
    lock = threading.Lock()

    def send(body: bytes) -> None:
        uri = json.loads(body)["uri"]
        with httpx.Client(
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=60,
        ) as client:
            while True:
                try:
                    answer = client.post(f"{api_url}/v1/stories", content=body)
                    if answer.status_code == 202:
                        with lock:
                            accepted[answer.json()["id"]] = uri
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        list(pool.map(send, bodies))
    return accepted


# -- faults -------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a worker's pool), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def worker_processes(stack: LocalStack) -> list[int]:
    """Every process of every worker the stack started: main processes and pool children."""
    pids = []
    for name, service in stack.services.items():
        if name.startswith("worker-") and service.pid is not None:
            pids.append(service.pid)
            pids.extend(children(service.pid))
    return pids


def during(load: Callable[[], dict[str, str]], fault: Callable[[], None]) -> dict[str, str]:
    """Run ``fault`` in a thread while ``load`` sends; wait for both."""
    thread = threading.Thread(target=fault)
    thread.start()
    try:
        return load()
    finally:
        thread.join()


# -- counting -----------------------------------------------------------------------------


def unfinished(
    store: S3Store, timeline: Timeline, expected: dict[str, str], latest: dict[str, int]
) -> set[str]:
    """The stories not yet published at their latest version (their states read at once)."""

    def done(story_id: str) -> bool:
        state = load_state(store, story_id, timeline)
        wanted = str(latest[expected[story_id]])
        return state is not None and state.stage is Stage.published and state.version == wanted

    ids = list(expected)
    with ThreadPoolExecutor(max_workers=16) as pool:
        return {story_id for story_id, ok in zip(ids, pool.map(done, ids), strict=True) if not ok}


def settle(
    stack: LocalStack,
    store: S3Store,
    expected: dict[str, str],
    latest: dict[str, int],
    timeout: float,
) -> set[str]:
    """Wait until every accepted story is published at its latest version; return the rest.

    Publication is read from the stories' timelines, in the stack's Redis.
    """
    timeline = Timeline(redis.Redis.from_url(stack.redis_url))
    started = time.monotonic()
    missing = unfinished(store, timeline, expected, latest)
    while missing and time.monotonic() - started < timeout:
        time.sleep(1)
        missing = unfinished(store, timeline, {i: expected[i] for i in missing}, latest)
    return missing


def record(
    fault: str,
    store: S3Store,
    stack: LocalStack,
    expected: dict[str, str],
    latest: dict[str, int],
    payload_count: int,
    missing: set[str],
) -> Outcome:
    """Count what the run left in the bucket and the feeds."""
    outcome = Outcome(fault, sent=len(latest), payloads=payload_count, lost=len(missing))
    outcome.lost += len(latest) - len(expected)  # never accepted at all
    doc = load_feed_document(store, "all")
    # The firehose as an archiving reader sees it: the current document and every
    # RFC 5005 archive page. A published story missing from all of them is lost too.
    pages = [load_archive_page(store, "all", number) for number in doc.archive_pages]
    counts = Counter(e.story_id for page in [doc, *pages] for e in page.entries)
    outcome.duplicate_entries = sum(n - 1 for n in counts.values())
    outcome.lost += sum(1 for story_id in expected if story_id not in missing | counts.keys())
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(store.get(feed_key("all", fmt)).body)
        guids = Counter(entry.id for entry in parsed.entries)
        outcome.duplicate_entries += sum(n - 1 for n in guids.values())
    entries = {entry.story_id: entry for entry in doc.entries}
    for story_id, uri in expected.items():
        if latest[uri] == 1:
            continue
        outcome.multi_version += 1
        story = load_story(store, story_id)
        in_feed = entries.get(story_id)
        if (
            story is not None
            and story.version == str(latest[uri])
            and (in_feed is None or in_feed.version == story.version)
        ):
            outcome.latest_won += 1
    RUNS.append(outcome)
    return outcome


def run_fault(
    name: str,
    stack: LocalStack,
    store: S3Store,
    fault: Callable[[], None],
    after: Callable[[], None] = lambda: None,
    seed: int = 0,
) -> Outcome:
    bodies, latest = payloads(name, STORIES, seed)
    expected = during(lambda: send_all(stack.api_url, bodies), fault)
    after()
    missing = settle(stack, store, expected, latest, SETTLE_S)
    return record(name, store, stack, expected, latest, len(bodies), missing)


def paced(times: int, duration_s: float, action: Callable[[int], None]) -> Callable[[], None]:
    """A fault that runs ``action`` ``times`` times, spread over ``duration_s``."""

    def fault() -> None:
        for n in range(times):
            time.sleep(duration_s / (times + 1))
            action(n)

    return fault


def expected_load_s() -> float:
    """Roughly how long sending takes here (about 25 payloads a second under faults)."""
    return STORIES * 1.2 / 25


# -- the runs -----------------------------------------------------------------------------


def test_worker_processes_killed_ten_times(chaos_stack: LocalStack, chaos_store: S3Store) -> None:
    rng = random.Random(7)
    killed: list[int] = []

    def kill(_: int) -> None:
        pid = rng.choice(worker_processes(chaos_stack))
        os.kill(pid, signal.SIGKILL)  # a process of a worker this stack started
        killed.append(pid)

    outcome = run_fault(
        "sigkill", chaos_stack, chaos_store, paced(10, expected_load_s(), kill), seed=1
    )
    outcome.notes.append(f"{len(killed)} SIGKILLs")
    assert len(killed) == 10
    assert outcome.lost == 0
    assert outcome.duplicate_entries == 0
    assert outcome.latest_won == outcome.multi_version


def test_redis_restarted_three_times(chaos_stack: LocalStack, chaos_store: S3Store) -> None:
    def restart(_: int) -> None:
        # SIGKILL: AOF everysec may lose the last second; the supervisor starts it again.
        pid = chaos_stack.services["redis"].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

    outcome = run_fault(
        "redis-restart", chaos_stack, chaos_store, paced(3, expected_load_s(), restart), seed=2
    )
    outcome.notes.append("3 SIGKILLs of redis-server (AOF everysec), restarted by the supervisor")
    assert outcome.lost == 0
    assert outcome.duplicate_entries == 0
    assert outcome.latest_won == outcome.multi_version


def test_redis_flushed_during_load_then_reconciled(
    chaos_stack: LocalStack, chaos_store: S3Store
) -> None:
    client = redis.Redis.from_url(chaos_stack.redis_url)

    def flush(_: int) -> None:
        client.flushall()

    def reconcile() -> None:
        subprocess.run(
            [str(Path(sys.executable).with_name("wirefeed")), "reconcile"],
            env=chaos_stack.env(),
            check=True,
            timeout=600,
        )

    outcome = run_fault(
        "flushall", chaos_stack, chaos_store, paced(1, expected_load_s(), flush), reconcile, seed=3
    )
    outcome.notes.append("FLUSHALL mid-load, then `wirefeed reconcile`")
    assert outcome.lost == 0
    assert outcome.duplicate_entries == 0
    assert outcome.latest_won == outcome.multi_version


def test_s3_endpoint_stopped_for_30_seconds(chaos_stack: LocalStack, chaos_store: S3Store) -> None:
    s3_pid = chaos_stack.services["s3"].pid
    assert s3_pid is not None
    bodies, latest = payloads("s3-outage", STORIES, 4)
    accepted: dict[str, str] = {}
    catch_up: list[float] = []
    resumed: list[float] = []

    def renders() -> int:
        return load_feed_document(chaos_store, "all").renders

    def outage() -> None:
        time.sleep(expected_load_s() / 3)
        renders_before = renders()
        # The in-memory endpoint would lose the bucket if it exited: freeze it instead, so
        # every request hangs and times out as with an unreachable endpoint.
        os.kill(s3_pid, signal.SIGSTOP)
        time.sleep(30)
        os.kill(s3_pid, signal.SIGCONT)
        back = time.monotonic()
        before = dict(accepted)  # stories accepted before the endpoint came back
        while renders() <= renders_before:  # the firehose is written again
            time.sleep(0.2)
        resumed.append(time.monotonic() - back)
        settle(chaos_stack, chaos_store, before, latest, SETTLE_S)
        catch_up.append(time.monotonic() - back)

    expected = during(lambda: send_all(chaos_stack.api_url, bodies, accepted), outage)
    missing = settle(chaos_stack, chaos_store, expected, latest, SETTLE_S)
    outcome = record("s3-outage", chaos_store, chaos_stack, expected, latest, len(bodies), missing)
    outcome.catch_up_s = round(catch_up[0], 1)
    outcome.notes.append(
        f"endpoint frozen (SIGSTOP) 30 s; firehose written again {resumed[0]:.1f} s after "
        "its return; catch-up: its return → every story accepted until then published "
        "(the backlog that built up before and during the outage included)"
    )
    assert outcome.lost == 0
    assert outcome.duplicate_entries == 0
    assert outcome.latest_won == outcome.multi_version


def _write_results() -> None:
    if not RUNS:
        return
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} with {STORIES} stories per run "
        f"({SENDERS} senders; every tenth story sent as 3 shuffled versions).",
        "",
        "| fault | stories sent | payloads | lost | duplicate feed entries "
        "| latest version won | feeds caught up after return | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in RUNS:
        won = f"{run.latest_won}/{run.multi_version}"
        catch_up = "—" if run.catch_up_s is None else f"{run.catch_up_s} s"
        lines.append(
            f"| {run.fault} | {run.sent} | {run.payloads} | {run.lost} | "
            f"{run.duplicate_entries} | {won} | {catch_up} | {'; '.join(run.notes)} |"
        )
    table = "\n".join(lines)
    print("\n" + table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table + "\n")
