"""A recorded version's configuration as files again, and a scratch directory to run it in.

A version's config document holds its files with every secret replaced by a quoted seal string
(:mod:`tfshadow.state.config_seal`). :func:`restore_files` opens the encrypted seals again
(TFSHADOW_KEY): a literal comes back as the literal (a string re-quoted with HCL's or JSON's
escapes), any other expression as its exact source text, so with the key the files are the bytes
that were applied. Fingerprint seals hold no value; they are reported as :class:`SecretSlot`
entries, and where a seal is a variable's value (an assignment in a variable file, or the default
of a root module variable) :func:`drop_sealed` comments the assignment out so that the user can
supply the value with ``-var``, ``-var-file`` or ``TF_VAR_<name>``.

:func:`materialise` builds a scratch directory that Terraform sees as the working directory:

* the version's configuration files, written at their relative paths (``../shared`` included:
  the root sits deep enough in the scratch directory, under the same directory names as the
  real one, so relative module sources resolve the same way);
* everything else of the working directory (and of the directories above it that ``../``
  modules reach), linked by symlinks to the user's files: a local backend's state is read and
  written through them, template files are found. The current configuration files that the
  version does not have are left out, so they are not applied;
* when the backend moved since the version (another bucket or key), the directory's current
  backend block as an override file (:mod:`tfshadow.revert.backend`), so the plan reads and the
  apply writes the state where it is now;
* a copy of Terraform's data directory, so that ``terraform init`` there never changes the
  user's. Provider binaries are hard links (large, never rewritten in place); every other file is
  copied, because Terraform rewrites ``modules.json`` and the backend settings in place, which a
  hard link would carry back into the user's data directory.

Whether a string seal stood for a literal string or for an expression's source text is not
recorded; it is read back as source when it parses as a complete non-literal HCL expression that
spells out text (a heredoc, a template, a call with string arguments), as a string otherwise.
A quoted string is sealed as written (quotes and escapes) unless writing its value back gives
the same bytes (:func:`~tfshadow.state.config_seal.hcl_sealed`,
:func:`~tfshadow.state.config_seal.json_sealed`), and a seal that opens to such a quoted string
is put back as it is; other literal strings are re-quoted with the shortest escapes. Literal
objects and lists sealed as one value come back on one line: such values are equal to what was
applied, not always byte for byte.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, Literal

from tfshadow import env
from tfshadow.errors import SecretError, StoreError
from tfshadow.revert.backend import OVERRIDE_NAME, backend_override
from tfshadow.settings import hcl
from tfshadow.state import config_files, config_seal, json_spans
from tfshadow.state.redact import SEAL_PATTERN, SEAL_PREFIX, Redactor, is_sealed

__all__ = [
    "Scratch",
    "SecretSlot",
    "SlotKind",
    "check_secrets",
    "drop_sealed",
    "hcl_string",
    "materialise",
    "restore_files",
    "restore_variables",
    "sealed_comment",
]

SlotKind = Literal["assignment", "default", "variable", "value"]

VARIABLES_PATH = "variables"
STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
STORE_DIRECTORY = ".tfshadow"
DEFAULT_DATA_DIR = ".terraform"

_FP = SEAL_PREFIX + "fp:"
_ENC = SEAL_PREFIX + "enc:"
# config_seal writes a seal as json.dumps(seal): the seal's characters need no escaping.
_QUOTED_SEAL = re.compile('"(' + SEAL_PATTERN + ')"')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_LINE_NAME = re.compile(r'^[ \t]*"?([A-Za-z_][\w-]*)"?[ \t]*[=:]', re.M)
# What config_seal's line-based fallback seals by value: a quoted string without escapes.
_PLAIN_CONTENT = re.compile(r'[^"\\$%]*')
_CONFIG_SUFFIXES = (".tf", ".tofu")
_CONFIG_JSON_SUFFIXES = (".tf.json", ".tofu.json")
_VARS_SUFFIXES = (".tfvars", ".tfvars.json")

_FileKind = Literal["lock", "hcl_config", "json_config", "hcl_vars", "json_vars"]


@dataclass(frozen=True)
class SecretSlot:
    """A sealed value that cannot be restored from the store.

    ``path`` is the configuration file (``"terraform.tfvars"``, ``"main.tf"``), or
    ``"variables"`` for a value recorded from ``-var``/``TF_VAR_`` (then ``line`` is None).
    ``name`` is the variable's name for the kinds a user can supply:

    * ``"assignment"``: a variable's value in a variable file;
    * ``"default"``: the default of a variable of the root module;
    * ``"variable"``: a recorded ``-var``/``TF_VAR_`` value;

    and the attribute's name for ``"value"``: a secret written into the configuration itself,
    which no variable can replace. ``needs_key`` is true for an encrypted seal (no TFSHADOW_KEY
    is set now), false for a fingerprint, which no key opens.
    """

    path: str
    line: int | None
    name: str
    kind: SlotKind = "value"
    needs_key: bool = False

    @property
    def suppliable(self) -> bool:
        """Whether the user can supply this value as a root module variable."""
        return self.kind != "value"

    def where(self) -> str:
        """``path:line`` (or just the path), for messages."""
        return self.path if self.line is None else f"{self.path}:{self.line}"


# --- restoring ---------------------------------------------------------------------------------


def restore_files(
    config_doc: Mapping[str, Any], redactor: Redactor
) -> tuple[dict[str, bytes], list[SecretSlot]]:
    """The version's files with every encrypted seal opened, and the seals that remain.

    Fingerprint seals (and encrypted ones when ``redactor`` has no TFSHADOW_KEY) stay in the
    text as they are; each is listed as a :class:`SecretSlot`. Raises SecretError when
    TFSHADOW_KEY is not the key the version was recorded with, StoreError when the document
    is unreadable or names a path outside its tree.
    """
    sealed = _document_files(config_doc)
    text_paths = set(config_doc.get("files") or {})
    files: dict[str, bytes] = {}
    slots: list[SecretSlot] = []
    for path, data in sealed.items():
        _check_path(path)
        encoding = "utf-8" if path in text_paths else "latin-1"
        if SEAL_PREFIX.encode() not in data:
            files[path] = data
            continue
        text = _open_seals(path, data.decode(encoding), redactor)
        files[path] = text.encode(encoding)
        slots.extend(spot.slot for spot in _spots(path, text))
    return files, slots


def restore_variables(
    config_doc: Mapping[str, Any], redactor: Redactor
) -> tuple[dict[str, str], list[str]]:
    """The recorded ``-var``/``TF_VAR_`` values with encrypted seals opened, and the names of
    those that stay sealed (fingerprints, or encrypted values without TFSHADOW_KEY)."""
    values, slots = _restore_variables(config_doc, redactor)
    return values, [slot.name for slot in slots]


def _restore_variables(
    config_doc: Mapping[str, Any], redactor: Redactor, provided: Collection[str] = ()
) -> tuple[dict[str, str], list[SecretSlot]]:
    recorded = config_doc.get("variables") or {}
    if not isinstance(recorded, Mapping):
        raise _unreadable()
    values: dict[str, str] = {}
    slots: list[SecretSlot] = []
    for name, value in sorted(recorded.items()):
        if not isinstance(value, str):
            values[name] = json.dumps(value)
        elif not is_sealed(value):
            values[name] = value
        # A value the user supplies wins: the recorded one is not opened, so another key (or
        # none) does not stand in the way.
        elif value.startswith(_ENC) and redactor.encrypts and name not in provided:
            try:
                opened = redactor.unseal(value)
            except SecretError as exc:
                raise SecretError(f"variable {name}: {exc.message}", hint=exc.hint) from None
            values[name] = opened if isinstance(opened, str) else json.dumps(opened)
        else:
            slots.append(SecretSlot(VARIABLES_PATH, None, name, "variable", value.startswith(_ENC)))
    return values, slots


def _document_files(config_doc: Mapping[str, Any]) -> dict[str, bytes]:
    try:
        return config_files.files_from_document(config_doc)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _unreadable() from None


def _unreadable() -> StoreError:
    return StoreError(
        "the version's configuration document cannot be read",
        hint="it was written by another tfshadow release; use that release to read it",
    )


def _check_path(path: str) -> None:
    """Refuse paths that would land outside the configuration's tree: ``a/../../x``, ``/etc``."""
    parts = PurePosixPath(path).parts
    ups = len(parts) - len(tuple(_after_ups(parts)))
    rest = parts[ups:]
    if (
        not rest
        or PurePosixPath(path).is_absolute()
        or "\0" in path
        or any(p in ("..", ".", "") for p in rest)
        or path != PurePosixPath(*parts).as_posix()
    ):
        raise StoreError(
            f"the version's configuration names the unsafe path {path!r}",
            hint="the store holds a configuration tfshadow did not write; restore it from the "
            "remote",
        )


