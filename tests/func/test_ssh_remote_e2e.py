"""The store's git remote over ssh, against a real OpenSSH server.

The Debian package's ``sshd`` runs on a free loopback port with a throwaway host key, a throwaway
client key as the only authorized key, and its configuration, pid file and logs in a temporary
directory. The remote is a bare repository on this machine, reached through that server as
``ssh://<user>@127.0.0.1:<port>/<path>``. Without ``sshd`` (or, for a user other than root,
without its privilege-separation directory) the tests are skipped, except in CI (``CI=true``),
which must install it.

OpenSSH reads the user's configuration from the home directory of the passwd entry, never from
``HOME``: where a test needs the user's ssh configuration, an ``ssh`` first on ``PATH`` runs the
real client with a configuration file of the test's own (``-F``), as the user's would be read.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.func.conftest import FIXTURES, Tfshadow, stop_process

# Read at import: the autouse fixture of tests/conftest.py removes CI from each test's environment.
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
SSHD = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
# sshd's privilege-separation directory (compiled in); sshd running as root refuses to start
# without it. The package's service creates it at boot, which a container never runs.
PRIVSEP_DIR = Path("/run/sshd")
READY_TIMEOUT = 15.0
# Far above an apply's few seconds, far below the 30 s a hung `ls-remote` waits and the 10 min
# of a hung push: a command that waits on a prompt fails the test rather than stalling it.
APPLY_TIMEOUT = 25.0


@dataclass(frozen=True)
class Sshd:
    port: int
    user: str
    client_key: Path
    host_key_line: str  # the server's public host key, as a known_hosts line
    authorized_keys: Path

    def url(self, repository: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{repository}"

    @contextmanager
    def authorizing(self, public_key: Path) -> Iterator[None]:
        """The server also takes ``public_key`` while the block runs."""
        before = self.authorized_keys.read_text()
        self.authorized_keys.write_text(before + public_key.read_text())
        try:
            yield
        finally:
            self.authorized_keys.write_text(before)


def _unavailable(why: str) -> None:
    if IN_CI:
        pytest.fail(f"{why}; CI must be able to run sshd")
    pytest.skip(f"{why}; CI=true makes this a failure")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _greets(port: int) -> bool:
    """Whether an ssh server answers on ``port`` with its version line."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


def _keygen(path: Path) -> None:
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "tfshadow-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    for binary in (SSHD, SSH, SSH_KEYGEN):
        if not os.access(binary, os.X_OK):
            _unavailable(f"{binary} is not installed (apt-get install openssh-server)")
    if not PRIVSEP_DIR.is_dir():
        if os.geteuid() != 0:
            _unavailable(f"sshd needs its directory {PRIVSEP_DIR}, which only root can create")
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("sshd")
    host_key, client_key = work / "host_ed25519", work / "client_ed25519"
    _keygen(host_key)
    _keygen(client_key)
    authorized = work / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    user = getpass.getuser()
    port = _free_port()
    config = work / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"PidFile {work / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "PermitRootLogin prohibit-password\n"
        f"AllowUsers {user}\n"
        # The temporary directories are not owned and moded as sshd insists for a home.
        "StrictModes no\n"
        "LogLevel VERBOSE\n"
    )
    log = work / "sshd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=work
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _greets(port):
            if process.poll() is not None:
                tail = log.read_text()[-800:]
                _unavailable(f"sshd exited with code {process.returncode}: {tail}")
            if time.monotonic() > deadline:
                pytest.fail(f"sshd did not answer in {READY_TIMEOUT:g} s: {log.read_text()[-800:]}")
            time.sleep(0.1)
        key_type, key_data = host_key.with_suffix(".pub").read_text().split()[:2]
        yield Sshd(
            port, user, client_key, f"[127.0.0.1]:{port} {key_type} {key_data}\n", authorized
        )
    finally:
        stop_process(process)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _bare(tmp_path: Path) -> Path:
    remote = tmp_path / "shadows.git"
    _git("init", "--bare", "-q", str(remote), cwd=tmp_path)
    return remote


