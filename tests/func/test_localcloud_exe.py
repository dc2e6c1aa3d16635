"""`localcloud` through the Terraform 1.0.3 executable: made, changed, drifted, imported, destroyed.

The instance's own round trip through this executable is in test_localcloud.py.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .localcloud_support import (
    REQUIRED_PROVIDERS,
    instances_ended,
    outside_process,
    terraform_1_0,
    wait_gone,
    workspace,
)

DATASTORE = (
    REQUIRED_PROVIDERS
    + """
variable "cache_size" {
  default = 100
}

variable "journal_mode" {
  default = "wal"
}

resource "localcloud_datastore" "db" {
  name         = "main"
  journal_mode = var.journal_mode
  cache_size   = var.cache_size
}
"""
)

NETWORK = (
    REQUIRED_PROVIDERS
    + """
variable "listen_port" {
  default = 18080
}

resource "localcloud_network" "web" {
  name        = "web"
  work_dir    = "net"
  listen_port = var.listen_port
  target_port = 5000
}
"""
)

# As it would be written for resources that exist already: only what they really are.
ADOPTED = (
    REQUIRED_PROVIDERS
    + """
resource "localcloud_datastore" "db" {
  name         = "legacy"
  journal_mode = "wal"
}

resource "localcloud_network" "web" {
  name        = "web"
  work_dir    = "net"
  listen_port = 8080
  target_port = 5000
}

