"""The pipeline examples parse, and every tfshadow command they run is one tfshadow knows."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tfshadow.cli.args import OWN_OPTIONS
from tfshadow.cli.main import OWN_COMMANDS

EXAMPLES = Path(__file__).parents[3] / "examples"
PIPELINES = [
    EXAMPLES / "github-actions" / "tfshadow.yml",
    EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml",
    EXAMPLES / "atlantis" / "atlantis.yaml",
]
# Terraform's commands the examples pass through; `plan` is also tfshadow's own.
TERRAFORM = {"plan", "apply", "init", "validate"}
_SEPARATORS = re.compile(r"&&|\|\||;|\|")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _tfshadow_commands(doc: Any) -> list[str]:
    """The subcommand of every `tfshadow …` shell command in the document's strings."""
    found: list[str] = []
    for text in _strings(doc):
        for line in text.replace("\\\n", " ").splitlines():
            for segment in _SEPARATORS.split(line):
                words = shlex.split(segment, comments=True)
                while words and _ASSIGNMENT.match(words[0]):
                    words.pop(0)
                # A bare `tfshadow` is a name (`workflow: tfshadow`), not a command line.
                if len(words) < 2 or words[0] != "tfshadow":
                    continue
                rest = words[1:]
                while rest and rest[0].startswith("-"):
                    name = rest.pop(0)
                    if name in OWN_OPTIONS and rest:
                        rest.pop(0)
                found.append(rest[0] if rest else "")
    return found


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.parent.name)
def test_examples_parse_as_yaml_and_have_a_readme(path: Path) -> None:
    doc = _load(path)

    assert isinstance(doc, dict) and doc
    assert (path.parent / "README.md").read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.parent.name)
def test_examples_run_only_commands_tfshadow_has(path: Path) -> None:
    known = set(OWN_COMMANDS) | TERRAFORM

    used = _tfshadow_commands(_load(path))

    assert used, f"{path.name} runs no tfshadow command"
    assert [c for c in used if c not in known] == []


def test_examples_command_finder_sees_through_shell() -> None:
    doc = {
        "run": "set -e\nTF_IN_AUTOMATION=1 tfshadow --chdir infra gate --junit x.xml && "
        "git push origin tfshadow\ntfshadow bogus || true  # tfshadow nope"
    }

    assert _tfshadow_commands(doc) == ["gate", "bogus"]


def test_examples_github_workflow_comments_on_prs_and_gates_on_main() -> None:
    doc = _load(PIPELINES[0])
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    triggers = doc.get("on", doc.get(True))
    assert set(triggers) == {"pull_request", "push"}
    plan, apply = doc["jobs"]["plan"], doc["jobs"]["apply"]
    assert plan["permissions"]["pull-requests"] == "write"
    assert _tfshadow_commands(plan) == ["init", "plan", "comment"]
    assert any(s.get("env", {}).get("GITHUB_TOKEN") for s in plan["steps"])
    assert apply["permissions"]["contents"] == "write"
    assert _tfshadow_commands(apply) == ["init", "apply", "analyze", "gate"]
    assert any(s.get("run") == "git push origin tfshadow" for s in apply["steps"])


def test_examples_atlantis_plans_to_and_applies_the_planfile() -> None:
    doc = _load(PIPELINES[2])
    steps = doc["workflows"]["tfshadow"]
    plan_runs = [s["run"] for s in steps["plan"]["steps"] if "run" in s]
    apply_runs = [s["run"] for s in steps["apply"]["steps"] if "run" in s]
    assert any(r.startswith("tfshadow plan") and "-out $PLANFILE" in r for r in plan_runs)
    assert any(r.startswith("tfshadow apply") and r.endswith("$PLANFILE") for r in apply_runs)
    # Each pull request is a fresh clone: the store kept on the remote is brought back before
    # the apply, or every apply but the first would start a history that is never pushed.
    cloned = next(i for i, r in enumerate(apply_runs) if r.startswith("tfshadow store pull"))
    applied = next(i for i, r in enumerate(apply_runs) if r.startswith("tfshadow apply"))
    assert cloned < applied


def _command_lines(doc: Any, subcommand: str) -> list[list[str]]:
    """The words of every `tfshadow SUBCOMMAND …` line in the document's strings."""
    lines: list[list[str]] = []
    for text in _strings(doc):
        for line in text.splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["tfshadow", subcommand]:
                lines.append(words)
    return lines


@pytest.mark.parametrize("path", PIPELINES[:2], ids=lambda p: p.parent.name)
def test_examples_comment_posts_the_file_the_plan_wrote(path: Path) -> None:
    # Before the first apply there is no store to keep the plan report in: a pull request
    # opened then is commented only from a file of its own.
    doc = _load(path)
    [plan] = _command_lines(doc, "plan")
    [comment] = _command_lines(doc, "comment")

    assert "--report-file" in plan and "--file" in comment
    assert plan[plan.index("--report-file") + 1] == comment[comment.index("--file") + 1]