def _configuration(tmp_path: Path, name: str, remote: str) -> Path:
    path = tmp_path / name
    shutil.copytree(FIXTURES / "basic", path)
    (path / "tfshadow.hcl").write_text(f'store {{\n  remote = "{remote}"\n}}\n')
    return path


def _no_ssh_command_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_SSH_COMMAND", "GIT_SSH", "GIT_SSH_VARIANT", "SSH_AUTH_SOCK"):
        monkeypatch.delenv(name, raising=False)


def _users_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str) -> None:
    """The user's ssh configuration (``settings``, for every host): an ``ssh`` first on PATH
    that runs the real client with it."""
    config = tmp_path / "ssh_config"
    config.write_text("Host *\n" + settings)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {SSH} -F {config} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def _logging_in_with(key: Path, known_hosts: Path) -> str:
    """ssh settings that log in with ``key`` alone and trust only ``known_hosts``."""
    return (
        f"  IdentityFile {key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {known_hosts}\n  GlobalKnownHostsFile /dev/null\n"
    )


def _initialised(sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path) -> tuple[Path, Path]:
    """An empty bare remote on the ssh server, and an initialised configuration pushing to it."""
    remote = _bare(tmp_path)
    workdir = _configuration(tmp_path, "infra", sshd.url(remote))
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    return remote, workdir


def _push_warning(err: str) -> str:
    """The one line a failed push left among a recorded command's messages."""
    warnings = [line for line in err.splitlines() if "push" in line]
    assert len(warnings) == 1, err
    return warnings[0]


def _known_hosts(sshd: Sshd, tmp_path: Path) -> Path:
    """A known-hosts file that holds the server's host key."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.host_key_line)
    return known_hosts


def _ssh_command(sshd: Sshd, known_hosts: Path) -> str:
    """A user's own ssh command that logs in with the accepted key and trusts ``known_hosts``
    alone (BatchMode only keeps a broken test from waiting on a prompt)."""
    return (
        f"{SSH} -F /dev/null -i {sshd.client_key} -o IdentitiesOnly=yes "
        f"-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes"
    )


def _host_key_unknown(sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's ssh logs in with the accepted key but knows no host key (tfshadow chooses
    the ssh command); returns the empty known-hosts file ssh would add the key to."""
    _no_ssh_command_chosen(monkeypatch)
    unknown_hosts = tmp_path / "known_hosts"
    unknown_hosts.write_text("")
    _users_ssh(
        tmp_path,
        monkeypatch,
        _logging_in_with(sshd.client_key, unknown_hosts),
    )
    return unknown_hosts


@dataclass(frozen=True)
class TerminalRun:
    code: int
    out: str
    err: str
    terminal: str  # what was written on the controlling terminal


