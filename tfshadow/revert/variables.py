"""The variable values a revert plans with: those version N recorded, and those the revert is
given (``-var``, ``-var-file``, ``TF_VAR_*``), which win over N's and are recorded with the
revert, so that a revert to it applies them again."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.errors import UsageError

if TYPE_CHECKING:
    from tfshadow.project import Project
    from tfshadow.state.redact import Redactor
    from tfshadow.store import Reconstructed

__all__ = [
    "Given",
    "absolute_var_files",
    "expression_variables",
    "given_environ",
    "given_values",
    "given_var_files",
    "held_var_files",
    "provided_variables",
    "recorded_var_files",
    "var_file_names",
    "var_file_text",
    "variables_used_by",
]


def variables_used_by(config_doc: Any, targets: Sequence[str]) -> frozenset[str] | None:
    """The variables the blocks declaring ``targets`` use in a version's configuration
    document; None where that cannot be told."""
    from tfshadow.state import config_files

    try:
        files = config_files.files_from_document(config_doc)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return config_files.variables_used_by(files, targets)


def expression_variables(config_doc: Any) -> frozenset[str]:
    """The variables of a version's configuration document whose values Terraform reads as
    HCL expressions (their type is not a string, number or bool)."""
    from tfshadow.state import config_files

    try:
        files = config_files.files_from_document(config_doc)
    except (ValueError, KeyError, TypeError, AttributeError):
        return frozenset()
    return config_files.expression_variable_names(files)


def var_file_text(values: dict[str, str], expressions: frozenset[str]) -> str:
    """A native-syntax variable file giving Terraform each recorded raw value as ``-var`` would:
    an HCL expression for the variables in ``expressions``, a literal string for the others."""
    from tfshadow.revert.materialise import hcl_string

    lines = []
    for name, raw in sorted(values.items()):
        value = raw if name in expressions else hcl_string(raw)
        lines.append(f"{name} = {value}\n")
    return "".join(lines)


def recorded_var_files(target: Reconstructed) -> list[str]:
    """The -var-file files version N was applied with that its configuration holds."""
    from tfshadow.state import config_files

    recorded = target.meta.get("var_files")
    held = config_files.files_from_document(target.config)
    return [key for key in recorded if key in held] if isinstance(recorded, list) else []


def absolute_var_files(project: Project, args: list[str]) -> list[str]:
    """``-var-file`` paths made absolute: Terraform runs in the scratch, not here."""
    out: list[str] = []
    pending = False
    for arg in args:
        if pending:
            out.append(str((project.workdir / arg).resolve()))
            pending = False
        elif arg in ("-var-file", "--var-file"):
            out.append(arg)
            pending = True
        elif arg.startswith(("-var-file=", "--var-file=")):
            flag, _, path = arg.partition("=")
            out.append(f"{flag}={(project.workdir / path).resolve()}")
        else:
            out.append(arg)
    return out


def provided_variables(project: Project, user_args: Sequence[str]) -> set[str]:
    """Variables the user supplies now: -var, -var-file, TF_VAR_*."""
    from tfshadow.state import config_files

    args = ["plan", *user_args]
    environ = given_environ(project)
    names = set(config_files.parse_variable_args(args, environ, project.workdir))
    for path in config_files.parse_var_files(args, environ, project.workdir):
        names |= var_file_names(project.workdir / path)
    return names


def var_file_names(path: Path) -> set[str]:
    """The variables a ``.tfvars`` or ``.tfvars.json`` file assigns; UsageError when it
    cannot be read."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read variable file {path}: {exc.strerror}") from exc
    if path.suffix == ".json":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"variable file {path} is not valid JSON") from exc
        return set(doc) if isinstance(doc, dict) else set()
    from tfshadow.settings.hcl import HclSyntaxError, parse

    try:
        body = parse(text)
    except HclSyntaxError as exc:
        raise UsageError(f"variable file {path}:{exc.line}: {exc.message}") from None
    return {entry.name for entry in body.attributes if entry.name}


@dataclass(frozen=True)
class Given:
    """Version N's configuration with the variable values and files this revert was given,
    which won over N's: its version records them, so that a revert to it applies them again."""

    config: dict[str, Any]
    var_files: list[str] | None  # the -var-file keys, N's then the given ones; None: neither
    secrets: frozenset[str] = frozenset()  # the given secrets, in plain


def held_var_files(target_meta: Mapping[str, Any]) -> list[str] | None:
    """The -var-file keys version N was applied with, as its meta names them."""
    recorded = target_meta.get("var_files")
    return list(recorded) if isinstance(recorded, list) else None


def given_environ(project: Project) -> dict[str, str]:
    """The environment the revert's Terraform runs in, for what it reads there (TF_VAR_*):
    without TF_CLI_ARGS*, meant for the user's own commands, not the revert's plan."""
    from tfshadow.runner import without_cli_args

    return without_cli_args(project.environ)


def given_var_files(project: Project, tf_args: Sequence[str]) -> list[str]:
    """The keys of the -var-file files given to the revert."""
    from tfshadow.state import config_files

    environ = given_environ(project)
    given = config_files.parse_var_files(["plan", *tf_args], environ, project.workdir)
    return config_files.var_file_keys(project.workdir, given)


def given_values(
    project: Project, redactor: Redactor, target: Reconstructed, tf_args: Sequence[str]
) -> Given:
    """Version N's configuration (``target``) with the ``-var`` and ``-var-file`` values of
    ``tf_args`` that N declares, their secrets sealed as the store keeps them."""
    from tfshadow.state import config_files
    from tfshadow.state.config_seal import sealed_configuration
    from tfshadow.state.redact import SECRET_NAME

    held_keys = held_var_files(target.meta)
    keys = given_var_files(project, tf_args)
    held = config_files.files_from_document(target.config)
    declared = config_files.root_variable_names(held)
    environ = given_environ(project)
    given = config_files.parse_variable_args(["plan", *tf_args], environ, project.workdir)
    variables = {name: v for name, v in given.items() if name in declared}
    if not keys and not variables:
        return Given(target.config, held_keys)
    try:
        files = {key: (project.workdir / key).read_bytes() for key in keys}
    except OSError as exc:
        raise UsageError(f"cannot read variable file {exc.filename}: {exc.strerror}") from exc
    doc, secrets = sealed_configuration(
        files, variables, redactor.seal, SECRET_NAME, declared_in=held
    )
    # A name a given file assigns is that file's from now on: N's recorded value, which came
    # after the files, would win over it at the next revert.
    assigned = {name for key in keys for name in var_file_names(project.workdir / key)}
    config = {
        **target.config,
        "variables": {
            **{
                name: value
                for name, value in (target.config.get("variables") or {}).items()
                if name not in assigned
            },
            **doc["variables"],
        },
    }
    # A given file replaces N's under its key, text or binary.
    for kind in ("files", "binary_files"):
        kept = {k: v for k, v in target.config.get(kind, {}).items() if k not in files}
        if kept or doc.get(kind):
            config[kind] = {**kept, **doc.get(kind, {})}
    var_files = [key for key in held_keys or [] if key not in keys] + keys
    return Given(config, var_files or None, secrets)
