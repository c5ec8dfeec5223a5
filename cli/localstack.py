"""The local stack: Redis, an S3 endpoint, one Celery worker per queue, and the API.

``make run`` and the end-to-end tests both use this module, so what a developer runs is
what the tests prove. Every process is a child started here, supervised (a worker
that dies, as Celery workers do when Redis restarts under them, is started again) and
stopped by PID.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import boto3
import httpx
import redis
from botocore.config import Config

from cli import devenv
from wirefeed.editor.users import dev_tokens
from wirefeed.intake.agencies import ensure_dev_agencies
from wirefeed.messages import QUEUES
from wirefeed.settings import Settings
from wirefeed.storage import S3Store

# Generous: on a loaded, shared 2-core machine a cold start of the API (imports alone)
# took 27 s with nothing else starting, and minutes while the workers start too.
STARTUP_TIMEOUT_S = 300
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Celery pool per queue (prefork where not named). The tagging worker runs its tasks in
# its own process: spaCy's model and numeric libraries are loaded before it takes a
# story and are never carried across a fork, which can leave a pool process stalled.
# It scales by running more worker processes (replicas), not pool children.
POOLS: Mapping[str, str] = {"enrich": "solo"}
# What marks a line of a child's output as worth an operator's eye in a report.
_PROBLEM_MARKS = (
    '"level": "error"',
    '"level": "warning"',
    '"level": "critical"',
    "Traceback",
    "ERROR",
    "WARNING",
)
DEV_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "wirefeed-dev", "AWS_SECRET_ACCESS_KEY": "wirefeed-dev"}
# s3rver (npm), the benchmark's second endpoint, accepts only its own fixed key pair.
S3RVER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
# Where `make s3rver` (for `make test` and `make bench`) installs s3rver.
S3RVER_BIN = Path(__file__).resolve().parent.parent / ".run/s3rver/node_modules/.bin/s3rver"
# s3rver 3.7 makes ListObjectsV2 continuation tokens with DES, which the OpenSSL 3 of
# current Node.js refuses unless its legacy provider is loaded: without it every listing
# of more than 1,000 keys fails with InternalError.
S3RVER_ENV = {"NODE_OPTIONS": "--openssl-legacy-provider"}


def _with_loopback(no_proxy: str | None) -> str:
    """A NO_PROXY list that also names the loopback hosts."""
    hosts = [h for h in (no_proxy or "").split(",") if h]
    return ",".join(hosts + sorted(LOOPBACK - set(hosts)))


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a ``finally: stack.stop()`` runs when we are stopped."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


class StackError(RuntimeError):
    """A part of the local stack could not be started."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def wait_until(check: object, timeout: float, what: str) -> None:
    """Poll ``check()`` until it is true, or raise StackError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except StackError:
            raise
        except Exception:
            pass
        time.sleep(0.1)
    raise StackError(f"{what} did not come up within {timeout:.0f}s")


@dataclass
class Service:
    """A child process the stack started and keeps alive."""

    name: str
    argv: list[str]
    log: Path
    supervised: bool = True
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log_start: int = 0  # Where this run's output begins in the (appended) log.

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the child's output, for error reports."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return f"({self.log} unreadable)"
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class LocalStack:
    """Starts and stops the whole pipeline on this machine."""

    run_dir: Path
    redis_url: str = "redis://127.0.0.1:6379/0"
    s3_endpoint_url: str = "http://127.0.0.1:9000"
    s3_bucket: str = "wirefeed"
    api_port: int = 8000
    gateway_port: int = 8001
    concurrency: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(QUEUES, 1))
    extra_env: Mapping[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    # One-line warnings of the start-up (also printed to stderr as they happen).
    warnings: list[str] = field(default_factory=list)
    # The embedded S3 endpoint: "moto" (the default everywhere) or "s3rver" (the
    # benchmark's second endpoint; it ignores conditional-write headers, so it is not
    # fit to run the pipeline for real).
    s3_server: str = "moto"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        """The environment every child process runs with."""
        env = dict(os.environ)
        if self.s3_server == "s3rver":
            env.update(S3RVER_CREDENTIALS)
        for name, value in DEV_CREDENTIALS.items():
            env.setdefault(name, value)
        env.setdefault("WIREFEED_DEV_MODE", "1")
        env.update(
            REDIS_URL=self.redis_url,
            S3_ENDPOINT_URL=self.s3_endpoint_url,
            S3_BUCKET=self.s3_bucket,
            WIREFEED_API_PORT=str(self.api_port),
            WIREFEED_GATEWAY_PORT=str(self.gateway_port),
            PYTHONUNBUFFERED="1",
            # Numeric libraries' thread pools do not survive a fork, and two cores do
            # not gain from them: one thread each.
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            # The stack's endpoints are on loopback: a proxy configured for the wider
            # network must never carry (and slow or refuse) their traffic.
            NO_PROXY=_with_loopback(env.get("NO_PROXY")),
            no_proxy=_with_loopback(env.get("no_proxy")),
        )
        env.update(self.extra_env)
        return env

    # -- processes -------------------------------------------------------------------

    def _spawn(self, service: Service) -> None:
        service.log.parent.mkdir(parents=True, exist_ok=True)
        with service.log.open("ab") as log:
            service.log_start = log.tell()
            service.process = subprocess.Popen(
                service.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**self.env(), **service.env},
                cwd=Path(__file__).resolve().parent.parent,
                start_new_session=True,  # Ctrl-C reaches us, and we stop children in order.
            )

    def add(
        self,
        name: str,
        argv: list[str],
        supervised: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> Service:
        """Start a child process (with ``env`` on top of the stack's) and remember it."""
        log = self.run_dir / "logs" / f"{name}.log"
        service = Service(name, argv, log, supervised, dict(env or {}))
        self.services[name] = service
        self._spawn(service)
        return service

    def report(self, problems_per_service: int = 3) -> str:
        """Each child's liveness and restarts, and its last warnings and errors."""
        lines = []
        for service in self.services.values():
            code = service.process.poll() if service.process else None
            status = "running" if code is None else f"exited {code}"
            lines.append(f"{service.name}: {status}, {service.restarts} restart(s)")
            problems = [
                line
                for line in service.log_tail(400).splitlines()
                if any(mark in line for mark in _PROBLEM_MARKS)
            ]
            lines += [f"  {line[:300]}" for line in problems[-problems_per_service:]]
        return "\n".join(lines)

    def supervise(self) -> list[str]:
        """Restart supervised children that exited; return the names restarted."""
        restarted = []
        for service in self.services.values():
            if service.supervised and service.process and service.process.poll() is not None:
                service.restarts += 1
                self._spawn(service)
                restarted.append(service.name)
        return restarted

    def stop_service(self, name: str, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop one child (and its process group) and forget it, so it is not restarted."""
        service = self.services.pop(name)
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, sig)
            service.process.wait(10)

    def stop(self, timeout: float = 10) -> None:
        """Stop every child: SIGTERM by PID, then SIGKILL for any that linger."""
        for service in reversed(list(self.services.values())):
            if service.process and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in self.services.values():
            if service.process is None:
                continue
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
        self.services.clear()

    # -- the parts -------------------------------------------------------------------

    def start_redis(self) -> None:
        """Start redis-server with AOF persistence, unless one already answers."""
        url = urlparse(self.redis_url)
        host, port = url.hostname or "127.0.0.1", url.port or 6379
        if port_open(host, port) or host not in LOOPBACK:
            return
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError(
                "redis-server is not installed: run `apt-get install redis-server` as root "
                "(make run does this for you), or set REDIS_URL to a running Redis."
            )
        data = self.run_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        self.add(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                host,
                "--dir",
                str(data),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
            ],
        )
        client = redis.Redis(host=host, port=port)
        wait_until(client.ping, 15, f"redis-server on port {port}")

    def _s3_argv(self, host: str, port: int) -> list[str]:
        if self.s3_server == "s3rver":
            if not S3RVER_BIN.exists():
                raise StackError(f"s3rver is not installed at {S3RVER_BIN}: run `make s3rver`")
            data = self.run_dir / "s3rver"
            data.mkdir(parents=True, exist_ok=True)
            return [str(S3RVER_BIN), "-d", str(data), "-a", host, "-p", str(port), "--silent"]
        if importlib.util.find_spec("moto") is None:
            raise StackError(
                "the embedded S3 endpoint needs the local extra: pip install "
                "'wirefeed[local]' (make run installs it), or set S3_ENDPOINT_URL to a store"
            )
        return [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)]

    def start_s3(self) -> None:
        """Start the embedded S3 endpoint unless one answers; create the bucket, and in
        dev mode the dev agencies (``agency-a``, ``agency-b``) with their known keys."""
        url = urlparse(self.s3_endpoint_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        if not port_open(host, port) and host in LOOPBACK:
            env = S3RVER_ENV if self.s3_server == "s3rver" else None
            self.add("s3", self._s3_argv(host, port), env=env)
            wait_until(
                lambda: port_open(host, port), STARTUP_TIMEOUT_S, f"S3 endpoint on port {port}"
            )
        env = self.env()
        settings = Settings.from_env(
            env, s3_endpoint_url=self.s3_endpoint_url, s3_bucket=self.s3_bucket
        )
        # The children's credentials, given explicitly: boto3's default session keeps
        # the first ones it found for the life of this process.
        client = boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}),
        )
        store = S3Store(settings, client=client)
        for warning in store.ensure_bucket():
            self.warnings.append(warning)
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        if settings.dev_mode:
            ensure_dev_agencies(store)

    def start_workers(self) -> None:
        """Celery workers for each queue, each consuming only its own queue.

        A prefork queue gets one worker with ``concurrency`` pool processes; a solo queue
        gets ``concurrency`` workers (``worker-enrich``, ``worker-enrich-2``...). Each
        serves its metrics on a free port (``metrics_url``), summed over its pool
        processes through a multiprocess folder of its own. Node names carry the queue,
        the worker's index and this supervisor's pid (``enrich-2.4711@host``), so two
        stacks on one host sharing a Redis still show every worker once to
        ``celery inspect`` and Flower.
        """
        for queue in QUEUES:
            pool = POOLS.get(queue, "prefork")
            count = self.concurrency.get(queue, 1)
            workers, children = (count, 1) if pool == "solo" else (1, count)
            for number in range(1, workers + 1):
                name = queue if number == 1 else f"{queue}-{number}"
                node = f"{queue}-{number}.{os.getpid()}@%h"
                self.add(
                    f"worker-{name}",
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "workers.app",
                        "worker",
                        "-Q",
                        queue,
                        "-n",
                        node,
                        "-P",
                        pool,
                        "-c",
                        str(children),
                        "--loglevel",
                        "INFO",
                        "--without-mingle",
                        "--without-gossip",
                    ],
                    env={
                        "WIREFEED_METRICS_PORT": str(free_port()),
                        "PROMETHEUS_MULTIPROC_DIR": str(self.run_dir / "metrics" / name),
                    },
                )
        for name in [n for n in self.services if n.startswith("worker-")]:
            self.wait_for_worker(name)

    def wait_for_worker(self, name: str) -> None:
        """Wait until the worker ``name`` says it is ready (its models loaded, if any).

        A worker that dies or stays silent fails the start with the end of its log, so
        a broken worker is reported at once instead of as stories that never move.
        """
        service = self.services[name]

        def ready() -> bool:
            if service.process is not None and service.process.poll() is not None:
                raise StackError(f"{name} exited at start:\n{service.log_tail()}")
            with service.log.open("rb") as log:
                log.seek(service.log_start)
                return b" ready." in log.read()

        try:
            wait_until(ready, STARTUP_TIMEOUT_S, name)
        except StackError as error:
            raise StackError(f"{error}\n{service.log_tail()}") from None

    def metrics_url(self, name: str) -> str:
        """Where the child ``name`` (a worker) serves its Prometheus metrics."""
        port = self.services[name].env["WIREFEED_METRICS_PORT"]
        return f"http://127.0.0.1:{port}/metrics"

    def start_beat(self) -> None:
        """The periodic-task scheduler (sweepers, pollers, reconciler); exactly one runs."""
        self.add(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.app",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.run_dir / "beat-schedule"),
            ],
        )

    def _start_http(self, name: str, factory: str, port: int) -> None:
        """A uvicorn app on loopback; waits until its /healthz answers."""
        self.add(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                factory,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
        )
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200,
            STARTUP_TIMEOUT_S,
            f"{name} on port {port}",
        )

    def start_api(self) -> None:
        """The HTTP API (intake, status, admin), on loopback."""
        self._start_http("api", "services.api:create_app", self.api_port)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start_gateway(self) -> None:
        """The partner gateway (private feeds), on loopback and its own port."""
        self._start_http("gateway", "services.gateway:create_gateway_app", self.gateway_port)

    @property
    def env_file(self) -> Path:
        """Where the stack leaves its settings for commands run beside it (``.run/env``)."""
        return self.run_dir / devenv.ENV_FILE.name

    def write_env_file(self) -> None:
        """Write the endpoints, credentials and tokens the children run with.

        The tokens are the ones the commands need: the admin token (``submit``) and, in
        dev mode, the dev editor with the admin role (the editor commands and
        ``quarantine replay``, which go through the editor API).
        """
        env = self.env()
        values = devenv.stack_variables(env)
        settings = Settings.from_env(env)
        values.setdefault("WIREFEED_ADMIN_TOKEN", settings.admin_token)
        if settings.dev_mode:
            values.setdefault("WIREFEED_EDITOR_TOKEN", dev_tokens(settings)["dev-admin"])
        devenv.write(self.env_file, values)

    def start(self) -> None:
        """Start every part, in dependency order; stop what started if one part fails."""
        try:
            self.start_redis()
            self.start_s3()
            self.start_workers()
            self.start_beat()
            self.start_api()
            self.start_gateway()
            self.write_env_file()
        except BaseException:
            self.stop()
            raise