def _on_a_terminal(cwd: Path, *args: str, first: str = "") -> TerminalRun:
    """Run tfshadow in a process whose controlling terminal is a new pseudo-terminal, as from an
    operator's shell: ssh asks there (an unknown host key, a passphrase), and waits for the
    answer. ``first``: Python run in that process before tfshadow. Stopped after
    APPLY_TIMEOUT, which fails the test."""
    master, slave = pty.openpty()

    def take_terminal() -> None:  # in the child, after setsid (start_new_session)
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import sys\n{first}\nfrom tfshadow.cli import run\nsys.exit(run(sys.argv[1:]))",
                *args,
            ],
            cwd=cwd,
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=take_terminal,
        )
        os.close(slave)
        slave = -1
        try:
            out, err = process.communicate(timeout=APPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            pytest.fail(
                f"tfshadow {' '.join(args)} did not finish in {APPLY_TIMEOUT:g} s; on its "
                f"terminal: {_drain(master)!r}; stderr: {err.decode(errors='replace')[-800:]}"
            )
        return TerminalRun(
            process.returncode,
            out.decode(errors="replace"),
            err.decode(errors="replace"),
            _drain(master),
        )
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


def _drain(master: int) -> str:
    os.set_blocking(master, False)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # nothing more (EAGAIN), or the terminal is gone (EIO)
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_ssh_apply_pushes_with_the_users_ssh_command_and_pull_brings_it_back(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ssh_command_chosen(monkeypatch)
    known_hosts = _known_hosts(sshd, tmp_path)
    # The user's own command: tfshadow runs it as it is, and only its key and known hosts let
    # the push through.
    monkeypatch.setenv(
        "GIT_SSH_COMMAND", _ssh_command(sshd, known_hosts) + " -o StrictHostKeyChecking=yes"
    )
    remote, workdir = _initialised(sshd, tfshadow, tmp_path)

    result = tfshadow("apply", "-auto-approve", "-no-color", "--message", "one", cwd=workdir)

    assert result.code == 0, result.err
    assert "push" not in result.err, result.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "refs/heads/tfshadow", cwd=remote) == store_head

    laptop = _configuration(tmp_path, "laptop", sshd.url(remote))
    pulled = tfshadow("store", "pull", "--json", cwd=laptop)
    assert pulled.code == 0, pulled.err
    assert pulled.json()["created"] is True
    log = tfshadow("log", "--json", cwd=laptop)
    assert log.code == 0, log.err
    assert [(v["version"], v.get("description")) for v in log.json()["versions"]] == [(1, "one")]
    assert _git("rev-parse", "HEAD", cwd=laptop / ".tfshadow") == store_head


def test_ssh_unknown_host_key_fails_the_push_without_asking(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's key is accepted; the server's host key is in no file ssh reads, and ssh's
    # default (StrictHostKeyChecking ask) would ask on the terminal whether to trust it.
    unknown_hosts = _host_key_unknown(sshd, tmp_path, monkeypatch)
    remote, workdir = _initialised(sshd, tfshadow, tmp_path)

    started = time.monotonic()
    result = _on_a_terminal(workdir, "apply", "-auto-approve", "-no-color")

    assert result.code == 0, result.err
    assert time.monotonic() - started < APPLY_TIMEOUT
    assert "yes/no" not in result.terminal, result.terminal
    warning = _push_warning(result.err)
    assert "Host key verification failed" in warning, warning
    assert sshd.url(remote) in warning, warning  # with the user it logged in as
    log = tfshadow("log", "--json", cwd=workdir)
    assert [v["version"] for v in log.json()["versions"]] == [1]
    assert _git("for-each-ref", cwd=remote) == ""
    assert unknown_hosts.read_text() == ""


def test_ssh_pull_says_why_the_remote_cannot_be_reached(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _host_key_unknown(sshd, tmp_path, monkeypatch)
    laptop = _configuration(tmp_path, "laptop", sshd.url(_bare(tmp_path)))

    result = tfshadow("store", "pull", cwd=laptop)

    assert result.code != 0
    assert result.err.count("\n") == 1, result.err
    assert "Host key verification failed: " in result.err, result.err
    assert "known_hosts" in result.err, result.err
    assert not (laptop / ".tfshadow").exists()


def test_ssh_push_warning_says_the_host_key_changed(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ssh says so in a banner of @ signs, then what it refused: the warning is one line of the
    # latter, not the first line of the banner.
    _no_ssh_command_chosen(monkeypatch)
    other = tmp_path / "other_host_ed25519"
    _keygen(other)
    known_hosts = tmp_path / "known_hosts"
    key_type, key_data = other.with_suffix(".pub").read_text().split()[:2]
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {key_type} {key_data}\n")
    _users_ssh(
        tmp_path,
        monkeypatch,
        _logging_in_with(sshd.client_key, known_hosts),
    )
    remote, workdir = _initialised(sshd, tfshadow, tmp_path)

    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)

    assert result.code == 0, result.err
    warning = _push_warning(result.err)
    assert f"Host key for [127.0.0.1]:{sshd.port} has changed" in warning, warning
    assert "@@@" not in result.err, result.err
    assert _git("for-each-ref", cwd=remote) == ""


def test_ssh_push_warning_names_a_refused_key(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ssh_command_chosen(monkeypatch)
    stranger = tmp_path / "stranger_ed25519"
    _keygen(stranger)
    monkeypatch.setenv(
        "GIT_SSH_COMMAND",
        f"{SSH} -F /dev/null -i {stranger} -o IdentitiesOnly=yes "
        f"-o UserKnownHostsFile={tmp_path / 'known_hosts'} -o GlobalKnownHostsFile=/dev/null "
        "-o StrictHostKeyChecking=accept-new -o BatchMode=yes",
    )
    remote, workdir = _initialised(sshd, tfshadow, tmp_path)

    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)

    assert result.code == 0, result.err
    warning = _push_warning(result.err)
    assert "Permission denied (publickey)" in warning, warning
    assert _git("for-each-ref", cwd=remote) == ""


@pytest.mark.parametrize("key_path", ["absolute", "relative"])
def test_ssh_push_and_pull_use_the_configuration_repositorys_ssh_command(
    sshd: Sshd,
    tfshadow: Tfshadow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key_path: str,
) -> None:
    # A deploy key set on the configuration's repository (`git config core.sshCommand …`), whose
    # `origin` the store pushes to: the store, a repository of its own, reaches it the same way,
    # also with the key named relative to that repository's top directory, as git reads it.
    _no_ssh_command_chosen(monkeypatch)
    known_hosts = _known_hosts(sshd, tmp_path)
    remote = _bare(tmp_path)
    deploy = _ssh_command(sshd, known_hosts)
    places = []
    for name in ("infra", "laptop"):
        workdir = _configuration(tmp_path, name, "origin")
        _git("init", "-q", cwd=workdir)
        _git("remote", "add", "origin", sshd.url(remote), cwd=workdir)
        command = deploy
        if key_path == "relative":
            (workdir / "keys").mkdir()
            shutil.copy(sshd.client_key, workdir / "keys" / "deploy")
            command = deploy.replace(f"-i {sshd.client_key}", "-i keys/deploy")
            assert command != deploy
        _git("config", "core.sshCommand", command, cwd=workdir)
        places.append(workdir)
    infra, laptop = places
    assert tfshadow("init", "-no-color", cwd=infra).code == 0

    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)

    assert result.code == 0, result.err
    assert "push" not in result.err, result.err
    store_head = _git("rev-parse", "HEAD", cwd=infra / ".tfshadow")
    assert _git("rev-parse", "refs/heads/tfshadow", cwd=remote) == store_head
    pulled = tfshadow("store", "pull", cwd=laptop)
    assert pulled.code == 0, pulled.err
    assert _git("rev-parse", "HEAD", cwd=laptop / ".tfshadow") == store_head


def test_a_branch_store_runs_the_repositorys_ssh_command_from_its_top_directory(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store as a branch of the configuration's repository, whose `core.sshCommand` names
    # its deploy key relative to the repository's top directory, as `git push` there reads it:
    # the store's worktree, elsewhere under .git, must not make the key a file that is not.
    _no_ssh_command_chosen(monkeypatch)
    known_hosts = _known_hosts(sshd, tmp_path)
    remote = _bare(tmp_path)
    workdir = _configuration(tmp_path, "infra", "origin")
    (workdir / "tfshadow.hcl").write_text(
        'store {\n  branch = "tfshadow"\n  remote = "origin"\n}\n'
    )
    (workdir / "keys").mkdir()
    shutil.copy(sshd.client_key, workdir / "keys" / "deploy")
    command = _ssh_command(sshd, known_hosts).replace(f"-i {sshd.client_key}", "-i keys/deploy")
    _git("init", "-q", "-b", "main", cwd=workdir)
    _git("remote", "add", "origin", sshd.url(remote), cwd=workdir)
    _git("config", "core.sshCommand", command, cwd=workdir)
    _git("add", "main.tf", "tfshadow.hcl", cwd=workdir)
    _git("commit", "-q", "-m", "infra", cwd=workdir)
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0

    result = tfshadow("apply", "-auto-approve", "-no-color", "-var", "size=2", cwd=workdir)

    assert result.code == 0, result.err
    assert "warning" not in result.err, result.err
    tip = _git("rev-parse", "refs/heads/tfshadow", cwd=workdir)
    assert _git("rev-parse", "refs/heads/tfshadow", cwd=remote) == tip


def test_ssh_key_with_a_passphrase_fails_the_push_without_asking(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ssh_command_chosen(monkeypatch)
    locked = tmp_path / "locked_ed25519"
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "a passphrase", "-f", str(locked)],
        check=True,
        capture_output=True,
    )
    known_hosts = _known_hosts(sshd, tmp_path)
    _users_ssh(
        tmp_path,
        monkeypatch,
        _logging_in_with(locked, known_hosts),
    )
    remote, workdir = _initialised(sshd, tfshadow, tmp_path)

    # The server takes the key; ssh would ask for its passphrase on the terminal.
    with sshd.authorizing(locked.with_suffix(".pub")):
        result = _on_a_terminal(workdir, "apply", "-auto-approve", "-no-color")

    assert result.code == 0, result.err
    assert "passphrase" not in result.terminal, result.terminal
    warning = _push_warning(result.err)
    assert "Permission denied (publickey)" in warning, warning
    assert _git("for-each-ref", cwd=remote) == ""


def test_ssh_server_that_never_answers_fails_the_push_in_time(
    tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A host that takes the connection and never says its version (a hung sshd, a tarpit): ssh
    # would wait as long as git lets it, 30 s for the check before the store is created and
    # 10 minutes for the push. Here ssh's connection timeout is shortened to 2 s.
    _no_ssh_command_chosen(monkeypatch)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel takes connections; nothing ever accepts them
        port = silent.getsockname()[1]
        workdir = _configuration(tmp_path, "infra", f"ssh://git@127.0.0.1:{port}/shadows.git")
        assert tfshadow("init", "-no-color", cwd=workdir).code == 0

        started = time.monotonic()
        result = _on_a_terminal(
            workdir,
            "apply",
            "-auto-approve",
            "-no-color",
            first="import tfshadow.store.git\ntfshadow.store.git._SSH_CONNECT_TIMEOUT = 2",
        )
        took = time.monotonic() - started

    assert result.code == 0, result.err
    assert took < 15, took
    warning = _push_warning(result.err)
    assert f"Connection to 127.0.0.1 port {port} timed out" in warning, warning
    log = tfshadow("log", "--json", cwd=workdir)
    assert [v["version"] for v in log.json()["versions"]] == [1]


def test_ssh_server_that_stops_answering_after_the_login_fails_the_push_in_time(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server takes the login, then freezes as the push starts (a host suspended, a link cut
    # mid-push): the connection stays open and silent, and without keep-alives ssh would wait
    # the push's whole 10-minute timeout. Here they are one per second, two unanswered ending it.
    _no_ssh_command_chosen(monkeypatch)
    key = tmp_path / "stalling_ed25519"
    _keygen(key)
    frozen = tmp_path / "frozen.pid"
    # The server's process for this connection is the first `sshd` above the forced command.
    freeze = tmp_path / "freeze-on-push"
    freeze.write_text(
        "#!/bin/sh\n"
        'case "$SSH_ORIGINAL_COMMAND" in\n'
        "  git-receive-pack*)\n"
        "    pid=$PPID\n"
        '    while [ "$(cat /proc/$pid/comm)" != sshd ]; do\n'
        "      pid=$(awk '{print $4}' /proc/$pid/stat)\n"
        "    done\n"
        f"    echo $pid > {frozen}\n"
        "    kill -STOP $pid ;;\n"
        "esac\n"
        'exec sh -c "$SSH_ORIGINAL_COMMAND"\n'
    )
    freeze.chmod(0o755)
    forced = tmp_path / "stalling_ed25519.authorized"
    forced.write_text(f'command="{freeze}" ' + key.with_suffix(".pub").read_text())
    known_hosts = _known_hosts(sshd, tmp_path)
    _users_ssh(
        tmp_path,
        monkeypatch,
        _logging_in_with(key, known_hosts),
    )
    with sshd.authorizing(forced):
        remote, workdir = _initialised(sshd, tfshadow, tmp_path)
        started = time.monotonic()
        try:
            result = _on_a_terminal(
                workdir,
                "apply",
                "-auto-approve",
                "-no-color",
                first="import tfshadow.store.git as store_git\n"
                "store_git._SSH_ALIVE_INTERVAL = 1\nstore_git._SSH_ALIVE_COUNT = 2",
            )
        finally:
            if frozen.exists():
                os.kill(int(frozen.read_text()), signal.SIGKILL)
        took = time.monotonic() - started

    assert frozen.exists(), "the server never froze: the push did not reach it"
    assert result.code == 0, result.err
    assert took < 15, took
    warning = _push_warning(result.err)
    assert "127.0.0.1 not responding" in warning, warning
    assert _git("for-each-ref", cwd=remote) == ""
    log = tfshadow("log", "--json", cwd=workdir)
    assert [v["version"] for v in log.json()["versions"]] == [1]


def test_ssh_scp_like_address_with_tfshadows_own_ssh_command(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `host:path` naming a host of the user's ssh configuration, the host key known: tfshadow's
    # own command (BatchMode, ConnectTimeout) logs in as the configuration says and pushes.
    _no_ssh_command_chosen(monkeypatch)
    known_hosts = _known_hosts(sshd, tmp_path)
    _users_ssh(
        tmp_path,
        monkeypatch,
        f"  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
        + _logging_in_with(sshd.client_key, known_hosts),
    )
    remote = _bare(tmp_path)
    workdir = _configuration(tmp_path, "infra", f"shadows:{remote}")
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0

    result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)

    assert result.code == 0, result.err
    assert "push" not in result.err, result.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "refs/heads/tfshadow", cwd=remote) == store_head
    laptop = _configuration(tmp_path, "laptop", f"shadows:{remote}")
    pulled = tfshadow("store", "pull", cwd=laptop)
    assert pulled.code == 0, pulled.err
    assert f"Created the shadow store from shadows:{remote}." in pulled.out


def test_ssh_key_held_by_an_agent_pushes_with_tfshadows_own_ssh_command(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BatchMode only stops ssh asking: a key an ssh-agent holds (unlocked once by its owner)
    # still logs in.
    _no_ssh_command_chosen(monkeypatch)
    socket_path = tmp_path / "agent.sock"
    agent = subprocess.Popen(
        [shutil.which("ssh-agent") or "/usr/bin/ssh-agent", "-D", "-a", str(socket_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket_path.exists():
            assert agent.poll() is None and time.monotonic() < deadline, "ssh-agent did not start"
            time.sleep(0.05)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket_path))
        subprocess.run(["ssh-add", "-q", str(sshd.client_key)], check=True, capture_output=True)
        known_hosts = _known_hosts(sshd, tmp_path)
        # No key file named: the agent's is the one offered.
        _users_ssh(
            tmp_path,
            monkeypatch,
            f"  UserKnownHostsFile {known_hosts}\n  GlobalKnownHostsFile /dev/null\n",
        )
        remote = _bare(tmp_path)
        workdir = _configuration(tmp_path, "infra", sshd.url(remote))
        assert tfshadow("init", "-no-color", cwd=workdir).code == 0

        result = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    finally:
        stop_process(agent)

    assert result.code == 0, result.err
    assert "push" not in result.err, result.err
    store_head = _git("rev-parse", "HEAD", cwd=workdir / ".tfshadow")
    assert _git("rev-parse", "refs/heads/tfshadow", cwd=remote) == store_head


def test_ssh_pull_from_a_path_the_server_lacks_names_it(
    sshd: Sshd, tfshadow: Tfshadow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_ssh_command_chosen(monkeypatch)
    known_hosts = _known_hosts(sshd, tmp_path)
    monkeypatch.setenv("GIT_SSH_COMMAND", _ssh_command(sshd, known_hosts))
    missing = tmp_path / "missing.git"
    laptop = _configuration(tmp_path, "laptop", sshd.url(missing))

    result = tfshadow("store", "pull", cwd=laptop)

    assert result.code != 0
    assert result.err == (
        f"tfshadow: error: cannot reach the shadow store's remote {sshd.url(missing)}: "
        f"'{missing}' does not appear to be a git repository: check its address and your "
        "access to it\n"
    )
