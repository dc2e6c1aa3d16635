from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tfshadow.errors import StoreError, TamperedError, UnknownVersionError
from tfshadow.state import delta
from tfshadow.store import GitShadowStore, Reconstructed, ShadowStore, StoreConfig

if TYPE_CHECKING:
    from conftest import StoreKit

V = "workspaces/default"


def same(a: object, b: object) -> bool:
    return delta.dumps(a) == delta.dumps(b)


def make_writable(path: Path) -> None:
    path.chmod(0o644)


def test_record_round_trip_many_versions_with_keyframes(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=4)
    metas = [kit.record(store, n) for n in range(1, 31)]

    assert [m["version"] for m in metas] == list(range(1, 31))
    assert [m["parent"] for m in metas] == [None, *range(1, 30)]
    assert [m["version"] for m in metas if m["keyframe"]] == [1, 5, 9, 13, 17, 21, 25, 29]
    for m in metas:
        n = m["version"]
        assert m["format"] == 1
        assert m["state_sha256"] == delta.sha256_hex(kit.state_doc(n))
        assert m["config_sha256"] == delta.sha256_hex(kit.config_doc(n))

    # A fresh object, as a new command would have, rebuilds every version exactly.
    reopened = kit.open_store(tmp_path, create=False, keyframe_interval=4)
    for n in range(1, 31):
        rebuilt = reopened.reconstruct("default", n)
        assert isinstance(rebuilt, Reconstructed)
        assert same(rebuilt.state, kit.state_doc(n))
        assert same(rebuilt.config, kit.config_doc(n))
        assert rebuilt.meta == metas[n - 1]
    assert reopened.versions("default") == metas
    assert reopened.latest("default") == metas[-1]


def test_reading_versions_newest_first_rebuilds_each_run_once(
    kit: StoreKit, tmp_path: Path
) -> None:
    # `log -p` and `inspect` read each version and its parent, newest first.
    store = kit.open_store(tmp_path, keyframe_interval=10)
    for n in range(1, 21):
        kit.record(store, n)
    reader = kit.open_store(tmp_path, create=False, keyframe_interval=10)

    for n in range(20, 1, -1):
        assert same(reader.reconstruct("default", n).state, kit.state_doc(n))
        assert same(reader.reconstruct("default", n - 1).state, kit.state_doc(n - 1))

    # Each of the two runs (keyframes 1 and 11) patched once through, not once per version
    # (from its keyframe each time, that was about 160 deltas); the latest comes from the cache.
    assert reader.deltas_applied == 9 + 8


