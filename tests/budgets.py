"""A parse budget whose work never finishes: stands for a parser stuck on hostile input."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from wirefeed.intake.budget import ParseBudget

T = TypeVar("T")


class Stalling(ParseBudget):
    """Every parse it runs sleeps past the budget, which must stop it (``parse_timeout``).

    ``Stalling(0.5, isolate=False)`` stops it with the alarm, in the calling thread (as a
    worker does); ``Stalling(1, workers=1)`` kills a worker process (as the API does).
    """

    def run(self, function: Callable[..., T], *args: object) -> T:
        super().run(time.sleep, 3600)
        raise AssertionError("unreachable: the budget stops the sleep")
