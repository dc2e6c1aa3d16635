"""Sync, verify and restore between a real git store and moto's S3 server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.unit.mirror.s3server import CuttingProxy, InterruptingEndpoint, client, new_bucket
from tests.unit.store.conftest import config_doc, meta_doc, state_doc
from tfshadow.errors import MirrorError, MirrorInterruptedError, StoreError, UsageError
from tfshadow.mirror import queue
from tfshadow.mirror.base import HistoryStep, parse_history_key
from tfshadow.mirror.ops import after_record, resume_queued
from tfshadow.mirror.restore import restore
from tfshadow.mirror.s3 import S3Mirror
from tfshadow.mirror.sync import PRIVATE_DIR, count_past, pending_versions, step_counts, sync
from tfshadow.mirror.verify import verify
from tfshadow.store import GitShadowStore, StoreConfig


def record(store: GitShadowStore, serial: int, workspace: str = "default") -> None:
    store.record(workspace, meta_doc(serial), state_doc(serial), config_doc(serial))


def git_log(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "log", "--format=%H %an %s"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def mirror_for(endpoint: str, *, lock: bool = False) -> S3Mirror:
    bucket = new_bucket(endpoint, object_lock=lock)
    return S3Mirror(
        bucket, "prod/net", endpoint=endpoint, lock_mode="GOVERNANCE" if lock else None, lock_days=1
    )


def test_sync_uploads_versions_history_and_manifests(
    store: GitShadowStore, s3_endpoint: str
) -> None:
    mirror = mirror_for(s3_endpoint, lock=True)
    record(store, 1)
    record(store, 2)
    first = sync(store, mirror)
    assert first.versions == (("default", 1), ("default", 2))
    assert first.tip == store.head()
    keys = mirror.list_keys("")
    history = [parse_history_key(k) for k in keys if k.startswith("history/")]
    assert history == [(3, store.head())]  # the store's creation and two versions
    manifests = sorted(k for k in keys if k.startswith("versions/"))
    assert [m.split("/")[:3] for m in manifests] == [
        ["versions", "default", "000001"],
        ["versions", "default", "000002"],
    ]
    doc = json.loads(mirror.get(manifests[1]))
    assert set(doc["files"]) == {"meta.json", "state.delta.json", "config.delta.json"}
    for entry in doc["files"].values():
        assert f"objects/{entry['sha256']}" in keys
    assert verify(store, mirror).ok

    # Nothing new: nothing sent. One more version: only what it adds.
    assert sync(store, mirror).objects == 0
    record(store, 3, workspace="staging")
    third = sync(store, mirror)
    assert third.versions == (("staging", 1),)
    assert third.objects == 3 + 1 + 1 + 1  # three files, bundle, manifest, history step
    report = verify(store, mirror)
    assert report.ok and report.checked > 0


def test_sync_failure_queues_the_version_and_the_next_sync_completes_it(
    store: GitShadowStore, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    bucket = new_bucket(s3_endpoint, object_lock=False)
    mirror = S3Mirror(bucket, "p", endpoint=proxy.endpoint)
    record(store, 1)
    sync(store, mirror)
    whole = proxy.passed
    record(store, 2)
    head = store.head()
    proxy.cut_after(whole // 3)
    with pytest.raises(MirrorError, match=r"cannot .* s3://"):
        sync(store, mirror)
    assert proxy.cuts >= 1
    # The version is in git, and queued.
    assert [m["version"] for m in store.versions("default")] == [1, 2]
    assert store.head() == head
    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    assert pending is not None and pending.versions == (("default", 2),)
    assert "cannot" in pending.error
    proxy.heal()
    report = verify(store, mirror)
    assert not report.ok and report.queued == (("default", 2),)
    assert any(f.problem == "missing" and f.key.startswith("history/") for f in report.findings)

    done = sync(store, mirror)
    assert done.versions == (("default", 2),) and done.was_queued == (("default", 2),)
    assert queue.load_pending(store.private_dir(PRIVATE_DIR)) is None
    assert verify(store, mirror).ok


def test_sync_refuses_another_stores_prefix_and_a_fresh_copy_goes_on_from_the_mirror(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    # Two configurations whose tfshadow.hcl name the same bucket and prefix (one copied from
    # the other): a restore would take whichever history has more commits, the other's maybe.
    mirror = mirror_for(s3_endpoint)
    other = GitShadowStore.open(StoreConfig(workdir=tmp_path / "staging"), create=True)
    for serial in (1, 2):
        record(store, serial)
        record(other, serial + 10)  # another configuration: other states
    sync(store, mirror)
    record(other, 13)

    with pytest.raises(MirrorError, match="another shadow store") as caught:
        sync(other, mirror)

    assert "prefix of its own" in caught.value.one_line()
    pending = queue.load_pending(other.private_dir(PRIVATE_DIR))
    assert pending is not None and pending.versions == (
        ("default", 1),
        ("default", 2),
        ("default", 3),
    )
    assert [parse_history_key(k) for k in mirror.list_keys("history/")] == [(3, store.head())]
    restored = restore(StoreConfig(workdir=tmp_path / "restored"), mirror)
    assert restored.tip == store.head()

    # A copy of the same store (restored, or cloned by a fresh CI runner that never synced)
    # shares the mirror's history and goes on from it.
    copy = GitShadowStore.open(StoreConfig(workdir=tmp_path / "restored"), create=False)
    queue.save_mirrored_tip(copy.private_dir(PRIVATE_DIR), "elsewhere", copy.head() or "")
    record(copy, 3)
    # It sends only what the mirror lacks, as the store that synced there would.
    sent = sync(copy, mirror)
    assert sent.versions == (("default", 3),)
    assert sent.objects == 3 + 1 + 1 + 1  # three files, bundle, manifest, history step
    assert verify(copy, mirror).ok

    # When the newest step's bundle was lost, a fresh copy sends the whole history again
    # rather than build on a chain a restore could not follow.
    step = HistoryStep.loads(mirror.get(max(mirror.list_keys("history/"))))
    client(s3_endpoint).delete_object(
        Bucket=mirror.bucket, Key=f"prod/net/objects/{step.bundle_sha256}"
    )
    queue.save_mirrored_tip(copy.private_dir(PRIVATE_DIR), "elsewhere", copy.head() or "")
    record(copy, 4)
    again = sync(copy, mirror)
    # Versions 1 to 3 are in the mirror already: only version 4 and the whole history go up.
    assert again.versions == (("default", 4),)
    newest = HistoryStep.loads(mirror.get(max(mirror.list_keys("history/"))))
    assert newest.tip == copy.head() and newest.base is None
    assert restore(StoreConfig(workdir=tmp_path / "third"), mirror).tip == copy.head()
    assert restore(StoreConfig(workdir=tmp_path / "again"), mirror).tip == copy.head()


def test_verify_reports_missing_and_altered_objects(
    store: GitShadowStore, s3_endpoint: str
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    record(store, 2)
    sync(store, mirror)
    s3 = client(s3_endpoint)
    objects = sorted(k for k in mirror.list_keys("objects/"))
    s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/{objects[0]}")
    s3.put_object(Bucket=mirror.bucket, Key=f"prod/net/{objects[1]}", Body=b"{}")
    report = verify(store, mirror)
    assert not report.ok
    assert {(f.problem, f.key) for f in report.findings} == {
        ("missing", objects[0]),
        ("altered", objects[1]),
    }


def test_verify_goes_on_past_an_altered_history_step(
    store: GitShadowStore, s3_endpoint: str
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    sync(store, mirror)
    record(store, 2)
    sync(store, mirror)
    steps = sorted(k for k in mirror.list_keys("history/"))
    assert len(steps) == 2
    older, newer = steps  # keys start with the commit count: the older step sorts first
    older_bundle = json.loads(mirror.get(older))["bundle"]["sha256"]
    s3 = client(s3_endpoint)
    s3.put_object(Bucket=mirror.bucket, Key=f"prod/net/{newer}", Body=b"not a step")
    s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/objects/{older_bundle}")
    report = verify(store, mirror)
    # The older step's bundle is checked too, although the newer step cannot say where it is.
    assert {(f.problem, f.key) for f in report.findings} == {
        ("altered", newer),
        ("missing", f"objects/{older_bundle}"),
    }


def test_restore_rebuilds_the_store_with_its_history(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint, lock=True)
    record(store, 1)
    sync(store, mirror)
    record(store, 2)
    record(store, 3, workspace="staging")
    sync(store, mirror)
    record(store, 4)
    sync(store, mirror)

    target = StoreConfig(workdir=tmp_path / "elsewhere")
    result = restore(target, mirror)
    assert result.steps == 3
    assert result.versions == {"default": 3, "staging": 1}
    restored = GitShadowStore.open(target, create=False)
    assert git_log(restored.root) == git_log(store.root)
    for workspace, version in (("default", 1), ("default", 3), ("staging", 1)):
        assert restored.reconstruct(workspace, version) == store.reconstruct(workspace, version)
    assert (restored.root / "workspaces/default/000001/meta.json").stat().st_mode & 0o777 == 0o444
    # The restored store goes on recording, and mirroring from where the mirror is.
    record(restored, 5)
    assert sync(restored, mirror).versions == (("default", 4),)
    assert verify(restored, mirror).ok


def test_restore_of_parted_histories_names_the_other_unless_its_steps_name_no_copy(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    sync(store, mirror)
    restore(StoreConfig(workdir=tmp_path / "copy"), mirror)
    copy = GitShadowStore.open(StoreConfig(workdir=tmp_path / "copy"), create=False)
    record(copy, 12)  # another version 2 than the store's
    sync(copy, mirror)
    for serial in (2, 3):
        record(store, serial)
    sync(store, mirror)

    with pytest.raises(UsageError) as refused:
        restore(StoreConfig(workdir=tmp_path / "refused"), mirror)

    message = refused.value.one_line()
    assert f"the newest, to commit {(store.head() or '')[:12]}" in message
    assert (
        f"the history to commit {(copy.head() or '')[:12]} that another copy of the store "
        "uploaded (version(s) default 2"
    ) in message
    assert "--tip" in message
    assert not (tmp_path / "refused").exists()
    assert [(f.problem, f.key) for f in verify(store, mirror).findings] == [
        ("parted", f"history/{copy.commit_count(copy.head() or ''):010d}-{copy.head()}.json")
    ]

    # Steps as an older tfshadow uploaded them name no copy: the newest is restored, as then.
    for key in mirror.list_keys("history/"):
        doc = json.loads(mirror.get(key))
        for name in ("base_count", "copy", "versions"):
            del doc[name]
        mirror.put(key, (json.dumps(doc) + "\n").encode())
    result = restore(StoreConfig(workdir=tmp_path / "older"), mirror)
    assert result.tip == store.head() and result.left_out == ()
    assert verify(store, mirror).ok


def test_restore_uses_the_locked_original_of_an_overwritten_bundle(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint, lock=True)
    record(store, 1)
    sync(store, mirror)
    history = next(iter(mirror.list_keys("history/")))
    bundle = json.loads(mirror.get(history))["bundle"]["sha256"]
    client(s3_endpoint).put_object(
        Bucket=mirror.bucket, Key=f"prod/net/objects/{bundle}", Body=b"overwritten"
    )
    assert [f.problem for f in verify(store, mirror).findings] == ["altered"]
    restore(StoreConfig(workdir=tmp_path / "elsewhere"), mirror)
    restored = GitShadowStore.open(StoreConfig(workdir=tmp_path / "elsewhere"), create=False)
    assert git_log(restored.root) == git_log(store.root)


def test_restore_uses_the_locked_original_of_an_overwritten_history_step(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint, lock=True)
    record(store, 1)
    sync(store, mirror)
    record(store, 2)
    sync(store, mirror)
    for key in mirror.list_keys("history/"):
        client(s3_endpoint).put_object(
            Bucket=mirror.bucket, Key=f"prod/net/{key}", Body=b"overwritten"
        )
    overwritten = verify(store, mirror)
    assert {f.problem for f in overwritten.findings} == {"altered"}
    assert overwritten.repair == "sync --full"

    restore(StoreConfig(workdir=tmp_path / "elsewhere"), mirror)

    restored = GitShadowStore.open(StoreConfig(workdir=tmp_path / "elsewhere"), create=False)
    assert git_log(restored.root) == git_log(store.root)
    # The repair verify names sends the history again beside the overwritten steps.
    assert sync(store, mirror, full=True).objects > 0
    assert verify(store, mirror).ok
    restore(StoreConfig(workdir=tmp_path / "again"), mirror)


def test_restore_after_retention_keeps_what_the_store_kept(
    tmp_path: Path, s3_endpoint: str
) -> None:
    store = GitShadowStore.open(StoreConfig(workdir=tmp_path / "a", retain=2), create=True)
    mirror = mirror_for(s3_endpoint)
    for serial in range(1, 5):
        record(store, serial)
        sync(store, mirror)
    assert verify(store, mirror).ok
    target = StoreConfig(workdir=tmp_path / "b", retain=2)
    assert restore(target, mirror).versions == {"default": 2}
    restored = GitShadowStore.open(target, create=False)
    assert restored.reconstruct("default", 4) == store.reconstruct("default", 4)


def test_restore_onto_a_branch_of_the_configuration_repository(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    record(store, 2)
    sync(store, mirror)
    repo = tmp_path / "config-repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    target = StoreConfig(workdir=repo, branch="shadows")
    assert restore(target, mirror).versions == {"default": 2}
    restored = GitShadowStore.open(target, create=False)
    assert restored.reconstruct("default", 2) == store.reconstruct("default", 2)


def test_restore_refuses_to_overwrite_a_store(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    sync(store, mirror)
    with pytest.raises(StoreError, match="already exists and is not empty"):
        restore(store.config, mirror)
    assert [m["version"] for m in store.versions("default")] == [1]


def test_restore_from_an_empty_mirror_says_so(s3_endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(MirrorError, match="holds no shadow store history"):
        restore(StoreConfig(workdir=tmp_path / "x"), mirror_for(s3_endpoint))
    assert not (tmp_path / "x" / ".tfshadow").exists()


def _two_versions_synced(store: GitShadowStore, endpoint: str) -> tuple[S3Mirror, Any]:
    """A mirror that two syncs sent versions 1 and 2 of ``store`` to, and an S3 client."""
    mirror = mirror_for(endpoint)
    record(store, 1)
    sync(store, mirror)
    record(store, 2)
    sync(store, mirror)
    return mirror, client(endpoint)


def test_sync_full_repairs_a_mirror_that_lost_objects(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror, s3 = _two_versions_synced(store, s3_endpoint)
    for key in mirror.list_keys(""):
        s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/{key}")
    assert not verify(store, mirror).ok
    assert sync(store, mirror).objects == 0  # the mirrored commit is the head: nothing new
    repaired = sync(store, mirror, full=True)
    assert repaired.versions == (("default", 1), ("default", 2))
    assert verify(store, mirror).ok
    assert restore(StoreConfig(workdir=tmp_path / "b"), mirror).versions == {"default": 2}


def test_sync_full_writes_no_key_again_with_other_content(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    # A bucket under Object Lock keeps what a key first held: a history step written again
    # with other content would be read as the first, and S3 would keep both.
    mirror, s3 = _two_versions_synced(store, s3_endpoint)

    def contents() -> dict[str, bytes]:
        return {
            key: s3.get_object(Bucket=mirror.bucket, Key=f"prod/net/{key}")["Body"].read()
            for key in mirror.list_keys("")
        }

    # The first step's bundle is lost: the history to the head is sent again, as a step of
    # its own beside the one that names the lost bundle.
    first = min(mirror.list_keys("history/"))
    lost = f"objects/{HistoryStep.loads(mirror.get(first)).bundle_sha256}"
    s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/{lost}")
    before = contents()
    assert sync(store, mirror, full=True).objects > 0
    after = contents()
    assert {key: after[key] for key in before} == before
    steps = sorted(parsed for key in after if (parsed := parse_history_key(key)))
    assert steps[-1][1] == store.head() and steps[-1][0] > max(c for c, _ in steps[:-1])
    assert verify(store, mirror).ok
    assert restore(StoreConfig(workdir=tmp_path / "b"), mirror).versions == {"default": 2}


def _mirrored(
    store: GitShadowStore,
    s3_endpoint: str,
    *,
    through: str | None = None,
    object_lock: bool = False,
) -> S3Mirror:
    """A new bucket, and the store's `tfshadow.hcl` mirroring to it (``through`` another
    endpoint in front of the server); the mirror as the test reads it, straight from the server."""
    bucket = new_bucket(s3_endpoint)
    lock = "\n    object_lock = true" if object_lock else ""
    (store.config.workdir / "tfshadow.hcl").write_text(
        f'store {{\n  mirror "s3" {{\n    bucket = "{bucket}"\n'
        f'    endpoint = "{through or s3_endpoint}"{lock}\n  }}\n}}\n'
    )
    return S3Mirror(bucket, endpoint=s3_endpoint)


def test_after_record_uploads_or_queues_with_a_warning(
    store: GitShadowStore, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    mirror = _mirrored(store, s3_endpoint, through=proxy.endpoint, object_lock=True)
    record(store, 1)
    assert after_record(store) is None
    assert resume_queued(store) is None  # nothing queued: nothing to do
    record(store, 2)
    proxy.cut_after(0)
    warning = after_record(store)
    assert warning is not None and "queued" in warning and "tfshadow store sync" in warning
    assert not verify(store, mirror).ok
    proxy.heal()
    assert resume_queued(store) is None
    assert queue.load_pending(store.private_dir(PRIVATE_DIR)) is None
    assert verify(store, mirror).ok


_HOLDER = """
import sys, time
from pathlib import Path
from tfshadow.store import GitShadowStore, StoreConfig

