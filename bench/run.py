"""``make bench``: the pipeline against its own limits, measured side by side in one run.

Absolute rates drift on a shared 2-core machine, so every figure that matters is a
ratio between two measurements taken in the same run. Results go to
``bench/results.json`` and to the results table in README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import httpx
import redis
from pydantic import ValidationError

from bench import matching
from bench import reconcile as reconcile_bench
from bench import render as render_bench
from bench.corpus import stories
from bench.noop import DONE_KEY, NOOP_QUEUES
from cli.localstack import LocalStack, exit_on_sigterm, free_port
from wirefeed.enrich.taggers import build_pipeline
from wirefeed.intake.parsers import RawItem, parse
from wirefeed.layout import feed_key
from wirefeed.messages import PIPELINE_QUEUES
from wirefeed.progress import Stage, StoryState, Timeline, load_state
from wirefeed.publish.publishing import load_archive_page, load_feed_document
from wirefeed.settings import Settings
from wirefeed.storage import S3Store, StorageUnavailable, honours_conditional_writes

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
TOKEN = "dev-token"
EDITOR_TOKEN = "dev-token-editor"
FORMATS = ("rss", "atom", "json")
SKIPPED = "wirefeed_feed_uploads_skipped_total"
UPLOADS = "wirefeed_feed_uploads_total"
S3_REQUESTS = "wirefeed_s3_requests_total"
# The embedded S3 endpoints measured side by side: moto (Python, what `make run` uses)
# and s3rver (Node.js). Both run on loopback on the same cores as the pipeline.
ENDPOINTS = ("moto", "s3rver")
# The synthetic corpus reuses sentences, so near-duplicate detection would hold back
# some of its stories; it is off in the benchmark stacks.
STACK_ENV = {"WIREFEED_NEAR_DUPLICATE_DISTANCE": "-1"}
WORKER_CONCURRENCY = {"ingest": 1, "enrich": 2, "publish": 1}


def machine() -> dict[str, Any]:
    """Where and on what the figures were measured."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": commit or "unknown",
    }


