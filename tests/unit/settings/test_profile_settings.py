"""The ``profile`` blocks of tfshadow.hcl: what they build and what they refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.errors import SettingsError
from tfshadow.settings import load_settings
from tfshadow.settings.analysis import ProfileSettings, TriggerSettings

EXAMPLE = """\
profile "database-performance-degradation" {
  resource_types = ["aws_db_instance", "aws_rds_cluster"]
  resources      = ["module.db.*"]
  tags           = { tier = "critical", "team" = "data" }
  trigger {
    metric = "response_time_ms"
    above  = 250
    for    = "5m"
  }
  trigger {
    metric  = "cpu"
    anomaly = "high"
  }
  trigger {
    metric                 = "disk_used"
    above                  = 90
    forecast_breach_within = "2h"
  }
  action   = "revert"
  to       = "last-good"
  cooldown = "1h"
}

profile "web" {
  resources = ["*"]
  trigger {
    metric = "errors"
    below  = 0.5
    above  = 20
  }
}
"""


def profiles_of(workdir: Path, text: str) -> tuple[ProfileSettings, ...]:
    (workdir / "tfshadow.hcl").write_text(text)
    return load_settings(workdir, {}).metrics.profiles


def error_of(workdir: Path, text: str) -> SettingsError:
    (workdir / "tfshadow.hcl").write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(workdir, {})
    assert caught.value.hint
    assert "\n" not in caught.value.message
    return caught.value


def _profile(body: str, trigger: str = 'trigger {\n  metric = "cpu"\n  above = 90\n}') -> str:
    return f'profile "p" {{\n{body}\n{trigger}\n}}\n'


def test_profile_settings_example_builds(tmp_path: Path) -> None:
    assert profiles_of(tmp_path, EXAMPLE) == (
        ProfileSettings(
            name="database-performance-degradation",
            resource_types=("aws_db_instance", "aws_rds_cluster"),
            resources=("module.db.*",),
            tags=(("tier", "critical"), ("team", "data")),
            triggers=(
                TriggerSettings(metric="response_time_ms", above=250.0, for_seconds=300.0, line=5),
                TriggerSettings(metric="cpu", anomaly="high", line=10),
                TriggerSettings(
                    metric="disk_used", above=90.0, forecast_breach_within=7200.0, line=14
                ),
            ),
            action="revert",
            to="last-good",
            cooldown=3600.0,
            line=1,
        ),
        ProfileSettings(
            name="web",
            resources=("*",),
            triggers=(TriggerSettings(metric="errors", above=20.0, below=0.5, line=26),),
            line=24,
        ),
    )


def test_profile_settings_defaults(tmp_path: Path) -> None:
    (profile,) = profiles_of(tmp_path, _profile('resource_types = ["aws_instance"]'))
    assert (profile.action, profile.to, profile.cooldown) == ("recommend", "previous", 1800.0)
    assert profile.triggers[0].for_seconds == 0.0
    assert load_settings(tmp_path / "..", {}).metrics.profiles == ()


@pytest.mark.parametrize(
    ("value", "stored"), [("3", "3"), ('"12"', "12"), ('"previous"', "previous")]
)
def test_profile_settings_to_a_version(tmp_path: Path, value: str, stored: str) -> None:
    (profile,) = profiles_of(tmp_path, _profile(f'resources = ["*"]\nto = {value}'))
    assert profile.to == stored


def test_profile_settings_anomaly_as_a_number(tmp_path: Path) -> None:
    trigger = 'trigger {\n  metric = "cpu"\n  anomaly = 4.5\n}'
    (profile,) = profiles_of(tmp_path, _profile('resources = ["*"]', trigger))
    assert profile.triggers[0].anomaly == 4.5


@pytest.mark.parametrize(
    ("body", "trigger", "expected", "hint"),
    [
        (
            'resources = ["*"]\ncolour = "red"',
            None,
            'tfshadow.hcl:3: unknown setting `colour` in block `profile "p"` (allowed: '
            "resource_types, resources, tags, action, to, cooldown)",
            "fix its name",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  above = 90\n  within = "5m"\n}',
            'tfshadow.hcl:6: unknown setting `within` in block `trigger` of `profile "p"`',
            "fix its name",
        ),
        (
            'resources = ["*"]\ncooldown = "soon"',
            None,
            'tfshadow.hcl:3: setting `cooldown` in block `profile "p"` must be a duration',
            "fix its value",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  above = 90\n  for = "-5m"\n}',
            'tfshadow.hcl:6: setting `for` in block `trigger` of `profile "p"` must be a duration',
            "fix its value",
        ),
        (
            'resources = ["*"]\naction = "rollback"',
            None,
            'tfshadow.hcl:3: setting `action` in block `profile "p"` must be one of recommend, '
            "activate_ghost, revert, got 'rollback'",
            "fix its value",
        ),
        (
            'resources = ["*"]\nto = "latest"',
            None,
            'tfshadow.hcl:3: setting `to` in block `profile "p"` must be previous, last-good or '
            "a version number, got 'latest'",
            "fix its value",
        ),
        (
            'resources = ["*"]\nto = "²"',  # a digit to str.isdigit(), not to int()
            None,
            'tfshadow.hcl:3: setting `to` in block `profile "p"` must be previous, last-good or '
            "a version number, got '²'",
            "fix its value",
        ),
        (
            'resources = ["*"]\nto = 0',
            None,
            "must be a version number of 1 or more, got 0",
            "fix its value",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  for = "5m"\n}',
            'tfshadow.hcl:3: block `trigger` of `profile "p"` needs `above`, `below` or `anomaly`',
            "anomaly",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  anomaly = "high"\n  below = 3\n}',
            'tfshadow.hcl:6: settings `anomaly` and `below` in block `trigger` of `profile "p"` '
            "cannot both be set",
            "write a trigger for each",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  anomaly = "extreme"\n}',
            "must be low, medium, high or a positive number, got 'extreme'",
            "fix its value",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  anomaly = 0.5\n}',
            'tfshadow.hcl:5: setting `anomaly` in block `trigger` of `profile "p"` must be at '
            "least 1 (a number of standard deviations, not a fraction), got 0.5",
            "fix its value",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  forecast_breach_within = "2h"\n}',
            'tfshadow.hcl:5: setting `forecast_breach_within` in block `trigger` of `profile "p"` '
            "needs `above` or `below`",
            "above = 90",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  anomaly = "high"\n  for = "5m"\n}',
            'tfshadow.hcl:6: setting `for` in block `trigger` of `profile "p"` has no meaning '
            "with `anomaly`",
            "remove `for`",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  above = 9\n  forecast_breach_within = "1h"\n'
            '  for = "5m"\n}',
            'tfshadow.hcl:7: setting `for` in block `trigger` of `profile "p"` has no meaning '
            "with `forecast_breach_within`",
            "remove `for`",
        ),
        (
            'resources = ["*"]',
            'trigger {\n  metric = "cpu"\n  above = 5\n  below = 9\n}',
            'settings `below` (9) and `above` (5) in block `trigger` of `profile "p"` leave no '
            "normal range",
            "below < above",
        ),
        (
            'resources = ["*"]',
            "trigger {\n  above = 90\n}",
            'tfshadow.hcl:3: block `trigger` of `profile "p"` needs setting `metric`',
            "metric",
        ),
        (
            'action = "revert"',
            None,
            'tfshadow.hcl:1: block `profile "p"` selects no resources (none of resource_types, '
            "resources and tags is set), so it would apply to all",
            'resources = ["*"]',
        ),
        (
            'resources = ["*"]',
            "",
            'tfshadow.hcl:1: block `profile "p"` has no `trigger` block',
            "trigger {",
        ),
        (
            "resource_types = []",
            None,
            'setting `resource_types` in block `profile "p"` must not be empty',
            "fix its value",
        ),
        (
            'resources = ["a.*", "a.*"]',
            None,
            "must not repeat 'a.*'",
            "fix its value",
        ),
        (
            "tags = { tier = 1 }",
            None,
            "setting `tags` in block `profile \"p\"` must map names to strings, got int for 'tier'",
            "fix its value",
        ),
        (
            'resources = ["*"]',
            'trigger "cpu" {\n  metric = "cpu"\n  above = 1\n}',
            'tfshadow.hcl:3: block `trigger` of `profile "p"` takes no labels',
            "without",
        ),
    ],
)
def test_profile_settings_errors_name_the_line(
    tmp_path: Path, body: str, trigger: str | None, expected: str, hint: str
) -> None:
    text = _profile(body) if trigger is None else _profile(body, trigger)
    error = error_of(tmp_path, text)
    assert expected in error.message
    assert error.hint is not None and hint in error.hint


def test_profile_settings_duplicate_names(tmp_path: Path) -> None:
    error = error_of(tmp_path, _profile('resources = ["*"]') + _profile('resources = ["b.*"]'))
    assert error.message == ('tfshadow.hcl:8: block `profile "p"` appears twice (first at line 1)')
    assert error.hint == "give each profile a name of its own"


def test_profile_settings_need_a_name(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'profile {\n  resources = ["*"]\n}\n')
    assert error.message.startswith("tfshadow.hcl:1: block `profile` needs a label (name)")
