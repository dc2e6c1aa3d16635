"""Reading and validating a project's ``tfshadow.hcl``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.errors import SettingsError

if TYPE_CHECKING:
    from tfshadow.settings import hcl

from tfshadow.settings.schema import (
    BLOCKS,
    SETTINGS_FILE,
    BlockSchema,
    BuildContext,
    Key,
    Settings,
)

_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def load_settings(workdir: Path, environ: Mapping[str, str]) -> Settings:
    """The settings of the Terraform working directory ``workdir``.

    Reads ``workdir/tfshadow.hcl`` when it exists (no file means defaults), validates it against
    :data:`tfshadow.settings.schema.BLOCKS`, then applies environment overrides
    (``TFSHADOW_STORE``). Raises :class:`SettingsError` naming ``file:line`` on any problem.
    """
    path = workdir / SETTINGS_FILE
    ctx = BuildContext(workdir=Path(workdir).absolute(), environ=environ)
    if not path.is_file():
        return _build({}, ctx, source=None, blocks=BLOCKS)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise SettingsError(
            f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{SETTINGS_FILE}: not UTF-8 text", f"save {path} as UTF-8") from None
    values = parse_settings(text, SETTINGS_FILE, BLOCKS)
    return _build(values, ctx, source=path.absolute(), blocks=BLOCKS)


def parse_settings(
    text: str, filename: str, blocks: Sequence[BlockSchema]
) -> dict[str, dict[str, Any]]:
    """Validated values per block name (only blocks and keys present in ``text``)."""
    from tfshadow.settings import hcl  # python-hcl2 costs 0.1 s to import: only with a file

    try:
        body = hcl.parse(text)
    except hcl.HclSyntaxError as exc:
        raise SettingsError(
            f"{filename}:{exc.line}: syntax error at column {exc.column}: {exc.message}",
            "fix the HCL syntax",
        ) from None
    schemas = {b.name: b for b in blocks}
    allowed_blocks = ", ".join(schemas)
    for attribute in body.attributes:
        raise SettingsError(
            f"{filename}:{attribute.line}: setting `{attribute.name}` outside any block "
            f"(blocks: {allowed_blocks})",
            "move it into the block it belongs to",
        )
    values: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    for block in body.blocks:
        schema = schemas.get(block.type)
        if schema is None:
            raise SettingsError(
                f"{filename}:{block.line}: unknown block `{block.type}` "
                f"(allowed: {allowed_blocks})",
                "remove it or fix its name",
            )
        if block.type in first_line:
            raise SettingsError(
                f"{filename}:{block.line}: block `{block.type}` appears twice "
                f"(first at line {first_line[block.type]})",
                "merge the two blocks into one",
            )
        if block.labels:
            raise SettingsError(
                f"{filename}:{block.line}: block `{block.type}` takes no labels",
                f'write `{block.type} {{ … }}` without "{block.labels[0]}"',
            )
        first_line[block.type] = block.line
        values[block.type] = _block_values(block, schema, filename)
    return values


def _block_values(block: hcl.Block, schema: BlockSchema, filename: str) -> dict[str, Any]:
    where = f"in block `{schema.name}`"
    for nested in block.body.blocks:
        raise SettingsError(
            f"{filename}:{nested.line}: unknown block `{nested.type}` {where} "
            f"(allowed settings: {schema.allowed})",
            "remove it or fix its name",
        )
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for attribute in block.body.attributes:
        name = attribute.name or ""
        key = schema.key(name)
        if key is None:
            raise SettingsError(
                f"{filename}:{attribute.line}: unknown setting `{name}` {where} "
                f"(allowed: {schema.allowed})",
                "remove it or fix its name",
            )
        if name in lines:
            raise SettingsError(
                f"{filename}:{attribute.line}: setting `{name}` {where} is set twice "
                f"(first at line {lines[name]})",
                "keep one of them",
            )
        problem = _check(key, attribute.value)
        if problem:
            raise SettingsError(
                f"{filename}:{attribute.line}: setting `{name}` {where} {problem}",
                "fix its value",
            )
        values[name] = attribute.value.literal
        lines[name] = attribute.line
    for a, b in schema.exclusive:
        if a in values and b in values:
            line = max(lines[a], lines[b])
            raise SettingsError(
                f"{filename}:{line}: settings `{a}` and `{b}` {where} cannot both be set",
                f"keep either `{a}` or `{b}`",
            )
    return values


def _check(key: Key, value: hcl.Value) -> str | None:
    """An error phrase ("must be …, got …") when ``value`` does not fit ``key``."""
    if not value.is_literal:
        return f"must be {_TYPE_NAMES[key.kind]}, got an expression (only literal values work here)"
    literal = value.literal
    problem = _type_problem(key.kind, literal)
    if problem is None and key.kind is list and key.item is not None:
        for item in literal:
            problem = _type_problem(key.item, item)
            if problem:
                problem = problem.replace("must be", "must contain only", 1)
                break
    if problem:
        return problem
    if key.minimum is not None and literal < key.minimum:
        return f"must be at least {key.minimum}, got {literal}"
    if key.choices and literal not in key.choices:
        return f"must be one of {', '.join(key.choices)}, got {literal!r}"
    if key.check is not None:
        return key.check(literal)
    return None


def _type_problem(expected: type, literal: Any) -> str | None:
    if expected is float:
        ok = isinstance(literal, int | float) and not isinstance(literal, bool)
    elif expected is int:
        ok = isinstance(literal, int) and not isinstance(literal, bool)
    else:
        ok = isinstance(literal, expected)
    if ok:
        return None
    return f"must be {_TYPE_NAMES[expected]}, got {_TYPE_NAMES.get(type(literal), 'a value')}"


def _build(
    values: Mapping[str, Mapping[str, Any]],
    ctx: BuildContext,
    source: Path | None,
    blocks: Sequence[BlockSchema],
) -> Settings:
    built = {b.name: b.build(values.get(b.name, {}), ctx) for b in blocks}
    return Settings(**built, source=source)
