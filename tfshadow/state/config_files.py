"""Which files make up a Terraform configuration, and their secret-free snapshot.

A configuration is the root module's ``*.tf``/``*.tf.json`` (and OpenTofu's ``*.tofu``/
``*.tofu.json``), its ``*.tfvars``/``*.tfvars.json``, the dependency lock file, every ``-var-file``
given, and, recursively, every local module (``source = "./…"`` or ``"../…"``). Registry and git
modules are not followed: ``.terraform.lock.hcl`` and the module block's version pin them.

The snapshot (the *config document*) keeps files as lists of lines so deltas are line-based.
Secrets are sealed before anything is stored:

* ``*.tfvars``: the value assigned to a variable declared ``sensitive = true`` or whose name
  matches the secret-name pattern; inside object values, the value of any secret-named key.
* ``*.tfvars.json``: the same, at JSON level.
* ``*.tf``: values that spell out text for secret-named attributes and object keys, at any depth
  and inside function arguments (``password = "hunter2"``, ``jsonencode({ token = "t" })``;
  references such as ``password = var.db_password`` carry no secret and are kept), the
  ``default`` of a variable that is sensitive or secret-named, and the ``value`` of an output
  that is sensitive or secret-named when it spells out text.

Then :func:`seal_secret_strings` seals whole every quoted literal (a template too, also one whose
interpolation spans lines), heredoc and recorded variable value that equals a secret the state
or the configuration seals, or contains one of :data:`~tfshadow.state.redact.MIN_KNOWN_LENGTH`
characters or more (``"postgres://admin:s3cr3t@db"``), also written with JSON's escapes; in a
file that does not parse, such a secret is replaced by its seal wherever it is.

The quoted value of a secret-named assignment in a comment (``# password = "old"``, also after
code on a line and in ``/* … */``) is masked as :data:`COMMENT_MASK` (no revert needs it back).
Arguments of a local module call that the module declares sensitive are sealed like a sensitive
variable's default.

Null values, values that are already seals, and (for values sealed only because of their name)
booleans and empty strings are left alone, as redact does in the state; so sealing a sealed
snapshot changes nothing.

A sealed value is replaced in place by a quoted seal string; every other byte of the file is kept.
What gets sealed is the *value* when the expression is a literal (so ``"hunter2"`` in a tfvars
file fingerprints like ``hunter2`` in the state or on the command line), and the expression's
exact source text otherwise: a heredoc is sealed from ``<<EOT`` through its closing marker and
collapses to one quoted seal on one line, as does a multi-line object or template. A quoted
string that a checkout would not write back byte for byte from its value (escapes where none are
needed, ``"s\\u0033cret"``) is sealed as written, quotes included (:func:`hcl_sealed`,
:func:`json_sealed`).

Files python-hcl2 cannot parse are still collected; their secrets are found line by line
instead: an assignment that starts a line (``name = value`` or ``"name": value``) to a sensitive
name is sealed up to the end of the line, or to the matching bracket or heredoc marker. That is
coarser (a secret-named key nested on the same line as its parent is missed), which is accepted
because Terraform rejects such files too, so they rarely reach a recorded apply.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import posixpath
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tfshadow import env
from tfshadow.errors import UsageError
from tfshadow.runner.cli_args import effective_args, flag_values
from tfshadow.settings import hcl
from tfshadow.state import delta, json_spans
from tfshadow.state.addresses import is_targeted, split_address
from tfshadow.state.redact import (
    MIN_KNOWN_LENGTH,
    alternation,
    containing,
    is_sealed,
    occurring,
)

CONFIG_FORMAT = 1
LOCK_FILE = ".terraform.lock.hcl"

_CONFIG_SUFFIXES = (".tf", ".tofu")
_CONFIG_JSON_SUFFIXES = (".tf.json", ".tofu.json")
_INTENT_BLOCK = re.compile(r"^\s*(import|removed)\s*\{", re.MULTILINE)
_VARS_SUFFIXES = (".tfvars", ".tfvars.json")
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
    if name.endswith(_CONFIG_SUFFIXES + _CONFIG_JSON_SUFFIXES):
        return True
    # Terraform reads variable files and the lock file of the root module only.
    return is_root and (name == LOCK_FILE or name.endswith(_VARS_SUFFIXES))


def _key(path: Path, root: Path) -> str:
    return PurePosixPath(*Path(os.path.relpath(path, root)).parts).as_posix()


def _local_module_sources(name: str, data: bytes) -> list[str]:
    sources: list[Any] = []
    if name.endswith(_CONFIG_JSON_SUFFIXES):
        try:
            doc = json.loads(data)
        except ValueError:
            return []
        modules = doc.get("module") if isinstance(doc, dict) else None
        for module in _json_blocks(modules):
            sources.append(module.get("source"))
    elif name.endswith(_CONFIG_SUFFIXES):
        # Parsing is the slow part of a capture (the grammar alone loads in ~0.2 s): files
        # that cannot hold what is looked for are not parsed.
        if not _MODULE_BLOCK.search(_decode(data)[0]):
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
        if path.endswith(_CONFIG_SUFFIXES) and _MODULE_BLOCK.search(_decode(data)[0]):
            return True
        if path.endswith(_CONFIG_JSON_SUFFIXES) and b'"module"' in data:
            return True
    return False


def module_calls(files: Mapping[str, bytes]) -> frozenset[tuple[str, str, str, str]]:
    """Every module call, as ``(directory, name, source, version)`` with the expressions as
    written: what `terraform init` installs. Another set than the one installed (a call added,
    or one whose source or version changed) makes Terraform refuse to plan until init runs."""
    calls: set[tuple[str, str, str, str]] = set()
    for path, data in files.items():
        directory = posixpath.dirname(path)
        if path.endswith(_CONFIG_JSON_SUFFIXES):
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            modules = doc.get("module") if isinstance(doc, dict) else None
            for name, body in modules.items() if isinstance(modules, dict) else ():
                for item in _json_list(body):
                    source, version = item.get("source"), item.get("version")
                    calls.add((directory, str(name), repr(source), repr(version)))
        elif path.endswith(_CONFIG_SUFFIXES):
            text = _decode(data)[0]
            parsed = _parse_hcl_text(text) if _MODULE_BLOCK.search(text) else None
            for block in parsed.blocks_of("module") if parsed is not None else ():
                written = []
                for attribute in ("source", "version"):
                    entry = block.body.attribute(attribute)
                    written.append(
                        "" if entry is None else text[entry.value.start : entry.value.end]
                    )
                name = block.labels[0] if block.labels else ""
                calls.add((directory, name, written[0], written[1]))
    return frozenset(calls)


def state_intents(files: Mapping[str, bytes]) -> tuple[frozenset[str], frozenset[str]]:
    """``(imported, forgotten)``: the ``to`` of the root module's ``import`` blocks, and the
    ``from`` of its ``removed`` blocks with ``destroy = false``, as written.

    The state cannot tell an imported object from a created one, nor a forgotten one from a
    destroyed one; these blocks can. ``import`` blocks with ``for_each`` name no one address
    and are left out.
    """
    imported: set[str] = set()
    forgotten: set[str] = set()
    for path, data in files.items():
        if not _is_root(path):
            continue
        if path.endswith(_CONFIG_JSON_SUFFIXES):
            if b'"import"' not in data and b'"removed"' not in data:
                continue
            try:
                doc = json.loads(data)
            except ValueError:
                continue
            if not isinstance(doc, dict):
                continue
            for item in _json_list(doc.get("import")):
                if isinstance(item.get("to"), str) and "for_each" not in item:
                    imported.add(item["to"])
            for item in _json_list(doc.get("removed")):
                lifecycle = item.get("lifecycle")
                kept = any(entry.get("destroy") is False for entry in _json_list(lifecycle))
                if isinstance(item.get("from"), str) and kept:
                    forgotten.add(item["from"])
        elif path.endswith(_CONFIG_SUFFIXES):
            text = _decode(data)[0]
            if not _INTENT_BLOCK.search(text):
                continue
            body = _parse_hcl_text(text)
            if body is None:
                continue
            for block in body.blocks_of("import"):
                to = block.body.attribute("to")
                if to is not None and block.body.attribute("for_each") is None:
                    imported.add(text[to.value.start : to.value.end])
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


def _decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding that round-trips it; Latin-1 maps every byte to one character."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _parse_hcl(data: bytes) -> hcl.Body | None:
    return _parse_hcl_text(_decode(data)[0])


# A snapshot parses each file several times (modules, sensitive variables, sealing, summary);
# bodies are immutable, so parses are shared.
@functools.lru_cache(maxsize=256)
def _parse_hcl_text(text: str) -> hcl.Body | None:
    try:
        return hcl.parse(text)
    except hcl.HclSyntaxError:
        return None


# --- variables ---------------------------------------------------------------------------------


def _is_root(path: str) -> bool:
    return "/" not in path


def sensitive_variable_names(files: Mapping[str, bytes]) -> frozenset[str]:
    """Names of the root module's variables declared with ``sensitive = true``."""
    return _sensitive_variables({p: d for p, d in files.items() if _is_root(p)})


