"""`localcloud_datastore` and `localcloud_network` through real Terraform: files kept as set."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tf.iface import ImportContext  # type: ignore[import-untyped]
from tf.utils import Diagnostics  # type: ignore[import-untyped]

from tfshadow.localcloud import process
from tfshadow.localcloud.provider import Instance, LocalCloud

from .conftest import Tfshadow
from .localcloud_support import REQUIRED_PROVIDERS, outside_process, workspace

CONFIG = (
    REQUIRED_PROVIDERS
    + """
variable "cache_size" {
  default = 100
}

variable "listen_port" {
  default = 18080
}

resource "localcloud_datastore" "db" {
  name         = "main"
  journal_mode = "wal"
  cache_size   = var.cache_size
}

resource "localcloud_network" "web" {
  name        = "web"
  listen_port = var.listen_port
  target_port = 5000
}
"""
)


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tfshadow: Tfshadow) -> Path:
    """A configuration with one datastore and one network, initialised."""
    work = workspace(tmp_path, monkeypatch, CONFIG)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    return work


def _sqlite(path: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(sql).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_localcloud_datastore_and_network_lifecycle(infra: Path, tfshadow: Tfshadow) -> None:
    db = infra / ".localcloud" / "main.sqlite"
    net = infra / ".localcloud" / "web.network.json"
    created = tfshadow("apply", "-auto-approve", "-no-color", cwd=infra)
    assert created.code == 0, created.err + created.out
    assert _sqlite(db, "PRAGMA journal_mode") == [("wal",)]  # a fresh connection: from the file
    assert dict(_sqlite(db, "SELECT key, value FROM settings")) == {
        "journal_mode": "wal",
        "cache_size": 100,
    }
    assert json.loads(net.read_text()) == {
        "address": "127.0.0.1",
        "listen_port": 18080,
        "name": "web",
        "target_port": 5000,
    }

    change = ["-var", "cache_size=-4000", "-var", "listen_port=18081"]
    changed = tfshadow("apply", "-auto-approve", "-no-color", *change, cwd=infra)
    assert changed.code == 0, changed.err
    assert "2 to change, 0 to destroy" in changed.out  # in place, not replaced
    assert _sqlite(db, "SELECT value FROM settings WHERE key = 'cache_size'") == [(-4000,)]
    assert json.loads(net.read_text())["listen_port"] == 18081

    # Changed outside Terraform: both show as drift to be undone in place.
    _sqlite(db, "PRAGMA journal_mode = delete")
    net.write_text(json.dumps({"listen_port": 9999, "target_port": 5000}))
    drift = tfshadow("plan", "-detailed-exitcode", "-no-color", *change, cwd=infra)
    assert drift.code == 2, drift.err
    assert '"delete" -> "wal"' in drift.out
    assert "9999 -> 18081" in drift.out
    assert "2 to change, 0 to destroy" in drift.out
    fixed = tfshadow("apply", "-auto-approve", "-no-color", *change, cwd=infra)
    assert fixed.code == 0, fixed.err
    assert _sqlite(db, "PRAGMA journal_mode") == [("wal",)]
    assert json.loads(net.read_text())["listen_port"] == 18081

    # Deleted outside Terraform: planned to be created again.
    db.unlink()
    net.unlink()
    gone = tfshadow("plan", "-detailed-exitcode", "-no-color", *change, cwd=infra)
    assert gone.code == 2, gone.err
    assert "2 to add, 0 to change, 0 to destroy" in gone.out
    again = tfshadow("apply", "-auto-approve", "-no-color", *change, cwd=infra)
    assert again.code == 0, again.err
    assert _sqlite(db, "PRAGMA journal_mode") == [("wal",)] and net.exists()

    # A live connection keeps -wal and -shm files next to the database; destroy removes them too.
    holder = sqlite3.connect(db)
    holder.execute("SELECT * FROM settings").fetchall()
    holder.execute("INSERT INTO settings VALUES ('x', 1)")
    holder.commit()
    assert db.with_name("main.sqlite-wal").exists()
    destroyed = tfshadow("destroy", "-auto-approve", "-no-color", *change, cwd=infra)
    holder.close()
    assert destroyed.code == 0, destroyed.err
    assert list((infra / ".localcloud").iterdir()) == []


def test_localcloud_datastore_and_network_import_by_path(infra: Path, tfshadow: Tfshadow) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    removed = tfshadow(
        "state", "rm", "localcloud_datastore.db", "localcloud_network.web", cwd=infra
    )
    assert removed.code == 0, removed.err
    db = infra / ".localcloud" / "main.sqlite"
    for address, path in (
        ("localcloud_datastore.db", db),
        ("localcloud_network.web", infra / ".localcloud" / "web.network.json"),
    ):
        imported = tfshadow("import", "-no-color", address, str(path), cwd=infra)
        assert imported.code == 0, imported.err + imported.out
    clean = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=infra)
    assert clean.code == 0, clean.out  # imported exactly as configured: nothing to change
    bad = tfshadow(
        "import", "-no-color", "localcloud_datastore.db", str(infra / "x.txt"), cwd=infra
    )
    assert bad.code != 0
    destroyed = tfshadow("destroy", "-auto-approve", "-no-color", cwd=infra)
    assert destroyed.code == 0, destroyed.err
    assert list((infra / ".localcloud").iterdir()) == []


def test_localcloud_instance_import_adopts_a_live_process(tmp_path: Path) -> None:
    log = tmp_path / "sleep.log"
    with outside_process(["sleep", "60"], log) as child:
        ctx = ImportContext(Diagnostics(), "localcloud_instance")
        state = Instance(LocalCloud()).import_(ctx, str(child.pid))
        assert state is not None and not ctx.diagnostics.has_errors()
        assert state["command"] == ["sleep", "60"]
        assert state["pid"] == child.pid and state["log_file"] == str(log)
        assert state["started_at"] == process.read_stat(child.pid).started_at  # type: ignore[union-attr]
        missing = ImportContext(Diagnostics(), "localcloud_instance")
        assert Instance(LocalCloud()).import_(missing, "not-a-pid") is None
        assert missing.diagnostics.has_errors()


def test_revert_takes_back_a_datastore_let_go_of_or_creates_it_when_gone(
    infra: Path, tfshadow: Tfshadow
) -> None:
    # A real provider's import: a datastore is imported by its path, the id Terraform records.
    db = infra / ".localcloud" / "main.sqlite"
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=infra).code == 0
    _sqlite(db, "CREATE TABLE orders (n INTEGER)")
    _sqlite(db, "INSERT INTO orders VALUES (42)")
    assert tfshadow("state", "rm", "localcloud_datastore.db", cwd=infra).code == 0
    taken = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=infra)
    assert taken.code == 0, taken.err
    assert "localcloud_datastore.db will be taken back" in taken.out
    assert _sqlite(db, "SELECT n FROM orders") == [(42,)]  # its data, not a new database

    # Let go of again, and deleted since: nothing to take back. Terraform refuses the import,
    # and the revert plans without it, saying why.
    assert tfshadow("state", "rm", "localcloud_datastore.db", cwd=infra).code == 0
    db.unlink()
    anew = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=infra)
    assert anew.code == 0, anew.err
    assert "localcloud_datastore.db will be created anew" in anew.out
    assert "could not be taken back by the id version 1 recorded" in anew.err
    assert "no database at" in anew.err
    assert "Preparing import" not in anew.out  # the failed attempt's output is not shown
    assert anew.err.count("\n") == 2  # the version recorded, the warning
    assert _sqlite(db, "PRAGMA journal_mode") == [("wal",)]