def _after_ups(parts: tuple[str, ...]) -> Iterable[str]:
    i = 0
    while i < len(parts) and parts[i] == "..":
        i += 1
    return parts[i:]


# A relative path's leading `..` steps, as a configuration writes them in a string.
_UP_STEPS = re.compile(r"(?<![\w.])(?:\.\./)*\.\.(?![\w.])")


def _paths_above(files: Mapping[str, bytes]) -> int:
    """How many directories above the working directory the relative paths written in the
    configuration ``files`` reach: from the file's directory (``path.module``) or from the
    working directory (a path without it), whichever is further."""
    depth = 0
    for key, data in files.items():
        if not key.endswith(_CONFIG_SUFFIXES + _CONFIG_JSON_SUFFIXES):
            continue
        text = data.decode("utf-8", errors="replace")
        steps = max((m.group().count("..") for m in _UP_STEPS.finditer(text)), default=0)
        if steps:
            from_file = posixpath.join(posixpath.dirname(key) or ".", *[".."] * steps)
            depth = max(depth, steps, _ups(posixpath.normpath(from_file)))
    return depth


def _ups(path: str) -> int:
    parts = PurePosixPath(path).parts
    return len(parts) - len(tuple(_after_ups(parts)))


def _file_kind(path: str) -> _FileKind:
    # As config_seal decides how to seal a file.
    name = PurePosixPath(path).name
    if name == config_files.LOCK_FILE:
        return "lock"
    if name.endswith(_CONFIG_SUFFIXES):
        return "hcl_config"
    if name.endswith(_CONFIG_JSON_SUFFIXES):
        return "json_config"
    if name.endswith(".json"):
        return "json_vars"
    return "hcl_vars"


