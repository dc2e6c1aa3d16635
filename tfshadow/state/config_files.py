"""Which files make up a Terraform configuration, and what they declare.

A configuration is the root module's ``*.tf``/``*.tf.json`` (and OpenTofu's ``*.tofu``/
``*.tofu.json``), its ``*.tfvars``/``*.tfvars.json``, the dependency lock file, every ``-var-file``
given, and, recursively, every local module (``source = "./…"`` or ``"../…"``). Registry and git
modules are not followed: ``.terraform.lock.hcl`` and the module block's version pin them.

The snapshot of a configuration (the *config document*, its secrets sealed by
:mod:`tfshadow.state.config_seal`) keeps files as lists of lines, so deltas are line-based;
:func:`files_from_document` turns one back into files. What the files declare is read here too:
local module calls, ``import`` and ``removed`` blocks, variables (the sensitive ones, those the
targeted resources use), a summary of the blocks, and where each block is written.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import posixpath
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tfshadow import env
from tfshadow.errors import UsageError
from tfshadow.runner.cli_args import effective_args, flag_values
from tfshadow.settings import hcl
from tfshadow.state import json_spans
from tfshadow.state.addresses import any_key_pattern, is_targeted, split_address

CONFIG_FORMAT = 1
LOCK_FILE = ".terraform.lock.hcl"

CONFIG_SUFFIXES = (".tf", ".tofu")
CONFIG_JSON_SUFFIXES = (".tf.json", ".tofu.json")
_INTENT_BLOCK = re.compile(r"^\s*(import|removed)\s*\{", re.MULTILINE)
VARS_SUFFIXES = (".tfvars", ".tfvars.json")
# Terraform's own data dir and tfshadow's store hold copies of modules and past configurations.
_NEVER_ENTER = frozenset({".terraform", ".tfshadow"})

Seal = Callable[[Any], str]


# --- collecting --------------------------------------------------------------------------------


def collect_files(workdir: Path, var_files: Sequence[str] = ()) -> dict[str, bytes]:
    """The files of the configuration in ``workdir``, keyed by POSIX path relative to it.

    Local modules outside ``workdir`` get keys starting with ``../``. ``var_files`` are the
    ``-var-file`` paths (relative to ``workdir``, see :func:`parse_var_files`); those that exist
    are included. Keys are sorted.
    """
    root = Path(os.path.abspath(workdir))
    files: dict[str, bytes] = {}
    seen: set[Path] = set()
    pending = [root]
    while pending:
        directory = pending.pop()
        real = directory.resolve()
        if real in seen or not directory.is_dir():
            continue
        seen.add(real)
        is_root = directory == root
        for path in sorted(directory.iterdir()):
            if not path.is_file() or not _belongs(path.name, is_root):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            files[_key(path, root)] = data
            for source in _local_module_sources(path.name, data):
                target = Path(os.path.normpath(directory / source))
                if not _NEVER_ENTER.intersection(PurePosixPath(_key(target, root)).parts):
                    pending.append(target)
    for key in var_file_keys(root, var_files):
        try:
            files[key] = (root / key).read_bytes()
        except OSError:
            continue
    return dict(sorted(files.items()))


def var_file_keys(workdir: Path, var_files: Sequence[str]) -> list[str]:
    """The keys :func:`collect_files` gives the ``-var-file`` files that exist, in the order
    given (the order Terraform reads them in)."""
    root = Path(os.path.abspath(workdir))
    keys: list[str] = []
    for var_file in var_files:
        path = Path(os.path.normpath(root / var_file))
        if path.is_file() and _key(path, root) not in keys:
            keys.append(_key(path, root))
    return keys


def _belongs(name: str, is_root: bool) -> bool:
    if name.endswith(CONFIG_SUFFIXES + CONFIG_JSON_SUFFIXES):
        return True
    # Terraform reads variable files and the lock file of the root module only.
    return is_root and (name == LOCK_FILE or name.endswith(VARS_SUFFIXES))


def _key(path: Path, root: Path) -> str:
    return PurePosixPath(*Path(os.path.relpath(path, root)).parts).as_posix()


def _local_module_sources(name: str, data: bytes) -> list[str]:
    sources: list[Any] = []
    if name.endswith(CONFIG_JSON_SUFFIXES):
        try:
            doc = json.loads(data)
        except ValueError:
            return []
        modules = doc.get("module") if isinstance(doc, dict) else None
        for module in _json_blocks(modules):
            sources.append(module.get("source"))
    elif name.endswith(CONFIG_SUFFIXES):
        # Parsing is the slow part of a capture (the grammar alone loads in ~0.2 s): files
        # that cannot hold what is looked for are not parsed.
        if not _MODULE_BLOCK.search(decode_text(data)[0]):
            return []
        body = _parse_hcl(data)
        if body is None:
            return []
        for block in body.blocks_of("module"):
            entry = block.body.attribute("source")
            if entry is not None and entry.value.kind == "string":
                sources.append(entry.value.literal)
    return [s for s in sources if isinstance(s, str) and s.startswith(("./", "../"))]


def calls_modules(files: Mapping[str, bytes]) -> bool:
    """Whether any configuration file may declare a module call (a cheap, textual check)."""
    for path, data in files.items():
        if path.endswith(CONFIG_SUFFIXES) and _MODULE_BLOCK.search(decode_text(data)[0]):
            return True
        if path.endswith(CONFIG_JSON_SUFFIXES) and b'"module"' in data:
            return True
    return False


@dataclass(frozen=True)
class ModuleCall:
    """A ``module`` block: what `terraform init` installs for it."""

    directory: str  # the calling module's directory ("" for the root), as the files' keys
    name: str
    source: str | None  # None: not one literal string (Terraform refuses that)
    version: str | None  # the version constraint; None: none given


def module_calls(files: Mapping[str, bytes]) -> frozenset[ModuleCall]:
    """Every module call of the configuration files, with its source and version constraint
    (see :mod:`tfshadow.state.module_manifest` for what it takes to plan them)."""
    calls: set[ModuleCall] = set()
    for path, data in files.items():
        directory = posixpath.dirname(path)
        if path.endswith(CONFIG_JSON_SUFFIXES):
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            modules = doc.get("module") if isinstance(doc, dict) else None
            for name, body in modules.items() if isinstance(modules, dict) else ():
                for item in _json_list(body):
                    source, version = item.get("source"), item.get("version")
                    calls.add(
                        ModuleCall(
                            directory,
                            str(name),
                            source if isinstance(source, str) else None,
                            version if isinstance(version, str) else None,
                        )
                    )
        elif path.endswith(CONFIG_SUFFIXES):
            text = decode_text(data)[0]
            parsed = parse_hcl_text(text) if _MODULE_BLOCK.search(text) else None
            for block in parsed.blocks_of("module") if parsed is not None else ():
                literals: list[str | None] = []
                for attribute in ("source", "version"):
                    entry = block.body.attribute(attribute)
                    literal = entry.value.literal if entry is not None else None
                    literals.append(literal if isinstance(literal, str) else None)
                name = block.labels[0] if block.labels else ""
                calls.add(ModuleCall(directory, name, literals[0], literals[1]))
    return frozenset(calls)


def state_intents(files: Mapping[str, bytes]) -> tuple[frozenset[str], frozenset[str]]:
    """``(imported, forgotten)``: the ``to`` of the root module's ``import`` blocks, and the
    ``from`` of its ``removed`` blocks with ``destroy = false``, as written.

    The state cannot tell an imported object from a created one, nor a forgotten one from a
    destroyed one; these blocks can. An ``import`` block with ``for_each`` names a pattern:
    its keys that ``each`` gives are any key (``addresses.ANY_KEY``; match with
    ``addresses.matches_pattern``).
    """
    imported: set[str] = set()
    forgotten: set[str] = set()
    for path, data in files.items():
        if not is_root_file(path):
            continue
        if path.endswith(CONFIG_JSON_SUFFIXES):
            if b'"import"' not in data and b'"removed"' not in data:
                continue
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            if not isinstance(doc, dict):
                continue
            for item in _json_list(doc.get("import")):
                if isinstance(item.get("to"), str):
                    to = item["to"]
                    imported.add(any_key_pattern(to, "each") if "for_each" in item else to)
            for item in _json_list(doc.get("removed")):
                lifecycle = item.get("lifecycle")
                kept = any(entry.get("destroy") is False for entry in _json_list(lifecycle))
                if isinstance(item.get("from"), str) and kept:
                    forgotten.add(item["from"])
        elif path.endswith(CONFIG_SUFFIXES):
            text = decode_text(data)[0]
            if not _INTENT_BLOCK.search(text):
                continue
            body = parse_hcl_text(text)
            if body is None:
                continue
            for block in body.blocks_of("import"):
                to = block.body.attribute("to")
                if to is not None:
                    written = text[to.value.start : to.value.end]
                    each = block.body.attribute("for_each") is not None
                    imported.add(any_key_pattern(written, "each") if each else written)
            for block in body.blocks_of("removed"):
                source = block.body.attribute("from")
                kept = any(
                    entry.value.is_literal and entry.value.literal is False
                    for lifecycle in block.body.blocks_of("lifecycle")
                    for entry in lifecycle.body.attributes
                    if entry.name == "destroy"
                )
                if source is not None and kept:
                    forgotten.add(text[source.value.start : source.value.end])
    return frozenset(imported), frozenset(forgotten)


def config_intents(doc: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`state_intents` of a configuration document (sealed values do not matter here)."""
    try:
        return state_intents(files_from_document(doc))
    except (ValueError, KeyError, TypeError):
        return frozenset(), frozenset()


