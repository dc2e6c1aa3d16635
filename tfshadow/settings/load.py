"""Reading and validating a project's ``tfshadow.hcl``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfshadow.errors import SettingsError

if TYPE_CHECKING:
    from tfshadow.settings import hcl

from tfshadow.settings.schema import (
    BLOCKS,
    SECTIONS,
    SETTINGS_FILE,
    TEMPLATE_REFERENCES,
    BlockSchema,
    BuildContext,
    Key,
    ParsedBlock,
    Section,
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

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
# What tfshadow.metrics.template fills in: attribute paths (list indices as steps: attr.nic.0.ip),
# the resource's address, type and name, the workspace whose version it is, and the metric.
_TEMPLATE_REFERENCE = re.compile(
    rf"attr\.{_NAME}(?:\.(?:{_NAME}|\d+))*|address|type|name|workspace|metric"
)
_TEMPLATE_HINT = (
    "refer only to the resource's attributes (attr.NAME), address, type, name or workspace, "
    "or to the metric; write $${ for a literal ${"
)


class _Invalid(Exception):
    """A value that does not fit its key: the phrase after "setting `x` in block `y`"."""

    def __init__(self, problem: str, hint: str = "fix its value", line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.line = line


def load_settings(workdir: Path, environ: Mapping[str, str]) -> Settings:
    """The settings of the Terraform working directory ``workdir``.

    Reads ``workdir/tfshadow.hcl`` when it exists (no file means defaults), validates it against
    :data:`tfshadow.settings.schema.BLOCKS`, then applies environment overrides
    (``TFSHADOW_STORE``). Raises :class:`SettingsError` naming ``file:line`` on any problem.
    """
    path = workdir / SETTINGS_FILE
    ctx = BuildContext(workdir=Path(workdir).absolute(), environ=environ, filename=SETTINGS_FILE)
    if path.is_dir():
        raise SettingsError(
            f"{path} is a directory, not a settings file",
            f"remove it, or make {SETTINGS_FILE} a file",
        )
    if not path.is_file():
        return _build({}, ctx, source=None, blocks=BLOCKS, sections=SECTIONS)
    try:
        # utf-8-sig: editors on Windows start UTF-8 files with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SettingsError(
            f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions"
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{SETTINGS_FILE}: not UTF-8 text", f"save {path} as UTF-8") from None
    parsed = parse_blocks(text, SETTINGS_FILE, BLOCKS)
    return _build(parsed, ctx, source=path.absolute(), blocks=BLOCKS, sections=SECTIONS)


def parse_settings(
    text: str, filename: str, blocks: Sequence[BlockSchema]
) -> dict[str, dict[str, Any]]:
    """Validated values per block name of the simple (unique, unlabelled) blocks present in
    ``text``; the whole file is validated. See :func:`parse_blocks` for the other blocks."""
    parsed = parse_blocks(text, filename, blocks)
    simple = {b.name for b in blocks if not b.repeatable and not b.labels}
    return {name: dict(found[0].values) for name, found in parsed.items() if name in simple}


def parse_blocks(
    text: str, filename: str, blocks: Sequence[BlockSchema]
) -> dict[str, tuple[ParsedBlock, ...]]:
    """Every top-level block present in ``text``, validated against ``blocks``, by block name
    (in file order). Raises :class:`SettingsError` naming ``filename:line``."""
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
    found: dict[str, list[ParsedBlock]] = {}
    for parsed in _blocks(body.blocks, schemas, _Where(filename, text)):
        found.setdefault(parsed.type, []).append(parsed)
    return {name: tuple(parsed) for name, parsed in found.items()}


class _Where:
    """The file being read, and the block (as written) enclosing the blocks being read."""

    def __init__(self, filename: str, text: str, outer: str | None = None) -> None:
        self.filename = filename
        self.text = text
        self.outer = outer

    def inside(self, title: str) -> _Where:
        return _Where(self.filename, self.text, title)

    def block(self, title: str) -> str:
        """``in block `query "cpu"` of `metrics "prometheus"```."""
        return f"in block {self.name(title)}"

    def name(self, title: str) -> str:
        """```query "cpu"` of `metrics "prometheus"```: a block, with its enclosing one."""
        return f"`{title}`" + (f" of `{self.outer}`" if self.outer else "")


def _blocks(
    blocks: Sequence[hcl.Block], schemas: Mapping[str, BlockSchema], where: _Where
) -> list[ParsedBlock]:
    filename = where.filename
    parsed: list[ParsedBlock] = []
    first_line: dict[str, int] = {}
    for block in blocks:
        schema = schemas.get(block.type)
        if schema is None:
            allowed = ", ".join(schemas)
            raise SettingsError(
                f"{filename}:{block.line}: unknown block `{block.type}` "
                + (
                    f"in block `{where.outer}` (allowed blocks: {allowed})"
                    if where.outer
                    else f"(allowed: {allowed})"
                ),
                "remove it or fix its name",
            )
        _check_labels(block, schema, where)
        if schema.repeatable and not schema.labels:
            # Items of a list (a profile's triggers): nothing names them, so none repeats another.
            parsed.append(_block(block, schema, where))
            continue
        if schema.repeatable:
            identity = schema.identity(block.labels) if schema.identity else None
            key = f"{block.type}\0" + (
                identity if identity is not None else "\0".join(block.labels)
            )
            what = (
                f'`{block.type}` named "{identity}"'
                if identity is not None
                else where.name(_title(block.type, block.labels))
            )
            meanings = " and ".join(label.name for label in schema.labels)
            hint = schema.duplicate_hint or f"keep one of them, or change its {meanings}"
        else:
            key = block.type
            what = where.name(block.type)
            hint = schema.duplicate_hint or "merge the two blocks into one"
        if key in first_line:
            raise SettingsError(
                f"{filename}:{block.line}: block {what} appears twice "
                f"(first at line {first_line[key]})",
                hint,
            )
        first_line[key] = block.line
        parsed.append(_block(block, schema, where))
    return parsed


def _title(type_: str, labels: Sequence[str]) -> str:
    return " ".join((type_, *(f'"{label}"' for label in labels)))


def _check_labels(block: hcl.Block, schema: BlockSchema, where: _Where) -> None:
    filename = where.filename
    fewest, most = schema.label_range
    labels = block.labels
    names = [label.name for label in schema.labels]
    this = where.name(block.type)
    if most == 0 and labels:
        raise SettingsError(
            f"{filename}:{block.line}: block {this} takes no labels",
            f'write `{block.type} {{ … }}` without "{labels[0]}"',
        )
    if len(labels) < fewest:
        needed = "a label" if fewest == 1 else f"{fewest} labels"
        example = " ".join(f'"<{name}>"' for name in names[:fewest])
        raise SettingsError(
            f"{filename}:{block.line}: block {this} needs {needed} ({', '.join(names[:fewest])})",
            f"write `{block.type} {example} {{ … }}`" + _choices_hint(schema, 0),
        )
    if len(labels) > most:
        raise SettingsError(
            f"{filename}:{block.line}: block {this} takes at most {most} "
            f"label{'s' if most > 1 else ''} ({', '.join(names)}), got {len(labels)}",
            f'remove "{labels[most]}"',
        )
    for index, label in enumerate(labels):
        meaning = names[index]
        if not label.strip():
            raise SettingsError(
                f"{filename}:{block.line}: block {this} has an empty {meaning} label",
                f"give the block a {meaning}",
            )
        choices = schema.label_choices(index)
        if choices and label not in choices:
            raise SettingsError(
                f"{filename}:{block.line}: block {this} has unknown {meaning} "
                f'"{label}" (allowed: {", ".join(choices)})',
                "fix the label",
            )


def _choices_hint(schema: BlockSchema, index: int) -> str:
    if not schema.labels:
        return ""
    choices = schema.label_choices(index)
    return f" with {schema.labels[index].name} one of {', '.join(choices)}" if choices else ""


def _block(block: hcl.Block, schema: BlockSchema, where: _Where) -> ParsedBlock:
    filename = where.filename
    title = _title(block.type, block.labels)
    variant = schema.variant(block.labels[0]) if schema.variants and block.labels else None
    own = variant or schema
    place = where.block(title)
    nested: list[ParsedBlock] = []
    if own.blocks:
        nested = _blocks(block.body.blocks, {b.name: b for b in own.blocks}, where.inside(title))
    else:
        for inner in block.body.blocks:
            raise SettingsError(
                f"{filename}:{inner.line}: unknown block `{inner.type}` {place} "
                f"(allowed settings: {own.allowed})",
                "remove it or fix its name",
            )
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for attribute in block.body.attributes:
        name = attribute.name or ""
        key = own.key(name)
        if key is None:
            raise _unknown_key(attribute, name, schema, own, place, filename)
        if name in lines:
            raise SettingsError(
                f"{filename}:{attribute.line}: setting `{name}` {place} is set twice "
                f"(first at line {lines[name]})",
                "keep one of them",
            )
        try:
            values[name] = _value(key, attribute.value, where.text)
        except _Invalid as invalid:
            raise SettingsError(
                f"{filename}:{invalid.line or attribute.line}: setting `{name}` {place} "
                f"{invalid.problem}",
                invalid.hint,
            ) from None
        lines[name] = attribute.line
    for key in own.keys:
        if key.required and key.name not in values:
            raise SettingsError(
                f"{filename}:{block.line}: block {where.name(title)} needs setting `{key.name}`",
                f"add `{key.name} = …` to it",
            )
    for a, b in own.exclusive:
        if a in values and b in values:
            line = max(lines[a], lines[b])
            raise SettingsError(
                f"{filename}:{line}: settings `{a}` and `{b}` {place} cannot both be set",
                f"keep either `{a}` or `{b}`",
            )
    return ParsedBlock(block.type, block.labels, block.line, values, lines, tuple(nested))


def _unknown_key(
    attribute: hcl.Entry,
    name: str,
    schema: BlockSchema,
    own: BlockSchema,
    place: str,
    filename: str,
) -> SettingsError:
    allowed = own.allowed or "none"
    others = [v.name for v in schema.variants if v is not own and v.key(name) is not None]
    if others:
        kinds = " or ".join(f'`{schema.name} "{other}"`' for other in others)
        return SettingsError(
            f"{filename}:{attribute.line}: setting `{name}` {place} is a setting of {kinds} "
            f"blocks (allowed for {own.name}: {allowed})",
            f"remove it, or move it to a `{schema.name}` block of the right kind",
        )
    return SettingsError(
        f"{filename}:{attribute.line}: unknown setting `{name}` {place} (allowed: {allowed})",
        "remove it or fix its name",
    )


def _value(key: Key, value: hcl.Value, text: str) -> Any:
    """The value stored for ``key``; raises :class:`_Invalid` when it does not fit."""
    if key.template and key.kind is str:
        result: Any = _template(value, text)
    elif key.template and key.kind is dict:
        result = _template_object(value, text)
    elif value.kind == "heredoc":
        # Not read as a string: a heredoc's value ends in a newline, which none of these
        # one-line settings (paths, URLs, names) wants, and python-hcl2 gives back its source,
        # markers and indentation included, not its value.
        kinds = key.kind if isinstance(key.kind, tuple) else (key.kind,)
        raise _Invalid(
            f"must be {_type_name(key.kind)}, got a heredoc (heredocs are not accepted here)",
            "write the value as a quoted string" if str in kinds else "fix its value",
        )
    else:
        problem = _check(key, value)
        if problem:
            raise _Invalid(problem)
        return key.convert(value.literal) if key.convert else value.literal
    problem = key.check(result) if key.check else None
    if problem:
        raise _Invalid(problem)
    return key.convert(result) if key.convert else result


def _template(value: hcl.Value, text: str, line: int | None = None) -> str:
    """The template text of a quoted string: escapes decoded, ``${`` written ``$${`` unless
    it is one of the references a resource fills in."""
    from tfshadow.settings import hcl

    rule = f"(only quoted strings work here, with {TEMPLATE_REFERENCES} inside)"
    if value.kind == "heredoc":
        raise _Invalid(f"must be a quoted string, got a heredoc {rule}", line=line)
    if value.kind not in ("string", "template"):
        got = (
            _TYPE_NAMES.get(type(value.literal), "a value") if value.is_literal else "an expression"
        )
        raise _Invalid(f"must be a string, got {got} {rule}", line=line)
    pieces: list[str] = []
    for part in hcl.template_parts(text[value.start : value.end]):
        source = part.source.strip()
        if part.kind == "text":
            # The template filler turns "$${" back into a literal "${".
            pieces.append(part.source.replace("${", "$${"))
        elif part.kind == "interpolation" and _TEMPLATE_REFERENCE.fullmatch(source):
            pieces.append(f"${{{source}}}")
        else:
            used = (
                f"refers to `${{{source}}}`"
                if part.kind == "interpolation"
                else f"uses the template directive `%{{{source}}}`"
            )
            raise _Invalid(
                f"{used}, which tfshadow cannot fill in (allowed: {TEMPLATE_REFERENCES})",
                _TEMPLATE_HINT,
                line,
            )
    return "".join(pieces)


def _template_object(value: hcl.Value, text: str) -> dict[str, str]:
    if value.kind != "object":
        got = _TYPE_NAMES.get(type(value.literal), "a value") if value.is_literal else None
        raise _Invalid(f"must be an object, got {got or 'an expression'}")
    result: dict[str, str] = {}
    for item in value.items:
        if item.name is None:
            raise _Invalid("must have plain names as keys", line=item.line)
        if item.name in result:
            raise _Invalid(f"sets `{item.name}` twice", "keep one of them", item.line)
        result[item.name] = _template(item.value, text, item.line)
    return result


def _check(key: Key, value: hcl.Value) -> str | None:
    """An error phrase ("must be …, got …") when ``value`` does not fit ``key``."""
    if not value.is_literal:
        return f"must be {_type_name(key.kind)}, got an expression (only literal values work here)"
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


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES[k] for k in kinds)


def _type_problem(expected: type | tuple[type, ...], literal: Any) -> str | None:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if any(_fits(kind, literal) for kind in kinds):
        return None
    return f"must be {_type_name(expected)}, got {_TYPE_NAMES.get(type(literal), 'a value')}"


def _fits(expected: type, literal: Any) -> bool:
    if expected is float:
        return isinstance(literal, int | float) and not isinstance(literal, bool)
    if expected is int:
        return isinstance(literal, int) and not isinstance(literal, bool)
    return isinstance(literal, expected)


def _build(
    parsed: Mapping[str, tuple[ParsedBlock, ...]],
    ctx: BuildContext,
    source: Path | None,
    blocks: Sequence[BlockSchema],
    sections: Sequence[Section],
) -> Settings:
    built: dict[str, Any] = {}
    for schema in blocks:
        if schema.build is not None:
            found = parsed.get(schema.name, ())
            built[schema.name] = schema.build(found[0].values if found else {}, ctx)
    for section in sections:
        built[section.field] = section.build(parsed, ctx)
    return Settings(**built, source=source)
