"""The dev stack's settings file, ``.run/env``: how a second terminal finds ``make run``.

``wirefeed stack up`` writes the endpoints, credentials and tokens its children run
with to ``.run/env`` (owner-only). Every ``wirefeed`` command run in that directory
takes from it what the environment does not set: the environment always wins, and an
environment that names endpoints of its own (``REDIS_URL`` or ``S3_ENDPOINT_URL``)
ignores the file altogether, so dev credentials never travel to another store. Only
the command line reads it: services and workers take their environment as given, so
production never reads ``.run/``.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

ENV_FILE = Path(".run") / "env"
# Variables of the stack worth handing to a command run beside it.
_PREFIXES = ("WIREFEED_", "AWS_", "S3_")
_NAMES = {"REDIS_URL"}
# Set in the environment, these mean "another stack than the dev one".
_ENDPOINTS = ("REDIS_URL", "S3_ENDPOINT_URL")


def stack_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The part of a stack's environment that commands beside it need."""
    return {k: v for k, v in env.items() if k in _NAMES or k.startswith(_PREFIXES)}


def write(path: Path, values: Mapping[str, str]) -> None:
    """Write ``values`` as shell-quoted ``NAME=value`` lines, readable by the owner only.

    The file is replaced whole (written beside, then renamed), so a reader never sees
    half of it; ``set -a; . .run/env`` works in a shell too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    text = "".join(f"{name}={shlex.quote(value)}\n" for name, value in sorted(values.items()))
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode does not apply to an existing file
        out.write(text)
    partial.replace(path)


def read(path: Path) -> dict[str, str]:
    """The variables of an env file written by :func:`write`."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if words and "=" in words[0]:
            name, _, value = words[0].partition("=")
            values[name] = value
    return values


def load(directory: Path, environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Fill ``environ`` (default: this process's) from ``directory/.run/env``.

    Returns the file read, or None when there is none, when the environment names its
    own endpoints, or when the file is not the user's own and private (then with a
    one-line warning).
    """
    env = os.environ if environ is None else environ
    path = directory / ENV_FILE
    if any(name in env for name in _ENDPOINTS):
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        print(f"warning: ignoring {path}: it must belong to you and be mode 0600", file=sys.stderr)
        return None
    for name, value in read(path).items():
        env.setdefault(name, value)
    return path