def _module_sensitive_variables(files: Mapping[str, bytes]) -> dict[str, frozenset[str]]:
    """Each local module directory's variables declared ``sensitive = true``: a module call
    must not spell out what the module itself treats as a secret."""
    by_directory: dict[str, dict[str, bytes]] = {}
    for path, data in files.items():
        if not _is_root(path):
            by_directory.setdefault(posixpath.dirname(path), {})[path] = data
    found = {d: _sensitive_variables(f) for d, f in by_directory.items()}
    return {directory: names for directory, names in found.items() if names}


def _sensitive_variables(files: Mapping[str, bytes]) -> frozenset[str]:
    names: set[str] = set()
    for path, data in files.items():
        if path.endswith(_CONFIG_JSON_SUFFIXES):
            for name, bodies in _json_variables(data):
                if any(b.get("sensitive") is True for b in bodies):
                    names.add(name)
        elif path.endswith(_CONFIG_SUFFIXES):
            if b"sensitive" not in data:
                continue
            body = _parse_hcl(data)
            if body is None:
                names.update(_sensitive_variables_by_lines(_decode(data)[0]))
                continue
            for block in body.blocks_of("variable"):
                if block.labels and _declared_sensitive(block):
                    names.add(block.labels[0])
    return frozenset(names)


def root_variable_names(files: Mapping[str, bytes]) -> frozenset[str]:
    """Names of the variables the root module declares (read line by line where the parser
    fails, and where the parser is not needed: its first use costs every recorded command
    0.2 s)."""
    root = {path: data for path, data in files.items() if _is_root(path)}
    # Outside heredocs and block comments, a line starting `variable "x" {` can only be a
    # declaration: strings do not span lines, and no nested block is called `variable`.
    plain = {
        path: data
        for path, data in root.items()
        if path.endswith(_CONFIG_SUFFIXES) and b"<<" not in data and b"/*" not in data
    }
    names = {m.group(1) for d in plain.values() for m in _VARIABLE_START.finditer(_decode(d)[0])}
    root = {path: data for path, data in root.items() if path not in plain}
    summary = config_summary(root)
    names.update(summary["modules"].get(".", {}).get("variables", ()))
    for path in summary["unparsed"]:
        names.update(m.group(1) for m in _VARIABLE_START.finditer(_decode(root[path])[0]))
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
        if not _is_root(path):
            continue
        if path.endswith(_CONFIG_JSON_SUFFIXES):
            for name, bodies in _json_variables(data):
                types = [b.get("type") for b in bodies]
                if any(isinstance(t, str) and t.strip() not in _LITERAL_TYPES for t in types):
                    names.add(name)
        elif path.endswith(_CONFIG_SUFFIXES):
            if _only_literal_types(data):
                continue
            text = _decode(data)[0]
            body = _parse_hcl_text(text)
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
        if not _is_root(path):
            continue
        if path.endswith(_CONFIG_JSON_SUFFIXES):
            return None
        if not path.endswith(_CONFIG_SUFFIXES):
            continue
        text = _decode(data)[0]
        body = _parse_hcl_text(text)
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


def _declared_sensitive(block: hcl.Block) -> bool:
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


# --- the config document -----------------------------------------------------------------------


def config_document(
    files: Mapping[str, bytes],
    variables: Mapping[str, str],
    seal: Seal,
    secret_name: re.Pattern[str],
    sensitive_vars: frozenset[str],
    told: set[str] | None = None,
) -> dict[str, Any]:
    """The storable snapshot of a configuration, with every secret sealed.

    ``variables`` are the values from :func:`parse_variable_args`; those of sensitive variables
    (declared sensitive, or named like a secret) are replaced by ``seal(value)``. ``told``
    receives each string sealed, in plain: a literal's value (also a JSON string's sealed as
    written, see :func:`json_sealed`), an expression's source text.
    """
    policy = _Policy(seal, secret_name, sensitive_vars, _module_sensitive_variables(files), told)
    text_files: dict[str, list[str]] = {}
    binary_files: dict[str, str] = {}
    for path in sorted(files):
        data = files[path]
        text, encoding = _decode(data)
        redacted = _redact(path, text, policy)
        if encoding == "utf-8":
            text_files[path] = _lines(redacted)
        else:
            out = data if redacted == text else redacted.encode(encoding)
            binary_files[path] = base64.b64encode(out).decode("ascii")
    doc: dict[str, Any] = {"format": CONFIG_FORMAT, "files": text_files}
    if binary_files:
        doc["binary_files"] = binary_files
    doc["variables"] = {
        name: policy.sealed_value(value)
        if policy.sensitive_var(name) or _holds_secret_items(value, policy)
        else value
        for name, value in sorted(variables.items())
    }
    return doc


