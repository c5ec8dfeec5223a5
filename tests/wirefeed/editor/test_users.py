from __future__ import annotations

from pathlib import Path

import pytest

from wirefeed.editor.users import Action, Directory, Role, User, add_user, hash_token, load_users
from wirefeed.settings import Settings


@pytest.mark.parametrize(
    ("roles", "action", "allowed"),
    [
        ([Role.editor], Action.kill, True),
        ([Role.editor], Action.correct, True),
        ([Role.editor], Action.embargo, True),
        ([Role.editor], Action.republish, True),
        ([Role.editor], Action.rebuild, False),
        ([Role.editor], Action.replay, False),
        ([Role.admin], Action.kill, True),
        ([Role.admin], Action.rebuild, True),
        ([], Action.republish, False),
    ],
)
def test_roles_grant_actions(roles: list[Role], action: Action, allowed: bool) -> None:
    user = User(name="ann", roles=roles, token_sha256=hash_token("t"))
    assert user.may(action) is allowed


def test_the_users_file_keeps_only_token_hashes(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    token = add_user(path, "ann", [Role.editor])
    add_user(path, "bob", [Role.admin])
    assert token not in path.read_text()
    directory = Directory(load_users(path))
    found = directory.authenticate(token)
    assert found is not None and found.name == "ann"
    assert directory.authenticate("guess") is None
    rekeyed = add_user(path, "ann", [Role.editor])
    assert Directory(load_users(path)).authenticate(token) is None
    assert [u.name for u in load_users(path)] == ["bob", "ann"]
    assert rekeyed != token


def test_dev_accounts_exist_only_in_dev_mode(tmp_path: Path) -> None:
    dev = Directory.from_settings(Settings(dev_mode=True))
    admin = dev.authenticate("dev-token-editor-admin")
    assert admin is not None and admin.roles == [Role.admin]
    assert dev.authenticate("dev-token") is None  # the service token is no editor's
    editor = dev.authenticate("dev-token-editor")
    assert editor is not None and editor.roles == [Role.editor]
    production = Directory.from_settings(Settings(dev_mode=False, admin_token="s3cret"))
    assert production.authenticate("s3cret") is None
