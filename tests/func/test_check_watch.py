"""`tfshadow check` and `tfshadow watch`: profiles over real metrics files, real Terraform, real
reverts. The CSV file stands in for a monitoring export that the test appends to."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.func.conftest import FIXTURES, Tfshadow, apply_small_then_large
from tests.func.localcloud_support import (
    REQUIRED_PROVIDERS,
    free_port,
    instances_ended,
    workspace,
)

PROFILE = """
metrics "csv" { path = "metrics/${address}.csv" }
resource_metrics "terraform_data.*" { source = "csv" }
profile "web-cpu" {
  resources = ["terraform_data.web"]
  trigger {
    metric = "cpu"
    above  = 80
    for    = "2m"
  }
  action   = "%(action)s"
  to       = "previous"
  cooldown = "30m"
}
"""


@pytest.fixture
def watched(tmp_path: Path, tfshadow: Tfshadow) -> Path:
    """Version 1 small, version 2 large (the bad change), calm CPU up to now."""
    path = tmp_path / "infra"
    shutil.copytree(FIXTURES / "watch", path)
    assert tfshadow("init", "-no-color", cwd=path).code == 0
    apply_small_then_large(tfshadow, path)
    now = datetime.now(UTC)
    _append(path, "terraform_data.web", now - timedelta(hours=1), now - timedelta(minutes=4), 30.0)
    _append(path, "terraform_data.queue", now - timedelta(hours=1), now, 20.0)
    return path


def _append(workdir: Path, address: str, start: datetime, end: datetime, value: float) -> None:
    csv = workdir / "metrics" / f"{address}.csv"
    csv.parent.mkdir(exist_ok=True)
    lines = [] if csv.exists() else ["timestamp,value"]
    moment = start
    while moment <= end:
        lines.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{value}")
        moment += timedelta(seconds=30)
    with csv.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def _settings(workdir: Path, action: str) -> None:
    (workdir / "tfshadow.hcl").write_text(PROFILE % {"action": action})


def _runs_hot(workdir: Path) -> None:
    now = datetime.now(UTC)
    _append(workdir, "terraform_data.web", now - timedelta(minutes=3), now, 95.0)


def test_check_is_quiet_while_metrics_are_calm(watched: Path, tfshadow: Tfshadow) -> None:
    _settings(watched, "revert")
    now = datetime.now(UTC)
    _append(watched, "terraform_data.web", now - timedelta(minutes=3), now, 30.0)
    result = tfshadow("check", "--json", cwd=watched)
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["recommendations"] == []
    assert [t["state"] for t in doc["triggers"]] == ["quiet"]


def test_check_recommends_and_fails_the_gate_without_acting(
    watched: Path, tfshadow: Tfshadow
) -> None:
    _settings(watched, "revert")
    _runs_hot(watched)
    result = tfshadow("check", "--json", cwd=watched)
    assert result.code == 1, result.err
    (rec,) = result.json()["recommendations"]
    assert rec["profile"] == "web-cpu" and rec["severity"] == "critical"
    assert rec["suspect"]["version"] == 2
    assert rec["command"] == "tfshadow revert 1 --target terraform_data.web"
    assert rec["action"] == "would revert to version 1 (run with --act)"
    log = tfshadow("log", "--json", cwd=watched).json()["versions"]
    assert len(log) == 2  # nothing was reverted
    assert tfshadow("check", "--fail-on", "critical", cwd=watched).code == 1


def test_check_recommend_profile_never_acts(watched: Path, tfshadow: Tfshadow) -> None:
    _settings(watched, "recommend")
    _runs_hot(watched)
    result = tfshadow("check", "--act", "--json", cwd=watched)
    assert result.code == 1
    assert result.json()["recommendations"][0]["action"] == "recommended"
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 2


def test_watch_reverts_a_bad_change_within_two_cycles(watched: Path, tfshadow: Tfshadow) -> None:
    _settings(watched, "revert")
    _runs_hot(watched)
    result = tfshadow("watch", "--interval", "0.2s", "--cycles", "2", "--no-color", cwd=watched)
    assert result.code == 0, result.err
    assert "reverted terraform_data.web to version 1" in result.out
    assert "muted: cooldown" not in result.err
    assert "\x1b[" not in result.out + result.err  # --no-color reaches the revert's Terraform
    versions = tfshadow("log", "--json", cwd=watched).json()["versions"]
    newest = versions[0]
    assert newest["kind"] == "revert" and newest["reverted_to"] == 1
    assert len(versions) == 3  # one action: the second cycle is in the cooldown
    # The state equals version 1's for the reverted resource.
    shown = tfshadow("state", "show", "-no-color", "terraform_data.web", cwd=watched).out
    assert '"small"' in shown
    # The action is in the recommendation log.
    journal = watched / ".tfshadow" / ".git" / "tfshadow" / "analysis" / "recommendations.jsonl"
    logged = [json.loads(line) for line in journal.read_text().splitlines()]
    assert any(e["action"] == "reverted to version 1" and e["profile"] == "web-cpu" for e in logged)
    # The next check is muted for the resource until the cooldown ends.
    again = tfshadow("check", "--json", cwd=watched).json()
    assert again["recommendations"] == []
    assert "muted: cooldown" in again["triggers"][0]["detail"]


def test_watch_keeps_each_cycle_line_whole_in_a_log(watched: Path, tfshadow: Tfshadow) -> None:
    # Piped (a service's log, nohup), the console is 80 columns wide: a wrapped cycle line put
    # the revert's version on a line of its own, without the timestamp or "action:".
    _settings(watched, "revert")
    _runs_hot(watched)

    result = tfshadow("watch", "--interval", "0.2s", "--cycles", "2", "--no-color", cwd=watched)

    assert result.code == 0, result.err
    cycles = [line for line in result.out.splitlines() if "] cycle " in line]
    assert len(cycles) == 2
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\] cycle 1: 1 trigger \(1 fired\); "
        r"1 recommendation, 0 open at or above critical; 1 action",
        cycles[0],
    ), cycles[0]
    assert (
        "  action: profile web-cpu: reverted terraform_data.web to version 1 (recorded as "
        "version 3)" in result.out.splitlines()
    )


def test_check_act_a_revert_that_succeeded_passes_as_the_gate_does(
    watched: Path, tfshadow: Tfshadow
) -> None:
    """Acted and fixed (0) is neither fired with nothing done (1) nor an action that failed
    (2): the revert handled the recommendation, so the gate passes too."""
    _settings(watched, "revert")
    _runs_hot(watched)

    acted = tfshadow("check", "--act", "--json", cwd=watched)

    assert acted.code == 0, acted.out + acted.err
    doc = acted.json()
    (rec,) = doc["recommendations"]
    assert rec["action"] == "reverted to version 1"
    assert doc["actions"] == [
        "profile web-cpu: reverted terraform_data.web to version 1 (recorded as version 3)"
    ]
    assert doc["failing"] == 0 and doc["exit_code"] == 0
    assert tfshadow("gate", cwd=watched).code == 0


def test_check_act_announces_its_revert_on_the_webhook(
    watched: Path, tfshadow: Tfshadow, webhook: tuple[str, list[tuple[str, str, Any]]]
) -> None:
    # A change made to the infrastructure with nobody at the keyboard is news: people hear of it
    # where they hear of recommendations, whatever min_severity says of those.
    url, received = webhook
    (watched / "tfshadow.hcl").write_text(
        PROFILE % {"action": "revert"}
        + f'alerts {{\n  webhook = "{url}"\n  min_severity = "critical"\n}}\n'
    )
    _runs_hot(watched)
    assert tfshadow("check", "--json", cwd=watched).code == 1
    assert received == []  # without --act nothing was done: nothing to announce

    acted = tfshadow("check", "--act", "--json", cwd=watched)

    assert acted.code == 0, acted.out + acted.err
    ((path, content_type, body),) = received
    assert path == "/hooks/secret-token" and content_type.startswith("application/json")
    assert body["text"] == ("tfshadow: profile web-cpu: terraform_data.web reverted to version 1")
    (block,) = body["blocks"]
    assert block["type"] == "section"
    assert block["text"]["text"].startswith(
        ":rewind: *reverted to version 1*: `terraform_data.web`, by profile `web-cpu`"
    )
    (rec,) = body["recommendations"]
    assert rec["action"] == "reverted to version 1" and rec["profile"] == "web-cpu"


def test_watch_announces_its_revert_once(
    watched: Path, tfshadow: Tfshadow, webhook: tuple[str, list[tuple[str, str, Any]]]
) -> None:
    url, received = webhook
    (watched / "tfshadow.hcl").write_text(
        PROFILE % {"action": "revert"} + f'alerts {{ webhook = "{url}" }}\n'
    )
    _runs_hot(watched)

    result = tfshadow("watch", "--interval", "0.2s", "--cycles", "2", "--no-color", cwd=watched)

    assert result.code == 0, result.err
    # The second cycle is in the cooldown: one revert, one message.
    assert [body["text"] for _, _, body in received] == [
        "tfshadow: profile web-cpu: terraform_data.web reverted to version 1"
    ]


def test_check_act_announces_a_revert_that_failed(
    workdir: Path, tfshadow: Tfshadow, webhook: tuple[str, list[tuple[str, str, Any]]]
) -> None:
    url, received = webhook
    apply_small_then_large(tfshadow, workdir)
    main = workdir / "main.tf"
    main.write_text(main.read_text().replace("fixture-token-value", "rotated-token-value"))
    now = datetime.now(UTC)
    _append(workdir, "terraform_data.web", now - timedelta(hours=1), now - timedelta(minutes=4), 30)
    (workdir / "tfshadow.hcl").write_text(
        PROFILE % {"action": "revert"} + f'alerts {{ webhook = "{url}" }}\n'
    )
    _runs_hot(workdir)

    assert tfshadow("check", "--act", "--json", cwd=workdir).code == 2

    ((_, _, body),) = received
    assert body["text"].startswith(
        "tfshadow: profile web-cpu: terraform_data.web revert to version 1 failed"
    )
    assert body["blocks"][0]["text"]["text"].startswith(":x: *revert to version 1 failed")
    assert "fixture-token-value" not in json.dumps(body)


def test_check_act_an_unreachable_webhook_is_a_warning_not_a_failed_action(
    watched: Path, tfshadow: Tfshadow
) -> None:
    port = free_port()
    (watched / "tfshadow.hcl").write_text(
        PROFILE % {"action": "revert"}
        + f'alerts {{\n  webhook = "http://127.0.0.1:{port}/hooks/secret"\n  timeout = 2\n}}\n'
    )
    _runs_hot(watched)

    acted = tfshadow("check", "--act", "--json", cwd=watched)

    assert acted.code == 0, acted.out + acted.err
    doc = acted.json()
    assert doc["actions"] == [
        "profile web-cpu: reverted terraform_data.web to version 1 (recorded as version 3)"
    ]
    assert doc["warnings"][-1:] == [
        f"could not announce the action on the webhook: cannot reach the alert webhook at "
        f"http://127.0.0.1:{port}/…: check the network and the webhook URL in the alerts block "
        "of tfshadow.hcl"
    ]


UNNAMED = (
    "profile web-cpu: metrics/terraform_data.web.csv has no metric column: its one series is "
    "taken as cpu (to name it, put ${metric} in the csv path or write "
    "timestamp,resource,metric,value)"
)


def test_check_says_once_a_two_column_file_is_taken_as_the_triggers_metric(
    watched: Path, tfshadow: Tfshadow
) -> None:
    # The file names no metric: whatever it holds is judged as cpu. Said once, on one line.
    _settings(watched, "recommend")
    _runs_hot(watched)

    result = tfshadow("check", "--json", cwd=watched)

    assert result.json()["warnings"] == [UNNAMED]
    text = tfshadow("check", "--no-color", cwd=watched)
    assert f"warning: {UNNAMED}" in text.out.splitlines()


def test_watch_says_it_once_not_every_cycle(watched: Path, tfshadow: Tfshadow) -> None:
    _settings(watched, "recommend")

    result = tfshadow("watch", "--interval", "0.1s", "--cycles", "3", "--no-color", cwd=watched)

    assert result.code == 0, result.err
    assert result.out.count("has no metric column") == 1


def test_check_is_silent_about_a_file_that_names_its_metric(
    watched: Path, tfshadow: Tfshadow
) -> None:
    # The same series, in a long file: its rows name cpu.
    _settings(watched, "recommend")
    _runs_hot(watched)
    csv = watched / "metrics" / "terraform_data.web.csv"
    rows = csv.read_text().splitlines()[1:]
    csv.write_text(
        "timestamp,resource,metric,value\n"
        + "".join(f"{t},terraform_data.web,cpu,{v}\n" for t, v in (r.split(",") for r in rows))
    )

    result = tfshadow("check", "--json", cwd=watched)

    assert result.code == 1, result.err  # still judged, and fired
    assert result.json()["warnings"] == []


def test_check_act_a_revert_with_nothing_to_do_is_no_action_and_keeps_the_gate_closed(
    watched: Path, tfshadow: Tfshadow
) -> None:
    """Version 3 put the web tier back as version 1 had it: a revert to version 1 finds
    nothing to change, so nothing was done about the deviation. It says so, is not logged as
    an action nor muted, and stays open for the gate and the plan report."""
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=watched).code == 0
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace('to       = "previous"', 'to       = "1"')
    )
    _runs_hot(watched)

    result = tfshadow("check", "--act", "--json", cwd=watched)

    assert result.code == 1, result.out + result.err
    doc = result.json()
    (rec,) = doc["recommendations"]
    assert rec["action"] == "not reverted: already at version 1", rec
    assert rec["command"] is None
    assert "reverting would change nothing" in rec["reason"]
    assert doc["actions"] == [] and doc["failing"] == 1
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 3
    journal = watched / ".tfshadow" / ".git" / "tfshadow" / "analysis" / "recommendations.jsonl"
    logged = [json.loads(line) for line in journal.read_text().splitlines()]
    assert not any(str(e["action"]).startswith("reverted") for e in logged), logged
    assert tfshadow("gate", cwd=watched).code == 1
    plan = tfshadow("plan", "-no-color", "-var", "size=huge", "--format", "markdown", cwd=watched)
    assert plan.code == 0, plan.err
    assert "terraform_data.web" in plan.out and "handled:" not in plan.out
    # Not muted: the next check judges the resource again.
    again = tfshadow("check", "--json", cwd=watched)
    assert [t["state"] for t in again.json()["triggers"]] == ["fired"], again.out


def test_check_act_a_revert_to_a_resource_replaced_since_says_it_is_another_object(
    watched: Path, tfshadow: Tfshadow
) -> None:
    """Version 3 put the web tier back as version 1 had it, version 4 replaced it with a new
    object of the same attributes: the revert finds nothing to change, yet it is another
    object than version 1's. The profile says so as the revert does, not "already at version
    1", and it stays no action: open for the gate, exit 1."""
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=watched).code == 0
    replaced = tfshadow(
        "apply", "-auto-approve", "-no-color", "-replace=terraform_data.web", cwd=watched
    )
    assert replaced.code == 0, replaced.err
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace('to       = "previous"', 'to       = "1"')
    )
    _runs_hot(watched)

    result = tfshadow("check", "--act", "--json", cwd=watched)

    assert result.code == 1, result.out + result.err
    doc = result.json()
    (rec,) = doc["recommendations"]
    assert rec["action"] == "not reverted: nothing to change, yet another object than version 1's"
    assert "already" not in rec["reason"], rec["reason"]
    assert "another object than version 1's (replaced since)" in rec["reason"]
    assert rec["command"] is None
    assert doc["actions"] == [] and doc["failing"] == 1
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 4
    assert tfshadow("gate", cwd=watched).code == 1
    text = tfshadow("check", "--act", "--no-color", cwd=watched)
    assert text.code == 1 and "already at version" not in text.out, text.out