def wait(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll until ``check()``; raise with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (StorageUnavailable, ValidationError, httpx.TransportError):
            # A read that raced a write: s3rver does not replace objects atomically, and
            # breaks the read off (through boto3, or over plain HTTP as the kill polls
            # read) or serves part of the new bytes. Poll again.
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not done within {timeout:.0f}s")


def start_stack(run_dir: Path, env: dict[str, str], server: str) -> LocalStack:
    """A fresh stack on free ports, on the embedded S3 endpoint ``server``.

    The run directory is emptied first: an earlier run's Redis data (its timelines of
    the same seeded stories) would otherwise date their arrival back to that run.
    """
    shutil.rmtree(run_dir, ignore_errors=True)
    stack = LocalStack(
        run_dir=run_dir,
        # Real infrastructure when BENCH_REDIS_URL / BENCH_S3_ENDPOINT_URL say so (an
        # empty Redis database and bucket: each run flushes nothing and counts uploads);
        # otherwise a redis-server and the embedded endpoint of the bench's own.
        redis_url=os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:{free_port()}/0",
        s3_endpoint_url=os.environ.get("BENCH_S3_ENDPOINT_URL")
        or f"http://127.0.0.1:{free_port()}",
        s3_bucket=os.environ.get("BENCH_S3_BUCKET", "wirefeed"),
        api_port=free_port(),
        gateway_port=free_port(),
        concurrency=WORKER_CONCURRENCY,
        extra_env=env,
        s3_server=server,
    )
    stack.start()
    return stack


def s3_client(stack: LocalStack) -> Any:
    env = stack.env()
    return boto3.client(
        "s3",
        endpoint_url=stack.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


# -- 1. engine ceiling ----------------------------------------------------------------


def chains_done(client: redis.Redis, count: int) -> bool:
    """Whether ``count`` no-op chains have finished."""
    return int(client.get(DONE_KEY) or 0) >= count


def engine_ceiling(stack: LocalStack, chains: int) -> float:
    """Chains per second of a no-op ingest→enrich→publish chain on the same settings."""
    for queue, noop in zip(PIPELINE_QUEUES, NOOP_QUEUES, strict=True):
        stack.add(
            f"bench-{noop}",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bench.noop",
                "worker",
                "-Q",
                noop,
                "-n",
                f"{noop}@%h",
                "-c",
                str(WORKER_CONCURRENCY[queue]),
                "--loglevel",
                "WARNING",
                "--without-mingle",
                "--without-gossip",
            ],
        )
    from bench.noop import app as noop_app

    client = redis.Redis.from_url(stack.redis_url)
    try:
        for warmup in (True, False):
            count = 100 if warmup else chains
            client.set(DONE_KEY, 0)
            started = time.perf_counter()
            # A connection to this stack's broker: the app's pool would keep the first
            # stack's, and each endpoint gets a stack of its own.
            with noop_app.connection_for_write(stack.redis_url) as connection:
                producer = noop_app.amqp.Producer(connection)
                for number in range(count):
                    noop_app.send_task("noop-a.step", args=[number], producer=producer)
            wait(partial(chains_done, client, count), 300, "no-op chains")
            elapsed = time.perf_counter() - started
        return chains / elapsed
    finally:
        for noop in NOOP_QUEUES:
            stack.stop_service(f"bench-{noop}")


# -- 2. tagger alone ------------------------------------------------------------------

_TAGGERS: Any = None


def _load_taggers(names: tuple[str, ...]) -> None:
    global _TAGGERS
    _TAGGERS = build_pipeline(names)


def _tag_chunk(payloads: list[bytes]) -> float:
    parsed = [parse(RawItem(p, "text/plain", source="bench")) for p in payloads]
    started = time.perf_counter()
    for story in parsed:
        _TAGGERS.enrich(story)
    return time.perf_counter() - started


def tagger_alone(payloads: list[bytes], taggers: tuple[str, ...]) -> float:
    """Stories per second through the enrichment code, one process per core, no queue."""
    processes = os.cpu_count() or 1
    chunks = [payloads[i::processes] for i in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, initializer=_load_taggers, initargs=(taggers,)) as pool:
        elapsed = pool.map(_tag_chunk, chunks)
    return len(payloads) / max(elapsed)


# -- 3-6. the full pipeline -----------------------------------------------------------


def submit_all(api_url: str, payloads: list[bytes], rate: float | None) -> list[str]:
    """POST every payload, as fast as possible or paced at ``rate`` per second."""
    started = time.perf_counter()

    def post(index: int) -> str:
        if rate:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        answer = httpx.post(
            f"{api_url}/v1/stories",
            content=payloads[index],
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"},
            timeout=60,
        )
        answer.raise_for_status()
        return str(answer.json()["id"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, range(len(payloads))))


def pipeline_run(stack: LocalStack, payloads: list[bytes], rate: float | None) -> dict[str, Any]:
    """Submit, wait until every story is published, and read the figures off the states."""
    settings = Settings.from_env(stack.env())
    store = S3Store(settings, client=s3_client(stack))
    timeline = Timeline(redis.Redis.from_url(stack.redis_url))
    before = firehose_uploads(stack)
    skipped_before = metric_total(stack, "worker-publish", SKIPPED)
    requests_before = s3_requests(stack)
    cpu_before = cpu_seconds(stack)
    # A story of this run may be a new version of one an earlier run sent (the corpus
    # can repeat a headline), so its timeline is read from this run's start on.
    since = datetime.now(UTC)
    ids = submit_all(stack.api_url, payloads, rate)
    pending = set(ids)
    states: dict[str, StoryState] = {}

    seen: set[str] = set()
    pages_read: list[int] = [0]  # the newest archive page read by an earlier poll

    def all_in_firehose() -> bool:
        # A few reads per poll (the current document and the archive pages entries
        # rolled into since the last poll): polling every story's state would load the
        # S3 endpoint that the pipeline is being measured on.
        doc = load_feed_document(store, "all")
        seen.update(e.story_id for e in doc.entries)
        for number in (n for n in doc.archive_pages if n >= pages_read[0]):
            seen.update(e.story_id for e in load_archive_page(store, "all", number).entries)
        pages_read[0] = max(doc.archive_pages, default=0)
        return pending <= seen

    def all_published() -> bool:
        with ThreadPoolExecutor(8) as pool:
            for story_id, state in zip(
                list(pending),
                pool.map(lambda i: load_state(store, i, timeline), list(pending)),
                strict=True,
            ):
                if state is not None and state.stage is Stage.published:
                    states[story_id] = state
                    pending.discard(story_id)
        return not pending

    wait(all_in_firehose, 1800, "pipeline run", interval=1)
    wait(all_published, 60, "published states", interval=1)
    received = [first_time(s, Stage.received, since) for s in states.values()]
    published = [last_time(s, Stage.published) for s in states.values()]
    latencies = sorted((p - r).total_seconds() for r, p in zip(received, published, strict=True))
    duration = (max(published) - min(received)).total_seconds()
    uploads = firehose_uploads(stack) - before
    skipped = metric_total(stack, "worker-publish", SKIPPED) - skipped_before
    requests = s3_requests(stack) - requests_before
    cpu_after = cpu_seconds(stack)
    windows = max(1.0, duration / settings.coalesce_window_s)
    return {
        "stories": len(ids),
        "rate": len(ids) / duration,
        "duration_s": duration,
        "p50_s": statistics.quantiles(latencies, n=100)[49],
        "p95_s": statistics.quantiles(latencies, n=100)[94],
        "p99_s": statistics.quantiles(latencies, n=100)[98],
        "step_p50_s": step_medians(list(states.values()), since),
        "firehose_uploads": uploads,
        "uploads_per_window": uploads / windows,
        "uploads_skipped_unchanged": skipped,
        "s3_requests_per_story": requests / len(ids),
        "cpu_ms_per_story": {
            name: (cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / len(ids)
            for name in cpu_after
        },
        "ids": ids,
    }


STEPS = (Stage.received, Stage.parsed, Stage.enriched, Stage.published)


def step_medians(states: list[StoryState], since: datetime) -> dict[str, float]:
    """Where the time goes: the median seconds of each step of the published stories
    since the run began (received → parsed → enriched → published; the last is the wait
    for the feed's coalescing window and the render itself)."""
    return {
        f"{start}→{end}": statistics.median(
            (last_time(s, end) - first_time(s, start, since)).total_seconds() for s in states
        )
        for start, end in itertools.pairwise(STEPS)
    }


def first_time(state: StoryState, stage: Stage, since: datetime) -> datetime:
    """When the story first reached ``stage`` at or after ``since``."""
    return min(t.at for t in state.history if t.stage is stage and t.at >= since)


def last_time(state: StoryState, stage: Stage) -> datetime:
    """When the story last reached ``stage``."""
    return max(t.at for t in state.history if t.stage is stage)


def _metric_sum(url: str, name: str, labels: str = "") -> float:
    """The sum of a counter over the samples whose labels contain ``labels``."""
    text = httpx.get(url, timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and labels in line
    )


def metric_total(stack: LocalStack, worker: str, name: str, labels: str = "") -> float:
    """The sum of a counter over all its labels (or those matching), from a worker."""
    return _metric_sum(stack.metrics_url(worker), name, labels)


def firehose_uploads(stack: LocalStack) -> int:
    """How many times the firehose RSS document was written (the publish worker's count)."""
    return int(metric_total(stack, "worker-publish", UPLOADS, 'feed="all",format="rss"'))


# -- S3: the endpoint's own ceiling ----------------------------------------------------


def s3_requests(stack: LocalStack) -> int:
    """S3 requests the stack's processes (API and every worker) have made so far."""
    urls = [f"{stack.api_url}/metrics"]
    urls += [stack.metrics_url(name) for name in stack.services if name.startswith("worker-")]
    return int(sum(_metric_sum(url, S3_REQUESTS) for url in urls))


def s3_ceiling(stack: LocalStack, pairs: int = 1000) -> float:
    """Requests per second the S3 endpoint answers through boto3: PUT then GET of 4 KB."""
    store = S3Store(Settings.from_env(stack.env()), client=s3_client(stack))
    body = os.urandom(4096)

    def pair(n: int) -> None:
        store.put(f"bench/s3/{n}", body, content_type="application/octet-stream")
        store.get(f"bench/s3/{n}")

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pair, range(pairs)))
    return 2 * pairs / (time.perf_counter() - started)


