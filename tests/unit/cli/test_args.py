from __future__ import annotations

import pytest

from tfshadow.cli.args import ArgumentError, ChdirArgumentError, split_arguments


def test_split_arguments_keeps_terraform_arguments_in_order() -> None:
    inv = split_arguments(
        ["apply", "-auto-approve", "-var", "size=large", "--message", "scale web", "-no-color"]
    )
    assert inv.message == "scale web"
    assert inv.tf_args == ["apply", "-auto-approve", "-var", "size=large", "-no-color"]
    assert inv.command == "apply"
    assert inv.rest == ["-auto-approve", "-var", "size=large", "-no-color"]


def test_split_arguments_double_dash_ends_own_options() -> None:
    inv = split_arguments(["--chdir=infra", "apply", "--", "--message", "x"])
    assert inv.chdir == "infra"
    assert inv.message is None
    assert inv.tf_args == ["apply", "--message", "x"]


def test_split_arguments_terraform_global_options() -> None:
    inv = split_arguments(["-chdir=envs/prod", "state", "list", "--terraform-bin", "/bin/tofu"])
    assert inv.terraform_chdir == "envs/prod"
    assert inv.global_args == ["-chdir=envs/prod"]
    assert inv.command == "state"
    assert inv.rest == ["list"]
    assert inv.terraform_bin == "/bin/tofu"


def test_split_arguments_missing_value_is_an_error() -> None:
    with pytest.raises(ArgumentError, match="--message needs a value"):
        split_arguments(["apply", "--message"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--terraform-bin", "", "apply"], "--terraform-bin needs a value"),
        (["--terraform-bin=", "apply"], "--terraform-bin needs a value"),
        (["--chdir=", "log"], "--chdir needs a value"),
        (["-chdir=", "state", "list"], "-chdir= needs a directory"),
        (["-chdir=a", "-chdir=b", "apply"], "-chdir is given 2 times"),
    ],
)
def test_split_arguments_empty_or_repeated_directory_and_binary_are_errors(
    argv: list[str], message: str
) -> None:
    # Each would otherwise run somewhere, or something, the command line did not say.
    with pytest.raises(ArgumentError, match=message):
        split_arguments(argv)


def test_a_chdir_terraform_refuses_is_told_apart_or_left_to_the_caller() -> None:
    # Terraform refuses either with 1: the dispatcher needs to know which error it was.
    with pytest.raises(ChdirArgumentError):
        split_arguments(["-chdir=", "state", "list"])
    inv = split_arguments(["-chdir=a", "-chdir=b", "state", "list"], check_chdir=False)
    assert inv.command == "state"