def test_watch_a_revert_with_nothing_to_do_is_no_action(watched: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=watched).code == 0
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace('to       = "previous"', 'to       = "1"')
    )
    _runs_hot(watched)

    result = tfshadow("watch", "--interval", "0.1s", "--cycles", "2", "--no-color", cwd=watched)

    assert result.code == 0, result.err
    # Not muted after the first cycle: nothing was done, so the second judges it again.
    assert result.out.count("(web-cpu): not reverted: already at version 1") == 2, result.out
    assert "action:" not in result.out and "muted: cooldown" not in result.out
    assert "0 actions" in result.out
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 3
    assert tfshadow("gate", cwd=watched).code == 1


def test_check_without_profiles_is_a_usage_error(watched: Path, tfshadow: Tfshadow) -> None:
    (watched / "tfshadow.hcl").write_text('metrics "csv" { path = "m/${address}.csv" }\n')
    result = tfshadow("check", cwd=watched)
    assert result.code == 2 and "no reversion profile" in result.err


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ('profile "web" {\n  bogus = 1\n}\n', "tfshadow.hcl:2: unknown setting `bogus`"),
        ('metrics "csv" { path = "m/${address}.csv" }\n', "no reversion profile"),
    ],
)
def test_watch_with_settings_it_cannot_use_stops_at_once(
    watched: Path, tfshadow: Tfshadow, settings: str, said: str
) -> None:
    """Settings are read once: every cycle would fail alike while the watcher looked alive."""
    (watched / "tfshadow.hcl").write_text(settings)

    result = tfshadow("watch", "--interval", "0.1s", "--cycles", "3", cwd=watched)

    assert result.code == 2, result.err
    assert said in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert "cycle" not in result.err + result.out


