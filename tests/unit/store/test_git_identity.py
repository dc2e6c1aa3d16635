from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError
from tfshadow.store.git import git_identity

if TYPE_CHECKING:
    from conftest import StoreKit

GLOBAL_USER = "[user]\n\tname = Global User\n\temail = global@example.com\n"


@pytest.fixture
def global_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty global git config file of this test's own; nothing above tmp_path is a repo."""
    path = tmp_path / "global.gitconfig"
    path.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(path))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return path


def directory(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def test_git_identity_outside_a_repository_comes_from_the_global_file(
    global_config: Path, tmp_path: Path
) -> None:
    global_config.write_text(GLOBAL_USER)
    assert git_identity(directory(tmp_path / "plain")) == ("Global User", "global@example.com")


def test_git_identity_without_a_user_section_is_none(global_config: Path, tmp_path: Path) -> None:
    global_config.write_text("[core]\n\tautocrlf = false\n")
    assert git_identity(directory(tmp_path / "plain")) is None


@pytest.mark.parametrize(
    "user",
    [
        "[user]\n\tname = Global User\n",
        "[user]\n\temail = global@example.com\n",
        '[user]\n\tname = ""\n\temail = global@example.com\n',
    ],
)
def test_git_identity_with_a_name_or_email_missing_is_none(
    global_config: Path, tmp_path: Path, user: str
) -> None:
    global_config.write_text(user)
    assert git_identity(directory(tmp_path / "plain")) is None


def test_git_identity_in_a_repository_prefers_its_own_user(
    kit: StoreKit, global_config: Path, tmp_path: Path
) -> None:
    global_config.write_text(GLOBAL_USER)
    repo = directory(tmp_path / "repo")
    kit.git(repo, "init", "-q")
    kit.git(repo, "config", "user.name", "Repo Ann")
    kit.git(repo, "config", "user.email", "ann@repo.example")

    assert git_identity(directory(repo / "envs" / "prod")) == ("Repo Ann", "ann@repo.example")
    assert git_identity(directory(tmp_path / "plain")) == ("Global User", "global@example.com")


def test_git_identity_mixes_repository_and_global_settings_as_git_does(
    kit: StoreKit, global_config: Path, tmp_path: Path
) -> None:
    global_config.write_text(GLOBAL_USER)
    repo = directory(tmp_path / "repo")
    kit.git(repo, "init", "-q")
    kit.git(repo, "config", "user.email", "work@repo.example")
    assert git_identity(repo) == ("Global User", "work@repo.example")

    # author.* is what git puts on a commit's author line when it is set.
    kit.git(repo, "config", "author.name", "Author Override")
    assert git_identity(repo) == ("Author Override", "work@repo.example")


def test_git_identity_ignores_git_dir_pointing_elsewhere(
    kit: StoreKit, global_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = directory(tmp_path / "decoy")
    kit.git(decoy, "init", "-q")
    kit.git(decoy, "config", "user.name", "Decoy")
    kit.git(decoy, "config", "user.email", "decoy@example.com")
    repo = directory(tmp_path / "repo")
    kit.git(repo, "init", "-q")
    kit.git(repo, "config", "user.name", "Repo Ann")
    kit.git(repo, "config", "user.email", "ann@repo.example")
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))

    assert git_identity(repo) == ("Repo Ann", "ann@repo.example")


def test_git_identity_of_a_missing_directory_is_none(global_config: Path, tmp_path: Path) -> None:
    global_config.write_text(GLOBAL_USER)
    assert git_identity(tmp_path / "nowhere") is None


def test_git_identity_with_a_broken_config_file_says_which(
    global_config: Path, tmp_path: Path
) -> None:
    global_config.write_text("[user\n\tname = Global User\n")
    with pytest.raises(StoreError, match="git cannot read its configuration") as caught:
        git_identity(directory(tmp_path / "plain"))
    assert str(global_config) in str(caught.value)


def test_git_identity_takes_git_author_variables_over_the_configuration(
    global_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set by many CI runners and containers; git itself authors commits with them.
    global_config.write_text(GLOBAL_USER)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "env@example.com")
    assert git_identity(directory(tmp_path / "plain")) == ("Env Author", "env@example.com")
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    assert git_identity(tmp_path / "plain") == ("Env Author", "global@example.com")
    global_config.write_text("")
    assert git_identity(tmp_path / "plain") is None
