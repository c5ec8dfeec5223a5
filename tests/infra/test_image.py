"""The image's install steps, run for real: what ships runs.

Docker cannot run where the tests run, so this stands in for ``docker build``: it
copies what infra/Dockerfile's COPY lines copy into a folder, makes a fresh venv, runs
the Dockerfile's ``pip`` RUN lines there as written (with the venv's pip first on
PATH), and then checks the result as the image's processes would use it: every default
tagger loads (the spaCy model included), ``celery -A workers.app inspect`` starts, the
``wirefeed`` command runs, and neither the S3 mock nor Flask is installed. The base
image's own steps (the user it adds) are checked by reading them.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wirefeed.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "infra" / "Dockerfile"

pytestmark = pytest.mark.e2e


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def build_context(into: Path) -> None:
    """Copy what the COPY lines copy, from the repository root, keeping their targets."""
    for keyword, arguments in instructions():
        if keyword != "COPY":
            continue
        *sources, target = shlex.split(arguments)
        for source in sources:
            origin = ROOT / source
            destination = into / target
            if target.endswith("/"):
                destination = destination / origin.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(origin, destination)


def test_the_image_runs_as_an_unprivileged_user() -> None:
    steps = instructions()
    users = [arguments for keyword, arguments in steps if keyword == "USER"]
    assert users and users[-1] not in {"0", "root"}
    runs = [arguments for keyword, arguments in steps if keyword == "RUN"]
    assert any(f"--uid {users[-1]}" in run for run in runs)


# A fresh venv of every runtime dependency: minutes on a busy 2-core machine.
@pytest.mark.timeout(1800)
def test_the_dockerfile_install_steps_give_a_working_venv(tmp_path: Path) -> None:
    context, venv = tmp_path / "app", tmp_path / "venv"
    build_context(context)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    installs = [a for k, a in instructions() if k == "RUN" and a.startswith("pip ")]
    assert len(installs) >= 3, "the Dockerfile installs the lock, the models, then Wirefeed"
    hashed = " ".join(a for a in installs if "--require-hashes" in a)
    assert "requirements/runtime.lock" in hashed and "requirements/models.txt" in hashed
    for command in installs:
        subprocess.run(["bash", "-c", command], cwd=context, env=env, check=True, timeout=900)

    def run(*argv: str) -> str:
        # From outside the build folder, so the installed package is what gets imported.
        done = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    loaded = run(
        str(bin_dir / "python"),
        "-c",
        "from wirefeed.enrich.taggers import build_pipeline;"
        "from wirefeed.settings import Settings;"
        "s = Settings();"
        "p = build_pipeline(s.taggers, s);"
        "print(','.join(t.name for t in p.taggers))",
    )
    # The last line: loading logs a line of its own first.
    assert loaded.strip().splitlines()[-1].split(",") == list(Settings().taggers)
    assert "inspect" in run(str(bin_dir / "celery"), "-A", "workers.app", "inspect", "--help")
    assert "reconcile" in run(str(bin_dir / "wirefeed"), "--help")
    installed = run(str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze").lower()
    names = {line.split("==")[0] for line in installed.splitlines()}
    assert not names & {"moto", "flask", "flask-cors"}, "the S3 mock is not for production"
