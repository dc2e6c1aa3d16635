"""The CI gate: open recommendations → an exit code, GitHub annotations and a JUnit report.

Recommendations come in their ``Recommendation.to_json()`` form (as the journal logs them).
Severities rank ``info`` < ``warning`` < ``critical``; a recommendation at or above
``fail_on`` fails the gate. Annotations are GitHub workflow commands
(``::error title=…::message``), escaped as GitHub's runner does: ``%``, CR and LF in the
message; also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tfshadow.errors import UsageError

__all__ = ["FAIL_ON", "GateResult", "annotation", "gate", "severity_rank", "workflow_command"]

FAIL_ON = ("warning", "critical")
_RANK = {"info": 0, "warning": 1, "critical": 2}
SUITE = "tfshadow"
NOTHING_OPEN = "no open recommendations"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class GateResult:
    """``exit_code`` 1 when any recommendation is at or above the threshold, else 0."""

    exit_code: int
    failing: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    junit_xml: str = ""


def severity_rank(severity: object) -> int:
    """0 for ``info`` (and anything unknown), 1 ``warning``, 2 ``critical``."""
    return _RANK.get(severity, 0) if isinstance(severity, str) else 0


def gate(recommendations: Sequence[Mapping[str, Any]], fail_on: str) -> GateResult:
    """Judge ``recommendations`` against ``fail_on`` (``warning`` or ``critical``)."""
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on {fail_on!r} is not a severity", hint="use warning or critical")
    threshold = _RANK[fail_on]
    failing = [dict(r) for r in recommendations if severity_rank(r.get("severity")) >= threshold]
    annotations = [
        annotation(r, failing=severity_rank(r.get("severity")) >= threshold)
        for r in recommendations
    ]
    return GateResult(
        exit_code=1 if failing else 0,
        failing=failing,
        annotations=annotations,
        junit_xml=junit(recommendations, threshold),
    )


def annotation(rec: Mapping[str, Any], *, failing: bool) -> str:
    """One workflow command: ``::error`` when it fails the gate, else by severity."""
    severity = _text(rec.get("severity")) or "info"
    level = "error" if failing else "warning" if severity_rank(severity) >= 1 else "notice"
    return workflow_command(level, _message(rec), title=f"tfshadow {severity}")


def workflow_command(command: str, message: str, **properties: str) -> str:
    """``::command key=value,…::message`` with the message and the values escaped."""
    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{_escape_data(message)}"


def junit(recommendations: Sequence[Mapping[str, Any]], threshold: int) -> str:
    """A JUnit report: one testsuite ``tfshadow``, one testcase per recommendation."""
    suite = ET.Element("testsuite", name=SUITE)
    failures = 0
    for rec in recommendations:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml(f"{SUITE}.{_text(rec.get('kind')) or 'recommendation'}"),
            name=_xml(_case_name(rec)),
        )
        severity = _text(rec.get("severity")) or "info"
        if severity_rank(severity) >= threshold:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=_xml(_text(rec.get("reason"))), type=severity
            )
            failure.text = _xml(_details(rec))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _xml(f"{severity} (below the gate): {_details(rec)}")
    if not recommendations:
        ET.SubElement(suite, "testcase", classname=SUITE, name=NOTHING_OPEN)
    suite.set("tests", str(max(1, len(recommendations))))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    root = ET.Element("testsuites", name=SUITE)
    root.append(suite)
    for key in ("tests", "failures", "errors"):
        root.set(key, suite.get(key, "0"))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _case_name(rec: Mapping[str, Any]) -> str:
    return f"{_text(rec.get('resource')) or '?'} {_text(rec.get('metric')) or '?'}"


def _message(rec: Mapping[str, Any]) -> str:
    text = f"{_case_name(rec)}: {_text(rec.get('reason')) or 'no reason given'}"
    command = _text(rec.get("command"))
    return f"{text} (proposed: {command})" if command else text


def _details(rec: Mapping[str, Any]) -> str:
    window = rec.get("window")
    window = window if isinstance(window, Mapping) else {}
    lines = [
        _text(rec.get("reason")),
        f"kind: {_text(rec.get('kind'))}; source: {_text(rec.get('source'))}",
        f"window: {_text(window.get('start'))} to {_text(window.get('end'))}",
        f"observed: {rec.get('observed')}; expected: {rec.get('expected')}; "
        f"score: {rec.get('score')} (threshold {rec.get('threshold')})",
    ]
    suspect = rec.get("suspect")
    if isinstance(suspect, Mapping):
        lines.append(
            f"suspect: version {suspect.get('version')} of workspace "
            f"{_text(suspect.get('workspace'))} by {_text(suspect.get('author'))}"
        )
    command = _text(rec.get("command"))
    if command:
        lines.append(f"proposed: {command}")
    elif isinstance(suspect, Mapping):
        lines.append("no revert is proposed (see the reason)")
    else:
        lines.append("no version fits: nothing to revert to")
    if rec.get("created"):
        lines.append(f"created: {_text(rec.get('created'))}")
    return "\n".join(line for line in lines if line)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _escape_data(text: str) -> str:
    # The runner's own escaping (actions/toolkit, command.ts): % first, then CR and LF.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
