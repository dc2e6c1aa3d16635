"""The help of the Terraform commands tfshadow wraps: what tfshadow adds to each, and its options.

``tfshadow apply -help`` is first of all Terraform's help (the command takes Terraform's
options), but alone it hides what tfshadow does around it: the version it records, its
``--message``, ``plan``'s report. So tfshadow's lines come first, then Terraform's help as it
is. Commands tfshadow does not wrap (``state list``, ``init``…) keep Terraform's help alone.

Plain text, without click or rich: a wrapped command's help loads neither.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "END_OF_OPTIONS",
    "EVERY_COMMAND_HEADING",
    "EVERY_COMMAND_OPTIONS",
    "MESSAGE_OPTION",
    "wrapped_help",
]

EVERY_COMMAND_HEADING = (
    "Options for every command (tfshadow's own are --long; Terraform's keep one dash):"
)
EVERY_COMMAND_OPTIONS = """\
  --chdir DIR            work in DIR (Terraform's -chdir=DIR works too)
  --terraform-bin PATH   run this terraform/tofu executable, not the embedded Terraform
                         (also TFSHADOW_TERRAFORM_BIN)
  --lock-timeout SECS    how long to wait for another tfshadow command on the same store
                         (default: Terraform's -lock-timeout, else
                         TFSHADOW_LOCK_TIMEOUT, else 60 s)"""
MESSAGE_OPTION = (
    "  --message TEXT         the description of the version a recorded command creates"
)
END_OF_OPTIONS = (
    "  --                     end of tfshadow's options: the rest goes to Terraform as it is"
)


def _recorded(name: str, more: str = "") -> str:
    """What tfshadow does with the recorded command ``name``; ``more``: what it adds to it."""
    return (
        f"tfshadow {name} runs Terraform's {name}, then records\n"
        "the state it left as a shadow version (`tfshadow log` lists them; nothing is recorded\n"
        "when the state did not change; a change made outside tfshadow since the newest version\n"
        "is recorded first, as a `recovered` version)." + (f"\n{more}" if more else "")
    )


# What tfshadow does with each wrapped command, by the name it records it under.
_WHAT = {
    "apply": _recorded(
        "apply",
        "A version is recorded also when Terraform fails after changing the state (outcome\n"
        "`partial`). `apply -destroy` is recorded as a destroy, `apply -refresh-only` as a\n"
        "refresh, `apply PLANFILE` as the plan was made. The ghost instances enabled are brought\n"
        "up to date after it.",
    ),
    "destroy": _recorded("destroy"),
    "import": _recorded(
        "import", "The object imported is counted as added to the state, not created."
    ),
    "refresh": _recorded("refresh"),
    "taint": _recorded("taint"),
    "untaint": _recorded("untaint"),
    "state mv": _recorded(
        "state mv",
        "An object moved to another address is shown as moved, not destroyed and created.",
    ),
    "state rm": _recorded(
        "state rm",
        "An object removed from the state is counted as forgotten (no longer managed by\n"
        "Terraform), not destroyed: it still exists.",
    ),
    "state push": _recorded(
        "state push",
        "It changes Terraform's record alone: an object the pushed state lacks is counted as\n"
        "forgotten, not destroyed.",
    ),
    "state replace-provider": _recorded(
        "state replace-provider",
        "Each instance it moves is shown with its provider before and after.",
    ),
}
_PLAN = """\
tfshadow plan runs Terraform's plan (its exit code kept, -detailed-exitcode's 2 included)
and reports on what it would change. When a shadow store exists, the report is saved
in it (plan/report.md and plan/report.json, what `tfshadow comment` posts) and one line on
stderr says where.

tfshadow's options for plan:
  --format markdown|json|text   the report on stdout, Terraform's output on stderr
  --report-file PATH            the report written to PATH as well (in --format, else markdown)"""
_STATE = """\
tfshadow records the state commands that change the state: `state mv`, `state rm`,
`state push` and `state replace-provider` (`tfshadow state rm -help` says how); the others
are passed straight through to Terraform."""


def wrapped_help(command: str, args: Sequence[str]) -> str | None:
    """tfshadow's lines for ``command``'s help, to print before Terraform's, when ``args``
    (the rest of the line, options before the command included) ask for it and tfshadow wraps
    the command; None otherwise (Terraform's help alone, or no help asked)."""
    from tfshadow.ops.record import RECORDED_STATE_SUBCOMMANDS
    from tfshadow.runner.commands import HELP_FLAGS, VERSION_FLAGS

    given = list(args[: args.index("--")] if "--" in args else args)
    # Terraform prints its version rather than any help when both are asked.
    if not set(given) & HELP_FLAGS or set(given) & VERSION_FLAGS:
        return None
    sub = next((a for a in given if not a.startswith("-")), None) if command == "state" else None
    name = f"state {sub}" if sub in RECORDED_STATE_SUBCOMMANDS else command
    if command == "plan":
        what = _PLAN
    elif command == "state" and sub is None:
        return f"{_STATE}\n\nTerraform's own help for state follows.\n"
    elif name in _WHAT:
        what = (
            f"{_WHAT[name]}\n\n"
            f"tfshadow's options for {name}:\n"
            "  --message TEXT         the description of the version it records (default: a\n"
            "                         summary of the change it made)"
        )
    else:
        return None
    return (
        f"{what}\n\n{EVERY_COMMAND_HEADING}\n{EVERY_COMMAND_OPTIONS}\n{END_OF_OPTIONS}\n\n"
        f"Terraform's own help for {name} follows.\n"
    )