def test_record_keeps_argument_and_returns_completed_meta(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    meta = kit.meta_doc(1)
    before = dict(meta)

    completed = store.record("default", meta, kit.state_doc(1), kit.config_doc(1))

    assert meta == before
    assert completed["author"] == before["author"]
    assert completed["description"] == before["description"]
    assert {"version", "parent", "state_sha256", "config_sha256", "keyframe", "format"} <= set(
        completed
    )
    on_disk = json.loads((store.root / V / "000001" / "meta.json").read_text())
    assert on_disk == completed


def test_record_writes_read_only_files_in_the_layout(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=25)
    kit.record(store, 1)
    kit.record(store, 2)

    first = store.root / V / "000001"
    second = store.root / V / "000002"
    assert sorted(p.name for p in first.iterdir()) == ["config.json", "meta.json", "state.json"]
    assert sorted(p.name for p in second.iterdir()) == [
        "config.delta.json",
        "meta.json",
        "state.delta.json",
    ]
    for path in [*first.iterdir(), *second.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o444, path
    assert (first / "state.json").read_bytes() == delta.dumps(kit.state_doc(1))
    assert delta.patch(kit.state_doc(1), delta.loads((second / "state.delta.json").read_bytes()))


def test_record_commit_author_message_and_trailer(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    store.record(
        "staging",
        kit.meta_doc(1, "Bea Builder", "bea@example.com"),
        kit.state_doc(1),
        kit.config_doc(1),
    )
    store.record(
        "staging",
        kit.meta_doc(2, "Cal Coder", "cal@example.com"),
        kit.state_doc(2),
        kit.config_doc(2),
    )

    log = kit.git(store.root, "log", "--format=%an|%ae|%cn|%ce|%s|%(trailers:key=Tfshadow-Version)")
    lines = [line for line in log.splitlines() if line]
    assert lines[0] == (
        "Cal Coder|cal@example.com|Cal Coder|cal@example.com|apply number 2|"
        "Tfshadow-Version: staging/2"
    )
    assert lines[1].startswith("Bea Builder|bea@example.com|Bea Builder|bea@example.com|")
    # One commit per version, after the commit that created the store.
    assert len(lines) == 3
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""


def test_record_description_with_hash_lines_is_kept(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    meta = {**kit.meta_doc(1), "description": "# not a comment\nsecond line"}
    store.record("default", meta, kit.state_doc(1), kit.config_doc(1))
    body = kit.git(store.root, "log", "-1", "--format=%B")
    assert body.startswith("# not a comment\nsecond line\n\nTfshadow-Version: default/1")


def test_record_without_author_uses_tfshadow_identity(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    store.record("default", {"description": "x"}, kit.state_doc(1), kit.config_doc(1))
    assert kit.git(store.root, "log", "-1", "--format=%an <%ae>").strip() == (
        "tfshadow <tfshadow@localhost>"
    )


def test_record_big_integers_survive_exactly(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    state = kit.state_doc(1)
    state["outputs"]["big"] = {"value": 2**70 + 1, "type": "number"}
    store.record("default", kit.meta_doc(1), state, kit.config_doc(1))
    state2 = kit.state_doc(2)
    state2["outputs"]["big"] = {"value": -(2**66), "type": "number"}
    store.record("default", kit.meta_doc(2), state2, kit.config_doc(2))

    fresh = kit.open_store(tmp_path, create=False)
    assert fresh.reconstruct("default", 1).state["outputs"]["big"]["value"] == 2**70 + 1
    assert fresh.reconstruct("default", 2).state["outputs"]["big"]["value"] == -(2**66)


def test_reconstruct_latest_is_the_same_with_and_without_cache(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=5)
    for n in range(1, 8):
        kit.record(store, n)
    cached = store.reconstruct("default", 7)
    cache_files = list((store.root / ".git" / "tfshadow" / "cache").iterdir())
    assert [p.name for p in cache_files] == ["default.latest"]
    cache_files[0].write_bytes(b"garbage")  # an unusable cache is ignored, then rebuilt

    rebuilt = store.reconstruct("default", 7)
    assert same(rebuilt.state, cached.state) and same(rebuilt.state, kit.state_doc(7))
    assert cache_files[0].read_bytes() != b"garbage"
    assert "default.latest" not in kit.git(store.root, "ls-files")


def test_workspaces_are_listed_and_validated(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1, "staging")
    kit.record(store, 1, "default")
    kit.record(store, 2, "staging")

    assert store.workspaces() == ["default", "staging"]
    assert [m["version"] for m in store.versions("staging")] == [1, 2]
    assert store.versions("prod") == []
    assert store.latest("prod") is None
    for bad in ("../escape", "a/b", ".hidden", "", "-x", "x" * 91):
        with pytest.raises(StoreError, match="workspace name"):
            store.record(bad, kit.meta_doc(1), kit.state_doc(1), kit.config_doc(1))


def test_meta_unknown_version_names_the_range(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 6):
        kit.record(store, n)

    with pytest.raises(UnknownVersionError) as caught:
        store.meta("default", 7)
    assert caught.value.message == "no version 7 in workspace default"
    assert caught.value.hint == "`tfshadow log` lists versions 1\N{EN DASH}5"
    with pytest.raises(UnknownVersionError, match="no version 1 in workspace prod"):
        store.reconstruct("prod", 1)
    assert store.meta("default", 3)["version"] == 3


def test_retention_removes_old_versions_and_rekeys_the_oldest_kept(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path, retain=3, keyframe_interval=10)
    for n in range(1, 8):
        kit.record(store, n)

    assert [m["version"] for m in store.versions("default")] == [5, 6, 7]
    assert sorted(p.name for p in (store.root / V).iterdir()) == ["000005", "000006", "000007"]
    oldest = store.root / V / "000005"
    assert sorted(p.name for p in oldest.iterdir()) == ["config.json", "meta.json", "state.json"]
    assert store.meta("default", 5)["keyframe"] is True
    for n in (5, 6, 7):
        assert same(store.reconstruct("default", n).state, kit.state_doc(n))
    with pytest.raises(UnknownVersionError, match="version 2 of workspace default was removed"):
        store.meta("default", 2)

    # Removed versions stay in history; retention is its own commit.
    log = kit.git(store.root, "log", "--format=%s|%(trailers:key=Tfshadow-Retention,valueonly)")
    assert "keep the newest 3|default/4" in log
    first_commit = kit.git(store.root, "rev-list", "--max-parents=0", "HEAD").strip()
    assert kit.git(store.root, "log", "--format=%H", "--", f"{V}/000001/state.json")
    assert first_commit
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""

    fresh = kit.open_store(tmp_path, create=False, retain=3, keyframe_interval=10)
    kit.record(fresh, 8)
    assert [m["version"] for m in fresh.versions("default")] == [6, 7, 8]
    assert same(fresh.reconstruct("default", 8).state, kit.state_doc(8))


def test_retention_of_one_keeps_only_the_latest(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, retain=1)
    for n in range(1, 4):
        kit.record(store, n)
    assert [m["version"] for m in store.versions("default")] == [3]
    assert store.meta("default", 3)["keyframe"] is True
    assert same(store.reconstruct("default", 3).config, kit.config_doc(3))


def test_retention_that_runs_out_of_space_keeps_the_version(kit: StoreKit, tmp_path: Path) -> None:
    from tfshadow.errors import RetentionError

    store = kit.open_store(tmp_path, retain=2, keyframe_interval=10)
    for n in range(1, 3):
        kit.record(store, n)
    full_state = len(delta.dumps(kit.state_doc(3)))
    # Room for version 3's deltas, not for the keyframe retention writes for version 2.
    with kit.file_size_limit(full_state // 2), pytest.raises(RetentionError) as caught:
        kit.record(store, 3)
    assert caught.value.recorded["version"] == 3
    assert "cannot write to the shadow store" in caught.value.message and caught.value.hint

    reopened = kit.open_store(tmp_path, create=False, retain=2, keyframe_interval=10)
    assert kit.git(reopened.root, "status", "--porcelain", "--ignored") == ""
    assert [m["version"] for m in reopened.versions("default")] == [1, 2, 3]
    assert same(reopened.reconstruct("default", 3).state, kit.state_doc(3))
    kit.record(reopened, 4)
    assert [m["version"] for m in reopened.versions("default")] == [3, 4]
    assert reopened.check().sound


def test_the_command_a_tampered_file_error_gives_restores_it_read_only(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path / "a store")  # a space: the command quotes its paths
    for n in range(1, 3):
        kit.record(store, n)
    target = store.root / V / "000001" / "meta.json"
    make_writable(target)
    target.write_text("{}")
    with pytest.raises(TamperedError) as caught:
        store.versions("default")
    assert caught.value.hint is not None
    (command,) = re.findall(r"`([^`]+)`", caught.value.hint)

    subprocess.run(command, shell=True, check=True)

    assert [m["version"] for m in store.versions("default")] == [1, 2]
    report = store.check()
    assert report.sound and not report.writable, report


def test_reconstruct_edited_file_is_tampering_named(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=10)
    for n in range(1, 4):
        kit.record(store, n)
    target = store.root / V / "000002" / "state.delta.json"
    make_writable(target)
    target.write_bytes(target.read_bytes().replace(b"t3.", b"m5."))

    with pytest.raises(TamperedError) as caught:
        store.reconstruct("default", 2)
    assert "version 2 of workspace default" in caught.value.message
    assert "workspaces/default/000002/state.delta.json" in caught.value.message
    assert caught.value.hint is not None and "checkout HEAD --" in caught.value.hint
    assert same(store.reconstruct("default", 1).state, kit.state_doc(1))
    # The latest version comes from the cache, which does not need version 2's files...
    assert same(store.reconstruct("default", 3).state, kit.state_doc(3))
    # ...but rebuilding it from the deltas passes through them.
    (store.root / ".git" / "tfshadow" / "cache" / "default.latest").unlink()
    with pytest.raises(TamperedError, match=r"000002/state\.delta\.json"):
        store.reconstruct("default", 3)


def test_reconstruct_latest_from_cache_still_checks_its_files(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    target = store.root / V / "000002" / "config.delta.json"
    make_writable(target)
    target.write_bytes(target.read_bytes() + b" ")
    with pytest.raises(TamperedError, match=r"000002/config\.delta\.json was modified"):
        store.reconstruct("default", 2)


def test_reconstruct_edited_keyframe_is_tampering(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    target = store.root / V / "000001" / "state.json"
    make_writable(target)
    target.write_text(json.dumps(kit.state_doc(99)))
    with pytest.raises(TamperedError, match=r"000001/state\.json"):
        store.reconstruct("default", 1)


def test_deleted_file_is_reported(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 4):
        kit.record(store, n)
    (store.root / V / "000002" / "meta.json").unlink()

    with pytest.raises(TamperedError, match=r"000002/meta\.json is missing"):
        store.versions("default")
    with pytest.raises(TamperedError, match=r"000002/meta\.json is missing"):
        store.reconstruct("default", 2)
    with pytest.raises(TamperedError, match=r"000002/meta\.json is missing"):
        store.meta("default", 2)


def test_corrupt_meta_json_is_reported(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    target = store.root / V / "000001" / "meta.json"
    make_writable(target)
    target.write_text("{not json")
    with pytest.raises(TamperedError, match=r"000001/meta\.json"):
        store.meta("default", 1)
    with pytest.raises(TamperedError, match=r"000001/meta\.json"):
        store.latest("default")


def test_committed_corruption_is_caught_by_hashes(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    target = store.root / V / "000001" / "state.json"
    make_writable(target)
    target.write_bytes(delta.dumps(kit.state_doc(50)))
    kit.git(store.root, "commit", "-qam", "sneaky")

    with pytest.raises(TamperedError, match="does not rebuild the document"):
        store.reconstruct("default", 1)


def test_open_keeps_tampered_files_for_detection(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    target = store.root / V / "000001" / "config.json"
    make_writable(target)
    target.write_text("{}")

    reopened = kit.open_store(tmp_path, create=False)
    assert target.read_text() == "{}"
    with pytest.raises(TamperedError):
        reopened.reconstruct("default", 1)


def test_open_removes_a_half_written_version(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    # An interrupted record: a temp dir, a renamed but uncommitted version, a staged file.
    temp = store.root / V / ".tmp-000003-4242"
    temp.mkdir()
    (temp / "meta.json").write_text("{}")
    half = store.root / V / "000003"
    half.mkdir()
    (half / "meta.json").write_text('{"version": 3}')
    staged = store.root / V / "000004"
    staged.mkdir()
    (staged / "state.json").write_text("{}")
    kit.git(store.root, "add", "-f", "--", f"{V}/000004")
    # git killed mid-command leaves its lock behind, which would block every later commit.
    (store.root / ".git" / "index.lock").write_text("")

    reopened = kit.open_store(tmp_path, create=False)
    assert kit.git(reopened.root, "status", "--porcelain", "--ignored") == ""
    assert not temp.exists() and not half.exists() and not staged.exists()
    assert [m["version"] for m in reopened.versions("default")] == [1, 2]
    assert kit.record(reopened, 3)["version"] == 3
    assert same(reopened.reconstruct("default", 3).state, kit.state_doc(3))


def test_creation_killed_before_its_first_commit_is_finished_next_time(
    kit: StoreKit, tmp_path: Path
) -> None:
    # The first apply was killed while it committed the store's marker: the repository is
    # there, with no commit, a marker file and git's index lock.
    path = tmp_path / ".tfshadow"
    path.mkdir()
    kit.git(path, "init", "-q", "--initial-branch=tfshadow")
    (path / "tfshadow-store.json").write_text('{"form')
    (path / ".git" / "index.lock").write_text("")

    store = kit.open_store(tmp_path)
    assert kit.record(store, 1)["version"] == 1
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    assert store.check().sound


def test_open_removes_the_locks_of_a_killed_gc(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.git(store.root, "gc", "--quiet")
    # `git gc` killed while packing refs and writing the commit graph leaves their locks, and
    # every later gc of the store would fail on them.
    locks = [
        store.root / ".git" / "packed-refs.lock",
        store.root / ".git" / "objects" / "info" / "commit-graph.lock",
    ]
    for lock in locks:
        lock.write_text("")

    reopened = kit.open_store(tmp_path, create=False)
    assert not any(lock.exists() for lock in locks)
    kit.record(reopened, 2)
    kit.git(reopened.root, "gc", "--quiet")  # check=True: it succeeds
    assert [m["version"] for m in reopened.versions("default")] == [1, 2]


def test_open_finishes_an_interrupted_retention(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    for n in range(1, 4):
        kit.record(store, n)
    # Retention moved HEAD, then stopped before the tree caught up with it.
    meta = store.root / V / "000002" / "meta.json"
    meta.unlink()
    (store.root / ".git" / "tfshadow" / "pending.json").write_text(
        json.dumps({"dirs": [f"{V}/000002"]})
    )

    reopened = kit.open_store(tmp_path, create=False)
    assert meta.exists() and not meta.stat().st_mode & 0o222  # put back read-only
    assert not (store.root / ".git" / "tfshadow" / "pending.json").exists()
    assert [m["version"] for m in reopened.versions("default")] == [1, 2, 3]


def test_open_without_create_and_no_store(kit: StoreKit, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        kit.open_store(tmp_path, create=False)
    assert caught.value.message == f"no shadow store at {tmp_path / '.tfshadow'}"
    assert caught.value.hint == "run `tfshadow apply` first"
    assert not (tmp_path / ".tfshadow").exists()


def test_open_non_git_directory_with_files(kit: StoreKit, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    for create in (True, False):
        with pytest.raises(StoreError) as caught:
            kit.open_store(tmp_path, create=create, path=target)
        assert str(target) in caught.value.message
        assert "not a git repository" in caught.value.message
        assert caught.value.hint
    assert (target / "notes.txt").read_text() == "mine"


def test_open_git_repository_that_is_not_a_store(kit: StoreKit, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    kit.git(other, "init", "-q")
    (other / "README").write_text("x")
    kit.git(other, "add", "README")
    kit.git(other, "commit", "-qm", "first")
    with pytest.raises(StoreError, match="not a tfshadow shadow store"):
        kit.open_store(tmp_path, path=other)


def test_open_explicit_path_relative_to_workdir_and_empty_dir(
    kit: StoreKit, tmp_path: Path
) -> None:
    (tmp_path / "history").mkdir()
    store = kit.open_store(tmp_path, path=Path("history"))
    assert store.root == tmp_path / "history"
    kit.record(store, 1)
    assert kit.open_store(tmp_path, create=False, path=tmp_path / "history").latest("default")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"retain": 0}, "retain must be at least 1"),
        ({"keyframe_interval": 0}, "keyframe_interval must be at least 1"),
        ({"branch": "tfshadow", "path": Path("x")}, "both a path and a branch"),
    ],
)
def test_open_rejects_bad_settings(
    kit: StoreKit, tmp_path: Path, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        GitShadowStore.open(StoreConfig(workdir=tmp_path, **settings), create=True)  # type: ignore[arg-type]


def test_default_store_nested_in_the_configuration_repo(kit: StoreKit, tmp_path: Path) -> None:
    kit.git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "main.tf").write_text("# config\n")
    kit.git(tmp_path, "add", "main.tf")
    kit.git(tmp_path, "commit", "-qm", "config")
    head = kit.git(tmp_path, "rev-parse", "HEAD")

    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)

    assert store.root == tmp_path / ".tfshadow"
    assert kit.git(tmp_path, "rev-parse", "HEAD") == head
    assert kit.git(tmp_path, "status", "--porcelain") == "?? .tfshadow/\n"
    assert kit.git(store.root, "rev-list", "--count", "HEAD").strip() == "3"


def test_store_ignores_git_variables_pointing_elsewhere(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    kit.git(decoy, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(decoy / ".git" / "index"))
    workdir = tmp_path / "config"
    workdir.mkdir()
    store = kit.open_store(workdir)
    kit.record(store, 1)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert kit.git(decoy, "rev-list", "--all") == ""
    assert "Tfshadow-Version: default/1" in kit.git(store.root, "log", "-1")


def test_fingerprint_key_is_stable_and_never_committed(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    key = store.fingerprint_key()
    kit.record(store, 1)

    assert len(key) == 32
    assert kit.open_store(tmp_path, create=False).fingerprint_key() == key
    key_file = store.root / ".git" / "tfshadow" / "fingerprint.key"
    assert key_file.read_bytes() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "fingerprint" not in kit.git(store.root, "ls-files")
    other = tmp_path / "other"
    other.mkdir()
    assert kit.open_store(other).fingerprint_key() != key


def test_files_of_a_version_are_not_writable_by_accident(kit: StoreKit, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores file modes")
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    with pytest.raises(PermissionError):
        (store.root / V / "000001" / "state.json").write_text("{}")


def test_git_store_meets_the_shadow_store_protocol(kit: StoreKit, tmp_path: Path) -> None:
    store: ShadowStore = kit.open_store(tmp_path)
    with store.lock(1, command="test"):
        store.record("default", kit.meta_doc(1), kit.state_doc(1), kit.config_doc(1))
    assert store.root.is_dir()
    assert store.workspaces() == ["default"]


def test_record_that_cannot_write_its_files_is_a_store_error_and_leaves_nothing(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    big = kit.state_doc(2, count=600)  # a state.json of well over the file size limit below
    # A full disk, a store remounted read-only, a quota: the write fails under the recording.
    with kit.file_size_limit(64 * 1024), pytest.raises(StoreError) as caught:
        store.record("default", kit.meta_doc(2), big, kit.config_doc(2))
    assert "cannot write version 2" in caught.value.message
    assert caught.value.hint
    # Nothing half-written stays to fill the disk further, and the history is as it was.
    assert kit.git(store.root, "status", "--porcelain", "--ignored") == ""
    assert [m["version"] for m in store.versions("default")] == [1]
    assert store.record("default", kit.meta_doc(2), big, kit.config_doc(2))["version"] == 2


def test_check_rebuilds_every_run_once_and_names_each_first_damage(
    kit: StoreKit, tmp_path: Path
) -> None:
    store = kit.open_store(tmp_path, keyframe_interval=4)
    for n in range(1, 12):  # runs 1-4, 5-8, 9-11
        kit.record(store, n)
    kit.record(store, 1, workspace="staging")
    report = store.check()
    assert report.sound and (report.workspaces, report.versions) == (2, 12)
    assert report.damaged == () and report.git == () and report.writable == ()

    # Damage in two runs: each named once, although every later version of its run fails too;
    # the latest version is checked from its files, not from the cache.
    for version, name in (("000002", "state.delta.json"), ("000011", "config.delta.json")):
        target = store.root / V / version / name
        make_writable(target)
        target.write_bytes(target.read_bytes() + b" ")
    damaged = store.check().damaged
    assert [e.message.split(":")[0] for e in damaged] == [
        "version 11 of workspace default has been tampered with",
        "version 2 of workspace default has been tampered with",
    ]
    assert all(e.hint and "checkout HEAD --" in e.hint for e in damaged)
    report = store.check()
    assert not report.sound
    assert report.writable == (f"{V}/000002/state.delta.json", f"{V}/000011/config.delta.json")


def test_check_reports_what_git_finds_wrong_with_its_objects(kit: StoreKit, tmp_path: Path) -> None:
    store = kit.open_store(tmp_path)
    kit.record(store, 1)
    kit.record(store, 2)
    # An object of an old commit lost on disk: the files still read, git's own check does not.
    old_tree = kit.git(store.root, "rev-parse", "HEAD~1^{tree}").strip()
    loose = store.root / ".git" / "objects" / old_tree[:2] / old_tree[2:]
    loose.unlink()
    report = store.check()
    assert not report.sound and report.damaged == ()
    assert any(old_tree in line for line in report.git), report.git


def test_store_packs_itself_in_the_foreground_and_git_never_gcs_on_its_own(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfshadow.store import gitstore

    def objects(store_root: Path) -> dict[str, int]:
        out = kit.git(store_root, "count-objects", "-v")
        return {
            k: int(v) for k, v in (line.split(": ") for line in out.splitlines()) if v.isdigit()
        }

    store = kit.open_store(tmp_path)
    # Loose objects past the threshold of a git that would gc after any commit: the store's own
    # commits must not start it (git would run it detached, after the command).
    kit.git(store.root, "config", "gc.auto", "1")
    kit.git(store.root, "config", "gc.autoDetach", "false")
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    for n in range(3000):
        (blobs / str(n)).write_text(str(n))
    subprocess.run(
        ["git", "hash-object", "-w", "--stdin-paths"],
        cwd=store.root,
        input="\n".join(str(p) for p in blobs.iterdir()),
        text=True,
        check=True,
        capture_output=True,
    )
    for n in range(1, 4):
        kit.record(store, n)
    assert objects(store.root)["packs"] == 0 and objects(store.root)["count"] > 3000

    monkeypatch.setattr(gitstore, "LOOSE_OBJECTS_BEFORE_PACKING", 3030)
    for n in range(4, 8):
        kit.record(store, n)
    counted = objects(store.root)
    # Packed once the threshold was passed: the history so far (unreachable objects stay loose
    # a while, as gc keeps them, and so do the versions recorded since).
    assert counted["packs"] == 1 and counted["in-pack"] > 30, counted
    assert same(store.reconstruct("default", 7).state, kit.state_doc(7))
    assert store.check().sound


def test_record_flushes_git_objects_and_refs_to_disk(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git counts its flushes in its trace2 events: without the store's fsync settings a commit
    # makes none (git's default leaves loose objects and refs in the page cache).
    store = kit.open_store(tmp_path)
    trace = tmp_path / "trace2.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    kit.record(store, 1)

    flushes = 0
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        if event.get("category") == "fsync" and event.get("key") == "fsync/hardware-flush":
            flushes += int(event["value"])
    assert flushes >= 2  # the objects of the version, then the ref that names them