def sealed_configuration(
    files: Mapping[str, bytes],
    variables: Mapping[str, str],
    seal: Seal,
    secret_name: re.Pattern[str],
) -> tuple[dict[str, Any], frozenset[str]]:
    """The config document of ``files`` and ``variables`` (:func:`config_document`, the root
    module's sensitive variables read from the files), and its secrets in plain, to be looked
    for elsewhere (:func:`seal_secret_strings`, a state's strings, where a password may be
    written into a longer string and only its plain value finds it): the strings it sealed,
    and the strings inside the list and object values of secret variables, which the state may
    hold one by one (:func:`secret_variable_items`).

    One rule for short values, for a recording and for a checkout comparing the files here
    with a version alike (so both seal the same literals): only secrets of
    :data:`~tfshadow.state.redact.MIN_KNOWN_LENGTH` characters or more are told. A shorter one
    ("admin", a port) is sealed where it is assigned, and nowhere else: it would be found in
    too many innocent literals and words."""
    sealed: set[str] = set()
    sensitive = sensitive_variable_names(files)
    doc = config_document(files, variables, seal, secret_name, sensitive, sealed)
    items = secret_variable_items(files, variables, secret_name, sensitive)
    return doc, frozenset(v for v in sealed | items if len(v) >= MIN_KNOWN_LENGTH)


def secret_variable_items(
    files: Mapping[str, bytes],
    variables: Mapping[str, str],
    secret_name: re.Pattern[str],
    sensitive_vars: Collection[str],
) -> frozenset[str]:
    """The strings inside the list, set and object values of secret variables (declared
    ``sensitive`` or named like a secret), from ``variables`` (``-var``/``TF_VAR_``) and the
    root's variable files: the value is sealed whole there, but the state holds each item on
    its own (``input = var.api_tokens``), where only these strings tell them."""

    def secret(name: str | None) -> bool:
        return name is not None and (name in sensitive_vars or bool(secret_name.search(name)))

    values: list[Any] = []
    for name, raw in variables.items():
        if secret(name) and raw.lstrip().startswith(("[", "{")):
            body = _parse_hcl_text(f"x = {raw}\n")
            if (
                body is not None
                and len(body.attributes) == 1
                and body.attributes[0].value.is_literal
            ):
                values.append(body.attributes[0].value.literal)
    for key, data in files.items():
        if not _is_root(key) or not key.endswith(_VARS_SUFFIXES):
            continue
        text = data.decode("utf-8", errors="replace")
        if key.endswith(".json"):
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            entries = list(doc.items()) if isinstance(doc, dict) else []
        else:
            # The parser's first use costs ~0.2 s on every recorded command: a file assigning
            # no secret-named variable a list or object has nothing to give here.
            if not any(
                secret(m.group(1)) and text[m.end() : m.end() + 1] in ("[", "{")
                for m in _ASSIGNMENT.finditer(text)
            ):
                continue
            parsed = _parse_hcl_text(text)
            entries = [
                (a.name, a.value.literal)
                for a in (parsed.attributes if parsed is not None else ())
                if a.value.is_literal
            ]
        values.extend(value for name, value in entries if secret(name))
    return frozenset(
        leaf for value in values if isinstance(value, list | dict) for leaf in _string_leaves(value)
    )


def _string_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _string_leaves(item)


def _holds_secret_items(raw: str, policy: _Policy) -> bool:
    """Whether a ``-var``/``TF_VAR_`` value written as an object or tuple holds a secret-named
    key, as a variable file's would be sealed. The whole value is sealed then: a revert passes
    recorded values on whole, never with a seal inside."""
    if not any(policy.secret(w) for w in set(_WORD.findall(raw))):
        return False
    prefix = "x = "
    body = _parse_hcl_text(f"{prefix}{raw}\n")
    if body is None or len(body.attributes) != 1:
        return False
    edits = _Edits()
    _seal_secret_items(body.attributes[0].value, prefix + raw, policy, edits, needs_text=False)
    return bool(edits.spans)


def seal_secret_strings(
    doc: Mapping[str, Any], secrets: Collection[str], seal: Seal
) -> dict[str, Any]:
    """``doc`` with each quoted string literal equal to one of ``secrets``, or containing one of
    :data:`~tfshadow.state.redact.MIN_KNOWN_LENGTH` characters or more, sealed whole, in its
    files (heredocs too) and its variables: a value the state holds sealed (an attribute named
    like a secret) may come from a variable whose name and declaration say nothing of it, and
    a password may be written into a longer literal (``"postgres://admin:s3cr3t@db/app"``).
    A secret is found also where it is written with JSON's escapes, once or nested (a JSON
    document in a string, ``\\u`` escapes in a ``.tf.json`` file); and anywhere in a file that
    Terraform cannot read (:func:`_seal_unreadable`)."""
    # A state may hold hundreds of passwords: only those the document holds somewhere are
    # looked for line by line (a secret of several lines is a heredoc's text, which no line
    # holds whole).
    held = occurring(secrets, delta.dumps([doc.get("files"), doc.get("variables")]))
    secrets = {
        value
        for value in secrets
        if len(value) < MIN_KNOWN_LENGTH or "\n" in value or value in held
    }
    if not secrets:
        return dict(doc)
    forms = {value: _written_forms(value) for value in secrets}
    needles: dict[str, str] = {}
    needle_values: dict[str, str] = {}
    for value in secrets:
        # A .tf file spells a non-ASCII character out; a .tf.json file may escape it.
        for needle in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
            needles[needle] = hcl_sealed(needle, value, seal)
            needle_values[needle] = value
    contains = containing(secrets)
    in_comments = _Written.of(forms, several_lines=False)
    anywhere = _Written.of(forms, several_lines=True)

    def sealed_line(line: str) -> str:
        # Sealed so that a checkout writes each back as it is written (hcl_sealed).
        for needle, replacement in needles.items():
            if needle in line:
                line = line.replace(needle, replacement)
        return line

    def sealed_json_needles(line: str, escapes: bool) -> str:
        # Sealed so that a checkout writes each back as it is written (json_sealed).
        for needle, value in needle_values.items():
            if needle in line:
                line = line.replace(needle, json_sealed(needle, value, seal, escapes))
        return line

    def sealed_json_line(line: str, escapes: bool) -> str:
        # A .tf.json string is an HCL template: `"${sensitive(\"s3cr3t\")}"` holds the literal
        # escaped, where no needle finds it. The whole string is sealed, as a secret-named
        # member's value is (a seal inside it would be escaped too, and found by nothing).
        if '\\"' not in line and "\\u" not in line:
            return line
        return _QUOTED.sub(
            lambda m: (
                json_sealed(m.group(0), template, seal, escapes)
                if (template := _json_string(m.group(0))) is not None
                and any(literal in secrets for literal in _quoted_literals(template))
                else m.group(0)
            ),
            line,
        )

    def containing_sealed_json(line: str, escapes: bool) -> str:
        # A literal that holds a secret among other text is sealed whole: no part of it can be
        # shown without telling where the secret starts and ends.
        if contains is None or not contains(line):
            return line

        def replace(match: re.Match[str]) -> str:
            quoted = match.group(0)
            value = _json_string(quoted)
            if value is None or is_sealed(value) or not contains(value):
                return quoted
            return json_sealed(quoted, value, seal, escapes)  # a JSON string is put back as one

        return _QUOTED.sub(replace, line)

    def sealed_file(path: str, lines: list[str]) -> list[str]:
        if path.endswith(".json"):
            escapes = any("\\u" in line for line in lines)
            lines = [
                containing_sealed_json(
                    sealed_json_needles(sealed_json_line(line, escapes), escapes), escapes
                )
                for line in lines
            ]
        else:
            lines = _seal_containing_strings([sealed_line(line) for line in lines], contains, seal)
        lines = _seal_heredocs(path, lines, secrets, contains, seal)
        lines = _seal_in_comments(path, lines, in_comments, seal)
        return _seal_unreadable(path, lines, anywhere, seal)

    out = dict(doc)
    out["files"] = {path: sealed_file(path, lines) for path, lines in doc["files"].items()}
    out["variables"] = {
        name: seal(value)
        if isinstance(value, str)
        and not is_sealed(value)
        and (value in secrets or (contains is not None and contains(value)))
        else value
        for name, value in (doc.get("variables") or {}).items()
    }
    return out


