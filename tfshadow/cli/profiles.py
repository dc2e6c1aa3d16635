"""`tfshadow profile list` and `tfshadow profile validate`: the reversion profiles."""

from __future__ import annotations

import json
from typing import Any

import click

from tfshadow.cli.commands import (
    CliContext,
    commands,
    json_option,
    no_color_option,
    pass_cli,
    workspace_option,
)
from tfshadow.cli.output import EXIT_OK, stdout_console
from tfshadow.project import Project


def _emit_json(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


def _filename(project: Project) -> str:
    from tfshadow.settings.schema import SETTINGS_FILE

    source = project.settings.source
    return source.name if source is not None else SETTINGS_FILE


@commands.group(name="profile")
def profile_group() -> None:
    """Reversion profiles declared in tfshadow.hcl: what they watch and what they do."""


@profile_group.command(name="list")
@workspace_option
@json_option
@no_color_option
@pass_cli
def list_command(cli: CliContext, workspace: str | None, as_json: bool, no_color: bool) -> int:
    """Each profile: its triggers, action, cooldown, and the resources of the latest version it
    covers."""
    from tfshadow.ops.profiles import list_profiles
    from tfshadow.report.profiles import profiles_json, render_profiles

    project = cli.project()
    listing = list_profiles(project, workspace)
    if as_json:
        _emit_json(profiles_json(listing))
    else:
        render_profiles(stdout_console(no_color=no_color), listing, _filename(project))
    return EXIT_OK


@profile_group.command(name="validate")
@workspace_option
@json_option
@no_color_option
@pass_cli
def validate_command(cli: CliContext, workspace: str | None, as_json: bool, no_color: bool) -> int:
    """Check the profiles: errors exit 2 naming the line; likely mistakes (a glob matching no
    resource, a metric no resource_metrics block reads…) are warnings, and exit 0."""
    from tfshadow.ops.profiles import validate_profiles
    from tfshadow.report.profiles import render_validation, validation_json

    project = cli.project()
    # The `terraform` block's binary too: a path that cannot be run fails every Terraform
    # command, naming this file's line, so checking the file must say so as well.
    _ = project.engine
    validation = validate_profiles(project, workspace)
    filename = _filename(project)
    if as_json:
        _emit_json(validation_json(validation, filename))
    else:
        render_validation(stdout_console(no_color=no_color), validation, filename)
    return EXIT_OK
