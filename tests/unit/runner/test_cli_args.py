"""Terraform's arguments read as Terraform reads them, checked against the embedded Terraform."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tfshadow.runner.cli_args import (
    CliArgsError,
    check_cli_args,
    cli_args_variables,
    effective_args,
    go_duration_seconds,
    split_cli_args,
    terraform_subcommand,
)


def test_split_cli_args_as_a_shell_would_for_ordinary_values() -> None:
    assert split_cli_args("-var 'spaced=a b' -var=\"x=1\"  -no-color") == [
        "-var",
        "spaced=a b",
        "-var=x=1",
        "-no-color",
    ]
    assert split_cli_args("") == []
    assert split_cli_args(r"-var a=b\ c") == ["-var", "a=b c"]


def test_split_cli_args_stops_where_terraform_stops() -> None:
    # An unquoted ; ends the value for Terraform: what follows is not an argument.
    assert split_cli_args("-no-color ; -destroy") == ["-no-color"]
    assert split_cli_args("-var 'a=;'") == ["-var", "a=;"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("-var 'size=x", "a ' is not closed"),
        ('-var "size=x', 'a " is not closed'),
        ("-var size=x\\", "ends with a backslash"),
        ("-var `size=x", "a ` is not closed"),
        ("-var size=$(x", "a $( or a lone ) is not closed"),
        ("-var size=(x)", "a ( outside quotes"),
    ],
)
def test_values_terraform_refuses_are_told_with_what_is_wrong(
    value: str, problem: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CliArgsError, match=re.escape(problem)):
        split_cli_args(value)
    # The embedded Terraform refuses each before running anything.
    assert _terraform_version(value, tmp_path) == 1
    assert "Error parsing extra CLI args from TF_CLI_ARGS_version" in capfd.readouterr().err


def _terraform_version(tf_cli_args_version: str, cwd: Path) -> int:
    """The embedded Terraform's exit code for `version` given ``TF_CLI_ARGS_version``."""
    from tfshadow.runner import embedded_engine

    environ = {**os.environ, "TF_CLI_ARGS_version": tf_cli_args_version}
    return embedded_engine().run(["version"], cwd=cwd, environ=environ)


def test_values_shlex_reads_otherwise_are_taken_as_terraform_takes_them(tmp_path: Path) -> None:
    for value in ("-json ; '", "-json )a)", '-json "a`b"'):
        split_cli_args(value)
        assert _terraform_version(value, tmp_path) == 0, value


def test_the_variables_terraform_reads_for_a_command() -> None:
    assert terraform_subcommand(["-chdir=x", "apply", "-auto-approve"]) == ("apply", 1)
    assert terraform_subcommand(["state", "rm", "a.b"]) == ("state rm", 1)
    assert terraform_subcommand(["-help"]) is None
    assert cli_args_variables("state rm") == ("TF_CLI_ARGS", "TF_CLI_ARGS_state_rm")
    assert cli_args_variables("force-unlock") == ("TF_CLI_ARGS", "TF_CLI_ARGS_force_unlock")
    environ = {"TF_CLI_ARGS": "-no-color", "TF_CLI_ARGS_apply": "-var 'a=b"}
    assert check_cli_args(environ, "apply") == ("TF_CLI_ARGS_apply", "a ' is not closed")
    assert check_cli_args(environ, "destroy") is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("0s", 0.0), ("5s", 5.0), ("1m30s", 90.0), ("1.5h", 5400.0), ("250ms", 0.25)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert go_duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "s", "5x", "1m30", "nan", "5 s"])
def test_go_durations_refused(text: str) -> None:
    with pytest.raises(ValueError):
        go_duration_seconds(text)


def test_effective_args_read_a_state_subcommands_own_variable_as_terraform_does() -> None:
    # Terraform reads TF_CLI_ARGS_state_rm for `state rm`, never TF_CLI_ARGS_state.
    environ = {"TF_CLI_ARGS_state_rm": "-state=other.tfstate", "TF_CLI_ARGS_state": "-x"}
    assert effective_args(["state", "rm", "a.b"], environ) == [
        "state",
        "rm",
        "-state=other.tfstate",
        "a.b",
    ]
    # A value Terraform cannot read adds nothing (it refuses the command before running it).
    assert effective_args(["apply"], {"TF_CLI_ARGS": "-destroy '"}) == ["apply"]
