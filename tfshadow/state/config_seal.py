"""The config document: a configuration's files and variables with every secret sealed.

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
import json
import posixpath
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tfshadow.settings import hcl
from tfshadow.state import delta, json_spans
from tfshadow.state.config_files import (
    CONFIG_FORMAT,
    CONFIG_JSON_SUFFIXES,
    CONFIG_SUFFIXES,
    LOCK_FILE,
    VARS_SUFFIXES,
    Seal,
    declared_sensitive,
    decode_text,
    is_root_file,
    module_sensitive_variables,
    parse_hcl_text,
    sensitive_variable_names,
    text_lines,
)
from tfshadow.state.redact import (
    MIN_KNOWN_LENGTH,
    alternation,
    containing,
    is_sealed,
    occurring,
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
    policy = _Policy(seal, secret_name, sensitive_vars, module_sensitive_variables(files), told)
    text_files: dict[str, list[str]] = {}
    binary_files: dict[str, str] = {}
    for path in sorted(files):
        data = files[path]
        text, encoding = decode_text(data)
        redacted = _redact(path, text, policy)
        if encoding == "utf-8":
            text_files[path] = text_lines(redacted)
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
    declared_in: Mapping[str, bytes] | None = None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """The config document of ``files`` and ``variables`` (:func:`config_document`, the root
    module's sensitive variables read from the files, or from ``declared_in`` when ``files``
    are only variable files given to a configuration held elsewhere), and its secrets in
    plain, to be looked for elsewhere (:func:`seal_secret_strings`, a state's strings, where a
    password may be written into a longer string and only its plain value finds it): the
    strings it sealed, and the strings inside the list and object values of secret variables,
    which the state may hold one by one (:func:`secret_variable_items`).

    One rule for short values, for a recording and for a checkout comparing the files here
    with a version alike (so both seal the same literals): only secrets of
    :data:`~tfshadow.state.redact.MIN_KNOWN_LENGTH` characters or more are told. A shorter one
    ("admin", a port) is sealed where it is assigned, and nowhere else: it would be found in
    too many innocent literals and words."""
    sealed: set[str] = set()
    sensitive = sensitive_variable_names(files if declared_in is None else declared_in)
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
            body = parse_hcl_text(f"x = {raw}\n")
            if (
                body is not None
                and len(body.attributes) == 1
                and body.attributes[0].value.is_literal
            ):
                values.append(body.attributes[0].value.literal)
    for key, data in files.items():
        if not is_root_file(key) or not key.endswith(VARS_SUFFIXES):
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
            parsed = parse_hcl_text(text)
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
    body = parse_hcl_text(f"{prefix}{raw}\n")
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
    return text_lines(edits.apply(text)) if edits.spans else lines


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
    return text_lines(written.pattern.sub(lambda m: seal(written.by_form[m.group(0)]), text))


def _readable(path: str, text: str) -> bool:
    """Whether Terraform could read ``text``, the contents of ``path``, as far as a parse tells."""
    if path.endswith(".json"):
        try:
            json.loads(text)
        except ValueError:
            return False
        return True
    return parse_hcl_text(text) is not None


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
        if path.endswith((*CONFIG_SUFFIXES, ".tfvars")) and any("<<" in line for line in lines):
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
    if not path.endswith((*CONFIG_SUFFIXES, ".tfvars")) or written.pattern is None:
        return lines
    text = "".join(lines)
    if written.pattern.search(text) is None:
        return lines
    edits = _Edits()
    for start, end in _comment_spans(text):
        for match in written.pattern.finditer(text, start, end):
            edits.add(match.start(), match.end(), seal(written.by_form[match.group(0)]))
    return text_lines(edits.apply(text)) if edits.spans else lines


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
    if not path.endswith((*CONFIG_SUFFIXES, ".tfvars")) or not any("<<" in line for line in lines):
        return lines
    text = "".join(lines)
    edits = _Edits()
    for start, end in _heredoc_spans(text):
        value = _heredoc_text(text[start:end])
        # A template's interpolations are code, not text: only its literal parts can hold one.
        held = value if value is not None else _INTERPOLATION.sub("\0", text[start:end])
        if held in secrets or (contains is not None and contains(held)):
            edits.add(start, end, json.dumps(seal(text[start:end])))
    return text_lines(edits.apply(text)) if edits.spans else lines


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
    if name.endswith(CONFIG_SUFFIXES):
        return _mask_comments(_redact_config_hcl(text, policy, path), policy)
    if name.endswith(CONFIG_JSON_SUFFIXES):
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
    return {m: o for m, o in zip(text_lines(masked), text_lines(text), strict=True) if m != o}


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
    body = parse_hcl_text(text)
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
    root = is_root_file(path)
    body = parse_hcl_text(text)
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
        declared = declared_sensitive(block) or (root and name in policy.sensitive_vars)
        if declared or policy.secret(name):
            _seal_hcl_value(default.value, text, policy, edits, declared)
    # Outputs the state seals (sensitive or secret-named) must not be spelled out here either.
    for block in body.blocks_of("output"):
        value = block.body.attribute("value")
        if value is None or not block.labels or not value.value.has_text:
            continue
        declared = declared_sensitive(block)
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
    root = is_root_file(path)
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