store = GitShadowStore.open(StoreConfig(workdir=Path(sys.argv[1])), create=False)
with store.lock(5, command="store verify"):
    Path(sys.argv[2]).write_text("locked")
    time.sleep(30)
"""


def test_after_record_queues_the_version_when_another_command_holds_the_store(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror = _mirrored(store, s3_endpoint)
    record(store, 1)
    assert after_record(store) is None
    record(store, 2)
    ready = tmp_path / "ready"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(store.config.workdir), str(ready)]
    )
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "no lock taken"
            time.sleep(0.02)

        warning = after_record(store)

    finally:
        holder.terminate()
        holder.wait(timeout=15)
    assert warning is not None and "another command holds the store" in warning
    assert "default 2" in warning and "queued" in warning
    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    assert pending is not None and pending.versions == (("default", 2),)
    assert verify(store, mirror).queued == (("default", 2),)
    # The next recording command starts by sending it.
    assert resume_queued(store) is None
    assert queue.load_pending(store.private_dir(PRIVATE_DIR)) is None
    assert verify(store, mirror).ok


def test_after_record_interrupted_upload_queues_the_version_and_says_so(
    store: GitShadowStore, interrupting: InterruptingEndpoint
) -> None:
    (store.config.workdir / "tfshadow.hcl").write_text(
        f'store {{\n  mirror "s3" {{\n    bucket = "some-bucket"\n'
        f'    endpoint = "{interrupting.endpoint}"\n  }}\n}}\n'
    )
    record(store, 1)

    with pytest.raises(MirrorInterruptedError) as stopped:
        after_record(store)

    assert stopped.value.exit_code == 130
    assert "default 1" in stopped.value.message and "kept locally" in stopped.value.message
    assert "tfshadow store sync" in (stopped.value.hint or "")
    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    assert pending is not None and pending.versions == (("default", 1),)
    assert [m["version"] for m in store.versions("default")] == [1]


def test_after_record_without_a_mirror_does_nothing(store: GitShadowStore) -> None:
    record(store, 1)
    assert after_record(store) is None
    assert not list(store.private_dir(PRIVATE_DIR).iterdir())


def test_sync_full_with_nothing_lost_uploads_nothing(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror, _ = _two_versions_synced(store, s3_endpoint)
    keys = mirror.list_keys("")

    again = sync(store, mirror, full=True)

    assert (again.versions, again.objects, again.tip) == ((), 0, store.head())
    assert mirror.list_keys("") == keys  # no history step added for a history already there
    assert sync(store, mirror, full=True).objects == 0
    assert verify(store, mirror).ok
    assert restore(StoreConfig(workdir=tmp_path / "b"), mirror).versions == {"default": 2}


def test_sync_full_sends_only_what_is_lost(store: GitShadowStore, s3_endpoint: str) -> None:
    mirror, s3 = _two_versions_synced(store, s3_endpoint)
    newest = max(mirror.list_keys("history/"))
    step = HistoryStep.loads(mirror.get(newest))
    manifest_key = next(k for k in mirror.list_keys("versions/default/000001/"))
    history = set(mirror.list_keys("history/"))
    for key in (f"objects/{step.bundle_sha256}", manifest_key):
        s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/{key}")

    repaired = sync(store, mirror, full=True)

    # Version 1's manifest, and a step from the sound step before the lost bundle (its own
    # bundle, and the step beside the one naming the lost bundle): not the whole history.
    assert repaired.versions == (("default", 1),) and repaired.objects == 3
    (added,) = set(mirror.list_keys("history/")) - history
    repair = HistoryStep.loads(mirror.get(added))
    assert repair.tip == store.head() and repair.base == step.base
    assert repair.versions == (("default", 2),)
    assert verify(store, mirror).ok


def test_sync_cut_part_way_queues_only_the_versions_not_uploaded(
    store: GitShadowStore, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    for serial in range(1, 5):
        record(store, serial)
    everything = [("default", n) for n in range(1, 5)]
    # What a whole first upload of these versions sends, through the proxy to another bucket.
    sync(store, S3Mirror(new_bucket(s3_endpoint, object_lock=False), "m", endpoint=proxy.endpoint))
    whole = proxy.passed
    (store.private_dir(PRIVATE_DIR) / queue.MIRRORED).unlink()
    mirror = S3Mirror(new_bucket(s3_endpoint, object_lock=False), "p", endpoint=proxy.endpoint)
    proxy.cut_after(whole // 2)

    with pytest.raises(MirrorError):
        sync(store, mirror)

    pending = queue.load_pending(store.private_dir(PRIVATE_DIR))
    assert pending is not None and pending.versions
    # The versions whose files and manifest went up before the cut are not queued again.
    assert set(pending.versions) < set(everything)
    assert pending.versions == tuple(everything[-len(pending.versions) :])
    proxy.heal()
    assert verify(store, mirror).queued == pending.versions
    before = set(mirror.list_keys(""))

    retried = sync(store, mirror)

    assert retried.versions == pending.versions
    assert retried.objects == len(set(mirror.list_keys("")) - before)
    assert queue.load_pending(store.private_dir(PRIVATE_DIR)) is None
    assert verify(store, mirror).ok


def test_verify_suggests_the_least_sync_that_repairs_what_it_found(
    store: GitShadowStore, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    mirror = S3Mirror(new_bucket(s3_endpoint, object_lock=False), "p", endpoint=proxy.endpoint)
    record(store, 1)
    sync(store, mirror)
    assert verify(store, mirror).repair is None
    record(store, 2)
    proxy.cut_after(0)
    with pytest.raises(MirrorError):
        sync(store, mirror)
    proxy.heal()

    # Version 2 and the step to it are what a plain sync sends.
    lacking = verify(store, mirror)
    assert not lacking.ok and lacking.repair == "sync"
    sync(store, mirror)
    assert verify(store, mirror).repair is None

    # A file of version 1 lost since its upload: a plain sync, up to date, would not send it.
    lost = next(iter(mirror.list_keys("versions/default/000001/")))
    client(s3_endpoint).delete_object(Bucket=mirror.bucket, Key=f"p/{lost}")
    record(store, 3)
    both = verify(store, mirror)
    assert {f.key for f in both.findings} >= {lost} and both.repair == "sync --full"
    sync(store, mirror, full=True)
    assert verify(store, mirror).ok


def test_restore_of_a_mirror_that_lost_a_step_names_the_full_sync(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror, s3 = _two_versions_synced(store, s3_endpoint)
    s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/{min(mirror.list_keys('history/'))}")

    with pytest.raises(MirrorError, match="lacks the history step") as lacking:
        restore(StoreConfig(workdir=tmp_path / "b"), mirror)

    # A plain sync in the store would find the mirror up to date and send nothing.
    assert "`tfshadow store sync --full`" in (lacking.value.hint or "")
    assert verify(store, mirror).repair == "sync --full"
    sync(store, mirror, full=True)
    assert restore(StoreConfig(workdir=tmp_path / "b"), mirror).versions == {"default": 2}


def test_restore_of_a_mirror_that_lost_a_bundle_names_the_repair_in_a_copy(
    store: GitShadowStore, s3_endpoint: str, tmp_path: Path
) -> None:
    mirror, s3 = _two_versions_synced(store, s3_endpoint)
    first = HistoryStep.loads(mirror.get(min(mirror.list_keys("history/"))))
    s3.delete_object(Bucket=mirror.bucket, Key=f"prod/net/objects/{first.bundle_sha256}")

    with pytest.raises(MirrorError, match="has no objects/") as lacking:
        restore(StoreConfig(workdir=tmp_path / "b"), mirror)

    # No store is at hand to verify: the repair is made in a copy that has the history.
    assert "`tfshadow store sync --full`" in (lacking.value.hint or "")
    assert verify(store, mirror).repair == "sync --full"


def test_pending_versions_names_those_whose_history_step_did_not_go_up(
    store: GitShadowStore, s3_endpoint: str
) -> None:
    mirror = mirror_for(s3_endpoint)
    record(store, 1)
    sync(store, mirror)
    assert pending_versions(store, mirror) == ()
    record(store, 2)
    record(store, 3)
    # Stopped after the versions' files and manifests, before the history step: none queued,
    # but the mirror's history still lacks both.
    queue.save_pending(store.private_dir(PRIVATE_DIR), queue.Pending(mirror.target, (), "cut"))
    assert pending_versions(store, mirror) == (("default", 2), ("default", 3))


def test_a_new_step_counts_past_every_step_to_a_commit_sent_twice(store: GitShadowStore) -> None:
    record(store, 1)
    record(store, 2)
    head = store.head()
    assert head is not None
    # The first commit's step, sent again at count 5 by `sync --full`, and another tip's.
    steps = sorted([(1, "a" * 40, "k1"), (5, "a" * 40, "k5"), (3, "b" * 40, "k3")], reverse=True)

    assert step_counts(steps) == {"a" * 40: 5, "b" * 40: 3}
    assert count_past(store, steps, None, head) == 6
    assert count_past(store, steps, "b" * 40, "b" * 40) == 3