def _seal_containing_strings(
    lines: list[str], contains: Callable[[str], bool] | None, seal: Seal
) -> list[str]:
    """``lines`` of an HCL file with each quoted string that holds a secret (``contains``)
    sealed whole: a literal as its value, a template as its source text (put back as written: a
    string value would be re-quoted with ``${`` escaped, and no longer interpolate), the
    secret perhaps an argument inside it (``"${f("s3cr3t")}"``). A template whose
    interpolation spans lines collapses to one quoted seal on one line."""
    text = "".join(lines)
    if contains is None or not contains(text):
        return lines
    edits = _Edits()
    for kind, start, end in _hcl_spans(text):
        quoted = text[start:end]
        if kind != "string" or not contains(quoted):
            continue
        value = _json_string(quoted)
        if value is not None and is_sealed(value):
            continue
        if value is None or _INTERPOLATION_START.search(quoted):
            edits.add(start, end, json.dumps(seal(quoted)))
        elif contains(value):
            edits.add(start, end, hcl_sealed(quoted, _hcl_text(value), seal))
    return _lines(edits.apply(text)) if edits.spans else lines


@dataclass(frozen=True)
class _Written:
    """Each way the secrets looked for may be written (:func:`_written_forms`), to its secret,
    and one pattern finding any of them, the longest where several start at one place (a
    secret holding another is replaced whole). Values under MIN_KNOWN_LENGTH characters are
    left out, as inside strings: they would be found in too many innocent words."""

    by_form: Mapping[str, str]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, secrets: Mapping[str, Collection[str]], several_lines: bool) -> _Written:
        by_form = {
            form: value
            for value, forms in secrets.items()
            if len(value) >= MIN_KNOWN_LENGTH and (several_lines or "\n" not in value)
            for form in forms
        }
        return cls(by_form, alternation(by_form) if by_form else None)


def _seal_unreadable(path: str, lines: list[str], written: _Written, seal: Seal) -> list[str]:
    """``lines`` of a file that Terraform cannot read (a syntax error anywhere in it) with
    every secret still ``written`` in them replaced by its seal, wherever it is: such a file
    is recorded too, and there the walks above may stop early or take code for text (an
    unclosed heredoc or string). A file that reads is left alone: a secret there is in a
    literal, a heredoc or a comment, sealed above, and a seal elsewhere would break the
    code."""
    if written.pattern is None:
        return lines
    text = "".join(lines)
    if written.pattern.search(text) is None or _readable(path, text):
        return lines
    return _lines(written.pattern.sub(lambda m: seal(written.by_form[m.group(0)]), text))


def _readable(path: str, text: str) -> bool:
    """Whether Terraform could read ``text``, the contents of ``path``, as far as a parse tells."""
    if path.endswith(".json"):
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return _parse_hcl_text(text) is not None


_INTERPOLATION_START = re.compile(r"(?<![$%])[$%]\{")


def _written_forms(value: str) -> set[str]:
    """How a secret may be written in a file: as it is, with JSON's (and HCL's) escapes, and
    escaped twice (a literal inside a ``.tf.json`` template, ``"${f(\\"s3cr3t\\")}"``)."""
    once = {json.dumps(value, ensure_ascii=ascii)[1:-1] for ascii in (True, False)}
    return {value, *once, *(json.dumps(form)[1:-1] for form in once)}


def _hcl_string_end(
    text: str,
    start: int,
    across_lines: bool = True,
    inner: list[tuple[str, int, int]] | None = None,
) -> tuple[int | None, int]:
    """Just past the quoted string opening at ``text[start]`` (a template, whose interpolations
    may hold strings of their own), or None where HCL would read none: its text does not end on
    its line. A line break inside an interpolation (``"${join(",", [``, a list of lines,
    ``])}"``) is read through, unless ``across_lines`` is false; the comments (``#``, ``//``,
    ``/* … */``) and heredocs written inside an interpolation are added to ``inner`` as
    ``("comment" | "heredoc", start, end)``: their quotes and braces are text, not code. Also:
    how far it read."""
    i, depth, length = start + 1, 0, len(text)  # depth: braces open inside an interpolation
    while i < length:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if depth == 0:
            if char == '"':
                return i + 1, i + 1
            if char == "\n":
                return None, i
            if text.startswith(("$${", "%%{"), i):
                i += 3
                continue
            if text.startswith(("${", "%{"), i):
                depth, i = 1, i + 2
                continue
        elif char == '"':
            # A string inside an interpolation: its end, or the text's.
            end, reached = _hcl_string_end(text, i, across_lines, inner)
            if end is None:
                return None, reached
            i = end
            continue
        elif char == "\n" and not across_lines:
            return None, i
        elif (span := _code_text_span(text, i)) is not None:
            # A comment or a heredoc between an interpolation's lines, or within one.
            kind, end = span
            if end is None:
                return None, length
            if not across_lines and "\n" in text[i:end]:
                return None, i
            if inner is not None:
                inner.append((kind, i, end))
            i = end
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        i += 1
    return None, length


def _code_text_span(text: str, i: int) -> tuple[str, int | None] | None:
    """The comment or heredoc that starts at ``text[i]`` in code, as ``(kind, end)``; end None
    for a heredoc or ``/*`` left open. None when none starts there."""
    char = text[i]
    if char == "#" or text.startswith("//", i):
        newline = text.find("\n", i)
        return "comment", len(text) if newline < 0 else newline
    if text.startswith("/*", i):
        closing = text.find("*/", i + 2)
        return "comment", None if closing < 0 else closing + 2
    if char == "<" and (opening := _HEREDOC_OPENING.match(text, i)) is not None:
        return "heredoc", _heredoc_end(text, opening)
    return None


