from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tfshadow.errors import EngineError
from tfshadow.runner import (
    current_workspace,
    embedded_engine,
    executable_engine,
    pull_state,
)
from tfshadow.runner.engine import _waiting_out_interrupts, internal_environ

FIXTURES = Path(__file__).parents[3] / "fixtures"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "basic", tmp_path / "tf")
    return tmp_path / "tf"


def test_embedded_engine_streams_output_and_keeps_exit_codes(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    engine = embedded_engine()
    environ = dict(os.environ)
    assert engine.run(["init", "-no-color"], cwd=workdir, environ=environ) == 0
    assert "Terraform has been successfully initialized" in capfd.readouterr().out
    # -detailed-exitcode's 2 means "changes present", and must arrive as 2.
    assert (
        engine.run(["plan", "-detailed-exitcode", "-no-color"], cwd=workdir, environ=environ) == 2
    )
    assert "2 to add" in capfd.readouterr().out
    assert engine.run(["not-a-command"], cwd=workdir, environ=environ) == 1


def test_embedded_engine_state_pull(workdir: Path) -> None:
    engine = embedded_engine()
    environ = dict(os.environ)
    assert engine.run(["init", "-no-color"], cwd=workdir, environ=environ) == 0
    assert pull_state(engine, workdir, environ) is None
    assert engine.run(["apply", "-auto-approve", "-no-color"], cwd=workdir, environ=environ) == 0
    state = pull_state(engine, workdir, environ)
    assert state is not None and state["version"] == 4
    assert {r["name"] for r in state["resources"]} == {"web", "auth"}
    assert state["terraform_version"].startswith("1.15.")


def test_embedded_engine_sees_environment_set_after_start(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    engine = embedded_engine()
    environ = dict(os.environ, TF_VAR_size="from-env")
    engine.run(["init", "-no-color"], cwd=workdir, environ=environ)
    assert engine.run(["apply", "-auto-approve", "-no-color"], cwd=workdir, environ=environ) == 0
    state = pull_state(engine, workdir, environ)
    assert state is not None
    web = next(r for r in state["resources"] if r["name"] == "web")
    assert web["instances"][0]["attributes"]["input"]["value"] == "from-env"


def test_pull_state_in_uninitialised_dir_says_what_to_do(workdir: Path) -> None:
    (workdir / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    with pytest.raises(EngineError, match="state pull"):
        pull_state(embedded_engine(), workdir, dict(os.environ))


def test_terraform_error_in_a_message_is_plain_text(workdir: Path) -> None:
    # Terraform colours its diagnostics even into a pipe: a one-line error must not carry
    # escape codes and box borders into tfshadow's own message.
    (workdir / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    with pytest.raises(EngineError) as raised:
        pull_state(embedded_engine(), workdir, dict(os.environ))
    message = raised.value.message
    assert "\x1b" not in message and "│" not in message and "╷" not in message
    assert "failed: Error: Backend initialization required" in message


def test_internal_environ_drops_cli_args_meant_for_the_user() -> None:
    env = internal_environ(
        {"TF_CLI_ARGS": "-no-color", "TF_CLI_ARGS_apply": "-auto-approve", "TF_VAR_x": "1"}
    )
    assert env == {"TF_VAR_x": "1", "TF_INPUT": "0", "TF_IN_AUTOMATION": "1"}


def test_executable_engine_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        executable_engine(str(tmp_path / "nope" / "terraform"), cwd=tmp_path)
    with pytest.raises(EngineError, match="does not exist"):
        executable_engine("no-such-terraform-binary", cwd=tmp_path)


def test_executable_whose_interpreter_is_missing_says_so(tmp_path: Path) -> None:
    script = tmp_path / "terraform"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    engine = executable_engine(str(script), cwd=tmp_path)
    # "No such file or directory" of a file that is there would send the user looking for it.
    with pytest.raises(EngineError, match="the interpreter its first line names was not found"):
        engine.run(["version"], cwd=tmp_path, environ=dict(os.environ))


def test_current_workspace_follows_terraform(tmp_path: Path) -> None:
    assert current_workspace(tmp_path, {}) == "default"
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("staging")
    assert current_workspace(tmp_path, {}) == "staging"
    assert current_workspace(tmp_path, {"TF_WORKSPACE": "prod"}) == "prod"
    (tmp_path / "data").mkdir()
    assert current_workspace(tmp_path, {"TF_DATA_DIR": "data"}) == "default"


def test_current_workspace_empty_tf_data_dir_means_the_default_data_dir(tmp_path: Path) -> None:
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "environment").write_text("staging")
    assert current_workspace(tmp_path, {"TF_DATA_DIR": ""}) == "staging"


def test_a_session_removes_what_a_killed_session_left(workdir: Path) -> None:
    import tempfile

    # A session killed between a capture and its removal leaves a `state pull` on disk.
    gone = subprocess.Popen(["true"])
    gone.wait()
    temp = Path(tempfile.gettempdir())
    left = temp / f"tfshadow-session-{gone.pid}-x1"
    live = temp / f"tfshadow-session-{os.getpid()}-x2"
    for path in (left, live):
        path.mkdir()
        (path / "stdout").write_text('{"password": "plain"}')
    try:
        with embedded_engine().session(cwd=workdir, environ=dict(os.environ)) as terraform:
            assert terraform.capture(["version"]).returncode == 0
        assert not left.exists()
        assert (live / "stdout").exists()  # its process still runs
    finally:
        for path in (left, live):
            shutil.rmtree(path, ignore_errors=True)


def _session_dirs() -> set[Path]:
    """This process's sessions' scratch directories: another test run beside this one has its
    own (named by its pid), which come and go as they please."""
    import tempfile

    return set(Path(tempfile.gettempdir()).glob(f"tfshadow-session-{os.getpid()}-*"))


def test_embedded_session_runs_every_command_in_one_process(
    workdir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import psutil

    before = _session_dirs()
    environ = dict(os.environ, TF_VAR_size="from-session")
    with embedded_engine().session(cwd=workdir, environ=environ) as terraform:
        worker = psutil.Process(terraform._child.pid)  # type: ignore[attr-defined]
        assert terraform.run(["init", "-no-color"]) == 0
        assert terraform.run(["plan", "-detailed-exitcode", "-no-color", "-out=p.tfplan"]) == 2
        assert "2 to add" in capfd.readouterr().out  # streamed to our own stdout
        shown = terraform.capture(["show", "-json", "p.tfplan"])
        assert shown.returncode == 0 and shown.stdout.startswith(b"{")
        planned = {
            c["address"]: c["change"]["after"] for c in json.loads(shown.stdout)["resource_changes"]
        }
        assert planned["terraform_data.web"]["input"] == "from-session"
        failed = terraform.capture(["show", "-json", "missing.tfplan"])
        assert failed.returncode == 1 and b"missing.tfplan" in failed.stderr
        assert terraform.run(["apply", "-no-color", "p.tfplan"]) == 0
        assert worker.is_running() and worker.children() == []  # no process per command
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert (workdir / "terraform.tfstate").exists()
    # Only this session's: other processes on the machine come and go meanwhile.
    assert _session_dirs() - before == set()


def test_embedded_session_keeps_no_captured_output_on_disk(workdir: Path) -> None:
    # A capture is a `state pull` (every secret in plain text): a session killed later on (a
    # revert's long apply, SIGKILL) must not leave it in the temporary directory.
    with embedded_engine().session(cwd=workdir, environ=dict(os.environ)) as terraform:
        assert terraform.run(["init", "-no-color"]) == 0
        assert terraform.capture(["version", "-json"]).stdout.startswith(b"{")
        scratch = terraform._scratch  # type: ignore[attr-defined]
        assert list(scratch.iterdir()) == []


def test_embedded_session_runs_a_command_in_a_directory_made_after_it_started(
    workdir: Path, tmp_path: Path
) -> None:
    start = tmp_path / "start"
    start.mkdir()
    with embedded_engine().session(cwd=start, environ=dict(os.environ)) as terraform:
        assert terraform.capture(["version"]).returncode == 0  # the library is loaded
        later = tmp_path / "later"
        shutil.copytree(workdir, later)
        assert terraform.capture(["init", "-no-color"], cwd=later).returncode == 0
        assert terraform.capture(["apply", "-auto-approve", "-no-color"], cwd=later).returncode == 0
        there = json.loads(terraform.capture(["output", "-json"], cwd=later).stdout)
        # Back where the session started: no state here, so no outputs.
        here = json.loads(terraform.capture(["output", "-json"]).stdout)
    assert there["size"]["value"] == "small" and here == {}
    assert (later / "terraform.tfstate").exists()
    assert sorted(p.name for p in start.iterdir()) == []


def test_embedded_session_that_lost_its_process_says_so(workdir: Path) -> None:
    with embedded_engine().session(cwd=workdir, environ=dict(os.environ)) as terraform:
        assert terraform.capture(["version"]).returncode == 0
        terraform._child.kill()  # type: ignore[attr-defined]
        terraform._child.wait()  # type: ignore[attr-defined]
        with pytest.raises(EngineError, match="embedded Terraform stopped unexpectedly"):
            terraform.capture(["version"])


def test_executable_session_runs_a_process_per_command(tmp_path: Path) -> None:
    script = tmp_path / "terraform"
    script.write_text('#!/bin/sh\necho "$$ $*"\n')
    script.chmod(0o755)
    engine = executable_engine(str(script), cwd=tmp_path)
    with engine.session(cwd=tmp_path, environ=dict(os.environ)) as terraform:
        first = terraform.capture(["version"]).stdout.split()
        second = terraform.capture(["show", "-json"]).stdout.split()
    assert first[1:] == [b"version"] and second[1:] == [b"show", b"-json"]
    assert first[0] != second[0]


def test_executable_session_runs_a_command_where_it_is_told(tmp_path: Path) -> None:
    script = tmp_path / "terraform"
    script.write_text("#!/bin/sh\npwd\n")
    script.chmod(0o755)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    engine = executable_engine(str(script), cwd=tmp_path)
    with engine.session(cwd=tmp_path, environ=dict(os.environ)) as terraform:
        there = terraform.capture(["version"], cwd=elsewhere).stdout.strip()
        here = terraform.capture(["version"]).stdout.strip()
    assert (Path(there.decode()), Path(here.decode())) == (elsewhere, tmp_path)


def test_embedded_session_capture_never_waits_for_a_prompt(workdir: Path) -> None:
    import signal

    # Standard input is a pipe nobody writes to: a prompt reading it would wait for ever.
    read_end, write_end = os.pipe()
    saved_stdin = os.dup(0)
    os.dup2(read_end, 0)

    def hung(_signum: int, _frame: object) -> None:
        raise TimeoutError("the captured command waited for input")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)  # a hang fails the test instead of stalling the suite
    try:
        with embedded_engine().session(cwd=workdir, environ=dict(os.environ)) as terraform:
            assert terraform.capture(["init", "-no-color"]).returncode == 0
            asked = terraform.capture(["apply", "-no-color"])  # asks "Enter a value:"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.dup2(saved_stdin, 0)
        for fd in (saved_stdin, read_end, write_end):
            os.close(fd)
    assert asked.returncode == 1
    assert b"Enter a value" in asked.stdout
    assert not (workdir / "terraform.tfstate").exists()


def test_executable_engine_killed_by_a_signal_exits_like_a_shell_says(tmp_path: Path) -> None:
    # Popen reports -9; sys.exit(-9) would give 247, where a shell running terraform gives 137.
    script = tmp_path / "terraform"
    script.write_text("#!/bin/sh\nkill -KILL $$\n")
    script.chmod(0o755)
    engine = executable_engine(str(script), cwd=tmp_path)
    assert engine.run(["apply"], cwd=tmp_path, environ=dict(os.environ)) == 128 + 9


def test_executable_engine_ctrl_c_during_terraform_still_reaches_a_loop_that_stops(
    tmp_path: Path,
) -> None:
    """Ctrl-C is left to Terraform, but a caller that stops between steps (`tfshadow watch`)
    must hear of it too, or it goes on acting after the user asked it to stop."""
    script = tmp_path / "terraform"
    # Like a terminal's Ctrl-C, SIGINT goes to tfshadow while Terraform runs; Terraform (this
    # script) is not signalled by it and finishes normally.
    script.write_text(f"#!/bin/sh\nkill -INT {os.getpid()}\nsleep 0.3\nexit 0\n")
    script.chmod(0o755)
    heard: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: heard.append(signum))
    try:
        engine = executable_engine(str(script), cwd=tmp_path)
        assert engine.run(["apply"], cwd=tmp_path, environ=dict(os.environ)) == 0
    finally:
        signal.signal(signal.SIGINT, previous)
    assert heard == [signal.SIGINT]


def test_executable_engine_sigterm_during_terraform_is_passed_on_and_heard(
    tmp_path: Path,
) -> None:
    script = tmp_path / "terraform"
    script.write_text(f"#!/bin/sh\nkill -TERM {os.getpid()}\nsleep 5\nexit 0\n")
    script.chmod(0o755)
    heard: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: heard.append(signum))
    try:
        engine = executable_engine(str(script), cwd=tmp_path)
        assert engine.run(["apply"], cwd=tmp_path, environ=dict(os.environ)) == 128 + 15
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert heard == [signal.SIGTERM]


def test_engine_sigterm_while_terraform_starts_is_passed_on_once_it_runs() -> None:
    # A SIGTERM that arrives while the child is being started (before there is a process to
    # pass it to) must not end tfshadow with Terraform left running: it is passed on after.
    heard: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: heard.append(signum))

    def start() -> subprocess.Popen[bytes]:
        os.kill(os.getpid(), signal.SIGTERM)
        return subprocess.Popen(["sleep", "5"])

    try:
        code = _waiting_out_interrupts(start, lambda child: child.wait(timeout=4))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == -signal.SIGTERM
    assert heard == [signal.SIGTERM]
