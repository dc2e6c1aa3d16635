"""Terraform's arguments read as Terraform's Go code reads them: ``TF_CLI_ARGS*`` values split
into words, and ``-lock-timeout`` durations.

Python's ``shlex`` splits most values the same way, but not all: Terraform (go-shellwords)
refuses an unclosed backquote or ``$(``, or a bare ``(``, that ``shlex`` takes as letters,
and stops at an unquoted ``;``, ``&``, ``|``, ``<`` or ``>``. Reading a value
otherwise than Terraform does would have tfshadow record, or refuse, what Terraform did not.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence

from tfshadow import env
from tfshadow.errors import UsageError

_SPACE = frozenset(" \t\r\n")
_STOP = frozenset(";&|<>")


class CliArgsError(ValueError):
    """A ``TF_CLI_ARGS*`` value Terraform refuses ("invalid command line string")."""


def split_cli_args(line: str) -> list[str]:
    """The words Terraform makes of a ``TF_CLI_ARGS*`` value; :class:`CliArgsError` (saying
    what is wrong) where Terraform refuses it.

    A port of the go-shellwords ``Parse`` Terraform is built with (no environment variables,
    no command substitution), checked against the embedded Terraform by the tests: quotes,
    backslashes, backquotes and ``$(…)`` are kept track of the same way (a lone ``)`` opens what
    the next one closes, as there), an empty quoted word is no word, and parsing ends at the
    first unquoted ``;&|<>``.
    """
    args: list[str] = []
    buf = ""
    escaped = double = single = back = dollar = False
    got = False  # a word is under way
    for char in line:
        if escaped:
            buf += char
            escaped = False
            continue
        if char == "\\":
            if single:
                buf += char
            else:
                escaped = True
            continue
        if char in _SPACE:
            if single or double or back or dollar:
                buf += char
            elif got:
                args.append(buf)
                buf, got = "", False
            continue
        quoted = single or double
        if char == "`" and not quoted and not dollar:
            back = not back
        elif char == ")" and not quoted and not back:
            dollar = not dollar
        elif char == "(" and not quoted and not back:
            if dollar or not buf.endswith("$"):
                raise CliArgsError("a ( outside quotes")
            dollar = True
            buf += char
            continue
        elif char == '"' and not single and not dollar:
            double = not double
            continue
        elif char == "'" and not double and not dollar:
            single = not single
            continue
        elif char in _STOP and not (quoted or back or dollar):
            if char == ">" and buf[:1].isascii() and buf[:1].isdigit():
                got = False  # `2>`: the digits name a descriptor, not a word
            break
        got = True
        buf += char
    if got:
        args.append(buf)
    unclosed = next(
        (what for what, on in (("'", single), ('"', double), ("`", back)) if on),
        None,
    )
    if unclosed is not None:
        raise CliArgsError(f"a {unclosed} is not closed")
    if dollar:
        raise CliArgsError("a $( or a lone ) is not closed")
    if escaped:
        raise CliArgsError("it ends with a backslash")
    return args


# Terraform's commands that have subcommands: `state rm` is one command, as Terraform names
# its TF_CLI_ARGS_state_rm.
_NESTED = frozenset({"state", "workspace", "providers", "metadata", "stacks"})


def terraform_subcommand(args: Sequence[str]) -> tuple[str, int] | None:
    """Terraform's subcommand in its ``args`` (``"apply"``, ``"state rm"``) and where its last
    word is; None when there is none (only options)."""
    first = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if first is None:
        return None
    if args[first] in _NESTED and first + 1 < len(args):
        sub = args[first + 1]
        if sub and not sub.startswith("-") and " " not in sub:
            return f"{args[first]} {sub}", first + 1
    return args[first], first


def cli_args_variables(subcommand: str) -> tuple[str, str]:
    """The two variables Terraform reads for ``subcommand`` (``"apply"``, ``"state rm"``):
    ``TF_CLI_ARGS`` and ``TF_CLI_ARGS_<subcommand>``, spaces and dashes made underscores."""
    suffix = subcommand.replace("-", "_").replace(" ", "_")
    return env.TF_CLI_ARGS, f"{env.TF_CLI_ARGS_PREFIX}{suffix}"


def command_index(args: Sequence[str]) -> int | None:
    """Where the subcommand is in Terraform's ``args`` (the first that is no flag), if anywhere."""
    return next((i for i, a in enumerate(args) if not a.startswith("-")), None)