def _json_list(section: Any) -> list[dict[str, Any]]:
    items = section if isinstance(section, list) else [section]
    return [item for item in items if isinstance(item, dict)]


def _json_blocks(section: Any) -> Iterator[dict[str, Any]]:
    """The bodies of one labelled JSON block type: ``{"name": {…}}`` or ``{"name": [{…}]}``."""
    if not isinstance(section, dict):
        return
    for body in section.values():
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict):
                yield item


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and the encoding that round-trips it; Latin-1 maps every byte to one character."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _parse_hcl(data: bytes) -> hcl.Body | None:
    return parse_hcl_text(decode_text(data)[0])


# A snapshot parses each file several times (modules, sensitive variables, sealing, summary);
# bodies are immutable, so parses are shared.
@functools.lru_cache(maxsize=256)
def parse_hcl_text(text: str) -> hcl.Body | None:
    try:
        return hcl.parse(text)
    except hcl.HclSyntaxError:
        return None


# --- variables ---------------------------------------------------------------------------------


def is_root_file(path: str) -> bool:
    return "/" not in path


def sensitive_variable_names(files: Mapping[str, bytes]) -> frozenset[str]:
    """Names of the root module's variables declared with ``sensitive = true``."""
    return _sensitive_variables({p: d for p, d in files.items() if is_root_file(p)})


