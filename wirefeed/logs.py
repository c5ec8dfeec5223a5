"""Structured JSON logs: one JSON object per line, from structlog and the stdlib alike.

Context bound with ``bind`` (the task id, the story id) travels on every line the
process writes until ``clear`` — Celery's own lines included, since they go through
the same formatter.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.typing import Processor

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
]


def configure(level: str | int = "INFO") -> None:
    """Send every log line of this process to stderr as JSON."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    # Replace plain console handlers (ours included, when configured again); keep
    # specialised ones such as a test runner's capture.
    root.handlers[:] = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


def bind(**context: Any) -> None:
    """Add fields to every following line of this thread (or task), dropping None values."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in context.items() if v is not None})


def clear() -> None:
    """Forget the bound fields (at the end of a task)."""
    structlog.contextvars.clear_contextvars()
