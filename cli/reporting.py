"""Progress of long commands: a bar on a terminal, plain lines in a log or a pipe."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

# Plain output notes a phase at most this many times, so a long run stays a short log.
_PLAIN_STEPS = 10


class Reporter:
    """``update(phase, done, total)`` as work goes; use it as a context manager.

    On a terminal each phase is a rich progress bar; otherwise a line is written when a
    phase starts, at every tenth of it, and when it ends.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._noted: dict[str, int] = {}
        # Updates may come from several threads at once (the reconciler reads in a pool).
        self._lock = threading.Lock()

    def __enter__(self) -> Reporter:
        if self.console.is_terminal:
            self._bars = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()

    def update(self, phase: str, done: int, total: int | None) -> None:
        """``done`` of ``total`` items of ``phase`` are through (total None: not known yet)."""
        with self._lock:
            self._show(phase, done, total)

    def _show(self, phase: str, done: int, total: int | None) -> None:
        if self._bars is not None:
            if phase not in self._tasks:
                self._tasks[phase] = self._bars.add_task(phase, total=total)
            self._bars.update(self._tasks[phase], completed=done, total=total)
            return
        # Plain: a line each time another tenth is through (every item when the total
        # is not known).
        step = done * _PLAIN_STEPS // total if total else done
        if self._noted.get(phase) != step:
            self._noted[phase] = step
            of = f"/{total}" if total is not None else ""
            self.console.print(f"{phase}: {done}{of}", highlight=False)