def module_sensitive_variables(files: Mapping[str, bytes]) -> dict[str, frozenset[str]]:
    """Each local module directory's variables declared ``sensitive = true``: a module call
    must not spell out what the module itself treats as a secret."""
    by_directory: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        if not is_root_file(path):
            by_directory.setdefault(posixpath.dirname(path), {})[path] = data
    found = {d: _sensitive_variables(f) for d, f in by_directory.items()}
    return {directory: names for directory, names in found.items() if names}


def _sensitive_variables(files: Mapping[str, bytes]) -> frozenset[str]:
    names: set[str] = set()
    for path, data in files.items():
        if path.endswith(CONFIG_JSON_SUFFIXES):
            for name, bodies in _json_variables(data):
                if any(b.get("sensitive") is True for b in bodies):
                    names.add(name)
        elif path.endswith(CONFIG_SUFFIXES):
            if b"sensitive" not in data:
                continue
            body = _parse_hcl(data)
            if body is None:
                names.update(_sensitive_variables_by_lines(decode_text(data)[0]))
                continue
            for block in body.blocks_of("variable"):
                if block.labels and declared_sensitive(block):
                    names.add(block.labels[0])
    return frozenset(names)


def root_variable_names(files: Mapping[str, bytes]) -> frozenset[str]:
    """Names of the variables the root module declares (read line by line where the parser
    fails, and where the parser is not needed: its first use costs every recorded command
    0.2 s)."""
    root = {path: data for path, data in files.items() if is_root_file(path)}
    # Outside heredocs and block comments, a line starting `variable "x" {` can only be a
    # declaration: strings do not span lines, and no nested block is called `variable`.
    plain = {
        path: data
        for path, data in root.items()
        if path.endswith(CONFIG_SUFFIXES) and b"<<" not in data and b"/*" not in data
    }
    names = {
        m.group(1) for d in plain.values() for m in _VARIABLE_START.finditer(decode_text(d)[0])
    }
    root = {path: data for path, data in root.items() if path not in plain}
    summary = config_summary(root)
    names.update(summary["modules"].get(".", {}).get("variables", ()))
    for path in summary["unparsed"]:
        names.update(m.group(1) for m in _VARIABLE_START.finditer(decode_text(root[path])[0]))
    return frozenset(names)


