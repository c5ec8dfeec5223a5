"""Parsing under a hard time budget, in processes that can be stopped.

A parser stuck on hostile input (a regex, expat, nh3: CPU-bound code, much of it in C)
cannot be interrupted from another thread, and a Python thread cannot be killed: a
timeout on a thread only stops waiting, while the thread keeps a core busy for as long
as the input lasts. A process can be killed. So the payload is parsed in a small pool
of worker processes (pebble's ProcessPool): a task that overruns its budget has its
process killed and replaced, and the caller gets ``ParseError("parse_timeout")``.

The workers are forked from a forkserver that has imported the parsers once, so a
replacement is ready in milliseconds and no worker inherits the threads and locks of
the process that owns the pool (a web server's thread pool, a Celery child).
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from pebble import ProcessExpired, ProcessPool

from wirefeed.intake.parsers import ParseError, RawItem, parse
from wirefeed.model import Story

T = TypeVar("T")

# Imported by the forkserver before it forks workers (what parsing needs).
_PRELOAD = [
    f"wirefeed.intake.{name}"
    for name in ("parsers.xml", "parsers.ninjs", "parsers.legacy", "upstreams")
]


class ParseBudget:
    """Runs parse functions within ``seconds`` each, in ``workers`` processes.

    ``seconds=None`` runs them inline, in the caller's thread, with no budget (tests of
    one function, tools). The pool starts on first use and is stopped at exit.
    """

    def __init__(self, seconds: float | None, workers: int = 1) -> None:
        self.seconds = seconds
        self.workers = max(1, workers)
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> ProcessPool:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_PRELOAD)
                self._pool = ProcessPool(max_workers=self.workers, context=context)
                atexit.register(self.close)
            return self._pool

    def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` within the budget; ParseError when it overruns or crashes.

        ``function`` must be a module-level function (it is sent to the worker by name).
        """
        if self.seconds is None:
            return function(*args)
        future = self._get_pool().schedule(function, args=args, timeout=self.seconds)
        try:
            result: T = future.result()
        except FutureTimeout as exc:
            raise ParseError(
                "parse_timeout", f"parsing took longer than {self.seconds:g}s and was stopped"
            ) from exc
        except ProcessExpired as exc:
            # The worker died (a crash in C code, the memory limit): the payload did it.
            raise ParseError("parser_crashed", f"the parser process died: {exc}") from exc
        return result

    def parse(self, item: RawItem) -> Story:
        """``parse(item)`` within the budget."""
        return self.run(parse, item)

    def close(self) -> None:
        """Stop the worker processes (a running parse is killed)."""
        with self._lock:
            if self._pool is not None:
                self._pool.stop()
                self._pool.join()
                self._pool = None


# No budget: parse in the caller's thread (the default of the intake functions).
INLINE = ParseBudget(None)