resource "localcloud_instance" "app" {
  command = ["sleep", "600"]
  state   = "stopped"
}
"""
)


def _sqlite(path: Path, *statements: str) -> list[Any]:
    """The rows of the last statement, all run on one fresh connection and committed."""
    conn = sqlite3.connect(path)
    try:
        rows: list[Any] = []
        for sql in statements:
            rows = conn.execute(sql).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def _changes(plan: str) -> set[str]:
    """Each `old -> new` line of a plan, whitespace squeezed: `~ cache_size = 100 -> -4000`."""
    return {re.sub(r"\s+", " ", line.strip()) for line in plan.splitlines() if " -> " in line}


def _files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


@pytest.fixture
def datastore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = workspace(tmp_path, monkeypatch, DATASTORE)
    init = terraform_1_0("init", "-no-color", cwd=work)
    assert init.code == 0, init.err
    return work


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = workspace(tmp_path, monkeypatch, NETWORK)
    init = terraform_1_0("init", "-no-color", cwd=work)
    assert init.code == 0, init.err
    return work


def test_localcloud_exe_datastore_lifecycle(datastore: Path) -> None:
    db = datastore / ".localcloud" / "main.sqlite"
    created = terraform_1_0("apply", "-auto-approve", "-no-color", cwd=datastore)
    assert created.code == 0, created.err
    assert "Resources: 1 added, 0 changed, 0 destroyed" in created.out
    assert _sqlite(db, "PRAGMA journal_mode") == [("wal",)]
    assert dict(_sqlite(db, "SELECT key, value FROM settings")) == {
        "journal_mode": "wal",
        "cache_size": 100,
    }
    # Application data, which an in-place change must keep.
    _sqlite(db, "CREATE TABLE orders (id INTEGER)", "INSERT INTO orders VALUES (7)")
    inode = db.stat().st_ino

    change = ["-var", "cache_size=-4000", "-var", "journal_mode=delete"]
    planned = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore)
    assert planned.code == 2, planned.err
    assert "localcloud_datastore.db will be updated in-place" in planned.out
    assert {'~ journal_mode = "wal" -> "delete"', "~ cache_size = 100 -> -4000"} <= _changes(
        planned.out
    )
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.out

    changed = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=datastore)
    assert changed.code == 0, changed.err
    assert "Resources: 0 added, 1 changed, 0 destroyed" in changed.out
    assert db.stat().st_ino == inode and _sqlite(db, "SELECT id FROM orders") == [(7,)]
    assert _sqlite(db, "PRAGMA journal_mode") == [("delete",)]
    assert _sqlite(db, "SELECT value FROM settings WHERE key = 'cache_size'") == [(-4000,)]
    clean = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore)
    assert clean.code == 0, clean.out + clean.err

    # Changed outside Terraform: the recorded cache size, and the file switched into WAL mode.
    _sqlite(db, "UPDATE settings SET value = 50 WHERE key = 'cache_size'")
    _sqlite(db, "PRAGMA journal_mode = wal")
    drift = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore)
    assert drift.code == 2, drift.err
    assert {'~ journal_mode = "wal" -> "delete"', "~ cache_size = 50 -> -4000"} <= _changes(
        drift.out
    )
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in drift.out
    fixed = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=datastore)
    assert fixed.code == 0, fixed.err
    assert _sqlite(db, "PRAGMA journal_mode") == [("delete",)]
    assert (
        terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore).code == 0
    )

    # Deleted outside Terraform: planned to be made again.
    db.unlink()
    gone = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore)
    assert gone.code == 2, gone.err
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in gone.out
    again = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=datastore)
    assert again.code == 0, again.err

    destroyed = terraform_1_0("destroy", "-auto-approve", "-no-color", *change, cwd=datastore)
    assert destroyed.code == 0, destroyed.err
    assert "Resources: 1 destroyed" in destroyed.out
    assert _files(datastore / ".localcloud") == []


def test_localcloud_exe_datastore_change_refused_in_use_records_nothing(datastore: Path) -> None:
    db = datastore / ".localcloud" / "main.sqlite"
    assert terraform_1_0("apply", "-auto-approve", "-no-color", cwd=datastore).code == 0
    change = ["-var", "cache_size=-4000", "-var", "journal_mode=delete"]
    reader = sqlite3.connect(db)
    try:
        # A reader in the middle of a transaction: SQLite will not take the file out of WAL.
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM settings").fetchall()
        refused = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=datastore)
        assert refused.code == 1, refused.out
        assert "database is locked" in refused.err
    finally:
        reader.close()
    # Applications read the settings table: a failed change must not show there either.
    assert dict(_sqlite(db, "SELECT key, value FROM settings")) == {
        "journal_mode": "wal",
        "cache_size": 100,
    }
    pending = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=datastore)
    assert pending.code == 2, pending.err
    assert "~ cache_size = 100 -> -4000" in _changes(pending.out)
    retried = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=datastore)
    assert retried.code == 0, retried.err
    assert _sqlite(db, "PRAGMA journal_mode") == [("delete",)]
    assert terraform_1_0("destroy", "-auto-approve", "-no-color", *change, cwd=datastore).code == 0
    assert _files(datastore / ".localcloud") == []


def test_localcloud_exe_network_lifecycle(network: Path) -> None:
    mapping = network / "net" / "web.network.json"
    created = terraform_1_0("apply", "-auto-approve", "-no-color", cwd=network)
    assert created.code == 0, created.err
    assert json.loads(mapping.read_text()) == {
        "address": "127.0.0.1",
        "listen_port": 18080,
        "name": "web",
        "target_port": 5000,
    }

    change = ["-var", "listen_port=18081"]
    planned = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=network)
    assert planned.code == 2, planned.err
    assert "localcloud_network.web will be updated in-place" in planned.out
    assert "~ listen_port = 18080 -> 18081" in _changes(planned.out)
    changed = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=network)
    assert changed.code == 0, changed.err
    assert "Resources: 0 added, 1 changed, 0 destroyed" in changed.out
    assert json.loads(mapping.read_text())["listen_port"] == 18081
    assert terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=network).code == 0

    # Edited outside Terraform, then overwritten with something that is no mapping at all.
    mapping.write_text(json.dumps({"listen_port": 9999, "target_port": 5000}))
    drift = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=network)
    assert drift.code == 2, drift.err
    assert "~ listen_port = 9999 -> 18081" in _changes(drift.out)
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in drift.out
    mapping.write_text("not json")
    broken = terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=network)
    assert broken.code == 2, broken.err
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in broken.out
    fixed = terraform_1_0("apply", "-auto-approve", "-no-color", *change, cwd=network)
    assert fixed.code == 0, fixed.err
    assert json.loads(mapping.read_text())["listen_port"] == 18081
    assert terraform_1_0("plan", "-detailed-exitcode", "-no-color", *change, cwd=network).code == 0

    destroyed = terraform_1_0("destroy", "-auto-approve", "-no-color", *change, cwd=network)
    assert destroyed.code == 0, destroyed.err
    assert "Resources: 1 destroyed" in destroyed.out
    assert _files(network / "net") == []


def test_localcloud_exe_import_adopts_all_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = workspace(tmp_path, monkeypatch, ADOPTED)
    # Made outside Terraform: a database that never had a settings table, a mapping file written
    # by hand and a paused process.
    db = work / ".localcloud" / "legacy.sqlite"
    db.parent.mkdir()
    _sqlite(db, "PRAGMA journal_mode = wal", "CREATE TABLE orders (id INTEGER)")
    mapping = work / "net" / "web.network.json"
    mapping.parent.mkdir()
    mapping.write_text(json.dumps({"listen_port": 8080, "target_port": 5000}))
    log = work / ".localcloud" / "app.log"
    with instances_ended(work), outside_process(["sleep", "600"], log) as app:
        app.send_signal(signal.SIGSTOP)
        assert terraform_1_0("init", "-no-color", cwd=work).code == 0
        for address, id in (
            ("localcloud_datastore.db", str(db)),
            ("localcloud_network.web", "net/web.network.json"),  # relative to the working dir
            ("localcloud_instance.app", str(app.pid)),
        ):
            imported = terraform_1_0("import", "-no-color", address, id, cwd=work)
            assert imported.code == 0, imported.err
            assert "Import successful!" in imported.out

        # Imported exactly as configured: nothing to change, the process is the same one.
        clean = terraform_1_0("plan", "-detailed-exitcode", "-no-color", cwd=work)
        assert clean.code == 0, clean.out + clean.err
        assert "No changes." in clean.out
        state = json.loads(terraform_1_0("show", "-json", cwd=work).out)
        attributes = {
            r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]
        }
        assert attributes["localcloud_instance.app"]["pid"] == app.pid
        assert attributes["localcloud_instance.app"]["log_file"] == str(log)
        assert attributes["localcloud_datastore.db"]["path"] == str(db)
        assert attributes["localcloud_network.web"]["path"] == str(mapping)

        destroyed = terraform_1_0("destroy", "-auto-approve", "-no-color", cwd=work)
        assert destroyed.code == 0, destroyed.err
        assert "Resources: 3 destroyed" in destroyed.out
        assert wait_gone(app.pid)  # paused when imported: continued so that SIGTERM ends it
        assert _files(work / ".localcloud") == [] and _files(work / "net") == []


def test_localcloud_exe_import_refuses_what_is_not_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = workspace(tmp_path, monkeypatch, ADOPTED)
    assert terraform_1_0("init", "-no-color", cwd=work).code == 0
    (work / "notes.txt").write_text("not a database\n")
    for address, id, message in (
        ("localcloud_datastore.db", "notes.txt", "is not a file this resource manages"),
        ("localcloud_datastore.db", ".localcloud/legacy.sqlite", "no database at"),
        ("localcloud_network.web", "net/web.network.json", "no mapping at"),
        ("localcloud_instance.app", "not-a-pid", "no process 'not-a-pid'"),
    ):
        refused = terraform_1_0("import", "-no-color", address, id, cwd=work)
        assert refused.code == 1, refused.out
        assert message in refused.err
    assert (
        not (work / "terraform.tfstate").exists()
        or "localcloud" not in (work / "terraform.tfstate").read_text()
    )
    assert _files(work / ".localcloud") == [] and _files(work / "net") == []
