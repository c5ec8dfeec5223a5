"""Every command from a second terminal: nothing exported, only the stack's ``.run/env``.

Each command runs as a person types it, in a folder holding a dev stack's ``.run/env``
and with an environment that names no endpoint, token or credential. Against a stopped
stack each says in one line what failed and what to do, and exits with the code in the
README's table; against the running one each succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from cli import devenv
from cli.common import EXIT_FAILED, EXIT_REFUSED, EXIT_UNAVAILABLE
from cli.localstack import LocalStack, free_port
from tests.e2e.helpers import publish_seed_story
from wirefeed.editor.audit import query
from wirefeed.storage import S3Store

pytestmark = pytest.mark.e2e
WIREFEED = str(Path(sys.executable).with_name("wirefeed"))
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "first-feature-film-in-space.txt"
S3_DOWN = "error: S3 endpoint http://127.0.0.1:"
API_DOWN = "error: API at http://127.0.0.1:"


def bare_environment() -> dict[str, str]:
    """What a fresh shell has: no Wirefeed, AWS, Redis or S3 variables."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    return {name: os.environ[name] for name in keep if name in os.environ}


def wirefeed(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one command in ``folder`` as a person would."""
    return subprocess.run(
        [WIREFEED, *args],
        cwd=folder,
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command wrote, with no traceback anywhere."""
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


# (command, exit code, what the line says) with every part of the stack stopped.
STOPPED = [
    (["status"], EXIT_UNAVAILABLE, S3_DOWN),
    (["status", "--json"], EXIT_UNAVAILABLE, S3_DOWN),
    (["reconcile"], EXIT_UNAVAILABLE, "error: Redis unreachable at redis://127.0.0.1:"),
    (["kill", "s1", "--reason", "x"], EXIT_UNAVAILABLE, API_DOWN),
    (["correct", "s1", "--note", "x"], EXIT_UNAVAILABLE, API_DOWN),
    (["republish", "s1"], EXIT_UNAVAILABLE, API_DOWN),
    (["embargo", "s1", "--release"], EXIT_UNAVAILABLE, API_DOWN),
    (["rebuild"], EXIT_UNAVAILABLE, API_DOWN),
    (["audit"], EXIT_UNAVAILABLE, API_DOWN),
    (["submit", str(SAMPLE)], EXIT_UNAVAILABLE, API_DOWN),
    (["partners", "list"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "export"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "add", "p1", "--name", "P"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "key", "p1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "revoke", "p1", "k1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "remove", "p1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["partners", "remove-feed", "f1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["agencies", "list"], EXIT_UNAVAILABLE, S3_DOWN),
    (["agencies", "add", "a1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["agencies", "key", "a1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["agencies", "revoke", "a1", "k1"], EXIT_UNAVAILABLE, S3_DOWN),
    (["quarantine", "list"], EXIT_UNAVAILABLE, S3_DOWN),
    (["quarantine", "show", "q1"], EXIT_UNAVAILABLE, S3_DOWN),
    # A replay is an editor's action: it goes through the editor API.
    (["quarantine", "replay", "q1", "q2"], EXIT_UNAVAILABLE, API_DOWN),
]


def test_every_command_against_a_stopped_stack_fails_in_one_line(tmp_path: Path) -> None:
    # A stack's .run/env whose ports nothing listens on any more.
    devenv.write(
        tmp_path / devenv.ENV_FILE,
        {
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "AWS_ACCESS_KEY_ID": "wirefeed-dev",
            "AWS_SECRET_ACCESS_KEY": "wirefeed-dev",
            "WIREFEED_API_PORT": str(free_port()),
            "WIREFEED_DEV_MODE": "1",
            "WIREFEED_ADMIN_TOKEN": "dev-token",
            "WIREFEED_EDITOR_TOKEN": "dev-token-editor-admin",
        },
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda case: wirefeed(tmp_path, *case[0]), STOPPED))
    for (args, code, words), done in zip(STOPPED, runs, strict=True):
        line = one_line(done)
        assert line.startswith(words), (args, line)
        assert line.endswith("is the stack running? (make run)"), (args, line)
        assert done.returncode == code, (args, done.returncode, line)


def test_without_a_stack_or_a_token_the_editor_commands_say_how_to_get_one(
    tmp_path: Path,
) -> None:
    done = wirefeed(tmp_path, "kill", "s1", "--reason", "x")
    assert one_line(done) == (
        "error: no token: set WIREFEED_EDITOR_TOKEN or run inside a dev stack (make run)"
    )
    assert done.returncode == EXIT_REFUSED


def test_every_command_works_beside_a_running_stack(
    stack: LocalStack, api: httpx.Client, stack_store: S3Store, tmp_path: Path
) -> None:
    (tmp_path / ".run").mkdir()
    shutil.copy2(stack.env_file, tmp_path / devenv.ENV_FILE)

    def ok(*args: str) -> str:
        done = wirefeed(tmp_path, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    story_id = publish_seed_story(api, f"cli-{uuid.uuid4().hex[:8]}")["id"]
    status = json.loads(ok("status", "--json", "--timeout", "10"))
    assert status["stories_by_stage"]["published"] >= 1
    assert "Wirefeed status" in ok("status")
    watching = subprocess.Popen(
        [WIREFEED, "status", "--json", "--watch", "1", "--timeout", "5"],
        cwd=tmp_path,
        env=bare_environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watching.stdout is not None
        reports = [json.loads(watching.stdout.readline()) for _ in range(2)]
    finally:
        watching.terminate()
        watching.wait(30)
    assert all(report["stories_by_stage"]["published"] >= 1 for report in reports)

    partner = f"cli-{uuid.uuid4().hex[:8]}"
    ok("partners", "add", partner, "--name", "From a shell")
    assert ok("partners", "key", partner).startswith("wf_")
    assert partner in ok("partners", "list")
    ok("partners", "remove", partner)  # the session's other tests share this stack
    assert partner not in ok("partners", "list")
    agency = f"cli-{uuid.uuid4().hex[:8]}"
    ok("agencies", "add", agency)
    agency_key = ok("agencies", "key", agency).strip()
    assert agency_key.startswith("wfa_")
    assert agency in ok("agencies", "list")
    ok("agencies", "revoke", agency, agency_key.split("_")[1])
    unknown_agency = wirefeed(tmp_path, "agencies", "key", f"{agency}-none")
    assert unknown_agency.returncode == EXIT_REFUSED
    assert one_line(unknown_agency).startswith("error: refused: no agency")
    # Audited like the admin API's edits, under the shell's user.
    edits = [e for e in query(stack_store) if (e.detail or "").startswith(("partner", "agency"))]
    mine = [e for e in edits if partner in (e.detail or "") or agency in (e.detail or "")]
    assert {(e.action, e.result, e.user.startswith("cli:")) for e in mine} == {
        ("partner.put", "done", True),
        ("partner.key", "done", True),
        ("partner.delete", "done", True),
        ("agency.add", "done", True),
        ("agency.key", "done", True),
        ("agency.revoke", "done", True),
        ("agency.key", "refused", True),
    }

    ok("republish", story_id)
    ok("correct", story_id, "--note", "Corrected from a shell")
    ok("embargo", story_id, "--until", "2099-01-01T00:00:00")
    ok("embargo", story_id, "--release")
    rebuilt = ok("rebuild")
    assert "feeds rewritten:" in rebuilt  # plain progress lines off a terminal
    ok("kill", story_id, "--reason", "Killed from a shell")
    assert "kill" in ok("audit", "--story", story_id)
    assert "ingest" in json.loads(ok("reconcile", "--dry-run"))
    # Under a source of its own: the seed story's default id belongs to test_seed_story.
    assert "story" in ok("submit", str(SAMPLE), "--source", f"cli-{uuid.uuid4().hex[:8]}")

    hostile = b'<!DOCTYPE x [<!ENTITY a "b"><!ENTITY c "&a;&a;">]><nitf>&c;</nitf>'
    refused = api.post("/v1/stories", content=hostile, headers={"Content-Type": "text/xml"})
    item = refused.json()["quarantine_id"]
    assert item in ok("quarantine", "list")
    assert "xml_entities_forbidden" in ok("quarantine", "show", item)
    still = wirefeed(tmp_path, "quarantine", "replay", item, "no-such-item")
    assert still.returncode == EXIT_FAILED
    assert "still does not parse" in still.stdout and "no quarantined item" in still.stdout
    assert one_line(still) == "error: 2 of 2 items not replayed"
    unknown_item = wirefeed(tmp_path, "quarantine", "replay", "no-such-item")
    assert unknown_item.returncode == EXIT_REFUSED

    unknown = wirefeed(tmp_path, "kill", "no-such-story", "--reason", "x")
    assert unknown.returncode == EXIT_REFUSED
    assert one_line(unknown).startswith("error: refused (404)")
