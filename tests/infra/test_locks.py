"""The hashed locks pin every dependency pyproject.toml declares (run `make lock` when not)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _pinned(lock: str) -> set[str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.M)}


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_the_runtime_lock_pins_every_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert _names(project["dependencies"]) - _pinned("runtime.lock") == set()


def test_the_dev_lock_pins_every_dependency_and_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _names(project["dependencies"])
    for extra in ("dev", "local"):
        declared |= _names(project["optional-dependencies"][extra])
    assert declared - _pinned("dev.lock") == set()
