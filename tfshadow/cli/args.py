"""Splitting a command line between tfshadow and Terraform.

tfshadow's own options are ``--long`` names (Terraform's are ``-single-dash``), taken from
anywhere on the line until ``--``; everything else goes to Terraform unchanged and in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# option name -> attribute of Invocation
OWN_OPTIONS = {
    "--chdir": "chdir",
    "--terraform-bin": "terraform_bin",
    "--message": "message",
    "--lock-timeout": "lock_timeout",
    # Only `tfshadow plan` takes these (the dispatcher rejects them elsewhere).
    "--format": "report_format",
    "--report-file": "report_file",
}
PLAN_ONLY_OPTIONS = ("--format", "--report-file")
# Empty, these would quietly mean "not given" (`--terraform-bin "$UNSET"` running the embedded
# Terraform, `-chdir=` working here).
NON_EMPTY_OPTIONS = frozenset({"--chdir", "--terraform-bin"})


@dataclass
class Invocation:
    chdir: str | None = None
    terraform_bin: str | None = None
    message: str | None = None
    lock_timeout: str | None = None
    report_format: str | None = None
    report_file: str | None = None
    tf_args: list[str] = field(default_factory=list)  # everything for Terraform, in order

    @property
    def plan_options(self) -> list[str]:
        """The plan-only options given (``--format``, ``--report-file``)."""
        return [name for name in PLAN_ONLY_OPTIONS if getattr(self, OWN_OPTIONS[name]) is not None]

    @property
    def command_index(self) -> int | None:
        """Position of the subcommand in tf_args: the first argument that is not an option."""
        for i, arg in enumerate(self.tf_args):
            if not arg.startswith("-"):
                return i
        return None

    @property
    def command(self) -> str | None:
        i = self.command_index
        return None if i is None else self.tf_args[i]

    @property
    def global_args(self) -> list[str]:
        """Terraform's options before the subcommand (``-chdir=DIR``, ``-help``…)."""
        i = self.command_index
        return list(self.tf_args if i is None else self.tf_args[:i])

    @property
    def rest(self) -> list[str]:
        i = self.command_index
        return [] if i is None else self.tf_args[i + 1 :]

    @property
    def terraform_chdir(self) -> str | None:
        for arg in self.global_args:
            if arg.startswith("-chdir="):
                return arg.removeprefix("-chdir=")
        return None


class ArgumentError(ValueError):
    pass


class ChdirArgumentError(ArgumentError):
    """Terraform's ``-chdir`` given empty or more than once (Terraform refuses both)."""


def split_arguments(argv: Sequence[str], *, check_chdir: bool = True) -> Invocation:
    """``argv`` split between tfshadow and Terraform; ``check_chdir`` False leaves a
    ``-chdir`` Terraform would refuse for the caller to judge."""
    inv = Invocation()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            inv.tf_args.extend(argv[i + 1 :])
            break
        name, eq, value = arg.partition("=")
        if name in OWN_OPTIONS:
            if not eq:
                if i + 1 >= len(argv):
                    raise ArgumentError(f"option {name} needs a value")
                value = argv[i + 1]
                i += 1
            if not value and name in NON_EMPTY_OPTIONS:
                raise ArgumentError(f"option {name} needs a value")
            setattr(inv, OWN_OPTIONS[name], value)
        else:
            inv.tf_args.append(arg)
        i += 1
    if check_chdir:
        _check_terraform_chdir(inv)
    return inv


def _check_terraform_chdir(inv: Invocation) -> None:
    """Terraform's ``-chdir`` is applied by tfshadow (it runs there): given twice or empty,
    Terraform would refuse it, and tfshadow would have picked a directory of its own."""
    given = [a for a in inv.global_args if a.startswith("-chdir=")]
    if len(given) > 1:
        raise ChdirArgumentError(f"-chdir is given {len(given)} times (Terraform takes one)")
    if given == ["-chdir="]:
        raise ChdirArgumentError("-chdir= needs a directory, like -chdir=infra")
