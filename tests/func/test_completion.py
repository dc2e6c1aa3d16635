"""Shell completion, answered from a real store after real applies (embedded Terraform)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.func.conftest import Tfshadow


def complete(
    tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, cwd: Path, line: str, shell: str = "bash"
) -> list[str]:
    """What the shell is offered for the last word of ``line`` (empty after a final space)."""
    with monkeypatch.context() as shell_env:
        shell_env.setenv("_TFSHADOW_COMPLETE", f"{shell}_complete")
        shell_env.setenv("COMP_WORDS", line)
        shell_env.setenv("COMP_CWORD", str(len(line.split(" ")) - 1))
        result = tfshadow(cwd=cwd)
    assert (result.code, result.err) == (0, "")
    if shell == "zsh":  # type, value, help: three lines an item
        return result.out.splitlines()
    return [line.partition(",")[2] for line in result.out.splitlines()]


def test_versions_newest_first_with_their_names(
    workdir: Path, tfshadow: Tfshadow, two_versions: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow revert ") == [
        "latest",
        "last-good",
        "2",
        "1",
    ]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow diff 1 ") == [
        "latest",
        "last-good",
        "2",
        "1",
    ]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow checkout 1") == ["1"]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow mark la") == ["latest", "last-good"]
    # zsh shows each version's kind, time and description beside it.
    zsh = complete(tfshadow, monkeypatch, workdir, "tfshadow inspect 2", shell="zsh")
    assert zsh[:2] == ["plain", "2"] and zsh[2].startswith("apply ") and "bigger web" in zsh[2]


def test_addresses_come_from_the_version_named(
    workdir: Path, tfshadow: Tfshadow, two_versions: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "extra.tf").write_text(
        'resource "terraform_data" "extra" {\n  count = 2\n  input = count.index\n}\n'
    )
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    newest = complete(tfshadow, monkeypatch, workdir, "tfshadow inspect --target ")
    assert newest == [
        "terraform_data.auth",
        "terraform_data.extra",
        "terraform_data.extra[0]",
        "terraform_data.extra[1]",
        "terraform_data.web",
    ]
    # Version 2 had no `extra`: a revert to it is offered what it holds.
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow revert 2 --target ") == [
        "terraform_data.auth",
        "terraform_data.web",
    ]
    assert complete(
        tfshadow, monkeypatch, workdir, "tfshadow revert --target terraform_data.e"
    ) == [
        "terraform_data.extra",
        "terraform_data.extra[0]",
        "terraform_data.extra[1]",
    ]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow log terraform_data.a") == [
        "terraform_data.auth"
    ]
    # Terraform's own commands that take addresses, and its -target.
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow state rm terraform_data.w") == [
        "terraform_data.web"
    ]
    # No ghost can be made of a terraform_data (tests/func/test_ghost.py: of an instance).
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow ghost enable terraform_data.w") == []
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow taint terraform_data.extra[") == [
        "terraform_data.extra[0]",
        "terraform_data.extra[1]",
    ]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow plan -target=terraform_data.a") == [
        "-target=terraform_data.auth"
    ]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow apply -target terraform_data.a") == [
        "terraform_data.auth"
    ]


def test_terraform_commands_beside_tfshadow_s_own(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow re") == ["revert", "refresh"]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow st") == ["store", "stacks", "state"]
    # `state` is Terraform's: its words are its subcommands, not tfshadow's commands (`log`).
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow state l") == ["list"]
    assert "replace-provider" in complete(tfshadow, monkeypatch, workdir, "tfshadow state ")
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow workspace s") == ["select", "show"]
    # Own options, and Terraform's files where Terraform takes them.
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow ghost ") == [
        "activate",
        "disable",
        "enable",
        "list",
        "refresh",
    ]
    assert "--dry-run" in complete(tfshadow, monkeypatch, workdir, "tfshadow revert --d")
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow apply -var-file=") == ["-var-file="]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow --ch") == ["--chdir"]


def test_the_directory_and_workspace_given_are_the_ones_read(
    workdir: Path, tfshadow: Tfshadow, two_versions: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = workdir.parent
    assert complete(tfshadow, monkeypatch, parent, "tfshadow revert ") == []
    assert complete(tfshadow, monkeypatch, parent, "tfshadow --chdir infra revert ")[2:] == [
        "2",
        "1",
    ]
    # tfshadow takes its own options anywhere on the line, after its command's name too.
    assert complete(tfshadow, monkeypatch, parent, "tfshadow revert --chdir infra ")[2:] == [
        "2",
        "1",
    ]
    assert complete(tfshadow, monkeypatch, parent, "tfshadow -chdir=infra state rm ") == [
        "terraform_data.auth",
        "terraform_data.web",
    ]
    assert tfshadow("workspace", "new", "staging", "-no-color", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow log --workspace ") == [
        "default",
        "staging",
    ]
    # The selected workspace's history, or the one --workspace names.
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow inspect ")[2:] == ["1"]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow inspect --workspace default ")[
        2:
    ] == ["2", "1"]
    assert complete(tfshadow, monkeypatch, workdir, "tfshadow --chdir ") == [""]


def test_nothing_is_offered_or_printed_without_a_store(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tfshadow.hcl").write_text("store {\n  bogus = 1\n}\n")
    assert complete(tfshadow, monkeypatch, tmp_path, "tfshadow revert ") == []
    assert complete(tfshadow, monkeypatch, tmp_path, "tfshadow state rm ") == []
    assert complete(tfshadow, monkeypatch, tmp_path, "tfshadow diff --target ") == []
    assert not (tmp_path / ".tfshadow").exists()


def test_an_unknown_request_is_one_line_and_exit_2(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_TFSHADOW_COMPLETE", "tcsh_source")
    result = tfshadow(cwd=tmp_path)
    assert result.code == 2
    assert result.err.count("\n") == 1 and "bash_source, zsh_source or fish_source" in result.err


def test_bash_completes_through_the_installed_command(
    workdir: Path, tfshadow: Tfshadow, two_versions: object
) -> None:
    """The script bash sources, run by bash, calling the console script."""
    bash = shutil.which("bash")
    assert bash is not None
    bindir = Path(sys.executable).parent
    script = (
        'eval "$(_TFSHADOW_COMPLETE=bash_source tfshadow)"\n'
        'COMP_WORDS=(tfshadow revert ""); COMP_CWORD=2; _tfshadow_completion tfshadow\n'
        'echo "${COMPREPLY[*]}"\n'
    )
    out = subprocess.run(
        [bash, "-c", script],
        cwd=workdir,
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["latest", "last-good", "2", "1"]