def first_operand(args: Sequence[str], value_flags: Collection[str]) -> str | None:
    """The first of ``args`` (a command's, after its name) that is no flag, as Go's flag
    package reads them: a flag in ``value_flags`` written without ``=`` takes the next argument
    as its value, ``--`` ends the flags, and ``-`` alone is an operand."""
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            return args[i] if i < len(args) else None
        if not arg.startswith("-") or arg == "-":
            return arg
        name, equals, _ = arg.lstrip("-").partition("=")
        if not equals and name in value_flags:
            i += 1
    return None


def effective_args(args: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``args`` with Terraform's ``TF_CLI_ARGS*`` merged in the way Terraform merges them:
    ``TF_CLI_ARGS_<subcommand>`` then ``TF_CLI_ARGS`` right after the subcommand (after ``rm``
    of ``state rm``, whose own variable is ``TF_CLI_ARGS_state_rm``)."""
    found = terraform_subcommand(args)
    if found is None:
        return [*_words(environ.get(env.TF_CLI_ARGS, "")), *args]
    subcommand, last = found
    generic_name, specific_name = cli_args_variables(subcommand)
    generic = _words(environ.get(generic_name, ""))
    specific = _words(environ.get(specific_name, ""))
    head, tail = list(args[: last + 1]), list(args[last + 1 :])
    return [*head, *specific, *generic, *tail]


def _words(value: str) -> list[str]:
    try:
        return split_cli_args(value)
    except CliArgsError:
        return []  # Terraform rejects it too, before running anything


def flag_values(
    args: Sequence[str], names: tuple[str, ...] = ("var", "var-file")
) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of every flag ``names`` in ``args``, in order, in both ``-f v`` and
    ``-f=v`` form; :class:`UsageError` for one that lacks its value. Arguments after ``--`` are
    not flags."""
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            return
        if not arg.startswith("-"):
            continue
        name, equals, value = arg.lstrip("-").partition("=")
        if name not in names:
            continue
        if not equals:
            if i >= len(args):
                raise UsageError(f"-{name} needs a value", f"write -{name} <value>")
            value = args[i]
            i += 1
        yield name, value


def flag_value(args: Sequence[str], names: Collection[str]) -> str | None:
    """The value of the last of the flags ``names`` (without dashes) in a Terraform command's
    ``args``, written ``-name=value`` or ``-name value``; None when absent or empty. Arguments
    after ``--`` are not flags."""
    found: str | None = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        name, equals, value = arg.partition("=")
        if not name.startswith("-") or name.lstrip("-") not in names:
            continue
        if not equals:
            value = args[i + 1] if i + 1 < len(args) else ""
        found = value
    return found or None


def check_cli_args(environ: Mapping[str, str], subcommand: str) -> tuple[str, str] | None:
    """``(variable, problem)`` for the first ``TF_CLI_ARGS*`` value Terraform would refuse
    before running ``subcommand``; None when it takes them all."""
    for name in cli_args_variables(subcommand):
        try:
            split_cli_args(environ.get(name, ""))
        except CliArgsError as exc:
            return name, str(exc)
    return None


_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def go_duration_seconds(text: str) -> float:
    """Seconds in a Go duration (``30s``, ``1m30s``, ``1.5h``, ``0``), as ``-lock-timeout``
    takes it; ValueError for anything Go's ``time.ParseDuration`` refuses."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(text)
    total = 0.0
    at = 0
    while at < len(body):
        part = _DURATION_PART.match(body, at)
        if part is None:
            raise ValueError(text)
        total += float(part.group(1)) * _UNIT_SECONDS[part.group(2)]
        at = part.end()
    return -total if text.startswith("-") else total