# Terraform reads a -var or TF_VAR_ value literally when the variable's type is one of these (or
# not given), and as an HCL expression otherwise.
_LITERAL_TYPES = frozenset({"string", "number", "bool"})


def expression_variable_names(files: Mapping[str, bytes]) -> frozenset[str]:
    """Names of the root module's variables whose ``-var``/``TF_VAR_`` values Terraform parses
    as HCL expressions (a declared type other than string, number or bool), so a recorded raw
    value must be passed on as an expression, not as a string."""
    names: set[str] = set()
    for path, data in files.items():
        if not is_root_file(path):
            continue
        if path.endswith(CONFIG_JSON_SUFFIXES):
            for name, bodies in _json_variables(data):
                types = [b.get("type") for b in bodies]
                if any(isinstance(t, str) and t.strip() not in _LITERAL_TYPES for t in types):
                    names.add(name)
        elif path.endswith(CONFIG_SUFFIXES):
            if _only_literal_types(data):
                continue
            text = decode_text(data)[0]
            body = parse_hcl_text(text)
            if body is None:
                continue
            for block in body.blocks_of("variable"):
                entry = block.body.attribute("type")
                if block.labels and entry is not None:
                    declared = text[entry.value.start : entry.value.end].strip()
                    if declared not in _LITERAL_TYPES:
                        names.add(block.labels[0])
    return frozenset(names)


_TYPE_ATTRIBUTE = re.compile(rb"\btype\s*=\s*([^\s#]*)")


# A reference as an expression writes it: not the tail of another one (`each.value.var.x`).
_REFERENCE = re.compile(r"(?<![\w.\-])([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?")
_TARGET = re.compile(r"(module)\.([A-Za-z_][\w-]*)|(?:data\.)?([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")


