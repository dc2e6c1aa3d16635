"""`tfshadow profile list` and `tfshadow profile validate` over a real store and real applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.func.conftest import Result, Tfshadow

SETTINGS = """\
metrics "csv" { path = "metrics/${address}.csv" }
resource_metrics "terraform_data.web" {
  source  = "csv"
  metrics = ["latency"]
}

profile "web-latency" {
  resource_types = ["terraform_data"]
  resources      = ["terraform_data.web", "module.gone.*"]
  trigger {
    metric = "latency"
    above  = 250
    for    = "5m"
  }
  trigger {
    metric  = "cpu"
    anomaly = "high"
  }
  action   = "revert"
  cooldown = "10m"
}

profile "everything" {
  resources = ["*"]
  trigger {
    metric                 = "latency"
    above                  = 900
    forecast_breach_within = "2h"
  }
  to = 7
}

profile "standby" {
  tags   = { tier = "critical" }
  action = "activate_ghost"
  trigger {
    metric = "errors"
    below  = 1
  }
}
"""


def _validated_after_apply(tfshadow: Tfshadow, workdir: Path, settings: str) -> Result:
    """`profile validate` of ``settings`` once a version is recorded."""
    (workdir / "tfshadow.hcl").write_text(settings)
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    result = tfshadow("profile", "validate", "--no-color", cwd=workdir)
    assert result.code == 0, result.err
    return result


@pytest.fixture
def configured(workdir: Path) -> Path:
    (workdir / "tfshadow.hcl").write_text(SETTINGS)
    return workdir


def test_profile_list_before_any_version(tfshadow: Tfshadow, configured: Path) -> None:
    result = tfshadow("profile", "list", "--no-color", cwd=configured)
    assert result.code == 0, result.err
    assert 'profile "web-latency"  tfshadow.hcl:7' in result.out
    assert "latency above 250 for 5 min" in result.out
    assert "cpu anomaly (high)" in result.out
    assert "latency forecast above 900 within 2 h" in result.out
    assert "revert to previous, cooldown 10 min" in result.out
    assert "recommend a revert to version 7, cooldown 30 min" in result.out
    assert "activate_ghost, cooldown 30 min" in result.out
    assert result.out.count("no version recorded yet") == 3

    doc = tfshadow("profile", "list", "--json", cwd=configured).json()
    assert doc["version"] is None
    assert [p["matches"] for p in doc["profiles"]] == [None, None, None]


def test_profile_list_and_validate_after_apply(tfshadow: Tfshadow, configured: Path) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=configured).code == 0

    listed = tfshadow("profile", "list", "--no-color", cwd=configured)
    assert listed.code == 0, listed.err
    assert "matches   terraform_data.web  version 1" in listed.out
    assert (
        'terraform_data.auth, terraform_data.web (profile "web-latency" decides)  version 1'
        in listed.out
    )
    assert "no resource in version 1" in listed.out

    doc = tfshadow("profile", "list", "--json", cwd=configured).json()
    assert doc["version"] == 1 and doc["workspace"] == "default"
    first, second, third = doc["profiles"]
    assert first["name"] == "web-latency" and first["matches"] == ["terraform_data.web"]
    assert first["triggers"][0] == {
        "metric": "latency",
        "line": 10,
        "above": 250.0,
        "below": None,
        "anomaly": None,
        "for": 300.0,
        "forecast_breach_within": None,
    }
    assert first["cooldown"] == 600.0 and first["action"] == "revert"
    assert second["matches"] == ["terraform_data.auth", "terraform_data.web"]
    assert second["decided_by"] == {"terraform_data.web": "web-latency"}
    assert second["to"] == "7"
    assert third["matches"] == [] and third["tags"] == {"tier": "critical"}

    checked = tfshadow("profile", "validate", "--no-color", cwd=configured)
    assert checked.code == 0, checked.err
    assert checked.out.splitlines() == [
        'tfshadow.hcl:7: profile "web-latency": resources glob "module.gone.*" matches no '
        "resource in version 1",
        'tfshadow.hcl:15: profile "web-latency": trigger on "cpu": the resource_metrics block '
        'of terraform_data.web does not list "cpu" in its metrics',
        'tfshadow.hcl:23: profile "everything": to = 7: workspace default holds no version 7 '
        "(it holds version 1)",
        'tfshadow.hcl:25: profile "everything": trigger on "latency": no resource_metrics '
        "block gives metrics to terraform_data.auth",
        'tfshadow.hcl:33: profile "standby": action activate_ghost starts ghost instances: '
        "enable them with `tfshadow ghost enable ADDRESS`; without one it recommends instead",
        'tfshadow.hcl:33: profile "standby": tag tier = "critical" matches no resource in '
        "version 1",
        "tfshadow.hcl: 3 profiles valid, 6 warnings",
    ]
    doc = tfshadow("profile", "validate", "--json", cwd=configured).json()
    assert doc["profiles"] == 3 and doc["version"] == 1
    assert doc["warnings"][0] == {
        "line": 7,
        "profile": "web-latency",
        "message": 'resources glob "module.gone.*" matches no resource in version 1',
    }


def test_profile_validate_says_a_two_column_file_is_taken_as_the_triggers_metric(
    tfshadow: Tfshadow, configured: Path
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=configured).code == 0
    metrics = configured / "metrics"
    metrics.mkdir()
    (metrics / "terraform_data.web.csv").write_text("timestamp,value\n2026-01-01T00:00:00Z,1\n")

    checked = tfshadow("profile", "validate", "--no-color", cwd=configured)

    assert checked.code == 0, checked.err
    # Only the trigger the file is read for: cpu is not in the resource's metrics at all.
    unnamed = [line for line in checked.out.splitlines() if "no metric column" in line]
    said = (
        'trigger on "latency": metrics/terraform_data.web.csv has no metric column: its one '
        "series is taken as latency (to name it, put ${metric} in the csv path or write "
        "timestamp,resource,metric,value)"
    )
    assert unnamed == [
        f'tfshadow.hcl:10: profile "web-latency": {said}',
        f'tfshadow.hcl:25: profile "everything": {said}',
    ]

    (metrics / "terraform_data.web.csv").write_text(
        "timestamp,resource,metric,value\n2026-01-01T00:00:00Z,terraform_data.web,latency,1\n"
    )
    assert "no metric column" not in tfshadow("profile", "validate", cwd=configured).out


def test_profile_validate_without_a_version_checks_only_the_file(
    tfshadow: Tfshadow, configured: Path
) -> None:
    result = tfshadow("profile", "validate", cwd=configured)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (
        "tfshadow.hcl: 3 profiles valid, 1 warning (no version recorded yet: resources not checked)"
    )


def test_profile_validate_invalid_profile_exits_2_naming_the_line(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    (workdir / "tfshadow.hcl").write_text(
        'profile "x" {\n  action = "revert"\n  trigger {\n    metric = "cpu"\n    above = 1\n'
        "  }\n}\n"
    )
    for command in ("validate", "list"):
        result = tfshadow("profile", command, cwd=workdir)
        assert result.code == 2
        assert result.out == ""
        assert result.err.startswith(
            'tfshadow: error: tfshadow.hcl:1: block `profile "x"` selects no resources'
        )
        assert 'resources = ["*"]' in result.err


def test_profile_validate_names_a_terraform_binary_that_cannot_be_run(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    # validate said the file was valid, and then every Terraform command refused it.
    (workdir / "tfshadow.hcl").write_text('terraform {\n  binary = "/nonexistent/bin/tofu"\n}\n')

    result = tfshadow("profile", "validate", cwd=workdir)

    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(
        "tfshadow: error: tfshadow.hcl:2: setting `binary` in block `terraform`: "
        "Terraform binary `/nonexistent/bin/tofu` does not exist"
    )


def test_profile_validate_says_a_prometheus_source_has_no_query_for_the_trigger(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    # validate said "0 warnings", and every `check` then failed on the trigger: a Prometheus
    # source offers only the queries it declares, which the file itself shows.
    result = _validated_after_apply(
        tfshadow,
        workdir,
        'metrics "prometheus" "staging" {\n  url = "http://127.0.0.1:9"\n'
        '  query "latency" { expr = "x" }\n}\n'
        'resource_metrics "terraform_data.*" { source = "staging" }\n'
        'profile "web" {\n  resources = ["terraform_data.web"]\n'
        '  trigger {\n    metric = "cpu"\n    above  = 90\n  }\n'
        '  trigger {\n    metric = "latency"\n    above  = 250\n  }\n}\n',
    )

    assert result.out.splitlines() == [
        'tfshadow.hcl:8: profile "web": trigger on "cpu": metrics source "staging" of '
        'terraform_data.web has no query for it (add query "cpu" { expr = "…" } to it)',
        "tfshadow.hcl: 1 profile valid, 1 warning",
    ]


def test_profile_without_any_declared(tfshadow: Tfshadow, workdir: Path) -> None:
    listed = tfshadow("profile", "list", cwd=workdir)
    assert listed.code == 0 and listed.out == "no profile is declared in tfshadow.hcl\n"
    checked = tfshadow("profile", "validate", cwd=workdir)
    assert checked.code == 0 and checked.out == "tfshadow.hcl: 0 profiles valid, 0 warnings\n"


def test_profile_validate_activate_ghost_on_a_type_without_ghosts_names_no_dead_end(
    tfshadow: Tfshadow, workdir: Path
) -> None:
    result = _validated_after_apply(
        tfshadow,
        workdir,
        'metrics "csv" { path = "metrics/${address}.csv" }\n'
        'resource_metrics "*" { source = "csv" }\n'
        'profile "standby" {\n  resources = ["terraform_data.web"]\n'
        '  action = "activate_ghost"\n  trigger {\n    metric = "cpu"\n    above = 1\n  }\n}\n',
    )

    assert result.out.splitlines()[0] == (
        'tfshadow.hcl:3: profile "standby": action activate_ghost: terraform_data.web has no '
        "ghost (no ghost adapter for terraform_data): it recommends instead"
    )


@pytest.mark.parametrize("command", ["list", "validate"])
def test_profile_on_a_workspace_without_versions_names_those_with_versions(
    tfshadow: Tfshadow, configured: Path, command: str
) -> None:
    # A mistyped --workspace: "no version recorded yet" would send the user to apply there.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=configured).code == 0

    result = tfshadow("profile", command, "--workspace", "defualt", cwd=configured)

    assert result.code == 2, result.out
    assert result.err.strip() == (
        "tfshadow: error: no shadow versions in workspace `defualt` (workspaces with versions: "
        "default): run `tfshadow apply` to record one"
    )
    assert tfshadow("profile", command, "--workspace", "default", cwd=configured).code == 0