def _open_seals(path: str, text: str, redactor: Redactor) -> str:
    """``text`` with every encrypted seal replaced by what it sealed (needs TFSHADOW_KEY)."""
    if not redactor.encrypts or _ENC not in text:
        return text
    kind = _file_kind(path)
    parsed = _parses(text, kind)
    # A JSON file written all in ASCII with \u escapes most likely had its secrets escaped too.
    escapes = text.isascii() and "\\u" in text
    out: list[str] = []
    position = 0
    for match in _QUOTED_SEAL.finditer(text):
        seal = match.group(1)
        if not seal.startswith(_ENC):
            continue
        try:
            value = redactor.unseal(seal)
        except SecretError as exc:
            line = text.count("\n", 0, match.start()) + 1
            raise SecretError(f"{path}:{line}: {exc.message}", hint=exc.hint) from None
        out.append(text[position : match.start()])
        out.append(_source_for(value, kind, parsed, escapes))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _parses(text: str, kind: _FileKind) -> bool:
    if kind in ("json_config", "json_vars"):
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    try:
        hcl.parse(text)
    except hcl.HclSyntaxError:
        return False
    return True


def _source_for(value: Any, kind: _FileKind, parsed: bool, escapes: bool) -> str:
    """The text to put back for a sealed value (see the module docstring)."""
    if isinstance(value, str) and not parsed:
        # config_seal's line-based fallback sealed a plain quoted string by value, anything
        # else as its source text.
        plain = _PLAIN_CONTENT.fullmatch(value) and not value.startswith("<<")
        return f'"{value}"' if plain else value
    if kind in ("json_config", "json_vars"):
        if isinstance(value, str) and config_seal.is_json_source(value):
            return value  # a string sealed as written: its escapes are the user's
        return json.dumps(value, ensure_ascii=escapes)
    if isinstance(value, str):
        # A quoted string sealed as written (its escapes are the user's), or an expression.
        if config_seal.is_hcl_source(value) or _is_source(value):
            return value
        return hcl_string(value)
    return _hcl_literal(value)