def _heredoc_end(text: str, opening: re.Match[str]) -> int | None:
    """Just past the closing marker of the heredoc ``opening`` matched, None when none closes it."""
    marker = re.escape(opening.group(2))
    closing = re.compile(rf"^[ \t]*{marker}(?=[ \t]*\r?$)", re.MULTILINE)
    found = closing.search(text, opening.end())
    return None if found is None else found.end()


_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def seal_known_literals(
    doc: Mapping[str, Any], known: Callable[[str], bool], seal: Seal
) -> dict[str, Any]:
    """``doc`` with each quoted string literal of its files that ``known`` tells is a secret
    sealed, as :func:`seal_secret_strings` does: a literal sealed in the version before
    because its state held the value sealed stays sealed once the state no longer holds it (a
    targeted destroy, `state rm`), while the files still do. A quoted string that ``known``
    tells is a secret as written (sealed so, see :func:`hcl_sealed` and :func:`json_sealed`)
    is sealed so again."""
    found: set[str] = set()
    written: set[str] = set()  # quoted strings, as written
    for path, lines in doc["files"].items():
        if path.endswith((*_CONFIG_SUFFIXES, ".tfvars")) and any("<<" in line for line in lines):
            text = "".join(lines)
            for start, end in _heredoc_spans(text):
                value = _heredoc_text(text[start:end])
                if value is not None and known(value):
                    found.add(value)
        for line in lines:
            if '"' not in line:
                continue
            for match in _QUOTED.finditer(line):
                quoted = match.group(0)
                value = _json_string(quoted)
                if value is not None and known(value):
                    found.add(value)
                elif known(quoted):
                    written.add(quoted)
                if value is None:
                    continue  # an escape HCL reads and JSON does not: sealed as written only
                if path.endswith(".json"):
                    # The literals of a .tf.json template (`"${sensitive(\"s3cr3t\")}"`).
                    found.update(v for v in _quoted_literals(value) if known(v))
    out = seal_secret_strings(doc, found, seal)
    if not written:
        return out

    def sealed_written(line: str) -> str:
        if '"' not in line:
            return line
        return _QUOTED.sub(
            lambda m: json.dumps(seal(m.group(0))) if m.group(0) in written else m.group(0), line
        )

    out["files"] = {
        path: [sealed_written(line) for line in lines] for path, lines in out["files"].items()
    }
    return out


def _json_string(quoted: str) -> str | None:
    """The string a quoted literal stands for (JSON's escapes, which HCL's include), or None."""
    try:
        value = json.loads(quoted)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def json_sealed(source: str, value: Any, seal: Seal, escapes: bool) -> str:
    """The quoted seal that replaces a JSON value written as ``source`` in a file that writes
    ``\\u`` escapes somewhere (``escapes``) or not: the seal of its value, as a literal is
    sealed elsewhere (a password fingerprints as it does in the state); but the seal of a
    string's ``source`` itself, quotes and escapes as written, where a checkout writing the
    value back would not write the same bytes, or where the value itself reads as a quoted JSON
    string, which would be taken for such a source (see :func:`is_json_source`).

    A checkout writes a value back with the shortest escapes, spelling non-ASCII text out
    unless the file is all ASCII and escapes something with ``\\u`` (as it wrote back values
    of the versions recorded before strings were sealed as written): so ``"s\\u0033cret"`` and
    ``"caf\\u00e9"`` are sealed as written, and so is ``"café"`` in a file that escapes other
    text."""
    if isinstance(value, str) and not (
        source == json.dumps(value, ensure_ascii=False)
        and (value.isascii() or not escapes)
        and not is_json_source(value)
    ):
        return json.dumps(seal(source))
    return json.dumps(seal(value))


def hcl_sealed(source: str, value: Any, seal: Seal) -> str:
    """The quoted seal that replaces an HCL literal written as ``source``: the seal of its
    value, as a literal is sealed elsewhere; but, for a quoted string that a checkout would not
    write back as it is written from its value (:func:`hcl_quoted`: ``"s\\u0033cret"``,
    ``"caf\\u00e9"``), or whose value itself reads as a quoted string (see
    :func:`is_hcl_source`), the seal of ``source``, quotes and escapes as written."""
    written = isinstance(value, str) and source.startswith('"')
    if written and (source != hcl_quoted(value) or is_hcl_source(value)):
        return json.dumps(seal(source))
    return json.dumps(seal(value))


def is_hcl_source(sealed: str) -> bool:
    """Whether a string a seal of an HCL file stands for is a quoted string's source text as
    written (:func:`hcl_sealed`), to be put back as it is, rather than a value."""
    if len(sealed) < 2 or sealed[0] != '"' or sealed[-1] != '"':
        return False
    end, _ = _hcl_string_end(sealed, 0, across_lines=False)
    return end == len(sealed) and not _INTERPOLATION_START.search(sealed)


def hcl_quoted(value: str) -> str:
    """``value`` as a quoted HCL string, as a checkout writes a sealed one back: escaped (the
    shortest escapes; other characters spelled out), and ``${``/``%{`` doubled so that it is
    read as text, not as a template."""
    escaped: list[str] = []
    for char in value:
        if char in ('"', "\\"):
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\r":
            escaped.append("\\r")
        elif char == "\t":
            escaped.append("\\t")
        elif ord(char) < 0x20 or char == "\x7f":
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    body = "".join(escaped).replace("${", "$${").replace("%{", "%%{")
    return f'"{body}"'


def _hcl_text(value: str) -> str:
    """The text a quoted HCL string without interpolations stands for, from its JSON reading
    (``$${`` and ``%%{`` are HCL's escapes of ``${`` and ``%{``)."""
    return value.replace("$${", "${").replace("%%{", "%{")


def is_json_source(sealed: str) -> bool:
    """Whether a string a seal of a JSON file stands for is a JSON string's source text as
    written (:func:`json_sealed`), to be put back as it is, rather than a value."""
    return len(sealed) >= 2 and sealed[0] == sealed[-1] == '"' and _json_string(sealed) is not None


def _quoted_literals(template: str) -> Iterator[str]:
    """The quoted string literals written inside a template's text (`sensitive("s3cr3t")`)."""
    if '"' not in template:
        return
    for match in _QUOTED.finditer(template):
        value = _json_string(match.group(0))
        if value is not None:
            yield value


_HEREDOC_OPENING = re.compile(r"<<(-?)([A-Za-z][\w.-]*)[ \t]*\r?\n")


def _seal_in_comments(path: str, lines: list[str], written: _Written, seal: Seal) -> list[str]:
    """``lines`` of an HCL file with each secret ``written`` (of one line) that a comment holds
    outside any quotes (``# rotated from s3cr3t-2025``) replaced by its seal: a checkout puts
    the value back from the file here, or opens it with the key, as it does a sealed
    literal."""
    if not path.endswith((*_CONFIG_SUFFIXES, ".tfvars")) or written.pattern is None:
        return lines
    text = "".join(lines)
    if written.pattern.search(text) is None:
        return lines
    edits = _Edits()
    for start, end in _comment_spans(text):
        for match in written.pattern.finditer(text, start, end):
            edits.add(match.start(), match.end(), seal(written.by_form[match.group(0)]))
    return _lines(edits.apply(text)) if edits.spans else lines


