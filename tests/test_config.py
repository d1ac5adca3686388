import os
from pathlib import Path

import pytest

from neurolake_lab.config import resolve_settings
from neurolake_lab.exceptions import WorkspaceError


def test_workspace_is_created_with_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEUROLAKE_USER", "ada")
    ws = tmp_path / "new" / "ws"
    s = resolve_settings(ws)
    assert s.workspace == ws.resolve() and s.owner == "ada" and s.user == "ada"
    assert 'owner = "ada"' in (ws / "neurolake.toml").read_text()
    monkeypatch.setenv("NEUROLAKE_USER", "bob")
    again = resolve_settings(ws)
    assert again.owner == "ada" and again.user == "bob"  # the owner is whoever created it


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    resolve_settings(ws)
    with (ws / "neurolake.toml").open("a") as fh:
        fh.write("preview_rows = 10\nmemory_limit = '1GB'\n")
    assert resolve_settings(ws).preview_rows == 10
    monkeypatch.setenv("NEUROLAKE_PREVIEW_ROWS", "20")
    assert resolve_settings(ws).preview_rows == 20
    assert resolve_settings(ws, preview_rows=30).preview_rows == 30
    assert resolve_settings(ws).memory_limit == "1GB"


def test_bad_settings_name_the_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "neurolake.toml").write_text("owner = \n")
    with pytest.raises(WorkspaceError, match=r"neurolake\.toml is not valid TOML"):
        resolve_settings(ws)


def test_unwritable_workspace_is_clear(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WorkspaceError, match="cannot create workspace folder"):
        resolve_settings(blocker / "ws")
    assert os.path.exists(blocker)


def test_under_jupyterhub_the_hub_user_is_the_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROLAKE_USER", "ada")
    ws = tmp_path / "ws"
    assert resolve_settings(ws).owner == "ada"  # made outside the Hub by ada
    monkeypatch.delenv("NEUROLAKE_USER")
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    s = resolve_settings(ws)
    # the Hub authenticated bob; the file's owner is not trusted (every user can write it)
    assert s.user == "bob" and s.owner == ""
    assert resolve_settings(ws, user="bob").user == "bob"
    with pytest.raises(WorkspaceError, match="identity is the Hub's user 'bob'"):
        resolve_settings(ws, user="ada")
    monkeypatch.setenv("NEUROLAKE_USER", "ada")
    with pytest.raises(WorkspaceError, match="cannot be set to 'ada'"):
        resolve_settings(ws)
    monkeypatch.delenv("NEUROLAKE_USER")
    monkeypatch.setenv("NEUROLAKE_OWNER", "ada")  # the deployment names the owner
    assert resolve_settings(ws).owner == "ada"