# -- 7. subscription matching --------------------------------------------------------


def matching_per_story_us() -> dict[int, float]:
    """Median µs to match one story at 100, 1,000 and 10,000 feeds (no queue, no I/O)."""
    rng = random.Random(2)
    sample = [matching.story(n, rng) for n in range(300)]
    return {count: matching.measure(count, sample)[0] for count in (100, 1_000, 10_000)}


# -- 8. kill propagation --------------------------------------------------------------


def _absent(story_id: str, urls: list[str]) -> bool:
    return not any(story_id in httpx.get(url, timeout=10).text for url in urls)


def kill_propagation_s(stack: LocalStack, story_ids: list[str]) -> list[float]:
    """Seconds from each kill request until the story is out of every feed it was in.

    The feeds are read over HTTP as a reader would (every format, polled every 50 ms).
    """
    settings = Settings.from_env(stack.env())
    store = S3Store(settings, client=s3_client(stack))
    headers = {"Authorization": f"Bearer {EDITOR_TOKEN}"}
    took = []
    for story_id in story_ids:
        state = load_state(store, story_id)
        feeds = state.feeds if state else []
        urls = [settings.public_url(feed_key(f, fmt)) for f in feeds for fmt in FORMATS]
        started = time.perf_counter()
        answer = httpx.post(
            f"{stack.api_url}/v1/editor/stories/{story_id}/kill",
            json={"reason": "Benchmark: kill propagation"},
            headers=headers,
            timeout=30,
        )
        answer.raise_for_status()
        wait(partial(_absent, story_id, urls), 60, f"kill of {story_id}", interval=0.05)
        took.append(time.perf_counter() - started)
    return took


