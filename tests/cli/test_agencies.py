"""``wirefeed agencies``: add, key, list and revoke from a shell."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import agencies as command
from wirefeed.intake import agencies
from wirefeed.storage import MemoryStore


def test_add_key_list_and_revoke(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "_store", lambda: store)
    runner = CliRunner()
    assert runner.invoke(command.app, ["add", "efe"]).exit_code == 0
    issued = runner.invoke(command.app, ["key", "efe", "--grace-s", "60"])
    assert issued.exit_code == 0
    secret = issued.stdout.strip()
    found = agencies.load(store).authenticate(secret)
    assert found is not None and found.name == "efe"
    key_id = secret.split("_")[1]
    listed = runner.invoke(command.app, ["list"])
    assert "efe" in listed.stdout and key_id in listed.stdout and secret not in listed.stdout
    assert runner.invoke(command.app, ["revoke", "efe", key_id]).exit_code == 0
    assert agencies.load(store).authenticate(secret) is None
    unknown = runner.invoke(command.app, ["key", "nobody"])
    assert unknown.exit_code == 1 and "no agency 'nobody'" in unknown.stdout