def _seal_heredocs(
    path: str,
    lines: list[str],
    secrets: Collection[str],
    contains: Callable[[str], bool] | None,
    seal: Seal,
) -> list[str]:
    """``lines`` of an HCL file with each heredoc whose text is one of ``secrets``, or holds one
    in its literal text (``contains``), sealed as its source text, as a secret-named
    attribute's heredoc is (a multi-line secret has no quoted form to be found by)."""
    if not path.endswith((*_CONFIG_SUFFIXES, ".tfvars")) or not any("<<" in line for line in lines):
        return lines
    text = "".join(lines)
    edits = _Edits()
    for start, end in _heredoc_spans(text):
        value = _heredoc_text(text[start:end])
        # A template's interpolations are code, not text: only its literal parts can hold one.
        held = value if value is not None else _INTERPOLATION.sub("\0", text[start:end])
        if held in secrets or (contains is not None and contains(held)):
            edits.add(start, end, json.dumps(seal(text[start:end])))
    return _lines(edits.apply(text)) if edits.spans else lines


def _heredoc_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where each heredoc of an HCL text is, from its ``<<`` to the end of its closing marker:
    also one inside an expression (``sensitive(<<EOT … EOT)``), which no entry's value is."""
    return ((start, end) for kind, start, end in _hcl_spans(text) if kind == "heredoc")


# What may open a string, a heredoc or a comment: the walk jumps from one to the next.
_SPAN_START = re.compile(r'["#]|<<|//|/\*')


def _hcl_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """The quoted strings, comments and heredocs of an HCL text, in order, as ``("string" |
    "comment" | "heredoc", start, end)``: one walk that steps over quoted strings (with the
    templates nested in their interpolations, which may span lines), heredocs and comments, so
    that ``<<EOT``, ``#`` or ``"`` written inside any of them opens nothing (a comment between
    the lines of an interpolation comes just before its string, and so does a heredoc written
    inside an interpolation). An unclosed heredoc ends the walk (Terraform refuses the file)."""
    position, length, across_lines = 0, len(text), True
    while (next_one := _SPAN_START.search(text, position)) is not None:
        position = next_one.start()
        if text[position] == '"':
            line_end = text.find("\n", position)
            line_end = length if line_end < 0 else line_end
            inner: list[tuple[str, int, int]] = []
            end, reached = _hcl_string_end(text, position, across_lines, inner)
            if end is None and reached > line_end:
                # An interpolation left open: each string after it would be read to the end
                # of the text again. Terraform refuses the file; strings end with their line.
                across_lines, inner = False, []
                end, reached = _hcl_string_end(text, position, across_lines, inner)
            if end is None:
                position = line_end  # a string HCL would not read ends with the line
            else:
                yield from inner
                yield "string", position, end
                position = end
            continue
        span = _code_text_span(text, position)
        if span is None:
            position += 1  # `<<` that opens no heredoc
            continue
        kind, end = span
        if end is None and kind == "heredoc":
            return
        end = length if end is None else end  # a comment left open: the rest of the text
        yield kind, position, end
        position = end


def _heredoc_text(source: str) -> str | None:
    """The string a heredoc without interpolations or directives stands for, else None."""
    opening = _HEREDOC_OPENING.match(source)
    if opening is None:
        return None
    body = source[opening.end() :].splitlines(keepends=True)[:-1]  # the closing marker out
    content = "".join(body)
    if re.search(r"(?<![$%])[$%]\{", content):
        return None
    if opening.group(1):
        # <<- strips the indentation its least indented non-blank line has.
        indents = [len(line) - len(line.lstrip(" \t")) for line in body if line.strip()]
        cut = min(indents, default=0)
        content = "".join(line[cut:] if line.strip() else line.lstrip(" \t") for line in body)
    return content.replace("$${", "${").replace("%%{", "%{")


def files_from_document(doc: Mapping[str, Any]) -> dict[str, bytes]:
    """The files a config document holds, as bytes (the inverse of :func:`config_document`
    for configurations without secrets)."""
    if doc.get("format") != CONFIG_FORMAT:
        raise ValueError(f"unsupported config document format {doc.get('format')!r}")
    files = {path: "".join(lines).encode("utf-8") for path, lines in doc["files"].items()}
    for path, encoded in doc.get("binary_files", {}).items():
        files[path] = base64.b64decode(encoded)
    return dict(sorted(files.items()))


def _lines(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines also breaks on \f, \v, \x1c… which would make
    # line-based deltas of such files odd (the join is exact either way).
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


@dataclass(frozen=True)
class _Policy:
    seal: Seal
    secret_name: re.Pattern[str]
    sensitive_vars: frozenset[str]
    # Local module directory -> its variables declared sensitive.
    module_sensitive: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Receives each string sealed, in plain (see config_document).
    told: set[str] | None = None

    def module_arguments(self, path: str, source: Any) -> frozenset[str]:
        """The arguments of a module call in ``path`` to ``source`` that the module declares
        sensitive."""
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            return frozenset()
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), source))
        return self.module_sensitive.get(target, frozenset())

    def secret(self, name: str | None) -> bool:
        return name is not None and bool(self.secret_name.search(name))

    def sensitive_var(self, name: str | None) -> bool:
        return name is not None and (name in self.sensitive_vars or self.secret(name))

    def sealed(self, value: Any) -> str:
        return json.dumps(self.sealed_value(value))

    def sealed_value(self, value: Any) -> str:
        self.tell(value)
        return self.seal(value)

    def sealed_hcl(self, source: str, value: Any) -> str:
        """An HCL literal's quoted seal (:func:`hcl_sealed`), its ``source`` as written."""
        self.tell(value)
        return hcl_sealed(source, value, self.seal)

    def sealed_json(self, source: str, value: Any, escapes: bool) -> str:
        """A JSON value's quoted seal (:func:`json_sealed`), its ``source`` as written."""
        self.tell(value)
        return json_sealed(source, value, self.seal, escapes)

    def tell(self, value: Any) -> None:
        if self.told is not None and isinstance(value, str):
            self.told.add(value)


@dataclass
class _Edits:
    """Replacements of ``text[start:end]``; an edit inside an earlier, wider one is dropped."""

    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, start: int, end: int, replacement: str) -> None:
        self.spans.append((start, end, replacement))

    def apply(self, text: str) -> str:
        out: list[str] = []
        position = 0
        for start, end, replacement in sorted(self.spans, key=lambda s: (s[0], -s[1])):
            if start < position:
                continue
            out.append(text[position:start])
            out.append(replacement)
            position = end
        out.append(text[position:])
        return "".join(out)