def test_watch_interval_longer_than_a_timer_waits_as_long_as_it_can(watched: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    _settings(watched, "recommend")
    watcher = subprocess.Popen(
        [sys.executable, "-m", "tfshadow", "watch", "--interval", "10000000d", "--no-color"],
        cwd=watched,
        env={**os.environ, "TF_IN_AUTOMATION": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        assert "cycle 1:" in watcher.stdout.readline()
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0, err
    assert "watch stopped after 1 cycle" in err


def _threads_taking(pid: int, signum: int) -> list[int]:
    """The threads of ``pid`` other than its main one that do not block ``signum`` (the kernel
    delivers a process's signal to one of these; jemalloc's background thread blocks all)."""
    import os

    found = []
    for name in os.listdir(f"/proc/{pid}/task"):
        status = Path(f"/proc/{pid}/task/{name}/status").read_text()
        blocked = next(line for line in status.splitlines() if line.startswith("SigBlk:"))
        if int(name) != pid and not int(blocked.split()[1], 16) & (1 << (signum - 1)):
            found.append(int(name))
    return found


@pytest.mark.parametrize("receiver", ["process", "another thread"])
def test_watch_stops_cleanly_on_sigterm_between_cycles(watched: Path, receiver: str) -> None:
    # A signal sent to a process may be delivered to any of its threads (numpy's, pyarrow's
    # here); Python runs the handler only once the main thread runs Python code again, and a
    # main thread in one long wait slept out the whole interval. tgkill picks the thread.
    import ctypes
    import os
    import signal
    import subprocess
    import sys
    import time

    _settings(watched, "recommend")
    env = {**os.environ, "TF_IN_AUTOMATION": "1"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "tfshadow", "watch", "--interval", "60s", "--no-color"],
        cwd=watched,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        assert "cycle 1:" in watcher.stdout.readline()  # the first cycle's summary
        started = time.monotonic()
        if receiver == "process":
            watcher.send_signal(signal.SIGTERM)
        else:
            others = _threads_taking(watcher.pid, signal.SIGTERM)
            if not others:
                watcher.kill()
                pytest.skip("no other thread of the watch takes SIGTERM at this moment")
            libc = ctypes.CDLL(None, use_errno=True)
            assert libc.syscall(234, watcher.pid, others[0], signal.SIGTERM) == 0  # tgkill
        _, err = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0
    assert time.monotonic() - started < 5  # it did not sleep out the 60 s interval
    assert "watch stopped after 1 cycle" in err


def test_check_names_the_profile_of_a_trigger_its_source_cannot_judge(
    watched: Path, tfshadow: Tfshadow
) -> None:
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace(
            'metrics "csv" { path = "metrics/${address}.csv" }',
            'metrics "prometheus" "csv" { url = "http://127.0.0.1:9" }',
        )
    )
    result = tfshadow("check", "--json", cwd=watched)
    assert result.code == 2, result.err  # nothing could be judged: the gate fails closed
    [trigger] = result.json()["triggers"]
    assert trigger["state"] == "error"
    assert trigger["profile"] == "web-cpu"


def test_check_says_a_metric_source_failure_once_for_every_profile_it_fails(
    watched: Path, tfshadow: Tfshadow
) -> None:
    second = PROFILE.replace('"web-cpu"', '"web-cpu-strict"') % {"action": "recommend"}
    (watched / "tfshadow.hcl").write_text(PROFILE % {"action": "revert"} + second.split("\n", 3)[3])
    (watched / "metrics" / "terraform_data.web.csv").write_bytes(b"\xff\xfe not text")

    result = tfshadow("check", "--json", cwd=watched)

    doc = result.json()
    assert [t["state"] for t in doc["triggers"]] == ["error", "error"]
    assert len(doc["warnings"]) == 1, doc["warnings"]
    assert "not UTF-8" in doc["warnings"][0]


def test_check_a_revert_that_failed_does_not_mute_the_resource(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    # The basic fixture's versions hold a sensitive variable whose value this directory no
    # longer has: without it no revert can start.
    apply_small_then_large(tfshadow, workdir)
    main = workdir / "main.tf"
    main.write_text(main.read_text().replace("fixture-token-value", "rotated-token-value"))
    now = datetime.now(UTC)
    _append(workdir, "terraform_data.web", now - timedelta(hours=1), now - timedelta(minutes=4), 30)
    _settings(workdir, "revert")
    _runs_hot(workdir)
    acted = tfshadow("check", "--act", "--json", cwd=workdir)
    assert acted.code == 2  # the action failed: not the same as fired with nothing done
    assert any("revert failed" in w for w in acted.json()["warnings"])
    assert "fixture-token-value" not in acted.out + acted.err

    again = tfshadow("check", "--json", cwd=workdir)

    assert again.code == 1, again.out
    assert [t["state"] for t in again.json()["triggers"]] == ["fired"]


def test_check_act_never_reverts_the_selected_workspace_from_another_ones_history(
    watched: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("workspace", "new", "-no-color", "staging", cwd=watched).code == 0
    for size in ("tiny", "huge"):
        applied = tfshadow(
            *("apply", "-auto-approve", "-no-color", "-var", f"size={size}"), cwd=watched
        )
        assert applied.code == 0, applied.err
    assert tfshadow("workspace", "select", "-no-color", "default", cwd=watched).code == 0
    _settings(watched, "revert")
    _runs_hot(watched)

    result = tfshadow("check", "--act", "--workspace", "staging", "--json", cwd=watched)

    assert "revert failed" in " ".join(result.json()["warnings"])
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 2
    shown = tfshadow("state", "show", "-no-color", "terraform_data.web", cwd=watched).out
    assert '"large"' in shown


def test_check_json_of_an_anomaly_is_strict_json(watched: Path, tfshadow: Tfshadow) -> None:
    """An anomaly trigger has no limit: --json and the log are still JSON (no NaN), and carry
    what the engine expected rather than nothing."""
    (watched / "tfshadow.hcl").write_text(
        PROFILE.replace('above  = 80\n    for    = "2m"', 'anomaly = "high"')
        % {"action": "recommend"}
    )
    _runs_hot(watched)
    result = tfshadow("check", "--json", cwd=watched)
    assert result.code == 1, result.err
    doc = json.loads(result.out, parse_constant=_refuse)
    (rec,) = doc["recommendations"]
    assert rec["kind"] == "deviation"
    # The engine's forecast, departure and threshold, as the reason states them.
    assert rec["expected"] == pytest.approx(30.0, abs=1.0)
    assert rec["score"] > rec["threshold"] > 0
    log = watched / ".tfshadow" / ".git" / "tfshadow" / "analysis" / "recommendations.jsonl"
    for line in log.read_text().splitlines():
        json.loads(line, parse_constant=_refuse)


def test_an_anomaly_trigger_after_its_revert_says_how_soon_it_is_judged_again(
    watched: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an action the resource is judged on what came after it: a history that is still
    too short lengthens with every minute, and the trigger says how soon it is enough."""
    import os

    from tfshadow.ops.check import CheckRequest, check
    from tfshadow.project import Project

    (watched / "tfshadow.hcl").write_text(
        PROFILE.replace('above  = 80\n    for    = "2m"', 'anomaly = "high"').replace(
            'cooldown = "30m"', 'cooldown = "5m"'
        )
        % {"action": "revert"}
    )
    _runs_hot(watched)
    first = tfshadow("check", "--act", "--json", cwd=watched)
    assert [r["action"] for r in first.json()["recommendations"]] == ["reverted to version 1"]
    now = datetime.now(UTC)
    later = now + timedelta(minutes=10)
    _append(watched, "terraform_data.web", now + timedelta(seconds=30), later, 30.0)
    monkeypatch.chdir(watched)

    report = check(Project(watched, os.environ), CheckRequest(now=later))

    (trigger,) = report.triggers
    assert trigger.state == "inconclusive", trigger.detail
    assert re.search(
        r"too little history: \d+ points, 63 needed \(32 min at this 30 s step, in about "
        r"2\d min\)",
        trigger.detail,
    ), trigger.detail


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def test_check_a_second_profile_never_undoes_the_revert_of_the_first(
    watched: Path, tfshadow: Tfshadow
) -> None:
    """Two revert profiles on one resource: once one has reverted, the resource is muted for
    both, or the other blames the revert and reverts to the bad version again."""
    second = PROFILE.replace('"web-cpu"', '"web-cpu-strict"').replace(
        "above  = 80", "above  = 70"
    ) % {"action": "revert"}
    (watched / "tfshadow.hcl").write_text(PROFILE % {"action": "revert"} + second.split("\n", 3)[3])
    _runs_hot(watched)
    first = tfshadow("check", "--act", "--json", cwd=watched)
    assert first.code == 0, first.err
    assert [r["action"] for r in first.json()["recommendations"]] == ["reverted to version 1"]
    _runs_hot(watched)  # the metric has not come down yet
    again = tfshadow("check", "--act", "--json", cwd=watched)
    assert again.code == 0, again.err
    doc = again.json()
    assert doc["recommendations"] == [] and doc["actions"] == []
    assert all("muted: cooldown" in t["detail"] for t in doc["triggers"]), doc["triggers"]
    assert all("action of profile web-cpu," in t["detail"] for t in doc["triggers"])
    versions = tfshadow("log", "--json", cwd=watched).json()["versions"]
    assert len(versions) == 3 and versions[0]["reverted_to"] == 1


@pytest.mark.parametrize("hot_after", [1, 20], ids=["suspect", "no-suspect"])
def test_a_deviation_that_outlasts_the_revert_never_brings_the_bad_version_back(
    watched: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch, hot_after: int
) -> None:
    """After the cooldown the resource is judged on what came after the revert, so a deviation
    the revert did not end seems to begin after it: the revert must not be blamed for it, nor
    undone (a revert to the version before it is the bad change again). Run from 20 min on,
    no version is near enough to be a suspect, and the latest is the revert."""
    import os

    from tfshadow.ops.check import CheckRequest, check
    from tfshadow.project import Project

    _settings(watched, "revert")
    with (watched / "tfshadow.hcl").open("a") as settings:
        settings.write('analysis { attribution_window = "10m" }\n')
    _runs_hot(watched)
    first = tfshadow("check", "--act", "--json", cwd=watched)
    assert [r["action"] for r in first.json()["recommendations"]] == ["reverted to version 1"]
    # Still hot after the revert, to the end of its 30 min cooldown and beyond.
    now = datetime.now(UTC)
    later = now + timedelta(minutes=35)
    _append(watched, "terraform_data.web", now + timedelta(minutes=hot_after), later, 96.0)
    monkeypatch.chdir(watched)

    report = check(Project(watched, os.environ), CheckRequest(act=True, now=later))

    (rec,) = report.recommendations
    assert rec.command is None, rec.command
    assert rec.action == "not reverted again: version 3 already reverted it to version 1"
    assert "reverting again would change nothing" in rec.reason
    assert report.actions == [] and report.exit_code == 1
    versions = tfshadow("log", "--json", cwd=watched).json()["versions"]
    assert len(versions) == 3
    shown = tfshadow("state", "show", "-no-color", "terraform_data.web", cwd=watched).out
    assert '"small"' in shown


def test_check_last_good_on_the_suspect_itself_reverts_nothing_and_keeps_the_gate_closed(
    watched: Path, tfshadow: Tfshadow
) -> None:
    """Version 2 was marked good before its trouble showed: going back to it undoes nothing, so
    nothing is done, and the deviation is not taken as handled."""
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace('to       = "previous"', 'to       = "last-good"')
    )
    assert tfshadow("mark", "2", "good", cwd=watched).code == 0
    _runs_hot(watched)

    result = tfshadow("check", "--act", "--json", cwd=watched)

    assert result.code == 1, result.err
    doc = result.json()
    (rec,) = doc["recommendations"]
    assert rec["command"] is None and rec["action"] == "no version to revert to"
    assert "the newest version marked good, 2, is not older than version 2" in rec["reason"]
    assert doc["actions"] == []
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 2
    assert tfshadow("gate", cwd=watched).code == 1


def test_check_last_good_without_a_good_version_says_none_is_marked(
    watched: Path, tfshadow: Tfshadow
) -> None:
    # "no version fits" alone, with the suspect named, read as if no version could be blamed.
    (watched / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "revert"}).replace('to       = "previous"', 'to       = "last-good"')
    )
    _runs_hot(watched)

    result = tfshadow("check", "--act", "--json", cwd=watched)

    assert result.code == 1, result.err
    (rec,) = result.json()["recommendations"]
    assert rec["suspect"]["version"] == 2
    assert rec["command"] is None and rec["action"] == "no version to revert to"
    assert rec["reason"].endswith(
        "; no version is marked good to go back to (`tfshadow mark N good`, or a quiet soak "
        "seen by `tfshadow analyze`)"
    )
    assert len(tfshadow("log", "--json", cwd=watched).json()["versions"]) == 2


def test_check_proposes_a_command_a_shell_keeps_an_instance_key_in(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    import shlex

    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(
        'variable "size" {\n  default = "small"\n}\n'
        'resource "terraform_data" "web" {\n  for_each = toset(["a"])\n'
        '  input    = "${each.key}-${var.size}"\n}\n'
    )
    (work / "tfshadow.hcl").write_text(
        (PROFILE % {"action": "recommend"}).replace('"terraform_data.web"', '"terraform_data.*"')
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    for size in ("small", "large"):
        applied = tfshadow("apply", "-auto-approve", "-no-color", "-var", f"size={size}", cwd=work)
        assert applied.code == 0, applied.err
    address = 'terraform_data.web["a"]'
    now = datetime.now(UTC)
    _append(work, address, now - timedelta(hours=1), now - timedelta(minutes=4), 30.0)
    _append(work, address, now - timedelta(minutes=3), now, 95.0)

    result = tfshadow("check", "--json", cwd=work)

    (rec,) = result.json()["recommendations"]
    assert shlex.split(rec["command"]) == ["tfshadow", "revert", "1", "--target", address]


# An instance that is ready only while its marker file exists: removing the marker of version 1
# makes a revert to it fail part-way (the old instance is destroyed, the new one never ready).
READY_WHILE_MARKED = """\
import os, socket, sys, time
assert os.path.exists(sys.argv[1])
server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[2])))
server.listen()
time.sleep(600)
"""

MARKED = (
    REQUIRED_PROVIDERS
    + """
variable "dir" {}

variable "label" {
  default = "one"
}

resource "localcloud_instance" "web" {
  command       = ["python3", "${var.dir}/ready.py", "${var.dir}/ok-${var.label}", "PORT"]
  ready_port    = PORT
  ready_timeout = 2
}
"""
)


def test_check_a_revert_that_failed_part_way_is_no_action_and_keeps_the_gate_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow
) -> None:
    config = MARKED.replace("PORT", str(free_port()))
    with instances_ended(workspace(tmp_path, monkeypatch, config)) as work:
        (work / "ready.py").write_text(READY_WHILE_MARKED)
        (work / "ok-one").touch()
        (work / "ok-two").touch()
        dir_var = f"dir={work}"
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        first = tfshadow("apply", "-auto-approve", "-no-color", "-var", dir_var, cwd=work)
        assert first.code == 0, first.err
        now = datetime.now(UTC)
        _append(
            work,
            "localcloud_instance.web",
            now - timedelta(hours=1),
            now - timedelta(minutes=4),
            30,
        )
        changed = tfshadow(
            "apply", "-auto-approve", "-no-color", "-var", dir_var, "-var", "label=two", cwd=work
        )
        assert changed.code == 0, changed.err
        (work / "tfshadow.hcl").write_text(
            PROFILE.replace("terraform_data", "localcloud_instance") % {"action": "revert"}
        )
        (work / "ok-one").unlink()
        _append(work, "localcloud_instance.web", now - timedelta(minutes=3), now, 95.0)

        acted = tfshadow("check", "--act", "--json", cwd=work)

        assert acted.code == 2, acted.err  # the action failed
        doc = acted.json()
        assert doc["recommendations"][0]["action"] == "revert to version 1 failed (exit 1)"
        assert not any("reverted" in a for a in doc["actions"]), doc["actions"]
        assert any("failed part-way" in w for w in doc["warnings"]), doc["warnings"]
        newest = tfshadow("log", "--json", cwd=work).json()["versions"][0]
        assert newest["kind"] == "revert" and newest["outcome"] == "partial"
        # The resource was not restored: the recommendation is still open.
        gate = tfshadow("gate", cwd=work)
        assert gate.code == 1, gate.out


def test_an_anomaly_trigger_does_not_act_on_the_side_that_is_no_trouble(
    watched: Path, tfshadow: Tfshadow
) -> None:
    # Memory falling at a restart: an anomaly, but where only a rise is trouble no profile
    # reverts for it.
    anomaly = PROFILE.replace('above  = 80\n    for    = "2m"', 'anomaly = "high"')
    anomaly = anomaly.replace('metric = "cpu"', 'metric = "memory"') % {"action": "revert"}
    now = datetime.now(UTC)
    _append(watched, "terraform_data.web", now - timedelta(minutes=3), now, 5.0)
    (watched / "tfshadow.hcl").write_text(anomaly + 'metric "memory" { trouble = "above" }\n')
    quiet = tfshadow("check", "--act", "--json", cwd=watched)
    assert quiet.code == 0, quiet.err
    doc = quiet.json()
    assert doc["recommendations"] == [] and doc["actions"] == []
    (trigger,) = doc["triggers"]
    assert trigger["state"] == "quiet"
    assert "below is no trouble for this metric" in trigger["detail"]
    # By default both sides are trouble: the same fall fires.
    (watched / "tfshadow.hcl").write_text(anomaly)
    fired = tfshadow("check", "--json", cwd=watched)
    assert fired.code == 1, fired.err
    assert [t["state"] for t in fired.json()["triggers"]] == ["fired"]