# -- 9. memory ------------------------------------------------------------------------


def _process_trees(stack: LocalStack) -> dict[str, list[int]]:
    """Each service of the stack with the pids of its process and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    trees = {}
    for name, service in stack.services.items():
        if service.pid is None:
            continue
        pids, todo = [], [service.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        trees[name] = pids
    return trees


def peak_rss_mb(stack: LocalStack) -> dict[str, float]:
    """Peak resident memory of the biggest process of each worker (main or pool child)."""
    peaks = {}
    for name, pids in _process_trees(stack).items():
        if not name.startswith("worker-"):
            continue
        peak = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status")
            match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text()) if status.exists() else None
            peak = max(peak, int(match.group(1)) if match else 0)
        peaks[name.removeprefix("worker-")] = peak / 1024
    return peaks


_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    """CPU time used so far by each service of the stack, its children included."""
    used = {}
    for name, pids in _process_trees(stack).items():
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it exited meanwhile
            # utime, stime, cutime, cstime: its own time and that of children it reaped.
            ticks += sum(int(f) for f in fields[11:15])
        used[name.removeprefix("worker-")] = ticks / _TICKS_PER_S
    return used


# -- report ---------------------------------------------------------------------------


def _cpu_shares(per_story: dict[str, float]) -> str:
    """Where a story's CPU time goes: the busiest processes first, then the total."""
    busy = sorted(((ms, name) for name, ms in per_story.items() if ms >= 0.5), reverse=True)
    parts = ", ".join(f"{name} {ms:.0f}" for ms, name in busy)
    return f"{parts} (total {sum(per_story.values()):.0f})"