def _is_source(text: str) -> bool:
    """Whether a sealed string is an expression's source text rather than a string's value."""
    prefix = "x = "
    try:
        body = hcl.parse(f"{prefix}{text}\n")
    except hcl.HclSyntaxError:
        return False
    if len(body.attributes) != 1 or body.blocks:
        return False
    value = body.attributes[0].value
    whole = value.start == len(prefix) and value.end == len(prefix) + len(text)
    return whole and not value.is_literal and value.has_text


def hcl_string(value: str) -> str:
    """``value`` as a quoted HCL string (:func:`~tfshadow.state.config_seal.hcl_quoted`)."""
    return config_seal.hcl_quoted(value)


def _hcl_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (
            f"{k if _IDENTIFIER.match(k) else hcl_string(k)} = {_hcl_literal(v)}"
            for k, v in value.items()
        )
        return "{ " + ", ".join(items) + " }"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# --- finding and removing what stays sealed ----------------------------------------------------


@dataclass(frozen=True)
class _Spot:
    """A seal left in a file; ``removal`` is the span that takes its assignment out, if any."""

    slot: SecretSlot
    removal: tuple[int, int] | None = None


def _spots(path: str, text: str) -> list[_Spot]:
    matches = list(_QUOTED_SEAL.finditer(text))
    if not matches:
        return []
    locate = _locator(path, text)
    spots = []
    for match in matches:
        slot_kind, name, removal = locate(match.start())
        slot = SecretSlot(
            path=path,
            line=text.count("\n", 0, match.start()) + 1,
            name=name,
            kind=slot_kind if removal is not None else "value",
            needs_key=match.group(1).startswith(_ENC),
        )
        spots.append(_Spot(slot, removal))
    return spots


_Located = tuple[SlotKind, str, tuple[int, int] | None]


def _locator(path: str, text: str) -> Callable[[int], _Located]:
    """What holds the seal at a position: its kind, its name and the span of its assignment."""
    kind = _file_kind(path)
    root = "/" not in path
    if kind in ("json_config", "json_vars"):
        try:
            tree = json_spans.parse(text)
        except ValueError:
            return lambda pos: ("value", _line_name(text, pos), None)
        return lambda pos: _locate_json(tree, pos, kind, root)
    try:
        body = hcl.parse(text)
    except hcl.HclSyntaxError:
        return lambda pos: ("value", _line_name(text, pos), None)
    return lambda pos: _locate_hcl(text, body, pos, kind, root)


