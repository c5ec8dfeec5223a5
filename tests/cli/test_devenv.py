"""``.run/env``: written owner-only by the stack, read by the commands run beside it."""

from __future__ import annotations

import stat
from pathlib import Path

from cli import devenv


def stack_file(directory: Path, values: dict[str, str]) -> Path:
    path = directory / devenv.ENV_FILE
    devenv.write(path, values)
    return path


def test_the_file_is_private_and_round_trips_any_value(tmp_path: Path) -> None:
    values = {"S3_ENDPOINT_URL": "http://127.0.0.1:9000", "WIREFEED_EDITOR_TOKEN": "a b'c\"$d"}
    path = stack_file(tmp_path, values)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert devenv.read(path) == values


def test_rewriting_keeps_the_file_private(tmp_path: Path) -> None:
    path = stack_file(tmp_path, {"REDIS_URL": "redis://127.0.0.1:1/0"})
    path.chmod(0o644)
    devenv.write(path, {"REDIS_URL": "redis://127.0.0.1:2/0"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_commands_take_what_the_environment_does_not_set(tmp_path: Path) -> None:
    stack_file(tmp_path, {"S3_BUCKET": "dev", "WIREFEED_EDITOR_TOKEN": "dev-token-editor"})
    environ = {"WIREFEED_EDITOR_TOKEN": "mine"}
    assert devenv.load(tmp_path, environ) == tmp_path / devenv.ENV_FILE
    assert environ == {"S3_BUCKET": "dev", "WIREFEED_EDITOR_TOKEN": "mine"}


def test_an_environment_naming_its_own_endpoints_ignores_the_file(tmp_path: Path) -> None:
    stack_file(tmp_path, {"AWS_ACCESS_KEY_ID": "wirefeed-dev", "S3_BUCKET": "dev"})
    environ = {"S3_ENDPOINT_URL": "https://s3.example.com"}
    assert devenv.load(tmp_path, environ) is None
    assert environ == {"S3_ENDPOINT_URL": "https://s3.example.com"}


def test_no_file_no_change(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    assert devenv.load(tmp_path, environ) is None
    assert environ == {}


def test_a_file_others_may_read_is_ignored_with_a_warning(tmp_path: Path, capsys) -> None:
    path = stack_file(tmp_path, {"S3_BUCKET": "dev"})
    path.chmod(0o644)
    environ: dict[str, str] = {}
    assert devenv.load(tmp_path, environ) is None
    assert environ == {}
    assert "mode 0600" in capsys.readouterr().err


def test_only_the_stack_variables_are_kept() -> None:
    kept = {"REDIS_URL": "r", "S3_BUCKET": "b", "AWS_SECRET_ACCESS_KEY": "s", "WIREFEED_X": "1"}
    assert devenv.stack_variables({"PATH": "/bin", "HOME": "/root", **kept}) == kept