def _meets(ok: bool) -> str:
    return "meets" if ok else "misses"


NOT_MEASURED = "not measured (the run failed before it; see its output)"


def _endpoint_rows(results: dict[str, Any], run: dict[str, Any]) -> dict[str, str]:
    """One endpoint's column of the results table, keyed by row; a row whose
    measurement is missing (the run failed before it) says so."""
    rows: dict[str, str] = {}
    for key, _, _ in _ROWS:
        try:
            rows[key] = _row(results, run, key)
        except KeyError:
            rows[key] = NOT_MEASURED
    return rows


def _row(results: dict[str, Any], run: dict[str, Any], key: str) -> str:
    """One cell of an endpoint's column (KeyError when its measurement is missing)."""
    if key == "engine":
        return f"{run['engine_ceiling']:.0f} chains/s"
    if key == "tagger":
        return f"{results['tagger_alone']:.1f} stories/s"
    if key == "ceiling":
        return f"{run['s3_ceiling']:.0f} requests/s"
    if key == "kills":
        kills = run["kill_s"]
        return f"median {statistics.median(kills):.2f} s, max {max(kills):.2f} s"
    if key == "rss":
        return ", ".join(f"{q} {mb:.0f} MB" for q, mb in run["peak_rss_mb"].items())
    if key == "conditional":
        return "yes" if run["conditional_writes"] else "no (ignored)"
    if key == "render":
        renders = run["render"].values()
        seconds = " / ".join(f"{r['seconds'] * 1000:.0f}" for r in renders)
        return f"{seconds} ms; " + " / ".join(f"{r['requests']:.0f}" for r in renders) + " requests"
    if key == "reconcile":
        return "; ".join(
            f"{int(count):,}: full {p['full']['requests']:.0f} req {p['full']['seconds']:.1f} s, "
            f"quiet {p['quiet']['requests']:.0f} req {p['quiet']['seconds']:.1f} s, "
            f"1% moved {p['one_percent_changed']['requests']:.0f} req "
            f"{p['one_percent_changed']['seconds']:.1f} s"
            for count, p in run["reconcile"].items()
        )
    if key == "latency":
        half = run["half_load"]
        met = _meets(half["p50_s"] <= 0.3 and half["p99_s"] <= 1)
        steps = ", ".join(f"{step} {s:.2f}" for step, s in half.get("step_p50_s", {}).items())
        return (
            f"p50 {half['p50_s']:.2f} s, p95 {half['p95_s']:.2f} s, p99 {half['p99_s']:.2f} s "
            f"({met})" + (f"; median steps (s): {steps}" if steps else "")
        )
    full, off = run["pipeline"], run["tagging_off"]
    if key == "full":
        ratio = full["rate"] / results["tagger_alone"]
        return (
            f"{full['rate']:.1f} stories/s: {ratio:.2f} of tagger alone ({_meets(ratio >= 0.85)})"
        )
    if key == "off":
        ratio = off["rate"] / run["engine_ceiling"]
        return (
            f"{off['rate']:.1f} stories/s: {ratio:.2f} of engine ceiling ({_meets(ratio >= 0.5)})"
        )
    if key == "windows":
        return (
            f"{full['uploads_per_window']:.2f} ({full['firehose_uploads']} uploads for "
            f"{full['stories']} stories)"
        )
    if key == "skipped":
        return f"{full['uploads_skipped_unchanged']:.0f}"
    if key == "cpu":
        return "; ".join(
            f"{label}: {_cpu_shares(run_['cpu_ms_per_story'])}"
            for label, run_ in (("tagging off", off), ("full", full))
        )
    per_story = off["s3_requests_per_story"]
    if key == "requests":
        return (
            f"{per_story:.1f} tagging off, {full['s3_requests_per_story']:.1f} full "
            f"({_meets(per_story <= 8)})"
        )
    s3_bound = run["s3_ceiling"] / per_story
    ratio = off["rate"] / s3_bound
    return f"{ratio:.2f} of {s3_bound:.1f} stories/s ({_meets(ratio >= 0.8)})"