def variables_used_by(files: Mapping[str, bytes], targets: Sequence[str]) -> frozenset[str] | None:
    """The root variables the resources at ``targets`` can use, as ``terraform -target`` plans
    them: their own expressions, those of what they refer to (resources, data sources, locals,
    module calls, transitively) and of their provider's configuration; for a module, its call
    and every provider configuration. A mention in a plain string counts too: more, never fewer.

    None when it cannot be told from the files: a root file in JSON syntax or that does not
    parse, a target that is no resource or module address.
    """
    nodes: dict[tuple[str, ...], list[str]] = {}  # ("resource", type, name) and so on: texts
    providers: dict[str, list[str]] = {}
    provider_of: dict[tuple[str, ...], str] = {}
    for path, data in files.items():
        if not is_root_file(path):
            continue
        if path.endswith(CONFIG_JSON_SUFFIXES):
            return None
        if not path.endswith(CONFIG_SUFFIXES):
            continue
        text = decode_text(data)[0]
        body = parse_hcl_text(text)
        if body is None:
            return None
        for block in body.blocks:
            texts = [text[e.value.start : e.value.end] for _, e in hcl.walk_entries(block.body)]
            if block.type in ("resource", "data") and len(block.labels) == 2:
                key = (block.type, *block.labels)
                nodes.setdefault(key, []).extend(texts)
                chosen = block.body.attribute("provider")
                # `provider = aws.west`, or the type's prefix, as Terraform implies it.
                provider_of[key] = (
                    text[chosen.value.start : chosen.value.end].strip().partition(".")[0]
                    if chosen
                    else block.labels[0].partition("_")[0]
                )
            elif block.type == "module" and len(block.labels) == 1:
                nodes.setdefault(("module", block.labels[0]), []).extend(texts)
            elif block.type == "provider" and len(block.labels) == 1:
                providers.setdefault(block.labels[0], []).extend(texts)
            elif block.type == "locals":
                for entry in block.body.attributes:
                    if entry.name:
                        nodes[("local", entry.name)] = [text[entry.value.start : entry.value.end]]
    pending: list[tuple[str, ...]] = []
    for target in targets:
        found = _TARGET.match(target)
        if found is None:
            return None
        if found[1]:
            pending.append(("module", found[2]))
            pending.extend(("provider", name) for name in providers)
        else:
            kind = "data" if target.startswith("data.") else "resource"
            pending.append((kind, found[3], found[4]))
    used: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in provider_of:
            pending.append(("provider", provider_of[node]))
        texts = providers.get(node[1], []) if node[0] == "provider" else nodes.get(node, [])
        for found in _REFERENCE.finditer("\n".join(texts)):
            first, second, third = found.groups()
            if first == "var":
                used.add(second)
            elif first in ("local", "module"):
                pending.append((first, second))
            elif first == "data" and third:
                pending.append(("data", second, third))
            elif ("resource", first, second) in nodes:
                pending.append(("resource", first, second))
    return frozenset(used)


def _only_literal_types(data: bytes) -> bool:
    """Whether every ``type =`` in a file names a literal type, so no variable there is read as
    an expression, without parsing it (the parser's first use costs a revert 0.2 s)."""
    return all(
        m.group(1).decode("latin-1") in _LITERAL_TYPES for m in _TYPE_ATTRIBUTE.finditer(data)
    )


def _json_variables(data: bytes) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each variable a ``.tf.json`` file declares, with its bodies (none if it is not JSON)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return
    variables = doc.get("variable") if isinstance(doc, dict) else None
    if isinstance(variables, dict):
        for name, body in variables.items():
            bodies = body if isinstance(body, list) else [body]
            yield name, [b for b in bodies if isinstance(b, dict)]


def declared_sensitive(block: hcl.Block) -> bool:
    entry = block.body.attribute("sensitive")
    return entry is not None and entry.value.literal is True


_VARIABLE_START = re.compile(r'(?m)^\s*variable\s+"?([A-Za-z_][\w-]*)"?\s*\{')
_TOP_BLOCK_START = re.compile(r"(?m)^\s*[A-Za-z_][\w-]*(\s+\"?[\w-]+\"?)*\s*\{")
_SENSITIVE_TRUE = re.compile(r"(?m)^\s*sensitive\s*=\s*true\b")


def _sensitive_variables_by_lines(text: str) -> set[str]:
    """A rough reading of variable blocks for files the parser rejects."""
    names = set()
    for match in _VARIABLE_START.finditer(text):
        following = _TOP_BLOCK_START.search(text, match.end())
        block = text[match.end() : following.start() if following else len(text)]
        if _SENSITIVE_TRUE.search(block):
            names.add(match.group(1))
    return names


