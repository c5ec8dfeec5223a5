"""``wirefeed agencies``: add, key, list and revoke from a shell, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import agencies as command
from cli import main
from cli.common import EXIT_REFUSED
from wirefeed.editor.audit import query
from wirefeed.intake import agencies
from wirefeed.storage import MemoryStore


def test_add_key_list_and_revoke(
    store: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .run/env of a stack in this checkout
    monkeypatch.setattr(command, "open_store", lambda: store)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["agencies", *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("add", "efe")[0] == 0
    code, issued, _ = run("key", "efe", "--grace-s", "60")
    assert code == 0
    secret = issued.strip()
    found = agencies.load(store).authenticate(secret)
    assert found is not None and found.name == "efe"
    key_id = secret.split("_")[1]
    _, listed, _ = run("list")
    assert "efe" in listed and key_id in listed and secret not in listed
    assert run("revoke", "efe", key_id)[0] == 0
    assert agencies.load(store).authenticate(secret) is None

    code, _, error = run("key", "nobody")
    assert code == EXIT_REFUSED
    assert error == "error: refused: no agency 'nobody'\n"
    audited = [(e.action, e.result, e.user.startswith("cli:")) for e in reversed(query(store))]
    assert audited == [
        ("agency.add", "done", True),
        ("agency.key", "done", True),
        ("agency.revoke", "done", True),
        ("agency.key", "refused", True),
    ]
