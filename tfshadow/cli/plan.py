"""`tfshadow plan [terraform plan args] [--format markdown|json|text] [--report-file PATH]`.

Without ``--format`` the plan is Terraform's own: its output streams unchanged and its exit
code (``-detailed-exitcode``'s 2 included) is returned. When a shadow store exists the report
is saved quietly in the store (``plan/report.md`` and ``plan/report.json``, what
``tfshadow comment`` posts) and one line on stderr says where.

With ``--format`` Terraform's output goes to stderr and the report to stdout, so
``tfshadow plan --format json > report.json`` holds the report alone; the exit code is still
Terraform's. ``--report-file PATH`` (relative to the working directory) also writes the report
there, in ``--format`` or else as markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from tfshadow.cli.output import stdout_console, terraform_output_to_stderr
from tfshadow.errors import PlanReportError, UsageError
from tfshadow.project import Project


def run_plan(
    project: Project,
    tf_args: Sequence[str],
    *,
    report_format: str | None,
    report_file: str | None,
) -> int:
    """Run the plan, save and print its report; Terraform's exit code, or the error's."""
    from tfshadow.ops.plan import REPORT_JSON, REPORT_MARKDOWN, plan, save_reports
    from tfshadow.report.plan import FORMATS, render, render_plan

    if report_format is not None and report_format not in FORMATS:
        raise UsageError(
            f"--format {report_format} is not a report format",
            hint=f"use one of {', '.join(FORMATS)}",
        )
    target = _target(project, report_file)
    wanted = report_format is not None or target is not None
    if report_format is not None:
        with terraform_output_to_stderr():
            outcome = plan(project, tf_args, want_report=True)
    else:
        outcome = plan(project, tf_args, want_report=wanted)
    if outcome.error is not None:
        if report_format is not None:
            raise PlanReportError(outcome.error.message, outcome.error.hint) from outcome.error
        click.echo(f"tfshadow: warning: no plan report: {outcome.error.one_line()}", err=True)
        return outcome.exit_code
    report = outcome.report
    if report is None:
        return outcome.exit_code

    written: list[Path] = []
    if outcome.report_dir is not None:
        written += save_reports(
            outcome.report_dir,
            {REPORT_MARKDOWN: render(report, "markdown"), REPORT_JSON: render(report, "json")},
        )
    if target is not None:
        try:
            text = render(report, report_format or "markdown")
            written += save_reports(target.parent, {target.name: text})
        except OSError as exc:
            raise UsageError(
                f"the report cannot be written to {target}: {exc.strerror or exc}",
                hint="check --report-file",
            ) from None
    if report_format == "text":
        render_plan(stdout_console(), report)
    elif report_format is not None:
        click.echo(render(report, report_format), nl=False)
    # Terraform's closing lines name the plan file to apply: say when that one is gone.
    note = "the plan file is removed: pass -out=FILE to keep it" if outcome.temporary_plan else ""
    if written:
        names = [str(p) for p in written]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        click.echo(
            f"tfshadow: plan report written to {listed}" + (f" ({note})" if note else ""), err=True
        )
    elif note:
        click.echo(f"tfshadow: {note}", err=True)
    return outcome.exit_code


def _target(project: Project, report_file: str | None) -> Path | None:
    if report_file is None:
        return None
    if not report_file:
        raise UsageError("--report-file needs a path", hint="e.g. --report-file plan.md")
    path = Path(report_file)
    target = path if path.is_absolute() else project.workdir / path
    if target.is_dir():
        raise UsageError(f"--report-file {report_file} is a directory", hint="name a file")
    return target
