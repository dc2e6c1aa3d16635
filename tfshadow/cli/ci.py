"""`tfshadow comment` and `tfshadow gate`: tfshadow in a pipeline."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import click

from tfshadow import env
from tfshadow.cli.commands import (
    CliContext,
    commands,
    no_color_option,
    pass_cli,
    workspace_option,
)
from tfshadow.cli.output import EXIT_OK
from tfshadow.errors import StoreError, UsageError
from tfshadow.ops.plan import PLAN_DIR, REPORT_MARKDOWN

_NO_REPORT_HINT = "run `tfshadow plan --format markdown` first, or pass --file"


@commands.command()
@click.option("--github", is_flag=True, help="Comment on a GitHub PR (default on GitHub Actions).")
@click.option("--gitlab", is_flag=True, help="Comment on a GitLab MR (default on GitLab CI).")
@click.option(
    "--pr",
    type=click.IntRange(min=1),
    metavar="N",
    help="Pull/merge request number (default: the one the pipeline runs for).",
)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Markdown to post (default: the report the last `tfshadow plan` wrote).",
)
@click.option(
    "--key",
    metavar="KEY",
    help="Tells this configuration's comment from others' (default: its directory's path in "
    "the git repository, and @WORKSPACE for a workspace other than default).",
)
@pass_cli
def comment(
    cli: CliContext,
    github: bool,
    gitlab: bool,
    pr: int | None,
    path: Path | None,
    key: str | None,
) -> int:
    """Post a markdown report as a pull request comment, editing the previous one in place.

    GitHub reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL; GitLab reads GITLAB_TOKEN
    (an access token with the api scope), CI_API_V4_URL, CI_MERGE_REQUEST_PROJECT_ID (else
    CI_PROJECT_ID) and CI_MERGE_REQUEST_IID.
    """
    from tfshadow.ci.comments import post_sticky

    platform = _platform(github, gitlab)
    markdown = _report(cli, path)
    result = post_sticky(
        platform,
        markdown,
        env=dict(os.environ),
        pr=pr,
        key=key if key is not None else _default_key(cli),
    )
    removed = (
        f" ({result.removed} older cop{'y' if result.removed == 1 else 'ies'} deleted)"
        if result.removed
        else ""
    )
    click.echo(f"comment {result.action}: {result.url}{removed}", err=True)
    return EXIT_OK


def _platform(github: bool, gitlab: bool) -> str:
    """The forge named, else the one whose pipeline this runs in (each sets its variable to
    "true" in every job)."""
    if github and gitlab:
        raise UsageError(
            "--github and --gitlab cannot both be given", hint="comment on one platform at a time"
        )
    if github or gitlab:
        return "github" if github else "gitlab"
    running = [
        name
        for name, variable in (("github", env.GITHUB_ACTIONS), ("gitlab", env.GITLAB_CI))
        if os.environ.get(variable) == "true"
    ]
    if len(running) == 1:
        return running[0]
    if running:
        raise UsageError(
            f"both {env.GITHUB_ACTIONS} and {env.GITLAB_CI} are set: the pipeline's platform is "
            "unclear",
            hint="pass --github or --gitlab",
        )
    raise UsageError(
        "say where to comment: this runs in neither GitHub Actions nor GitLab CI",
        hint="pass --github or --gitlab",
    )


def _default_key(cli: CliContext) -> str:
    """The configuration's path in its git repository (``envs/prod/app``), since a monorepo's
    configurations often share a directory name (``prod/app``, ``staging/app``); outside a
    repository, or at its top, the directory's name. A workspace other than ``default`` is
    added (``envs/app@staging``): a pipeline planning each workspace of one directory keeps a
    comment per workspace."""
    from tfshadow.runner.commands import DEFAULT_WORKSPACE

    workspace = cli.project().workspace
    path = _repository_path(cli.workdir)
    return path if workspace == DEFAULT_WORKSPACE else f"{path}@{workspace}"


def _repository_path(workdir: Path) -> str:
    from tfshadow.store.git import Git

    here = workdir.resolve()
    try:
        info = Git(here).repo_info()
    except StoreError:
        info = None  # git cannot use the repository: the name still tells most apart
    if info is not None:
        try:
            inside = here.relative_to(info.toplevel.resolve())
        except ValueError:
            inside = None
        if inside is not None and inside.parts:
            return inside.as_posix()
    return here.name


def _report(cli: CliContext, path: Path | None) -> str:
    if path is not None:
        target = path if path.is_absolute() else cli.workdir / path
        hint = "check --file"
    else:
        try:
            store = cli.project().open_store(create=False)
        except StoreError:
            # Before the first recorded apply (a pipeline's first pull request) `tfshadow plan`
            # has no store to save its report in: only a file of its own can carry it here.
            raise UsageError(
                "there is no plan report to post: without a shadow store, `tfshadow plan` "
                "saves none",
                hint="run `tfshadow plan --format markdown --report-file plan.md`, then post it "
                "with --file plan.md",
            ) from None
        target = store.private_dir(PLAN_DIR) / REPORT_MARKDOWN
        hint = _NO_REPORT_HINT
    try:
        return target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"there is no report at {target}", hint=hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"the report {target} cannot be read: {reason}", hint=hint) from None


@commands.command()
@click.option(
    "--fail-on",
    type=click.Choice(["warning", "critical"]),
    default="critical",
    show_default=True,
    help="Lowest severity that fails the gate.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a JUnit XML report here.",
)
@click.option(
    "--since",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="Only recommendations made this recently.",
)
@workspace_option
@no_color_option
@pass_cli
def gate(
    cli: CliContext,
    fail_on: str,
    junit_path: Path | None,
    since: str,
    workspace: str | None,
    no_color: bool,
) -> int:
    """Fail the pipeline while recommendations are open (exit 1), pass otherwise (exit 0).

    Open: logged by `tfshadow analyze` within --since, the newest per resource and metric, and
    not followed by a revert of that resource. On GitHub Actions each becomes an annotation.
    """
    from tfshadow.ci.gate import gate as judge
    from tfshadow.ci.gate import workflow_command
    from tfshadow.ops.gate import open_recommendations
    from tfshadow.settings.analysis import parse_duration

    del no_color  # accepted like every command's: the gate's lines are plain text already
    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        raise UsageError(f"--since {since}: {exc}") from None
    if seconds <= 0:
        # No recommendation is that recent: the gate would pass on none.
        raise UsageError("--since must be a positive duration", hint="use e.g. --since 24h")
    recommendations, skipped = open_recommendations(cli.project(), seconds, workspace)
    result = judge(recommendations, fail_on)
    if junit_path is not None:
        target = junit_path if junit_path.is_absolute() else cli.workdir / junit_path
        try:
            target.write_text(result.junit_xml, encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"the JUnit report cannot be written to {target}: {exc.strerror or exc}",
                hint="check --junit",
            ) from None
    counts = Counter(str(r.get("severity")) for r in recommendations)
    parts = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning", "info"))
    verdict = "failed" if result.exit_code else "passed"
    click.echo(
        f"tfshadow gate {verdict}: {len(recommendations)} open recommendation"
        f"{'' if len(recommendations) == 1 else 's'} in the last {since} ({parts}); "
        f"{len(result.failing)} at or above {fail_on}"
    )
    unread = (
        f"{skipped} unreadable line{'' if skipped == 1 else 's'} of the recommendation log "
        "skipped: the gate judged the others only"
        if skipped
        else None
    )
    if unread:
        click.echo(f"tfshadow: warning: {unread}", err=True)
    if os.environ.get(env.GITHUB_ACTIONS) == "true":
        if unread:
            click.echo(workflow_command("warning", unread, title="tfshadow gate"))
        for line in result.annotations:
            click.echo(line)
    else:
        for rec in result.failing:
            command = rec.get("command")
            click.echo(
                f"  {rec.get('severity')}: {rec.get('resource')} {rec.get('metric')}: "
                f"{' '.join(str(rec.get('reason') or '').split())}"
                + (f" (proposed: {command})" if command else "")
            )
    return result.exit_code