_ROWS = (
    ("engine", "Engine ceiling (no-op 3-task chain)", ""),
    ("tagger", "Tagger alone (one process per core)", ""),
    ("full", "Full pipeline, max rate", "≥ 0.85 of tagger alone"),
    ("off", "Tagging off, max rate", "≥ 0.5 of engine ceiling"),
    ("ceiling", "S3 endpoint ceiling (boto3, 8 threads, 4 KB PUT+GET)", ""),
    ("requests", "S3 requests per story", "≤ 8"),
    ("s3_ratio", "Tagging off ÷ (S3 ceiling ÷ requests per story)", "≥ 0.8"),
    ("latency", "POST→firehose at half load", "p50 ≤ 0.3 s, p99 ≤ 1 s"),
    ("windows", "Firehose writes per coalescing window (max rate)", "≤ 1"),
    ("skipped", "Uploads skipped as unchanged (max-rate run)", ""),
    ("cpu", "CPU per story by process, max rate (ms)", ""),
    (
        "render",
        "One-story render of a 100-entry feed, 0 / 10 / 25 / 50 archive pages",
        "flat in the number of pages",
    ),
    (
        "reconcile",
        "Reconciler pass (S3 requests, seconds) at N and 10 N stories",
        "reads only what changed",
    ),
    ("kills", "Kill propagation (10 kills)", "≤ 2 s"),
    ("rss", "Peak RSS per worker", ""),
    ("conditional", "Conditional writes (If-Match) honoured", "yes, for correctness"),
)


def table(results: dict[str, Any]) -> str:
    """The README results table: one column per S3 endpoint."""
    m = results["machine"]
    runs = results["endpoints"]
    columns = {name: _endpoint_rows(results, run) for name, run in runs.items()}
    match = {int(k): v for k, v in results["matching_us"].items()}
    any_run = next(iter(runs.values()))
    lines = [
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, "
        f"commit {m['commit']}, {any_run['pipeline']['stories']} stories of 300-800 words, "
        f"coalescing window {results['coalesce_window_s']:g} s.",
        "",
        "| figure | " + " | ".join(columns) + " | target |",
        "|---|" + "---|" * len(columns) + "---|",
    ]
    for key, label, target in _ROWS:
        cells = " | ".join(c[key] for c in columns.values())
        lines.append(f"| {label} | {cells} | {target} |")
    matching_text = " / ".join(f"{us:.0f} µs" for us in match.values())
    lines.append(
        "| Matching per story at 100 / 1,000 / 10,000 feeds | "
        + " | ".join(matching_text for _ in columns)
        + f" | ≤ 0.5 ms and ≤ 2 times the figure at 100 ({match[10_000] / match[100]:.2f}) |"
    )
    return "\n".join(lines)


def update_readme(text: str) -> None:
    """Replace the block between the bench markers in README.md."""
    readme = README.read_text()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = f"{start}\n{text}\n{end}"
    if start in readme:
        readme = re.sub(re.escape(start) + ".*?" + re.escape(end), block, readme, flags=re.S)
    else:
        readme += f"\n## Benchmark results\n\n{block}\n"
    README.write_text(readme)


