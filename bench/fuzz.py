"""``make fuzz``: mutated wire payloads through ``parse`` and through intake on the stack.

Every fixture in tests/fixtures/formats (each format Wirefeed reads) is mutated by a
seeded loop: byte flips, truncations, duplicated and deeply nested elements, wrong
charsets (re-encoded, or mislabelled in the Content-Type), hostile snippets spliced in.
Each payload goes through ``parse`` in this process and is POSTed to the API of a
fresh local stack (cli/localstack.py) whose workers then ingest it. The only outcomes
allowed are a story or a ParseError (in ``parse``), a 202 or a 4xx (from intake), and
no dead-lettered task. It prints the count, the outcomes and the slowest payloads, and
exits 1 when anything else happened.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from bench.run import s3_client
from cli.localstack import LocalStack, exit_on_sigterm, free_port
from wirefeed.intake.parsers import ParseError, RawItem, parse
from wirefeed.messages import QUEUES
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ROOT / "tests" / "fixtures" / "formats"
TOKEN = "dev-token"
CONTENT_TYPES = {
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".eml": "message/rfc822",
}
WRONG_TYPES = [
    "",
    "text/plain",
    "application/json",
    "application/xml",
    "text/vnd.iptc.anpa",
    "application/nitf+xml; charset=utf-16",
    "text/plain; charset=shift_jis",
    "application/json; charset=bogus",
]
CHARSETS = ["latin-1", "utf-16", "utf-16-be", "cp1252", "shift_jis", "koi8-r", "utf-32"]
SNIPPETS = [
    b'<!DOCTYPE x [<!ENTITY e "boom">]>',
    b"\x00\x01\x02\x1b",
    b"\xff\xfe",
    b"&e;",
    "\u2003".encode() * 5000,
    b" " * 5000,
    b"<" * 5000,
    b"]]>",
    b"<![CDATA[",
    b"\x01ZCZC",
    b"\x02",
    b"\x03",
    b"\xed\xa0\x80",
    b"{" * 3000,
    b"\\u0000",
]
# Element-like spans in the fixtures: a tag and what it encloses (the fixtures are ours).
_ELEMENT = re.compile(rb"<([A-Za-z][\w.:-]*)[^>]*>.*?</\1>", re.DOTALL)
_JSON_VALUE = re.compile(rb'"[^"\\]*"|\[[^\[\]]*\]|\{[^{}]*\}')


@dataclass(frozen=True)
class Payload:
    """One mutated payload and how it was made."""

    fixture: str
    mutations: tuple[str, ...]
    body: bytes
    content_type: str

    @property
    def label(self) -> str:
        return f"{self.fixture} [{', '.join(self.mutations)}] {len(self.body):,} bytes"


def flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def duplicate(rng: random.Random, data: bytes) -> bytes:
    spans = list(_ELEMENT.finditer(data)) or list(_JSON_VALUE.finditer(data))
    if spans:
        span = rng.choice(spans)
        return data[: span.end()] + span.group(0) * rng.randint(1, 5) + data[span.end() :]
    start = rng.randrange(len(data) + 1)
    piece = data[start : start + rng.randint(1, 400)]
    return data[:start] + piece * rng.randint(2, 20) + data[start:]


def nest(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([10, 100, 1000, 5000, 20_000])
    if elements := list(_ELEMENT.finditer(data)):
        span = rng.choice(elements)
        tag = span.group(1)
        opened = b"<" + tag + b">"
        closed = b"</" + tag + b">"
        wrapped = opened * depth + span.group(0) + closed * depth
        return data[: span.start()] + wrapped + data[span.end() :]
    if values := list(_JSON_VALUE.finditer(data)):
        span = rng.choice(values)
        wrapped = b"[" * depth + span.group(0) + b"]" * depth
        return data[: span.start()] + wrapped + data[span.end() :]
    line = rng.choice(data.split(b"\n") or [b""])
    return data + (b"\n" + line) * min(depth, 2000)


def recode(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(CHARSETS), errors="replace")


def splice(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(SNIPPETS) + data[at:]


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "flip": flip,
    "truncate": truncate,
    "duplicate": duplicate,
    "nest": nest,
    "recode": recode,
    "splice": splice,
}


def payloads(count: int, seed: int) -> list[Payload]:
    """``count`` distinct mutated payloads, the same ones for the same seed."""
    rng = random.Random(seed)
    fixtures = sorted(FORMATS.iterdir())
    seen: set[bytes] = set()
    made: list[Payload] = []
    while len(made) < count:
        fixture = fixtures[len(made) % len(fixtures)]
        body = fixture.read_bytes()
        names = tuple(rng.choices(list(MUTATIONS), k=rng.choice([1, 1, 2, 3])))
        for name in names:
            body = MUTATIONS[name](rng, body)
        content_type = CONTENT_TYPES.get(fixture.suffix, "")
        if "recode" in names or rng.random() < 0.2:
            content_type = rng.choice(WRONG_TYPES)
        digest = hashlib.sha256(body + content_type.encode()).digest()
        if digest in seen:
            continue
        seen.add(digest)
        made.append(Payload(fixture.name, names, body, content_type))
    return made


def through_parse(
    items: list[Payload], max_bytes: int
) -> tuple[Counter[str], list[tuple[float, Payload]]]:
    """Outcome of ``parse`` for each payload, and the slowest ones.

    Payloads over the intake size limit are counted, not parsed: intake refuses them
    (413) before any parser sees them.
    """
    outcomes: Counter[str] = Counter()
    timings = []
    for item in items:
        if len(item.body) > max_bytes:
            outcomes[f"over {max_bytes:,} bytes: never parsed (413 at intake)"] += 1
            continue
        started = time.perf_counter()
        try:
            parse(RawItem(item.body, item.content_type, source="fuzz"))
            outcomes["story"] += 1
        except ParseError as error:
            outcomes[f"ParseError {error.reason}"] += 1
        except Exception as exc:  # what the fuzz run is looking for
            outcomes[f"NOT ALLOWED {type(exc).__name__}: {exc}"[:200]] += 1
        timings.append((time.perf_counter() - started, item))
    return outcomes, sorted(timings, key=lambda t: t[0], reverse=True)[:3]


def post(client: httpx.Client, item: Payload) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        answer = client.post(
            "/v1/stories",
            content=item.body,
            params={"source": "fuzz"},
            headers={"Content-Type": item.content_type},
        )
    except httpx.HTTPError as exc:
        return f"NOT ALLOWED {type(exc).__name__}", time.perf_counter() - started
    took = time.perf_counter() - started
    if answer.status_code == 202:
        return "202 accepted", took
    if 400 <= answer.status_code < 500:
        error = (
            answer.json().get("error", "")
            if "json" in answer.headers.get("content-type", "")
            else ""
        )
        return f"{answer.status_code} {error}".strip(), took
    return f"NOT ALLOWED HTTP {answer.status_code}", took


def through_intake(
    stack: LocalStack, items: list[Payload], threads: int
) -> tuple[Counter[str], list[tuple[float, Payload]]]:
    """POST every payload to the stack's API; outcomes and the slowest answers."""
    outcomes: Counter[str] = Counter()
    timings = []
    with (
        httpx.Client(
            base_url=stack.api_url, timeout=120, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as client,
        ThreadPoolExecutor(threads) as pool,
    ):
        answers = pool.map(lambda i: post(client, i), items)
        for item, (outcome, took) in zip(items, answers, strict=True):
            outcomes[outcome] += 1
            timings.append((took, item))
    return outcomes, sorted(timings, key=lambda t: t[0], reverse=True)[:3]


def drain(stack: LocalStack, timeout: float) -> int:
    """Wait until the pipeline queues stay empty; return the dead-lettered task count."""
    client = redis.Redis.from_url(stack.redis_url)
    deadline, quiet_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if sum(int(client.llen(queue)) for queue in QUEUES) == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 10:
                break
        else:
            quiet_since = None
        time.sleep(1)
    # The stack's own credentials, given explicitly: this process's may differ.
    store = S3Store(Settings.from_env(stack.env()), client=s3_client(stack))
    return sum(1 for _ in store.list("deadletter/"))


def show(title: str, outcomes: Counter[str], slowest: list[tuple[float, Payload]]) -> None:
    print(f"\n{title}: {sum(outcomes.values()):,} payloads")
    for outcome, count in outcomes.most_common():
        print(f"  {count:>6,}  {outcome}")
    for took, item in slowest:
        print(f"  slowest: {took:.3f}s  {item.label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-stack", action="store_true", help="only through parse")
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run" / "fuzz")
    args = parser.parse_args()
    exit_on_sigterm()
    items = payloads(args.count, args.seed)
    made = Counter(m for item in items for m in item.mutations)
    print(
        f"{len(items):,} distinct payloads from {len(list(FORMATS.iterdir()))} fixtures; "
        f"mutations applied: {dict(made)}"
    )
    failures = 0
    outcomes, slowest = through_parse(items, Settings().max_payload_bytes)
    show("parse", outcomes, slowest)
    failures += sum(n for o, n in outcomes.items() if o.startswith("NOT ALLOWED"))
    if not args.no_stack:
        stack = LocalStack(
            run_dir=args.run_dir,
            redis_url=f"redis://127.0.0.1:{free_port()}/0",
            s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
            api_port=free_port(),
            gateway_port=free_port(),
            # Tagging off: the run is about intake and ingest, not about the tagger.
            extra_env={"WIREFEED_TAGGERS": "", "WIREFEED_NEAR_DUPLICATE_DISTANCE": "-1"},
        )
        stack.start()
        try:
            outcomes, slowest = through_intake(stack, items, args.threads)
            show("intake (POST /v1/stories on the local stack)", outcomes, slowest)
            failures += sum(n for o, n in outcomes.items() if o.startswith("NOT ALLOWED"))
            dead = drain(stack, timeout=1800)
            print(f"\nworkers: {dead} dead-lettered task(s) after the queues drained")
            failures += dead
        finally:
            stack.stop()
    print(f"\n{'FAILED' if failures else 'OK'}: {failures} outcome(s) not allowed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
