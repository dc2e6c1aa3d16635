"""Terminal rendering of the history: ``log``, ``inspect`` and ``diff``.

Changes are drawn the way ``terraform plan`` draws them, in the past tense. Every line is a
:class:`rich.text.Text` with styles only, never markup, so addresses such as ``web["a"]`` print as
they are, and a console without colour (``NO_COLOR``, not a terminal) gets plain text.

Sensitive values print as ``(sensitive value)``; a seal string is never printed, even one nested
in a value the change model did not split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tfshadow.report.text import pad_cells
from tfshadow.state import linediff
from tfshadow.state.changes import (
    ABSENT,
    AttributeChange,
    ConfigChanges,
    FileChange,
    OutputChange,
    ResourceChange,
    StateChanges,
    VariableChange,
    contains_sealed,
    is_sealed,
)
from tfshadow.state.intents import record_only_kind
from tfshadow.state.redact import mask_seals

__all__ = ["SENSITIVE", "count_columns", "render_diff", "render_inspect", "render_log"]

SENSITIVE = "(sensitive value)"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# C0 and C1 control characters but tab, newline and a carriage return (a CRLF text's, which
# the console drops).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Kept lines shown on each side of a change in a multi-line string, as `diff -u` shows them.
_CONTEXT = 3
# A one-line string longer than this is shown in part (_SHOWN characters) with its length.
_LONG_STRING = 1000
_SHOWN = 60
_ELEMENT = re.compile(r"\[\d+\]\Z")  # a path that ends at a list element: `rules[1]`
_SYMBOL_STYLE = {"+": "green", "~": "yellow", "-": "red", "<=": "cyan", ".": "magenta"}
_ROW_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_MANAGED_VERB = {
    "create": "was created",
    "update": "was updated in-place",
    "delete": "was destroyed",
}
_DATA_VERB = {"create": "was read", "update": "was read again", "delete": "was removed from state"}
_STATE_VERB = {
    "create": "was added to the state",
    "update": "was changed in the state",
    "delete": "was removed from the state",
}
_KIND_STYLE = {
    "apply": "",
    "baseline": "bold blue",
    "recovered": "bold magenta",
    "revert": "bold magenta",
    "destroy": "bold red",
}
_OUTCOME_STYLE = {"success": "green", "partial": "bold yellow", "failed": "bold red"}
_MARK_STYLE = {"good": "bold green", "bad": "bold red", "suspect": "bold yellow"}


# --- public ------------------------------------------------------------------------------------


def render_log(
    console: Console, metas: Sequence[Mapping[str, Any]], others: Sequence[str] = ()
) -> None:
    """One line per version, newest first: number, time, author, kind, outcome, counts, text.

    ``others``: the store's other workspaces with versions; when there are any, a first line
    names the workspace shown, which nothing else in the lines does.
    """
    if not metas:
        print_line(console, Text("No versions recorded yet.", style="dim"))
        return
    if others:
        shown = str(metas[0].get("workspace", "?"))
        print_line(console, Text(f"Workspace {shown} (also: {', '.join(others)})", style="dim"))
    ordered = sorted(metas, key=_version_key, reverse=True)
    version_width = max(len(str(m.get("version", "?"))) for m in ordered)
    author_width = max(cell_len(_author_name(m)) for m in ordered)
    tags = [_tags(m) for m in ordered]
    tag_width = max(len(t.plain) for t in tags)
    counts = [count_columns(_field(m, "changes")) for m in ordered]
    counts_width = max(len(c.plain) for c in counts)
    lines: list[Text] = []
    for meta, tag, count in zip(ordered, tags, counts, strict=True):
        line = Text()
        line.append(str(meta.get("version", "?")).rjust(version_width), style="bold yellow")
        line.append("  ")
        line.append(_format_time(meta.get("timestamp")), style="blue")
        line.append("  ")
        line.append(pad_cells(_author_name(meta), author_width), style="cyan")
        line.append("  ")
        line.append_text(tag)
        line.append(" " * (tag_width - len(tag.plain)) + "  ")
        line.append_text(count)
        description = str(meta.get("description") or "")
        if description:
            # Aligned: a version that forgot objects has one more column.
            line.append(" " * (counts_width - len(count.plain)) + "  ")
            line.append(description.splitlines()[0])
        lines.append(line)
    print_lines(console, lines)


def render_inspect(
    console: Console,
    meta: Mapping[str, Any],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
    *,
    parent_removed: bool = False,
) -> None:
    """One version: its metadata, then what it changed, drawn like ``terraform plan``.

    ``parent_removed``: the version's parent was removed by retention, so ``state_changes`` and
    ``config_changes`` are what the version holds, not what it changed.
    """
    print_lines(console, _header_lines(meta, parent_removed=parent_removed))
    print_line(console, Text())
    if parent_removed:
        print_line(
            console,
            Text(
                "Its parent was removed by retention: shown is what this version holds, "
                "not what it changed.",
                style="bold",
            ),
        )
        print_line(console, Text())
    # A baseline records what already existed: nothing was created by it.
    kind = str(meta.get("kind") or "")
    baseline = kind == "baseline" or parent_removed
    # Kinds that change Terraform's record alone: `state mv` moves a resource, it destroys
    # nothing.
    state_only = record_only_kind(kind, state_only=meta.get("state_only") is True)
    print_lines(
        console,
        _changes_lines(state_changes, config_changes, baseline=baseline, state_only=state_only),
    )


def render_diff(
    console: Console,
    from_meta: Mapping[str, Any] | None,
    to_meta: Mapping[str, Any],
    state_changes: StateChanges,
    config_changes: ConfigChanges,
    show_config_diff: bool = True,
) -> None:
    """What changed between two versions (``from_meta`` ``None``: from nothing at all)."""
    title = Text("Changes from ")
    title.append_text(_version_label(from_meta))
    title.append(" to ")
    title.append_text(_version_label(to_meta))
    print_line(console, title)
    print_line(console, Text())
    print_lines(console, _changes_lines(state_changes, config_changes))
    if show_config_diff:
        for change in config_changes.files:
            print_line(console, Text())
            print_lines(console, _diff_lines(change))


def render_state_changes(console: Console, changes: StateChanges) -> None:
    """Resource and output changes to Terraform's record alone (no metadata, no configuration):
    what writing a state back does, so nothing reads as created, destroyed or replaced."""
    print_lines(console, _state_lines(changes, state_only=True))


def print_line(console: Console, line: Text) -> None:
    """One line of a report, as every renderer prints it."""
    # soft_wrap: long plan lines are left to the terminal, so copied text keeps its lines whole.
    console.print(line, soft_wrap=True, highlight=False)


_LINES_PER_PRINT = 256


def print_lines(console: Console, lines: Iterable[Text]) -> None:
    """Print many lines with a few calls: rich's cost is per call, and a diff of thousands of
    resources spent most of its time there. The output is the same as a call per line."""
    batch: list[Text] = []
    for line in lines:
        batch.append(line)
        if len(batch) == _LINES_PER_PRINT:
            print_line(console, Text("\n").join(batch))
            batch = []
    if batch:
        print_line(console, Text("\n").join(batch))


# --- metadata ----------------------------------------------------------------------------------


def _version_key(meta: Mapping[str, Any]) -> int:
    version = meta.get("version")
    return version if isinstance(version, int) else -1


def _field(meta: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    value = meta.get(key) if meta is not None else None
    return value if isinstance(value, Mapping) else {}


def _author_name(meta: Mapping[str, Any]) -> str:
    return str(_field(meta, "author").get("name") or "unknown")


def _format_time(timestamp: Any) -> str:
    if not timestamp:
        return "unknown time"
    try:
        moment = datetime.fromisoformat(str(timestamp))
    except ValueError:
        return str(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _tags(meta: Mapping[str, Any]) -> Text:
    kind = str(meta.get("kind") or "apply")
    tag = Text(kind, style=_KIND_STYLE.get(kind, "bold"))
    outcome = str(meta.get("outcome") or "success")
    if outcome != "success":
        tag.append(" ")
        tag.append(outcome, style=_OUTCOME_STYLE.get(outcome, "bold"))
    if meta.get("rebased_from") is not None:
        tag.append(f" (was {meta['rebased_from']})", style="dim")
    mark = _field(meta, "mark").get("mark")
    if mark:
        tag.append(" ")
        tag.append(f"[{mark}]", style=_MARK_STYLE.get(str(mark), "bold"))
    return tag


def count_columns(changes: Mapping[str, Any]) -> Text:
    """A version's counts as ``log`` shows them: ``+1 ~0 -0``, and ``.1`` (Terraform's mark
    for a forget) after them when objects were let go of without being destroyed."""
    text = Text()
    for index, (symbol, key) in enumerate((("+", "add"), ("~", "change"), ("-", "destroy"))):
        count = changes.get(key, 0)
        if index:
            text.append(" ")
        text.append(f"{symbol}{count}", style=_SYMBOL_STYLE[symbol] if count else "dim")
    forgotten = changes.get("forget", 0)
    if forgotten:
        text.append(f" .{forgotten}", style=_SYMBOL_STYLE["."])
    return text


def _version_label(meta: Mapping[str, Any] | None) -> Text:
    if meta is None:
        return Text("nothing", style="bold")
    text = Text(f"version {meta.get('version', '?')}", style="bold yellow")
    text.append(f" ({_format_time(meta.get('timestamp'))})", style="dim")
    return text


def _header_lines(meta: Mapping[str, Any], *, parent_removed: bool = False) -> list[Text]:
    lines = [Text(f"version {meta.get('version', '?')}", style="bold yellow")]

    def labelled(label: str, value: Text | str) -> None:
        line = Text(f"{label + ':':<11}")
        line.append_text(value if isinstance(value, Text) else Text(value))
        lines.append(line)

    labelled("Date", _format_time(meta.get("timestamp")))
    author = _field(meta, "author")
    who = Text(_author_name(meta), style="cyan")
    if author.get("email"):
        who.append(f" <{author['email']}>")
    if author.get("source"):
        who.append(f" ({author['source']})", style="dim")
    labelled("Author", who)
    kind = str(meta.get("kind") or "apply")
    labelled("Kind", Text(kind, style=_KIND_STYLE.get(kind, "bold")))
    outcome = str(meta.get("outcome") or "success")
    labelled("Outcome", Text(outcome, style=_OUTCOME_STYLE.get(outcome, "bold")))
    terraform = _field(meta, "terraform")
    engine = f"{terraform.get('version') or 'unknown version'}"
    if terraform.get("engine"):
        engine += f" ({terraform['engine']})"
    labelled("Terraform", engine)
    labelled("Workspace", str(meta.get("workspace") or "default"))
    parent = meta.get("parent")
    gone = " (removed by retention)" if parent_removed else ""
    labelled("Parent", "none" if parent is None else f"version {parent}{gone}")
    if meta.get("rebased_from") is not None:
        # Recorded again by `store pull --rebase`: its number in this copy's history before.
        labelled("Rebased", f"from version {meta['rebased_from']} (`tfshadow store pull --rebase`)")
    reverted_to = meta.get("reverted_to")
    if reverted_to is not None:
        # The description names the version, not how it was put back: a state push alone
        # changed Terraform's record, not the infrastructure.
        how = " (state only: `terraform state push`)" if meta.get("state_only") is True else ""
        labelled("Reverted", f"to version {reverted_to}{how}")
    targets = meta.get("targets")
    if isinstance(targets, list) and targets:
        labelled("Targets", ", ".join(str(target) for target in targets))
    mark = _field(meta, "mark")
    if mark.get("mark"):
        shown = Text(str(mark["mark"]), style=_MARK_STYLE.get(str(mark["mark"]), "bold"))
        by = _field(mark, "author").get("name")
        when = _format_time(mark.get("timestamp")) if mark.get("timestamp") else ""
        said = ", ".join(part for part in (f"by {by}" if by else "", when) if part)
        if said:
            shown.append(f" ({said})", style="dim")
        if mark.get("note"):
            shown.append(f": {mark['note']}")
        labelled("Mark", shown)
    description = str(meta.get("description") or "")
    if description:
        lines.append(Text())
        lines.extend(Text("    " + line) for line in description.splitlines())
    return lines


# --- changes -----------------------------------------------------------------------------------


def _changes_lines(
    state: StateChanges,
    config: ConfigChanges,
    *,
    baseline: bool = False,
    state_only: bool = False,
) -> list[Text]:
    lines = _state_lines(state, baseline=baseline, state_only=state_only)
    lines.append(Text())
    if config.is_empty():
        # Under --target, what is left out may still have changed.
        lines.append(
            Text("No configuration changes to the targets.")
            if config.not_shown
            else Text("No configuration changes.")
        )
    else:
        lines.append(Text("Configuration changes:"))
        lines.extend(_config_summary_lines(config))
    if config.not_shown:
        n = config.not_shown
        lines.append(
            Text(
                f"  ({n} other configuration change{'s' if n != 1 else ''} not shown: --target)",
                style="dim",
            )
        )
    return lines


def _state_lines(
    state: StateChanges, *, baseline: bool = False, state_only: bool = False
) -> list[Text]:
    lines: list[Text] = []
    for resource in state.resources:
        lines.extend(_resource_lines(resource, baseline=baseline, state_only=state_only))
        lines.append(Text())
    add, change, destroy = state.counts(record_only=state_only)
    moved = state.moved()
    also = f", {moved} moved" if moved else ""
    imported, forgotten = state.imported(), state.forgotten()
    also += f", {imported} imported" if imported else ""
    also += f", {forgotten} forgotten" if forgotten else ""
    if baseline and not change and not destroy:
        lines.append(
            Text(f"Recorded: {add} existing resource{'' if add == 1 else 's'}.", style="bold")
        )
    elif state_only and state.resources:
        lines.append(
            Text(f"State: {add} added, {change} changed, {destroy} removed{also}.", style="bold")
        )
    elif state.resources:
        lines.append(
            Text(
                f"Changes: {add} added, {change} changed, {destroy} destroyed{also}.", style="bold"
            )
        )
    else:
        lines.append(Text("No resource changes.", style="bold"))
    if state.outputs:
        lines.append(Text())
        lines.append(Text("Changes to Outputs:"))
        lines.extend(_output_lines(state.outputs))
    return lines


def _symbol(symbol: str, indent: int) -> Text:
    text = Text(" " * indent)
    # A replacement's `-/+` or `+/-` is coloured part by part, as terraform plan colours it.
    for index, part in enumerate(symbol.split("/")):
        if index:
            text.append("/")
        text.append(part, style=_SYMBOL_STYLE.get(part, ""))
    text.append(" ")
    return text


def _resource_lines(
    resource: ResourceChange, *, baseline: bool = False, state_only: bool = False
) -> list[Text]:
    data = resource.mode == "data"
    verb = (_DATA_VERB if data else _STATE_VERB if state_only else _MANAGED_VERB)[resource.action]
    if baseline and resource.action == "create":
        verb = "was recorded"
    replaced = resource.replaced and not state_only
    if replaced:
        verb = "was replaced"
    elif resource.imported and not state_only:
        verb = "was imported"
    elif resource.forgotten:
        verb = "is no longer managed by Terraform (removed from the state, not destroyed)"
    elif resource.deposed and resource.action == "create" and not (data or state_only or baseline):
        # Terraform never creates a deposed object: it is the old one, kept for a while.
        verb = "was deposed by create_before_destroy"
    where = resource.address
    if resource.deposed and "deposed" not in where:
        where += f" (deposed object {resource.deposed})"
    moved_only = resource.moved_only
    if moved_only:
        verb = f"has moved to {where}"
        where = str(resource.moved_from)
    lines = [Text(f"  # {where} {verb}", style="bold")]
    if resource.moved_from and not moved_only:
        lines.append(Text(f"  # (moved from {resource.moved_from})", style="bold"))
    symbol = " " if moved_only else _ROW_SYMBOL[resource.action]
    if data and resource.action != "delete":
        symbol = "<="
    if replaced:
        # As terraform plan marks the order a replacement was made in.
        symbol = "+/-" if resource.create_before_destroy else "-/+"
    elif resource.forgotten:
        symbol = "."  # Terraform's mark for a forget
    opening = _symbol(symbol, 3 - len(symbol))
    keyword = "data" if data else "resource"
    opening.append(f"{keyword} {_quote(resource.type)} {_quote(resource.name)} {{")
    lines.append(opening)
    status = _status_note(resource)
    if status:
        lines.append(Text(f"        # ({status})", style="dim"))
    before, after = resource.provider_before, resource.provider_after
    if resource.action == "update" and before != after:
        lines.append(Text(f"        # (provider: {before} -> {after})", style="dim"))
    rows = [
        row
        for row in resource.attributes
        # terraform plan leaves unset attributes out of creates and destroys, and so do we.
        if resource.action == "update" or _side(row) is not None or row.sensitive
    ]
    kept_id = resource.kept_id if resource.action == "update" else None
    width = max([cell_len(row.path) for row in rows] + [2 if kept_id is not None else 0])
    if kept_id is not None:  # which object it is, as a plan shows an update's
        line = _symbol(" ", 6)
        line.append(f"{pad_cells('id', width)} = {_quote(kept_id)}")
        lines.append(line)
    for row in rows:
        if resource.forgotten:
            # The object stays as it was: its values, without a sign, as a plan shows a forget.
            line = _symbol(" ", 6)
            line.append(f"{pad_cells(row.path, width)} = ")
            value = _side(row)
            hidden = row.sensitive or contains_sealed(value)
            parts = [Text(SENSITIVE)] if hidden else _value_lines(value, " ", 6, in_list=False)
            line.append_text(parts[0])
            lines.extend([line, *parts[1:]])
            continue
        lines.extend(_attribute_lines(row, indent=6, width=width))
    unchanged = resource.unchanged if resource.action == "update" else 0
    if unchanged:
        said = f"{unchanged} unchanged attribute{'' if unchanged == 1 else 's'} hidden"
        lines.append(Text(f"        # ({said})", style="dim"))
    lines.append(Text("    }"))
    return lines


def _side(row: AttributeChange) -> Any:
    return row.after if row.before is ABSENT else row.before


def _status_note(resource: ResourceChange) -> str:
    before, after = resource.status_before, resource.status_after
    if resource.action == "delete" or before == after:
        return ""
    if after == "tainted":
        return "marked tainted"
    if before == "tainted" and after is None:
        return "no longer tainted"
    return f"status: {before or 'none'} -> {after or 'none'}"


def _attribute_lines(row: AttributeChange, *, indent: int, width: int) -> list[Text]:
    return _change_lines(row.path, row.before, row.after, row.sensitive, indent=indent, width=width)


def _change_lines(
    name: str,
    before: Any,
    after: Any,
    sensitive: bool,
    *,
    indent: int,
    width: int,
) -> list[Text]:
    symbol = "+" if before is ABSENT else "-" if after is ABSENT else "~"
    sensitive = sensitive or contains_sealed(before) or contains_sealed(after)
    line = _symbol(symbol, indent)
    line.append(f"{pad_cells(name, width)} = ")
    if symbol == "~":
        if sensitive:
            line.append(SENSITIVE)
            return [line]
        block = _string_change_lines(before, after, indent)
        if block:
            line.append_text(block[0])
            return [line, *block[1:]]
        long = _long_string_change(before, after)
        if long is not None:
            line.append_text(long)
            return [line]
        line.append(f"{_inline(before)} -> {_inline(after)}")
        return [line]
    value = after if symbol == "+" else before
    # An element of a list that is an object is a nested block: its keys bare, as where the
    # whole list is shown (`rules[1] = { port = 80 }`).
    element = _ELEMENT.search(name) is not None
    parts = [Text(SENSITIVE)] if sensitive else _value_lines(value, symbol, indent, in_list=element)
    line.append_text(parts[0])
    lines = [line, *parts[1:]]
    if symbol == "-" and value is not None:  # a null removed reads `- z = null`, as in a plan
        lines[-1].append(" -> null")
    return lines


def _string_change_lines(before: Any, after: Any, indent: int) -> list[Text]:
    """A changed string as terraform plan shows it when it spans lines or holds JSON: the
    lines of both, each marked kept, removed or added; ``[]`` for any other change."""
    if not (isinstance(before, str) and isinstance(after, str)):
        return []
    old_json, new_json = _json_document(before), _json_document(after)
    compared: Callable[[str], str] = str
    if old_json is not None and new_json is not None:
        old_lines = _pretty_json(old_json).split("\n")
        new_lines = _pretty_json(new_json).split("\n")
        # A JSON line gains or loses its comma when a member after it comes or goes: compared
        # without it, only that member reads as a change, as terraform plan shows it.
        compared = _without_comma
        if len(old_lines) == len(new_lines) == 1:  # [] or {} on either side
            return [Text(f"jsonencode({old_lines[0]}) -> jsonencode({new_lines[0]})")]
        opening = Text("jsonencode(")
        if old_lines == new_lines:
            opening.append("  # whitespace changes", style="dim")
        closing = Text(" " * (indent + 2) + ")")
    elif "\n" in before.rstrip("\n") or "\n" in after.rstrip("\n"):
        old_lines = before.removesuffix("\n").split("\n")
        new_lines = after.removesuffix("\n").split("\n")
        opening, closing = Text("<<-EOT"), Text(" " * (indent + 2) + "EOT")
    else:
        return []
    lines = [opening]
    ops = linediff.opcodes(
        [compared(text) for text in old_lines], [compared(text) for text in new_lines]
    )
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":  # kept lines as they are now (a JSON line with its comma now)
            lines.extend(
                _kept_lines(
                    new_lines[j1:j2], indent + 4, first=index == 0, last=index == len(ops) - 1
                )
            )
            continue
        lines.extend(_text_line("-", text, indent + 4) for text in old_lines[i1:i2])
        lines.extend(_text_line("+", text, indent + 4) for text in new_lines[j1:j2])
    lines.append(closing)
    return lines


def _kept_lines(kept: Sequence[str], indent: int, *, first: bool, last: bool) -> list[Text]:
    """A run of kept lines: whole when short, else up to :data:`_CONTEXT` lines next to each
    change and one line counting the rest, as terraform plan hides them (a 5 MB policy with
    one change is a few lines, not 200,000)."""
    before = 0 if first else _CONTEXT
    after = 0 if last else _CONTEXT
    hidden = len(kept) - before - after
    if hidden <= _CONTEXT or len(kept) == 0:
        return [_text_line(" ", text, indent) for text in kept]
    count = "1 unchanged line" if hidden == 1 else f"{hidden} unchanged lines"
    note = Text(" " * (indent + 2))
    note.append(f"# ({count} hidden)", style="dim")
    return [
        *(_text_line(" ", text, indent) for text in kept[:before]),
        note,
        *(_text_line(" ", text, indent) for text in kept[len(kept) - after :]),
    ]


def _long_string_change(before: Any, after: Any) -> Text | None:
    """A change of a one-line string too long to read whole (a base64 blob, a certificate):
    both sides from just before their first difference, and the lengths; None otherwise."""
    if not (isinstance(before, str) and isinstance(after, str)):
        return None
    if max(len(before), len(after)) <= _LONG_STRING:
        return None
    same = 0
    while same < min(len(before), len(after)) and before[same] == after[same]:
        same += 1
    start = max(0, same - _SHOWN // 3)
    text = Text(f"{_excerpt(before, start)} -> {_excerpt(after, start)}")
    text.append(
        f"  # ({len(before):,} -> {len(after):,} characters, from character {same + 1:,})",
        style="dim",
    )
    return text


def _excerpt(value: str, start: int) -> str:
    shown = _quote(value[start : start + _SHOWN])[1:-1]
    return f'"{"…" if start else ""}{shown}{"…" if start + _SHOWN < len(value) else ""}"'


def _without_comma(line: str) -> str:
    return line.removesuffix(",")


def _text_line(symbol: str, text: str, indent: int) -> Text:
    line = _symbol(symbol, indent)
    line.append(_printable(text))
    return line


def _printable(text: str) -> str:
    """A line of a heredoc with its control characters (but tabs) written as escapes: an
    escape sequence in a recorded value would otherwise move the cursor or recolour the
    terminal, and could hide the lines above it."""
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _json_document(text: str) -> Any:
    """The object or array ``text`` encodes as JSON (a policy, a task definition), else None."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _value_lines(value: Any, symbol: str, indent: int, *, in_list: bool) -> list[Text]:
    """``value`` laid out over lines: the first continues its row; the rest are whole lines."""
    if is_sealed(value):
        return [Text(SENSITIVE)]
    if isinstance(value, Mapping) and value:
        keys = [_key(key, in_list) for key in value]
        width = max(cell_len(key) for key in keys)
        lines = [Text("{")]
        for key, item in sorted(zip(keys, value.values(), strict=True), key=lambda kv: kv[0]):
            sub = _value_lines(item, symbol, indent + 4, in_list=False)
            line = _symbol(symbol, indent + 4)
            line.append(f"{pad_cells(key, width)} = ")
            line.append_text(sub[0])
            lines.extend([line, *sub[1:]])
        lines.append(Text(" " * (indent + 2) + "}"))
        return lines
    if isinstance(value, list) and value:
        lines = [Text("[")]
        for item in value:
            sub = _value_lines(item, symbol, indent + 4, in_list=True)
            line = _symbol(symbol, indent + 4)
            line.append_text(sub[0])
            item_lines = [line, *sub[1:]]
            item_lines[-1].append(",")
            lines.extend(item_lines)
        lines.append(Text(" " * (indent + 2) + "]"))
        return lines
    document = _json_document(value) if isinstance(value, str) else None
    if document is not None:
        pretty = _pretty_json(document).split("\n")
        if len(pretty) == 1:
            return [Text(f"jsonencode({pretty[0]})")]
        pad = " " * (indent + 6)
        return [
            Text("jsonencode("),
            *(Text(pad + line) for line in pretty),
            Text(" " * (indent + 2) + ")"),
        ]
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        # As terraform plan shows a multi-line string: a heredoc, one line of text a line.
        body = value[:-1] if value.endswith("\n") else value
        pad = " " * (indent + 6)
        return [
            Text("<<-EOT"),
            *(Text(pad + _printable(line) if line else "") for line in body.split("\n")),
            Text(" " * (indent + 2) + "EOT"),
        ]
    return [Text(_inline(value))]  # an empty list or map reads [] or {}, not a string