def _redact(path: str, text: str, policy: _Policy) -> str:
    name = PurePosixPath(path).name
    if name == LOCK_FILE or not _may_hold_secrets(text, policy):
        return text
    if name.endswith(_CONFIG_SUFFIXES):
        return _mask_comments(_redact_config_hcl(text, policy, path), policy)
    if name.endswith(_CONFIG_JSON_SUFFIXES):
        return _redact_config_json(text, policy, path)
    # Anything else was given as a variable file; Terraform reads it as JSON when it ends in
    # .json, as HCL otherwise.
    if name.endswith(".json"):
        return _redact_vars_json(text, policy)
    return _mask_comments(_redact_vars_hcl(text, policy), policy)


COMMENT_MASK = '"(sensitive value)"'
_COMMENT_ASSIGNMENT = re.compile(r'"?([A-Za-z_][\w-]*)"?[ \t]*[=:][ \t]*"(?:[^"\\\n]|\\.)*"')


def masked_comment_lines(text: str, secret_name: re.Pattern[str]) -> dict[str, str]:
    """Each line of ``text`` that :func:`config_document` masks a comment of, keyed by its
    masked form: what a checkout writes back in place of the mask."""
    policy = _Policy(lambda value: "", secret_name, frozenset())
    masked = _mask_comments(text, policy)
    if masked == text:
        return {}
    # A mask spans no line break, so the lines stay paired.
    return {m: o for m, o in zip(_lines(masked), _lines(text), strict=True) if m != o}


def _mask_comments(text: str, policy: _Policy) -> str:
    """``text`` with the quoted value of each secret-named assignment in a comment (``#
    password = "old"``, also after code on a line and in ``/* … */``: code commented out)
    replaced by :data:`COMMENT_MASK`. Nothing reads a comment back, so it is masked, not
    sealed: a revert does not need it. Heredocs and quoted strings are values and are left
    alone, and so is a value already sealed (never taken for a comment's)."""
    if "#" not in text and "//" not in text and "/*" not in text:
        return text
    # The scan below walks the text character by character: only where it may find something.
    if not any(policy.secret(m.group(1)) for m in _COMMENT_ASSIGNMENT.finditer(text)):
        return text
    edits = _Edits()
    for start, end in _comment_spans(text):
        for match in _COMMENT_ASSIGNMENT.finditer(text, start, end):
            if policy.secret(match.group(1)):
                value_start = text.index('"', match.start(1) + len(match.group(1)) + 1)
                if not is_sealed(text[value_start + 1 : match.end() - 1]):
                    edits.add(value_start, match.end(), COMMENT_MASK)
    return edits.apply(text) if edits.spans else text


