"""Errors of editorial actions, which the API maps to status codes."""

from __future__ import annotations


class EditorialError(Exception):
    """An action that cannot be done; ``code`` is ``not_found``, ``conflict`` or ``invalid``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class FeedBusy(Exception):
    """Another render held a feed's lease for too long; the task retries."""
