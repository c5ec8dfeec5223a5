"""Parsing under a hard time budget.

A parser stuck on hostile input (a regex, expat, nh3: CPU-bound code, much of it in C)
cannot be stopped from another thread, and a Python thread cannot be killed: a timeout
on a thread only stops the waiting, while the thread keeps a core busy for as long as
the input lasts. A process can be killed. So there are two ways to keep a budget:

- ``isolate=True`` (the API): the payload is parsed in a small pool of worker processes
  (pebble's ProcessPool). A task that overruns has its process killed and replaced,
  and the caller gets ``ParseError("parse_timeout")``. Workers are forked from a
  forkserver that imported the parsers once, so a replacement is ready in milliseconds
  and no worker inherits the threads and locks of the server process.
- ``isolate=False`` (Celery pool processes, which are daemonic and may not have child
  processes): the parse runs in the calling main thread under a SIGALRM timer. The
  alarm interrupts Python code and the regex engine (which checks for signals as it
  runs); C code that never returns is left to Celery's hard time limit, which kills
  the pool process (settings.task_time_limit_s).
"""

from __future__ import annotations

import atexit
import multiprocessing
import signal
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


class _Overrun(BaseException):
    """Raised by the alarm; a BaseException so no parser's ``except Exception`` eats it."""


def _overrun(signum: int, frame: object) -> None:
    raise _Overrun


class ParseBudget:
    """Runs parse functions within ``seconds`` each, in ``workers`` processes.

    ``seconds=None`` runs them inline, in the caller's thread, with no budget (tests of
    one function, tools). ``isolate=False`` runs them in the calling (main) thread under
    an alarm instead of in processes. The pool starts on first use and stops at exit.
    """

    def __init__(self, seconds: float | None, workers: int = 1, isolate: bool = True) -> None:
        self.seconds = seconds
        self.workers = max(1, workers)
        self.isolate = isolate
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
        if not self.isolate:
            return self._run_under_alarm(self.seconds, function, *args)
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

    def _run_under_alarm(self, seconds: float, function: Callable[..., T], *args: object) -> T:
        previous = signal.signal(signal.SIGALRM, _overrun)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args)
        except _Overrun as exc:
            raise ParseError(
                "parse_timeout", f"parsing took longer than {seconds:g}s and was stopped"
            ) from exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

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
