"""Marks of versions (good/bad) and the config history walk of the git store."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import TamperedError, UnknownVersionError
from tfshadow.state import delta

if TYPE_CHECKING:
    from conftest import StoreKit

V = "workspaces/default"
ANN = {"name": "Ann Operator", "email": "ann@example.com", "source": "git"}
BOB = {"name": "Bob Reviewer", "email": "bob@example.com", "source": "git"}


def test_set_mark_is_a_commit_of_its_own_by_the_author(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 4):
        kit.record(store, n)

    entry = store.set_mark("default", 2, "good", ANN, note="smoke tests passed")

    assert entry["version"] == 2 and entry["mark"] == "good"
    assert entry["author"] == ANN and entry["note"] == "smoke tests passed"
    assert entry["timestamp"].endswith("Z")
    log = kit.git(store.root, "log", "-1", "--format=%an <%ae>|%s|%(trailers:key=Tfshadow-Mark)")
    assert log.strip() == (
        "Ann Operator <ann@example.com>|Mark version 2 of workspace default good|"
        "Tfshadow-Mark: default/2 good"
    )
    assert "smoke tests passed" in kit.git(store.root, "log", "-1", "--format=%b")
    marks_file = store.root / V / "marks.json"
    assert not marks_file.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert json.loads(marks_file.read_text())["marks"] == [entry]
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    # Version directories are untouched and the history reads as before.
    assert sorted(p.name for p in (store.root / V / "000002").iterdir()) == [
        "config.delta.json",
        "meta.json",
        "state.delta.json",
    ]
    assert [m["version"] for m in store.versions("default")] == [1, 2, 3]
    assert store.workspaces() == ["default"]


def test_marks_latest_mark_wins_and_last_good_is_the_newest_good(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 5):
        kit.record(store, n)
    assert store.marks("default") == {}
    assert store.last_good("default") is None

    store.set_mark("default", 1, "good", ANN)
    store.set_mark("default", 3, "good", ANN)
    store.set_mark("default", 2, "bad", BOB)
    assert store.last_good("default") == 3
    store.set_mark("default", 3, "bad", BOB, note="latency doubled")

    marks = store.marks("default")
    assert {n: m["mark"] for n, m in marks.items()} == {1: "good", 2: "bad", 3: "bad"}
    assert marks[3]["author"] == BOB and marks[3]["note"] == "latency doubled"
    assert store.last_good("default") == 1
    # A fresh object, as the next command has, reads the same.
    assert kit.open_store(tmp_path, create=False).last_good("default") == 1


def test_set_mark_unknown_version_is_refused(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    head = kit.git(store.root, "rev-parse", "HEAD")

    with pytest.raises(UnknownVersionError, match="no version 7 in workspace default"):
        store.set_mark("default", 7, "good", ANN)
    with pytest.raises(UnknownVersionError, match="no version 1 in workspace staging"):
        store.set_mark("staging", 1, "good", ANN)
    with pytest.raises(ValueError, match="good, bad or suspect"):
        store.set_mark("default", 1, "fine", ANN)
    assert kit.git(store.root, "rev-parse", "HEAD") == head
    assert not (store.root / V / "marks.json").exists()


def test_marks_of_versions_removed_by_retention_are_dropped(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, retain=3, keyframe_interval=10)
    for n in range(1, 4):
        kit.record(store, n)
    store.set_mark("default", 1, "good", ANN)
    store.set_mark("default", 3, "bad", ANN)

    kit.record(store, 4)
    kit.record(store, 5)  # keeps 3, 4, 5

    assert (store.root / V / "marks.json").exists()  # retention leaves the file alone
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    assert {n: m["mark"] for n, m in store.marks("default").items()} == {3: "bad"}
    assert store.last_good("default") is None
    assert store.last_good("default", kept=False) == 1  # for saying why there is none
    from tfshadow.ops.marks import resolve_version

    with pytest.raises(UnknownVersionError, match=r"\(version 1 was; retention removed it\)"):
        resolve_version(store, "default", "last-good")
    with pytest.raises(UnknownVersionError, match="version 1 of workspace default was removed"):
        store.set_mark("default", 1, "good", ANN)

    store.set_mark("default", 4, "good", ANN)
    on_disk = json.loads((store.root / V / "marks.json").read_text())["marks"]
    assert [m["version"] for m in on_disk] == [3, 4]
    assert store.last_good("default") == 4
    kit.record(store, 6)
    assert [m["version"] for m in store.versions("default")] == [4, 5, 6]


def test_marks_come_from_the_commit_not_the_tree(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    store.set_mark("default", 1, "bad", ANN)
    # An interrupted mark (or an edit) leaves a newer file in the tree than HEAD holds.
    marks_file = store.root / V / "marks.json"
    marks_file.chmod(0o644)
    marks_file.write_text(json.dumps({"format": 1, "marks": [{"version": 2, "mark": "good"}]}))

    reopened = kit.open_store(tmp_path, create=False)
    assert {n: m["mark"] for n, m in reopened.marks("default").items()} == {1: "bad"}
    assert reopened.last_good("default") is None
    assert [m["version"] for m in reopened.versions("default")] == [1, 2]
    reopened.set_mark("default", 2, "good", ANN)
    assert {n: m["mark"] for n, m in reopened.marks("default").items()} == {1: "bad", 2: "good"}
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    assert kit.record(reopened, 3)["version"] == 3


def test_marks_committed_corruption_is_tampering(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    store.set_mark("default", 1, "good", ANN)
    marks_file = store.root / V / "marks.json"
    marks_file.chmod(0o644)
    marks_file.write_text('{"marks": [{"version": "1", "mark": "great"}]}')
    kit.git(store.root, "commit", "-qam", "sneaky")

    with pytest.raises(TamperedError, match="marks of workspace default"):
        store.marks("default")


def test_marks_are_per_workspace(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1, "default")
    kit.record(store, 1, "staging")
    store.set_mark("staging", 1, "good", ANN)
    assert store.last_good("staging") == 1
    assert store.last_good("default") is None
    assert (store.root / "workspaces/staging/marks.json").exists()
    assert store.workspaces() == ["default", "staging"]


def test_configs_walks_every_kept_version(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, retain=9, keyframe_interval=4)
    for n in range(1, 13):
        kit.record(store, n)

    walked = list(store.configs("default"))

    assert [n for n, _ in walked] == list(range(4, 13))
    for n, config in walked:
        assert delta.dumps(config) == delta.dumps(kit.config_doc(n))


def test_configs_reports_a_tampered_delta(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 4):
        kit.record(store, n)
    target = store.root / V / "000002" / "config.delta.json"
    target.chmod(0o644)
    target.write_bytes(delta.dumps(delta.diff(kit.config_doc(1), kit.config_doc(9))))

    with pytest.raises(TamperedError, match=r"000002/config\.delta\.json"):
        list(store.configs("default"))


def test_set_mark_that_cannot_write_is_a_store_error(kit: StoreKit, tmp_path: Path) -> None:
    from tfshadow.errors import StoreError

    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    store.set_mark("default", 1, "bad", ANN)
    # Nothing can be written (a full disk): one clear error, never a crash, and no mark lost.
    with kit.file_size_limit(200), pytest.raises(StoreError) as caught:
        store.set_mark("default", 1, "good", BOB)
    assert "cannot write" in caught.value.message and caught.value.hint
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    assert store.marks("default")[1]["mark"] == "bad"
    assert store.set_mark("default", 1, "good", BOB)["mark"] == "good"