def parse_variable_args(
    args: Sequence[str], environ: Mapping[str, str], workdir: Path
) -> dict[str, str]:
    """Variable values from ``-var`` arguments and ``TF_VAR_<name>`` environment variables.

    Terraform's precedence: ``TF_VAR_`` values lose to ``-var``; among ``-var`` the last wins.
    ``-var`` flags in ``TF_CLI_ARGS`` and ``TF_CLI_ARGS_<command>`` count where Terraform puts
    them (right after the command, before the arguments typed). Values from variable files stay
    in those files. ``workdir`` is unused here and kept for symmetry with
    :func:`parse_var_files`.
    """
    values: dict[str, str] = {}
    for key in sorted(environ):
        if key.startswith(env.TF_VAR_PREFIX) and len(key) > len(env.TF_VAR_PREFIX):
            values[key[len(env.TF_VAR_PREFIX) :]] = environ[key]
    for flag, value in flag_values(effective_args(args, environ)):
        if flag != "var":
            continue
        name, equals, raw = value.partition("=")
        name = name.strip()
        if not equals or not name:
            # The argument is not echoed: a malformed -var may well be a secret.
            raise UsageError(
                "a -var argument is not of the form name=value", "write -var 'name=value'"
            )
        values[name] = raw
    return values


def parse_var_files(
    args: Sequence[str], environ: Mapping[str, str], workdir: Path
) -> tuple[str, ...]:
    """The ``-var-file`` paths given, in order, as POSIX paths relative to ``workdir``."""
    root = Path(os.path.abspath(workdir))
    paths: list[str] = []
    for flag, value in flag_values(effective_args(args, environ)):
        if flag == "var-file":
            path = Path(os.path.normpath(root / os.path.expanduser(value)))
            paths.append(_key(path, root))
    return tuple(paths)


