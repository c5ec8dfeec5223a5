"""Progress off a terminal: a few plain lines, never a bar."""

from __future__ import annotations

import io

from rich.console import Console

from cli.reporting import Reporter


def test_plain_output_notes_each_tenth_once() -> None:
    out = io.StringIO()
    with Reporter(Console(file=out, force_terminal=False)) as reporter:
        for done in range(1, 101):
            reporter.update("reading story states", done, 100)
    lines = out.getvalue().splitlines()
    assert lines[0] == "reading story states: 1/100"
    assert lines[-1] == "reading story states: 100/100"
    assert len(lines) == 11


def test_a_terminal_gets_a_bar() -> None:
    out = io.StringIO()
    with Reporter(Console(file=out, force_terminal=True, width=80)) as reporter:
        reporter.update("replaying", 2, 4)
    assert "replaying" in out.getvalue() and "2/4" in out.getvalue()


def test_updates_from_many_threads_make_one_bar_per_phase() -> None:
    from concurrent.futures import ThreadPoolExecutor

    out = io.StringIO()
    with Reporter(Console(file=out, force_terminal=True, width=80)) as reporter:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: reporter.update("reading", n, 200), range(1, 201)))
        assert reporter._bars is not None
        assert len(reporter._bars.tasks) == 1