def _line_name(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    match = _LINE_NAME.match(text, start, position)
    return match.group(1) if match else "?"


def _contains(value: hcl.Value, position: int) -> bool:
    return value.start <= position < value.end


def _locate_hcl(text: str, body: hcl.Body, position: int, kind: _FileKind, root: bool) -> _Located:
    if kind == "hcl_vars":
        for entry in body.attributes:
            if entry.name and _contains(entry.value, position):
                return "assignment", entry.name, _attribute_span(text, entry)
        return "value", _line_name(text, position), None
    for block in body.blocks_of("variable"):
        default = block.body.attribute("default")
        if block.labels and default is not None and _contains(default.value, position):
            # A module's variable gets its value from the module block, not from the user.
            if not root:
                return "value", block.labels[0], None
            return "default", block.labels[0], _attribute_span(text, default)
    innermost: hcl.Entry | None = None
    for _blocks, entry in hcl.walk_entries(body):
        if _contains(entry.value, position) and (
            innermost is None
            or entry.value.end - entry.value.start <= innermost.value.end - innermost.value.start
        ):
            innermost = entry
    name = innermost.name if innermost is not None and innermost.name else None
    return "value", name or _line_name(text, position), None


def _attribute_span(text: str, entry: hcl.Entry) -> tuple[int, int] | None:
    """From the attribute's name to the end of its value."""
    line_start = 0
    for _ in range(entry.line - 1):
        line_start = text.find("\n", line_start) + 1
        if line_start == 0:
            return None
    head = text[line_start : entry.value.start]
    match = re.search(rf'"?{re.escape(entry.name or "")}"?[ \t]*=[ \t]*\Z', head)
    if entry.name is None or match is None:
        return None
    return line_start + match.start(), entry.value.end


def _member_removal(owner: json_spans.Node, index: int) -> tuple[int, int]:
    """The span that takes one member out of an object and leaves valid JSON."""
    members = owner.members
    if index + 1 < len(members):
        return members[index].start, members[index + 1].start
    if index > 0:
        return members[index - 1].value.end, members[index].value.end
    return members[index].start, members[index].value.end


def _locate_json(tree: json_spans.Node, position: int, kind: _FileKind, root: bool) -> _Located:
    if kind == "json_vars":
        for i, member in enumerate(tree.members):
            if member.value.contains(position):
                return "assignment", member.key, _member_removal(tree, i)
        return "value", "?", None
    for section in tree.members:
        if section.key != "variable" or not section.value.contains(position):
            continue
        for variable in section.value.members:
            if not variable.value.contains(position):
                continue
            for body in variable.value.items or (variable.value,):
                for i, member in enumerate(body.members):
                    if member.key == "default" and member.value.contains(position):
                        if not root:
                            return "value", variable.key, None
                        return "default", variable.key, _member_removal(body, i)
    return "value", _innermost_key(tree, position) or "?", None


def _innermost_key(value: json_spans.Node, position: int) -> str | None:
    for member in value.members:
        if member.value.contains(position):
            return _innermost_key(member.value, position) or member.key
    for item in value.items:
        if item.contains(position):
            return _innermost_key(item, position)
    return None


def sealed_comment(name: str) -> str:
    """What replaces an assignment whose value is sealed in the store."""
    return f"# {name}: sealed in the shadow store; supply it with -var, -var-file or TF_VAR_{name}"


def drop_sealed(files: Mapping[str, bytes], slots: Iterable[SecretSlot]) -> dict[str, bytes]:
    """``files`` with the assignment of every suppliable sealed value taken out.

    A variable file's assignment and a root variable's ``default`` are replaced by a comment
    (:func:`sealed_comment`; in JSON files the member is removed), so that Terraform asks for the
    value instead of using a seal string. Seals of kind ``"value"`` stay where they are: check
    them first with :func:`check_secrets`.
    """
    out = dict(files)
    for path in sorted({s.path for s in slots if s.suppliable and s.path in files}):
        data = files[path]
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        json_file = _file_kind(path) in ("json_config", "json_vars")
        # One at a time: every removal moves what follows it.
        while found := [(s.removal, s.slot.name) for s in _spots(path, text) if s.removal]:
            (start, end), name = found[0]
            text = text[:start] + text[end:] if json_file else _comment_out(text, start, end, name)
        out[path] = text.encode(encoding)
    return out


def _comment_out(text: str, start: int, end: int, name: str) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if line_end > end and text[line_end - 1] == "\r":
        line_end -= 1
    before, after = text[line_start:start], text[end:line_end].strip()
    if not before.strip() and (not after or after.startswith(("#", "//"))):
        return text[:line_start] + before + sealed_comment(name) + text[line_end:]
    # Shares its line with other syntax (`variable "x" { default = "…" }`).
    return text[:start] + "/* " + sealed_comment(name)[2:] + " */" + text[end:]


def check_secrets(
    slots: Iterable[SecretSlot],
    provided_variables: Collection[str] | None,
    *,
    version: int | None = None,
) -> None:
    """SecretError unless every sealed value can be supplied as a variable and, when
    ``provided_variables`` is given, is among them. Messages name places, never values."""
    slots = list(slots)
    what = f"version {version}" if version is not None else "this version"
    fixed = [s for s in slots if not s.suppliable]
    if fixed:
        places = _some([f"{s.where()} ({s.name})" for s in fixed])
        if any(s.needs_key for s in fixed):
            raise SecretError(
                f"{what} has secrets written into its configuration that only TFSHADOW_KEY "
                f"can open: {places}",
                hint="set TFSHADOW_KEY to the key used when the version was recorded",
            )
        raise SecretError(
            f"{what} has secrets written into its configuration that were recorded only as "
            f"fingerprints, so they cannot be restored: {places}",
            hint="take these files from your own version control; versions recorded with "
            "TFSHADOW_KEY set keep such values encrypted, and the key opens them",
        )
    if provided_variables is None:
        return
    provided = set(provided_variables)
    missing = [s for s in slots if s.name not in provided]
    if missing:
        names = sorted({s.name for s in missing})
        hint = "supply them with -var, -var-file or TF_VAR_<name>"
        if any(s.needs_key for s in missing):
            hint += ", or set TFSHADOW_KEY to the key used when the version was recorded"
        why = []
        if not all(s.needs_key for s in missing):
            why.append("the store holds fingerprints of their values, and none here matches")
        if any(s.needs_key for s in missing):
            why.append("the store holds their values encrypted, and TFSHADOW_KEY is not set")
        raise SecretError(
            f"{what} needs the sensitive variable(s) {', '.join(names)} ({'; '.join(why)})",
            hint=hint,
        )


def _some(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- the scratch directory ---------------------------------------------------------------------


@dataclass
class Scratch:
    """A scratch working directory; run Terraform in ``root``. Remove it with :meth:`cleanup`
    (or use it as a context manager): only what it created goes, never the user's files."""

    root: Path
    base: Path
    data_dir: Path  # the copy of Terraform's data directory
    workdir: Path  # the user's working directory it copies
    variables: dict[str, str] = field(default_factory=dict)  # recorded -var values, opened
    sealed_variables: tuple[str, ...] = ()  # recorded -var values the user must supply
    secret_slots: tuple[SecretSlot, ...] = ()

    def environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` for Terraform in the scratch: TF_DATA_DIR, when set, names the copy, and
        TFSHADOW_ROOT_MODULE_DIR names the user's directory (what the scratch stands in for)."""
        out = scratch_environ(environ, self.workdir)
        if out is None:
            out = _for_scratch(environ, self.workdir)
            out[env.TF_DATA_DIR] = str(self.data_dir)
        return out

    def cleanup(self) -> None:
        """Remove the scratch directory. Symlinks are removed, never followed."""
        _remove_scratch(self.base)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


def scratch_environ(environ: Mapping[str, str], workdir: Path) -> dict[str, str] | None:
    """What :meth:`Scratch.environ` will be for any scratch of ``workdir``, known before the
    scratch exists; None when TF_DATA_DIR is set, since it must then name the scratch's copy."""
    if environ.get(env.TF_DATA_DIR):
        return None
    return _for_scratch(environ, Path(os.path.abspath(workdir)))


def _for_scratch(environ: Mapping[str, str], workdir: Path) -> dict[str, str]:
    out = dict(environ)
    out[env.TFSHADOW_ROOT_MODULE_DIR] = str(workdir)
    # Terraform then does not advise running `terraform apply <plan file>`: the plan file lives
    # in the scratch, which is gone by the time anyone could.
    out[env.TF_IN_AUTOMATION] = "1"
    return out


def materialise(
    config_doc: Mapping[str, Any],
    workdir: Path,
    data_dir: Path,
    redactor: Redactor,
    *,
    provided_variables: Collection[str],
    version: int | None = None,
) -> Scratch:
    """Build a scratch copy of ``workdir`` holding the version's configuration.

    Secrets are checked before anything is written: a sealed variable value must be among
    ``provided_variables`` (SecretError naming every missing one), and a secret written into the
    configuration itself must be openable with TFSHADOW_KEY. ``data_dir`` is Terraform's data
    directory (``.terraform`` or TF_DATA_DIR); ``version`` only names the version in messages.
    """
    files, slots = restore_files(config_doc, redactor)
    variables, variable_slots = _restore_variables(config_doc, redactor, provided_variables)
    check_secrets([*slots, *variable_slots], provided_variables, version=version)
    files = drop_sealed(files, slots)

    workdir = Path(os.path.abspath(workdir))
    data_dir = Path(os.path.abspath(data_dir))
    current_files = config_files.collect_files(workdir)
    current = list(current_files)
    override = backend_override(files, current_files)
    if override is not None and OVERRIDE_NAME not in files:
        files = {**files, OVERRIDE_NAME: override}
    depth = max((_ups(key) for key in [*files, *current]), default=0)
    if depth > len(workdir.parents) - 1:
        raise StoreError(
            f"the version's configuration reaches {depth} directories above {workdir}",
            hint="run tfshadow where the configuration was recorded",
        )
    # Files the configuration reads outside its directory (`file("${path.module}/../x")`, a
    # data source's path) are found through the directories above, linked as well; a `..` that
    # leads nowhere (in a comment, above the file system's root) costs some links at most.
    depth = min(max(depth, _paths_above(files)), len(workdir.parents) - 1)
    top = workdir.parents[depth - 1] if depth else workdir
    version_paths = {_resolve(workdir, key): data for key, data in files.items()}
    current_paths = {_resolve(workdir, key) for key in current}
    # Directories that must be real in the scratch: those holding configuration files (the
    # version's must be written there, the current ones left out) and the data dir's parents
    # (its copy must not land in the user's directory through a symlink).
    real_dirs = {
        parent
        for path in [*version_paths, *current_paths, data_dir]
        for parent in path.parents
        if parent == top or top in parent.parents
    }

    base = _make_base(data_dir)
    scratch = Scratch(
        root=_inside(base, workdir),
        base=base,
        data_dir=_inside(base, data_dir),
        workdir=workdir,
        variables=variables,
        sealed_variables=tuple(s.name for s in variable_slots),
        secret_slots=tuple(slots),
    )
    try:
        mirror = _Mirror(
            workdir=workdir,
            base=base,
            real_dirs=frozenset(real_dirs),
            # Terraform's default data dir is never shared, even when TF_DATA_DIR names
            # another: a scratch run without TF_DATA_DIR would write into the user's.
            skip=frozenset(
                {
                    *version_paths,
                    *current_paths,
                    data_dir,
                    base,
                    workdir / DEFAULT_DATA_DIR,
                    workdir / STORE_DIRECTORY,
                }
            ),
        )
        mirror.copy(top)
        for path, data in version_paths.items():
            target = _inside(base, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            _check_within(base, target.parent)
            _write_new(target, data)
        for name in STATE_FILES:
            link = scratch.root / name
            if not os.path.lexists(link):
                # Dangling is fine: Terraform creates the user's file through it.
                os.symlink(workdir / name, link)
        if data_dir.is_dir():
            _copy_data_dir(data_dir, scratch.data_dir, base)
    except BaseException:
        scratch.cleanup()
        raise
    return scratch


def _resolve(workdir: Path, key: str) -> Path:
    return Path(os.path.normpath(workdir / key))


def _inside(base: Path, path: Path) -> Path:
    """Where an absolute path of the user's lands in the scratch: the same names, under base."""
    return base.joinpath(*path.parts[1:])


_SCRATCH_PREFIXES = (".tfshadow-scratch-", "tfshadow-scratch-")


def _make_base(data_dir: Path) -> Path:
    # In the data dir when there is one: on the same file system as the provider binaries, so
    # they can be hard-linked, and in a directory Terraform and version control leave alone.
    # Named after this process, so that a later revert knows one left by a killed process.
    if data_dir.is_dir():
        _remove_stale_scratches(data_dir)
        try:
            prefix = f"{_SCRATCH_PREFIXES[0]}{os.getpid()}-"
            return Path(tempfile.mkdtemp(prefix=prefix, dir=data_dir))
        except OSError:
            pass
    _remove_stale_scratches(Path(tempfile.gettempdir()))
    return Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIXES[1]}{os.getpid()}-"))


def _remove_stale_scratches(directory: Path) -> None:
    """Remove the scratch copies a killed revert left in ``directory``: they hold the version's
    configuration with its secrets filled back in."""
    from tfshadow.leftovers import remove_left_by_the_dead

    remove_left_by_the_dead(directory, _SCRATCH_PREFIXES, _remove_scratch)


def _remove_scratch(base: Path) -> None:
    if not os.path.lexists(base):
        return

    def writable_and_retry(function: Callable[..., Any], path: str, _exc: object) -> None:
        # A read-only directory copied from the data dir blocks removing what is inside it;
        # rmtree never descends through symlinks, so the parent is ours.
        parent = os.path.dirname(path)
        if not os.path.islink(parent):
            os.chmod(parent, 0o700)
        function(path)

    shutil.rmtree(base, onerror=writable_and_retry)


def _check_within(base: Path, path: Path) -> None:
    real_base = os.path.realpath(base)
    if os.path.commonpath([real_base, os.path.realpath(path)]) != real_base:
        raise StoreError(
            f"the scratch directory {path} leads outside {base}",
            hint="a directory of the configuration changed while the scratch was built; retry",
        )


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _looks_like_config(name: str, in_root: bool) -> bool:
    if name.endswith(_CONFIG_SUFFIXES + _CONFIG_JSON_SUFFIXES):
        return True
    return in_root and (name == config_files.LOCK_FILE or name.endswith(_VARS_SUFFIXES))


@dataclass(frozen=True)
class _Mirror:
    workdir: Path
    base: Path
    real_dirs: frozenset[Path]
    skip: frozenset[Path]

    def copy(self, directory: Path) -> None:
        """Mirror ``directory``: real directories where configuration lives, symlinks else."""
        target = _inside(self.base, directory)
        target.mkdir(parents=True, exist_ok=True)
        _check_within(self.base, target)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return  # unreadable: Terraform could not have read it either
        for name in names:
            path = directory / name
            if path in self.skip or _looks_like_config(name, directory == self.workdir):
                continue
            if path in self.real_dirs:
                if path.is_dir():
                    self.copy(path)
                # Not a directory any more: the version's files make it one.
                continue
            os.symlink(path, target / name)


def _copy_data_dir(source: Path, target: Path, base: Path) -> None:
    providers = source / "providers"

    def ignore(directory: str, names: list[str]) -> list[str]:
        return [n for n in names if Path(directory) / n == base]

    def copy(src: str, dst: str) -> str:
        # Provider binaries are large and replaced, never rewritten, when they change: a hard
        # link is safe. Terraform rewrites modules.json and the backend settings in place, so
        # those must be copies, or an init in the scratch would change the user's.
        if providers in Path(src).parents:
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass  # another file system, or no hard links there
        return str(shutil.copy2(src, dst))

    target.parent.mkdir(parents=True, exist_ok=True)
    _check_within(base, target.parent)
    shutil.copytree(source, target, symlinks=True, ignore=ignore, copy_function=copy)