def parse_targets(args: Sequence[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The ``-target`` addresses given (``TF_CLI_ARGS*`` included), in order."""
    return tuple(
        value
        for flag, value in flag_values(effective_args(args, environ), ("target",))
        if flag == "target"
    )


def files_from_document(doc: Mapping[str, Any]) -> dict[str, bytes]:
    """The files a config document holds, as bytes (the inverse of :func:`config_document`
    for configurations without secrets)."""
    if doc.get("format") != CONFIG_FORMAT:
        raise ValueError(f"unsupported config document format {doc.get('format')!r}")
    files = {path: "".join(lines).encode("utf-8") for path, lines in doc["files"].items()}
    for path, encoded in doc.get("binary_files", {}).items():
        files[path] = base64.b64decode(encoded)
    return dict(sorted(files.items()))


def text_lines(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines also breaks on \f, \v, \x1c… which would make
    # line-based deltas of such files odd (the join is exact either way).
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


_MODULE_BLOCK = re.compile(r'(?m)^\s*module\s+["A-Za-z_]')
# --- summary -----------------------------------------------------------------------------------


def config_summary(files: Mapping[str, bytes]) -> dict[str, Any]:
    """What each module directory declares, for describing configuration changes.

    ``{"modules": {"<dir>": {"resources": [...], "data": [...], "module_calls": {name: source},
    "variables": [...], "outputs": [...], "providers": [...]}}, "unparsed": [paths]}`` with
    ``"."`` for the root module; lists sorted.
    """
    modules: dict[str, dict[str, Any]] = {}
    unparsed: list[str] = []
    for path in sorted(files):
        name = PurePosixPath(path).name
        if not name.endswith(CONFIG_SUFFIXES + CONFIG_JSON_SUFFIXES):
            continue
        directory = str(PurePosixPath(path).parent)
        summary = modules.setdefault(directory, _empty_summary())
        declared = (
            _declared_json(files[path])
            if name.endswith(CONFIG_JSON_SUFFIXES)
            else _declared_hcl(files[path])
        )
        if declared is None:
            unparsed.append(path)
            continue
        for kind, names in declared.items():
            summary[kind].update(names)
    result = {
        directory: {
            kind: dict(sorted(v.items())) if isinstance(v, dict) else sorted(v)
            for kind, v in summary.items()
        }
        for directory, summary in sorted(modules.items())
    }
    return {"modules": result, "unparsed": unparsed}


def _empty_summary() -> dict[str, Any]:
    return {
        "resources": set(),
        "data": set(),
        "module_calls": {},
        "variables": set(),
        "outputs": set(),
        "providers": set(),
    }


def _declared_hcl(data: bytes) -> dict[str, Any] | None:
    body = _parse_hcl(data)
    if body is None:
        return None
    declared = _empty_summary()
    for block in body.blocks:
        labels = block.labels
        if block.type in ("resource", "data") and len(labels) >= 2:
            declared["resources" if block.type == "resource" else "data"].add(
                f"{labels[0]}.{labels[1]}"
            )
        elif block.type == "module" and labels:
            source = block.body.attribute("source")
            literal = source.value.literal if source is not None else None
            declared["module_calls"][labels[0]] = literal if isinstance(literal, str) else None
        elif block.type == "variable" and labels:
            declared["variables"].add(labels[0])
        elif block.type == "output" and labels:
            declared["outputs"].add(labels[0])
        elif block.type == "provider" and labels:
            alias = block.body.attribute("alias")
            suffix = f".{alias.value.literal}" if alias and alias.value.kind == "string" else ""
            declared["providers"].add(labels[0] + suffix)
    return declared


def _declared_json(data: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    declared = _empty_summary()
    for kind, key in (("resource", "resources"), ("data", "data")):
        section = doc.get(kind)
        if isinstance(section, dict):
            for type_, instances in section.items():
                if isinstance(instances, dict):
                    declared[key].update(f"{type_}.{name}" for name in instances)
    modules = doc.get("module")
    if isinstance(modules, dict):
        for name, body in modules.items():
            bodies = body if isinstance(body, list) else [body]
            source = next((b.get("source") for b in bodies if isinstance(b, dict)), None)
            declared["module_calls"][name] = source if isinstance(source, str) else None
    for kind, key in (("variable", "variables"), ("output", "outputs")):
        section = doc.get(kind)
        if isinstance(section, dict):
            declared[key].update(section)
    providers = doc.get("provider")
    if isinstance(providers, dict):
        for name, body in providers.items():
            for item in body if isinstance(body, list) else [body]:
                alias = item.get("alias") if isinstance(item, dict) else None
                declared["providers"].add(f"{name}.{alias}" if isinstance(alias, str) else name)
    return declared


# --- declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """A top-level block of a configuration file, and the lines it spans (1-based, inclusive):
    from its first label's line (HCL: its type's) to its closing brace."""

    type: str
    labels: tuple[str, ...]
    first_line: int
    last_line: int
    source: str | None = None
    """A module call's ``source``, when it is a literal string."""


def declarations(path: str, text: str) -> tuple[Declaration, ...] | None:
    """The top-level blocks of a ``.tf``/``.tf.json`` file's ``text`` with their lines; None
    for any other file, and for one that cannot be parsed."""
    if path.endswith(CONFIG_JSON_SUFFIXES):
        return _json_declarations(text)
    if not path.endswith(CONFIG_SUFFIXES):
        return None
    body = parse_hcl_text(text)
    if body is None:
        return None
    found = []
    for block in body.blocks:
        source = block.body.attribute("source") if block.type == "module" else None
        literal = source.value.literal if source is not None else None
        found.append(
            Declaration(
                block.type,
                block.labels,
                block.line,
                max(block.end_line, block.line),
                literal if isinstance(literal, str) else None,
            )
        )
    return tuple(found)


# Terraform's JSON syntax: how many labels each block type takes (others: none).
_JSON_LABELS = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1}


def _json_declarations(text: str) -> tuple[Declaration, ...] | None:
    try:
        root = json_spans.parse(text)
    except ValueError:
        return None
    found: list[Declaration] = []
    for member in root.members:
        _json_blocks_at(text, member.key, member.value, (), member.start, found)
    return tuple(found)


def _json_blocks_at(
    text: str,
    kind: str,
    node: json_spans.Node,
    labels: tuple[str, ...],
    start: int,
    found: list[Declaration],
) -> None:
    """The blocks of type ``kind`` in ``node``, whose labels so far are ``labels`` and whose text
    starts at ``start`` (the key of the innermost label)."""
    if len(labels) < _JSON_LABELS.get(kind, 0):
        for member in node.members:
            _json_blocks_at(text, kind, member.value, (*labels, member.key), member.start, found)
        # Terraform also takes an array of objects at any level of labels.
        for item in node.items:
            _json_blocks_at(text, kind, item, labels, item.start, found)
        return
    source = None
    if kind == "module":
        bodies = node.value if isinstance(node.value, list) else [node.value]
        source = next((b.get("source") for b in bodies if isinstance(b, dict)), None)
    found.append(
        Declaration(
            kind,
            labels,
            text.count("\n", 0, start) + 1,
            text.count("\n", 0, max(node.end - 1, start)) + 1,
            source if isinstance(source, str) else None,
        )
    )


