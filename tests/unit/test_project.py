"""The working directory a command runs in (tfshadow/project.py), as --chdir / -chdir give it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.cli.main import run
from tfshadow.errors import UsageError
from tfshadow.project import Project


def test_project_file_as_workdir_is_not_a_directory(tmp_path: Path) -> None:
    main_tf = tmp_path / "main.tf"
    main_tf.write_text("")
    with pytest.raises(UsageError) as caught:
        Project(main_tf, {})
    assert caught.value.message == f"`{main_tf}` is not a directory"
    assert "--chdir / -chdir" in caught.value.one_line()


def test_project_missing_workdir_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        Project(tmp_path / "absent", {})


@pytest.mark.parametrize(
    ("argv", "code", "hint"),
    [
        (["--chdir", "main.tf", "log"], 2, "check --chdir / -chdir"),
        (["-chdir=main.tf", "apply"], 2, "check -chdir"),
        # Passed through, the exit code is Terraform's own for such a -chdir.
        (["-chdir=main.tf", "state", "list"], 1, "check -chdir"),
    ],
)
def test_project_chdir_to_a_file_is_one_line(
    argv: list[str],
    code: int,
    hint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "main.tf").write_text("")
    monkeypatch.chdir(tmp_path)
    assert run(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"main.tf` is not a directory: {hint}" in err
    assert "does not exist" not in err