def endpoint_run(
    args: argparse.Namespace, server: str, payloads: list[bytes], run: dict[str, Any]
) -> None:
    """Every stack-bound measurement on one S3 endpoint, filled into ``run`` as it goes."""
    run_dir = args.run_dir / server
    stack = start_stack(run_dir / "tagging-on", STACK_ENV, server)
    try:
        print(f"[{server}] engine ceiling…", flush=True)
        run["engine_ceiling"] = engine_ceiling(stack, args.chains)
        print(f"[{server}] full pipeline at max rate…", flush=True)
        run["pipeline"] = pipeline_run(stack, payloads, rate=None)
        run["peak_rss_mb"] = peak_rss_mb(stack)
        half = run["pipeline"]["rate"] / 2
        print(f"[{server}] latency at half load ({half:.1f} stories/s)…", flush=True)
        more = stories(max(100, args.stories // 4), seed=11)
        run["half_load"] = pipeline_run(stack, more, rate=half)
        print(f"[{server}] kill propagation…", flush=True)
        run["kill_s"] = kill_propagation_s(stack, run["half_load"]["ids"][:10])
    finally:
        stack.stop()

    stack = start_stack(run_dir / "tagging-off", {**STACK_ENV, "WIREFEED_TAGGERS": ""}, server)
    try:
        print(f"[{server}] S3 endpoint ceiling…", flush=True)
        run["s3_ceiling"] = s3_ceiling(stack)
        store = S3Store(Settings.from_env(stack.env()), client=s3_client(stack))
        run["conditional_writes"] = honours_conditional_writes(store)
        print(f"[{server}] full pipeline with tagging off…", flush=True)
        run["tagging_off"] = pipeline_run(stack, stories(args.stories, seed=13), rate=None)
        print(f"[{server}] render cost as the archive grows…", flush=True)
        run["render"] = render_bench.measure(
            side_store(stack, "bench-render"), Settings.from_env(stack.env()), args.archive_pages
        )
        counts = (args.stories, args.stories * 10)
        print(f"[{server}] reconciler passes at {counts[0]} and {counts[1]} stories…", flush=True)
        cursor_redis = redis.Redis.from_url(stack.redis_url.rsplit("/", 1)[0] + "/1")
        run["reconcile"] = reconcile_bench.measure(
            side_store(stack, "bench-reconcile"), cursor_redis, counts
        )
    finally:
        stack.stop()
    for name in ("pipeline", "half_load", "tagging_off"):
        run[name].pop("ids")


def side_store(stack: LocalStack, bucket: str) -> S3Store:
    """A store on a bucket of its own beside the stack's (the stack never looks there)."""
    settings = Settings.from_env(stack.env(), s3_bucket=bucket)
    store = S3Store(settings, client=s3_client(stack))
    store.ensure_bucket()
    return store


def main() -> None:
    """Run every measurement, print the table, write results.json and README."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--chains", type=int, default=5000)
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run" / "bench")
    parser.add_argument("--archive-pages", type=int, default=50)
    parser.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help="embedded S3 endpoints to measure, comma-separated",
    )
    args = parser.parse_args()
    exit_on_sigterm()
    payloads = stories(args.stories)
    settings = Settings.from_env()
    taggers = settings.taggers
    results: dict[str, Any] = {
        "machine": machine(),
        "taggers": list(taggers),
        "coalesce_window_s": settings.coalesce_window_s,
    }

    print(f"tagger alone ({len(payloads)} stories)…", flush=True)
    results["tagger_alone"] = tagger_alone(payloads, taggers)

    print("subscription matching…", flush=True)
    results["matching_us"] = matching_per_story_us()

    # An external endpoint (BENCH_S3_ENDPOINT_URL) is measured once, as it is.
    servers = ["external"] if os.environ.get("BENCH_S3_ENDPOINT_URL") else args.endpoints.split(",")
    results["endpoints"] = {}
    failed = []
    for server in servers:
        results["endpoints"][server] = {}
        try:
            endpoint_run(args, server, payloads, results["endpoints"][server])
        except Exception as error:  # reported; the other endpoints are measured still
            print(f"[{server}] failed: {type(error).__name__}: {error}", flush=True)
            failed.append(server)
        # Written as each endpoint ends, so a failure keeps what was measured.
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = table(results)
    update_readme(text)
    print(text)
    if failed:
        sys.exit(f"measurements missing on: {', '.join(failed)}")


if __name__ == "__main__":
    main()