def declaring_lines(
    files: Mapping[str, str], targets: Collection[str]
) -> dict[str, list[tuple[int, int]]]:
    """The lines of ``files`` (path → text) that declare what ``targets`` name, read as
    ``-target`` reads addresses: per path, ``(start, end)`` line ranges (0-based, end excluded).

    A resource or data address (or one of its instances) is declared by its ``resource`` or
    ``data`` block; an address inside ``module.NAME`` by that ``module`` block and, for a local
    module, by what declares the rest of the address in the module's files (all of them for
    ``module.NAME`` itself, nested modules included).
    """
    found: dict[str, list[tuple[int, int]]] = {}
    by_directory: dict[str, list[str]] = {}
    for path in sorted(files):
        if path.endswith(CONFIG_SUFFIXES + CONFIG_JSON_SUFFIXES):
            by_directory.setdefault(posixpath.dirname(path), []).append(path)
    seen: set[tuple[str, frozenset[str]]] = set()

    def visit(directory: str, wanted: frozenset[str]) -> None:
        # ``wanted`` are addresses relative to the module in ``directory``; "" is all of it.
        if (directory, wanted) in seen:
            return
        seen.add((directory, wanted))
        for path in by_directory.get(directory, ()):
            text = files[path]
            whole = "" in wanted
            if whole:
                found.setdefault(path, []).append((0, len(text_lines(text))))
            for block in declarations(path, text) or ():
                inner = _declared_wanted(block, wanted)
                if inner is None:
                    continue
                if not whole:
                    start = _comments_above(text, block.first_line - 1, path)
                    found.setdefault(path, []).append((start, block.last_line))
                if block.type == "module" and (block.source or "").startswith(("./", "../")):
                    called = posixpath.normpath(posixpath.join(directory, block.source or ""))
                    visit("" if called == "." else called, inner)

    visit("", frozenset(targets))
    return found


def _comments_above(text: str, first: int, path: str) -> int:
    """The 0-based line where the comment written directly above line ``first`` of ``text``
    starts (``first`` when there is none): a block's comment belongs to it (a note edited with
    the block is no change of something else)."""
    if not path.endswith(CONFIG_SUFFIXES):
        return first  # JSON has no comments
    lines = text_lines(text)
    start = first
    opened_above = False  # within a /* … */ comment, read upwards
    while start > 0:
        above = lines[start - 1].strip()
        if opened_above or above.endswith("*/"):
            opens = above.find("/*")
            if opens > 0 or (opens < 0 and start == 1):
                return first  # code before the comment: it is not the block's alone
            opened_above = opens < 0
        elif not above.startswith(("#", "//")):
            break
        start -= 1
    return start


def _declared_wanted(block: Declaration, wanted: frozenset[str]) -> frozenset[str] | None:
    """None when ``block`` declares none of the ``wanted`` addresses; else, for a module call,
    the addresses wanted inside the module ("" for all of it), and for a resource, no more."""
    if block.type == "module" and len(block.labels) == 1:
        name = block.labels[0]
        inner = set()
        for address in wanted:
            parts = split_address(address)
            if address == "":
                inner.add("")
            elif parts[0] == "module" and parts[1:2] and parts[1].split("[", 1)[0] == name:
                inner.add(".".join(parts[2:]))
        return frozenset(inner) if inner else None
    if block.type in ("resource", "data") and len(block.labels) == 2:
        declared = ".".join(block.labels)
        if block.type == "data":
            declared = f"data.{declared}"
        if any(address == "" or is_targeted(address, [declared]) for address in wanted):
            return frozenset()
    return None