def _inline(value: Any, *, in_list: bool = False) -> str:
    if is_sealed(value):
        return SENSITIVE
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(
            f"{_key(key, in_list)} = {_inline(item)}" for key, item in sorted(value.items())
        )
        return f"{{ {items} }}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item, in_list=True) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None or value is ABSENT:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if is_sealed(value):
        return SENSITIVE
    text = str(value)
    if len(text) > _LONG_STRING:  # a blob: its start and its length, not a 200 KB line
        return f"{_excerpt(text, 0)} ({len(text):,} characters)"
    return _quote(text)


def _key(key: Any, in_list: bool) -> str:
    # Mappings inside lists are nested blocks (objects): bare attribute names, like HCL.
    key = str(key)
    return key if in_list and _IDENTIFIER.match(key) else _quote(key)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _output_lines(outputs: Iterable[OutputChange]) -> list[Text]:
    # An object or list changed in place shows the leaves that changed, as a resource does:
    # a map of a hundred addresses with one changed is one line, not both maps whole.
    rows = [row for output in outputs for row in output.rows()]
    width = max((cell_len(row.path) for row in rows), default=0)
    lines: list[Text] = []
    for row in rows:
        lines.extend(_attribute_lines(row, indent=2, width=width))
    return lines


def _config_summary_lines(config: ConfigChanges) -> list[Text]:
    lines: list[Text] = []
    for change in config.files:
        line = _symbol(_ROW_SYMBOL[change.action], 2)
        line.append(change.path)
        line.append(" ")
        line.append_text(_line_stats(change))
        lines.append(line)
    variables: list[VariableChange] = list(config.variables)
    width = max((cell_len(f"var.{v.name}") for v in variables), default=0)
    for variable in variables:
        lines.extend(
            _change_lines(
                f"var.{variable.name}",
                variable.before,
                variable.after,
                variable.sensitive,
                indent=2,
                width=width,
            )
        )
    return lines


def _line_stats(change: FileChange) -> Text:
    added, removed = change.line_counts()
    if not added and not removed:
        return Text("(binary)" if change.unified_diff.startswith("Binary") else "(no lines)")
    text = Text("(")
    parts = []
    if added or change.action != "delete":
        parts.append((f"+{added}", "green"))
    if removed or change.action != "create":
        parts.append((f"-{removed}", "red"))
    for index, (label, style) in enumerate(parts):
        if index:
            text.append(" ")
        text.append(label, style=style)
    text.append(")")
    return text


def _diff_lines(change: FileChange) -> list[Text]:
    lines: list[Text] = []
    in_hunks = False
    for raw in mask_seals(change.unified_diff, SENSITIVE).splitlines():
        if raw.startswith("@@"):
            in_hunks = True
            style = "cyan"
        elif not in_hunks:
            style = "bold"
        elif raw.startswith("+"):
            style = "green"
        elif raw.startswith("-"):
            style = "red"
        elif raw.startswith("\\"):
            style = "dim"
        else:
            style = ""
        lines.append(Text(raw, style=style))
    return lines
