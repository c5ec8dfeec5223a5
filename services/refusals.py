"""The admin API's answer to a configuration edit the domain refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException, status

from wirefeed.documents import EditRefused, UnknownEntry

T = TypeVar("T")


def checked(action: Callable[[], T]) -> T:
    """Run an edit; an unknown entry is a 404 and a refused edit a 409, with the reason."""
    try:
        return action()
    except UnknownEntry as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except EditRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