def _comment_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the comments of an HCL text are: outside quoted strings and heredocs."""
    return ((start, end) for kind, start, end in _hcl_spans(text) if kind == "comment")


_WORD = re.compile(r"[A-Za-z_][\w-]*")
_MODULE_BLOCK = re.compile(r'(?m)^\s*module\s+["A-Za-z_]')


def _may_hold_secrets(text: str, policy: _Policy) -> bool:
    """False when no name in the text is secret-like, sensitive or a sensitive variable.

    Every name the sealing rules look at (attribute and object keys, variable labels, the
    ``sensitive`` argument) appears in the text as a word, so such a file needs no parse.
    """
    module_args = frozenset().union(*policy.module_sensitive.values())
    return any(
        w == "sensitive" or policy.sensitive_var(w) or w in module_args
        for w in set(_WORD.findall(text))
    )


def _worth_sealing(literal: Any, declared: bool) -> bool:
    """Whether a literal needs sealing: not null, not already a seal, and, when sealed only for
    its name (not declared sensitive), not a flag or an empty string, as redact does for state
    (``manage_master_user_password = true`` is no secret)."""
    if literal is None or is_sealed(literal):
        return False
    return declared or not (isinstance(literal, bool) or literal == "")


def _seal_hcl_value(
    value: hcl.Value, text: str, policy: _Policy, edits: _Edits, declared: bool = False
) -> None:
    if value.is_literal:
        if _worth_sealing(value.literal, declared):
            source = text[value.start : value.end]
            edits.add(value.start, value.end, policy.sealed_hcl(source, value.literal))
    else:
        edits.add(value.start, value.end, policy.sealed(text[value.start : value.end]))


def _redact_vars_hcl(text: str, policy: _Policy) -> str:
    body = _parse_hcl_text(text)
    if body is None:
        return _redact_by_lines(text, policy.sensitive_var, needs_text=False, policy=policy)
    edits = _Edits()
    for entry in body.attributes:
        if policy.sensitive_var(entry.name):
            declared = entry.name in policy.sensitive_vars
            _seal_hcl_value(entry.value, text, policy, edits, declared)
        else:
            _seal_secret_items(entry.value, text, policy, edits, needs_text=False)
    return edits.apply(text)


def _seal_secret_items(
    value: hcl.Value, text: str, policy: _Policy, edits: _Edits, needs_text: bool
) -> None:
    for item in value.items:
        if policy.secret(item.name) and (item.value.has_text or not needs_text):
            _seal_hcl_value(item.value, text, policy, edits)
        else:
            _seal_secret_items(item.value, text, policy, edits, needs_text)


def _redact_config_hcl(text: str, policy: _Policy, path: str) -> str:
    root = _is_root(path)
    body = _parse_hcl_text(text)
    if body is None:
        return _redact_by_lines(text, policy.secret, needs_text=True, policy=policy)
    edits = _Edits()
    for _enclosing, entry in hcl.walk_entries(body):
        if policy.secret(entry.name) and entry.value.has_text:
            _seal_hcl_value(entry.value, text, policy, edits)
    for block in body.blocks_of("variable"):
        default = block.body.attribute("default")
        if default is None or not block.labels:
            continue
        name = block.labels[0]
        declared = _declared_sensitive(block) or (root and name in policy.sensitive_vars)
        if declared or policy.secret(name):
            _seal_hcl_value(default.value, text, policy, edits, declared)
    # Outputs the state seals (sensitive or secret-named) must not be spelled out here either.
    for block in body.blocks_of("output"):
        value = block.body.attribute("value")
        if value is None or not block.labels or not value.value.has_text:
            continue
        declared = _declared_sensitive(block)
        if declared or policy.secret(block.labels[0]):
            _seal_hcl_value(value.value, text, policy, edits, declared)
    for block in body.blocks_of("module"):
        source = block.body.attribute("source")
        sensitive = policy.module_arguments(path, source.value.literal if source else None)
        for entry in block.body.attributes:
            if entry.name in sensitive and (entry.value.has_text or entry.value.is_literal):
                _seal_hcl_value(entry.value, text, policy, edits, declared=True)
    return edits.apply(text)


# JSON files are sealed through positions too (json_spans), so their formatting survives.

_INTERPOLATION = re.compile(r"(?<![$%])[$%]\{[^}]*\}")


def _json_has_text(value: Any) -> bool:
    """Whether a ``.tf.json`` value spells out text beyond ``${…}`` references."""
    if isinstance(value, str):
        return bool(_INTERPOLATION.sub("", value))
    if isinstance(value, dict):
        return any(_json_has_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_json_has_text(v) for v in value)
    return False


def _seal_json(
    node: json_spans.Node, text: str, policy: _Policy, edits: _Edits, declared: bool = False
) -> None:
    if _worth_sealing(node.value, declared):
        source = text[node.start : node.end]
        edits.add(node.start, node.end, policy.sealed_json(source, node.value, "\\u" in text))


def _seal_json_secrets(
    node: json_spans.Node, text: str, policy: _Policy, edits: _Edits, needs_text: bool
) -> None:
    for key, child in node.children():
        sealable = child.value is not None and (not needs_text or _json_has_text(child.value))
        if sealable and policy.secret(key):
            _seal_json(child, text, policy, edits)
            continue
        _seal_json_secrets(child, text, policy, edits, needs_text)


def _redact_vars_json(text: str, policy: _Policy) -> str:
    try:
        tree = json_spans.parse(text)
    except ValueError:
        return _redact_by_lines(
            text, policy.sensitive_var, needs_text=False, policy=policy, pattern=_JSON_MEMBER
        )
    edits = _Edits()
    for key, child in tree.children():
        if policy.sensitive_var(key):
            _seal_json(child, text, policy, edits, declared=key in policy.sensitive_vars)
        else:
            _seal_json_secrets(child, text, policy, edits, needs_text=False)
    return edits.apply(text)


_JSON_BLOCK_LABELS = {
    "resource": 2,
    "data": 2,
    "ephemeral": 2,
    "variable": 1,
    "output": 1,
    "module": 1,
    "provider": 1,
    "check": 1,
}


def _json_block_bodies(node: json_spans.Node, labels: int) -> Iterator[json_spans.Node]:
    if isinstance(node.value, list):
        for item in node.items:
            yield from _json_block_bodies(item, labels)
    elif labels == 0:
        yield node
    elif isinstance(node.value, dict):
        for member in node.members:
            yield from _json_block_bodies(member.value, labels - 1)


def _redact_config_json(text: str, policy: _Policy, path: str) -> str:
    root = _is_root(path)
    try:
        tree = json_spans.parse(text)
    except ValueError:
        return _redact_by_lines(text, policy.secret, needs_text=True, policy=policy)
    edits = _Edits()
    for key, section in tree.children():
        # Block labels (resource types and names, variable names…) are not attribute names:
        # a variable called `api_token` must keep its `type` and `sensitive` in the clear.
        for body in _json_block_bodies(section, _JSON_BLOCK_LABELS.get(key or "", 0)):
            _seal_json_secrets(body, text, policy, edits, needs_text=True)
    for key, section in tree.children():
        if key == "module":
            for body in _json_block_bodies(section, 1):
                if not isinstance(body.value, dict):
                    continue
                sensitive = policy.module_arguments(path, body.value.get("source"))
                for member in body.members:
                    literal = member.value.value
                    spelled = _json_has_text(literal) or not isinstance(literal, str | dict | list)
                    if member.key in sensitive and spelled:
                        _seal_json(member.value, text, policy, edits, declared=True)
        if key not in ("variable", "output"):
            continue
        for name, block in section.children():
            bodies = block.items if isinstance(block.value, list) else (block,)
            for body in bodies:
                if not isinstance(body.value, dict):
                    continue
                declared = body.value.get("sensitive") is True or (
                    key == "variable" and root and name in policy.sensitive_vars
                )
                if not (declared or policy.secret(name)):
                    continue
                for member in body.members:
                    default = key == "variable" and member.key == "default"
                    spelled = (
                        key == "output"
                        and member.key == "value"
                        and _json_has_text(member.value.value)
                    )
                    if default or spelled:
                        _seal_json(member.value, text, policy, edits, declared)
    return edits.apply(text)


# The line-based fallback, for files the parsers reject.

_ASSIGNMENT = re.compile(r'^[ \t]*"?([A-Za-z_][\w-]*)"?[ \t]*[=:][ \t]*(?=\S)', re.M)
# A member of a JSON object that does not parse: also after `{` or `,` on the same line (a file
# written on one line).
_JSON_MEMBER = re.compile(r'(?:^|[{,])[ \t]*"([A-Za-z_][\w-]*)"[ \t]*:[ \t]*(?=\S)', re.M)
_HEREDOC_START = re.compile(r"<<-?([A-Za-z][\w.-]*)[ \t]*\r?$")
_OPENERS = {"{": "}", "[": "]", "(": ")"}
_PLAIN_QUOTED = re.compile(r'"([^"\\$%]*)"')


def _redact_by_lines(
    text: str,
    sealable: Callable[[str], bool],
    needs_text: bool,
    policy: _Policy,
    pattern: re.Pattern[str] | None = None,
) -> str:
    edits = _Edits()
    for match in (pattern or _ASSIGNMENT).finditer(text):
        if not sealable(match.group(1)):
            continue
        start = match.end()
        end = _value_end(text, start)
        source = text[start:end]
        if needs_text and '"' not in source and "<<" not in source:
            continue
        if source == "null" or is_sealed(source.strip('"')):
            continue
        # A plain quoted string is sealed by value, as the parsed path does.
        plain = _PLAIN_QUOTED.fullmatch(source)
        edits.add(start, end, policy.sealed(plain.group(1) if plain else source))
    return edits.apply(text)


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` probably ends."""
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    heredoc = _HEREDOC_START.match(text, start, line_end)
    if heredoc:
        marker = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*\r?$", re.M)
        closing = marker.search(text, line_end)
        return closing.end() if closing else len(text)
    depth = 0
    in_string = False
    position = start
    while position < len(text):
        char = text[position]
        if in_string:
            if char == "\\":
                position += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _OPENERS:
            depth += 1
        elif char in _OPENERS.values():
            depth -= 1
            if depth == 0:
                return position + 1
            if depth < 0:
                break  # the bracket closes something around the value
        elif depth == 0 and (char in "\n#," or text.startswith("//", position)):
            break
        position += 1
    return start + len(text[start:position].rstrip())


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
        if not name.endswith(_CONFIG_SUFFIXES + _CONFIG_JSON_SUFFIXES):
            continue
        directory = str(PurePosixPath(path).parent)
        summary = modules.setdefault(directory, _empty_summary())
        declared = (
            _declared_json(files[path])
            if name.endswith(_CONFIG_JSON_SUFFIXES)
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
    if path.endswith(_CONFIG_JSON_SUFFIXES):
        return _json_declarations(text)
    if not path.endswith(_CONFIG_SUFFIXES):
        return None
    body = _parse_hcl_text(text)
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
        if path.endswith(_CONFIG_SUFFIXES + _CONFIG_JSON_SUFFIXES):
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
                found.setdefault(path, []).append((0, len(_lines(text))))
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
    if not path.endswith(_CONFIG_SUFFIXES):
        return first  # JSON has no comments
    lines = _lines(text)
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
