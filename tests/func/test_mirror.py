"""The object-storage mirror end to end: real Terraform, real git, and a real S3 API.

The S3 API is moto's standalone server (``moto[server]``'s ``ThreadedMotoServer``) on a free
loopback port, reached through the real boto3 client; a small TCP proxy in front of it cuts
connections to make an upload fail half-way (see tests/unit/mirror/s3server.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.func.conftest import FIXTURES, Tfshadow, two_copies
from tests.unit.mirror.s3server import (
    AWS_ENV,
    CuttingProxy,
    InterruptingEndpoint,
    client,
    free_port,
    new_bucket,
)

pytestmark = pytest.mark.usefixtures("aws_credentials")  # s3server.py's fixtures, by name

APPLY = ("apply", "-auto-approve", "-no-color")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def settings(bucket: str, endpoint: str, extra: str = "") -> str:
    return (
        "store {\n"
        '  mirror "s3" {\n'
        f'    bucket      = "{bucket}"\n'
        '    prefix      = "prod/network"\n'
        f'    endpoint    = "{endpoint}"\n'
        "    object_lock = true\n"
        f"{extra}"
        "  }\n"
        "}\n"
    )


@pytest.fixture
def work(tmp_path: Path, tfshadow: Tfshadow) -> Path:
    path = tmp_path / "infra"
    shutil.copytree(FIXTURES / "revert" / "v1", path)
    assert tfshadow("init", "-no-color", cwd=path).code == 0
    return path


def test_mirror_survives_a_failed_upload_and_restores_the_store(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, proxy.endpoint))

    first = tfshadow(*APPLY, cwd=work)
    assert first.code == 0, first.err
    assert "warning" not in first.err
    whole = proxy.passed
    verified = tfshadow("store", "verify", "--json", cwd=work)
    assert verified.code == 0, verified.err
    assert verified.json()["ok"] and verified.json()["checked"] >= 5

    # The endpoint fails half-way through the second version's upload: the apply still
    # succeeds, the version is in git and queued, and nothing secret shows.
    proxy.cut_after(whole // 2)
    second = tfshadow(*APPLY, "-var", "size=large", cwd=work)
    assert second.code == 0, second.err
    assert "recorded version 2" in second.err
    assert "queued" in second.err and "tfshadow store sync" in second.err
    assert AWS_ENV["AWS_SECRET_ACCESS_KEY"] not in second.err
    assert proxy.cuts >= 1
    log = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["version"] for v in log] == [2, 1]
    queue_file = work / ".tfshadow" / ".git" / "tfshadow" / "mirror" / "queue.json"
    assert json.loads(queue_file.read_text())["versions"] == [["default", 2]]

    proxy.heal()
    broken = tfshadow("store", "verify", "--no-color", cwd=work)
    assert broken.code == 1
    assert "missing: history/" in broken.out and "queued for upload: default 2" in broken.out
    # What it lacks is newer than the last upload: a plain sync sends it.
    assert "Run `tfshadow store sync` to upload what it lacks." in broken.out
    assert "--full" not in broken.out
    synced = tfshadow("store", "sync", "--no-color", cwd=work)
    assert synced.code == 0, synced.err
    assert "Uploaded 1 version(s) (default 2)" in synced.out
    assert not queue_file.exists()
    assert tfshadow("store", "verify", cwd=work).code == 0
    again = tfshadow("store", "sync", "--no-color", cwd=work)
    assert "Nothing recorded since the last upload" in again.out
    assert "`tfshadow store verify` checks" in again.out
    # Nothing lost: a full sync checks everything and uploads nothing, no history step either.
    keys = sorted(client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"], key=str)
    full = tfshadow("store", "sync", "--full", "--no-color", cwd=work)
    assert full.code == 0, full.err
    assert "is up to date" in full.out and "Uploaded" not in full.out
    assert sorted(client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"], key=str) == keys

    # Disaster: the store is gone. The mirror alone brings it back, history and all.
    shutil.rmtree(work / ".tfshadow")
    restored = tfshadow(
        "store",
        "restore",
        "--from",
        f"s3://{bucket}/prod/network",
        "--endpoint",
        s3_endpoint,
        "--json",
        cwd=work,
    )
    assert restored.code == 0, restored.err
    assert restored.json()["versions"] == {"default": 2}
    log = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["version"] for v in log] == [2, 1]
    assert "1 to change" in log[0]["description"]
    reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert reverted.code == 0, reverted.err
    assert "recorded version 3" in reverted.err
    state = json.loads((work / "terraform.tfstate").read_text())
    keep = next(r for r in state["resources"] if r["name"] == "keep")
    assert keep["instances"][0]["attributes"]["input"]["value"] == "keep-small"
    # The revert's version went to the mirror too, on top of the restored history.
    assert tfshadow("store", "verify", cwd=work).code == 0


def test_mirror_objects_are_locked_at_the_storage_tier(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str
) -> None:
    bucket = new_bucket(s3_endpoint)
    extra = '    lock_mode   = "COMPLIANCE"\n    retain      = "7d"\n'
    (work / "tfshadow.hcl").write_text(settings(bucket, s3_endpoint, extra))
    assert tfshadow(*APPLY, cwd=work).code == 0
    s3 = client(s3_endpoint)
    objects = s3.list_objects_v2(Bucket=bucket, Prefix="prod/network/")["Contents"]
    assert objects
    for item in objects:
        head = s3.head_object(Bucket=bucket, Key=item["Key"])
        assert head["ObjectLockMode"] == "COMPLIANCE"
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=head["VersionId"])
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # Writing over a key only adds a version: verify reports it, restore reads the original.
    meta = next(o["Key"] for o in objects if o["Key"].startswith("prod/network/objects/"))
    s3.put_object(Bucket=bucket, Key=meta, Body=b"{}")
    report = tfshadow("store", "verify", "--json", cwd=work)
    assert report.code == 1
    assert [f["problem"] for f in report.json()["findings"]] == ["altered"]


def test_store_commands_without_a_mirror_or_with_bad_settings(
    work: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow(*APPLY, cwd=work).code == 0
    none = tfshadow("store", "sync", cwd=work)
    assert none.code == 2 and "the shadow store has no mirror" in none.err
    (work / "tfshadow.hcl").write_text(
        'store {\n  mirror "s3" {\n    endpoint = "https://s3.example.com"\n  }\n}\n'
    )
    bad = tfshadow("store", "verify", cwd=work)
    assert bad.code == 2
    assert bad.err.strip().splitlines() == [
        'tfshadow: error: tfshadow.hcl:2: block `mirror "s3"` of `store` needs setting `bucket`: '
        "add `bucket = …` to it"
    ]
    (work / "tfshadow.hcl").unlink()
    bad_endpoint = tfshadow(
        "store", "restore", "--from", "s3://some-bucket/x", "--endpoint", "ftp://x", cwd=work
    )
    assert bad_endpoint.code == 2 and "--endpoint must be an http://" in bad_endpoint.err
    bad_url = tfshadow("store", "restore", "--from", "some-bucket/x", cwd=work)
    assert bad_url.code == 2 and "is not an s3:// address" in bad_url.err


def test_mirror_queue_is_finished_by_the_next_recording_command(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, proxy.endpoint))
    assert tfshadow(*APPLY, cwd=work).code == 0
    proxy.cut_after(0)
    cut = tfshadow(*APPLY, "-var", "size=large", cwd=work)
    assert cut.code == 0 and "queued" in cut.err
    queue_file = work / ".tfshadow" / ".git" / "tfshadow" / "mirror" / "queue.json"
    assert queue_file.exists()

    proxy.heal()
    # An apply that changes nothing records nothing, and still uploads what was queued first.
    again = tfshadow(*APPLY, "-var", "size=large", cwd=work)
    assert again.code == 0, again.err
    assert "nothing recorded" in again.err
    assert not queue_file.exists()
    assert tfshadow("store", "verify", cwd=work).code == 0


def test_mirror_restore_records_no_change_the_state_did_not_have(
    tmp_path: Path, tfshadow: Tfshadow, s3_endpoint: str
) -> None:
    # A restored store makes a new fingerprint key, so the live state's secrets seal
    # differently: that alone is no change of the state.
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "basic", work)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, s3_endpoint))
    assert tfshadow(*APPLY, cwd=work).code == 0
    shutil.rmtree(work / ".tfshadow")
    restored = tfshadow(
        "store", "restore", "--from", f"s3://{bucket}/prod/network", "--endpoint", s3_endpoint,
        cwd=work,
    )  # fmt: skip
    assert restored.code == 0, restored.err

    log = tfshadow("log", "--json", cwd=work)

    assert log.code == 0, log.err
    assert [v["kind"] for v in log.json()["versions"]] == ["apply"]
    assert "recorded" not in log.err


def test_store_restore_from_an_unreachable_endpoint_does_not_send_to_sync(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # There is no store yet: `tfshadow store sync` could only fail too.
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    result = tfshadow(
        "store", "restore", "--from", "s3://bkt/p", "--endpoint", endpoint, cwd=tmp_path
    )

    assert result.code == 1
    assert "could not be reached" in result.err or "cannot" in result.err
    assert "store sync" not in result.err


def test_mirror_upload_interrupted_by_ctrl_c_says_the_version_is_recorded_and_queued(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, interrupting: InterruptingEndpoint
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, interrupting.endpoint))

    stopped = tfshadow(*APPLY, cwd=work)

    assert stopped.code == 130
    (line,) = [x for x in stopped.err.splitlines() if x.startswith("tfshadow:")]
    assert "default 1" in line and "queued" in line and "tfshadow store sync" in line
    assert [v["version"] for v in tfshadow("log", "--json", cwd=work).json()["versions"]] == [1]
    (work / "tfshadow.hcl").write_text(settings(bucket, s3_endpoint))
    # The next command, even one that records nothing, finishes the upload.
    again = tfshadow(*APPLY, cwd=work)
    assert again.code == 0, again.err
    assert "nothing recorded" in again.err
    assert tfshadow("store", "verify", cwd=work).code == 0


def test_mirror_still_down_on_the_next_apply_warns_once(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, proxy: CuttingProxy
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, proxy.endpoint))
    proxy.cut_after(0)
    assert "queued" in tfshadow(*APPLY, cwd=work).err

    # Down at the start (the queued upload) and after the commit (the new version): one line.
    second = tfshadow(*APPLY, "-var", "size=large", cwd=work)

    assert second.code == 0, second.err
    assert "recorded version 2" in second.err
    assert second.err.count("tfshadow: warning:") == 1, second.err


def test_store_restore_over_an_existing_store_is_refused_before_any_download(
    work: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow(*APPLY, cwd=work).code == 0
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens: no request may be needed

    result = tfshadow("store", "restore", "--from", "s3://bkt/p", "--endpoint", endpoint, cwd=work)

    assert result.code == 2
    (line,) = result.err.strip().splitlines()
    assert "already exists and is not empty" in line and "never overwrites" in line


def test_a_second_configuration_given_the_same_mirror_is_told_to_use_its_own_prefix(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str, tmp_path: Path
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, s3_endpoint))
    assert tfshadow(*APPLY, cwd=work).code == 0
    staging = tmp_path / "staging"
    shutil.copytree(FIXTURES / "basic", staging)
    shutil.copy(work / "tfshadow.hcl", staging)  # copied unchanged: the same bucket and prefix
    assert tfshadow("init", "-no-color", cwd=staging).code == 0

    result = tfshadow(*APPLY, cwd=staging)

    assert result.code == 0, result.err
    (warning,) = [line for line in result.err.splitlines() if "warning" in line]
    assert "holds the history of another shadow store" in warning
    assert "give each configuration's mirror a prefix of its own" in warning
    restored = tmp_path / "restored"
    restored.mkdir()
    url = f"s3://{bucket}/prod/network"
    back = tfshadow("store", "restore", "--from", url, "--endpoint", s3_endpoint, cwd=restored)
    assert back.code == 0, back.err
    # The first configuration's store, never the second's.
    assert tfshadow("log", "--json", cwd=restored).out == tfshadow("log", "--json", cwd=work).out


def _rebased_with_a_mirror(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> tuple[str, str, str]:
    """``workdir``'s store, mirrored, records and marks while its remote is away, a
    colleague's copy (not mirrored) records meanwhile, and `store pull --rebase` joins them.
    Returns the bucket, the commit where the histories parted and this copy's head before the
    rebase (its history has more commits than the joined one)."""
    bucket = new_bucket(s3_endpoint)
    mirror = settings(bucket, s3_endpoint).removeprefix("store {\n").removesuffix("}\n")
    colleague = two_copies(workdir, tfshadow, tmp_path, mirror)
    (colleague / "tfshadow.hcl").write_text(
        f'store {{\n  remote = "{tmp_path / "shadows.git"}"\n}}\n'
    )
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    store = workdir / ".tfshadow"
    parted = _git("rev-parse", "HEAD", cwd=store)
    # This copy records and marks while the remote is away (each sent to the mirror), the
    # colleague records meanwhile.
    (tmp_path / "shadows.git").rename(tmp_path / "away.git")
    assert tfshadow(*APPLY, "-var", "size=two", cwd=workdir).code == 0
    for version, mark in (("2", "good"), ("2", "bad"), ("1", "good"), ("1", "bad")) * 2:
        assert tfshadow("mark", version, mark, cwd=workdir).code == 0
    before = _git("rev-parse", "HEAD", cwd=store)
    (tmp_path / "away.git").rename(tmp_path / "shadows.git")
    assert tfshadow(*APPLY, "-var", "size=four", cwd=colleague).code == 0
    rebased = tfshadow("store", "pull", "--rebase", "--json", cwd=workdir)
    assert rebased.code == 0, rebased.err
    assert rebased.json()["warnings"] == []
    return bucket, parted, before


def test_a_rebased_history_goes_on_from_the_mirrors_steps_and_is_the_one_restored(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """`store pull --rebase` rewrites this copy's history: the mirror is sent the commits since
    the newest step the new history holds (not the whole history again), and a restore takes
    the new history, though the one it replaced had more commits."""
    bucket, parted, before = _rebased_with_a_mirror(workdir, tfshadow, tmp_path, s3_endpoint)
    store = workdir / ".tfshadow"
    head = _git("rev-parse", "HEAD", cwd=store)
    replaced = int(_git("rev-list", "--count", before, cwd=store))
    assert int(_git("rev-list", "--count", head, cwd=store)) < replaced
    steps = _history_steps(s3_endpoint, bucket)
    assert steps[head]["base"] == parted
    assert tfshadow("store", "verify", cwd=workdir).code == 0

    shutil.rmtree(store)
    restored = tfshadow(
        "store", "restore", "--from", f"s3://{bucket}/prod/network", "--endpoint", s3_endpoint,
        "--json", cwd=workdir,
    )  # fmt: skip
    assert restored.code == 0, restored.err
    assert _git("rev-parse", "HEAD", cwd=store) == head
    assert tfshadow("store", "verify", cwd=workdir).code == 0
    # The mirror goes on from the restored history, its steps still counted past the old.
    assert tfshadow(*APPLY, "-var", "size=five", cwd=workdir).code == 0
    assert tfshadow("store", "verify", cwd=workdir).code == 0
    newest = max(_history_steps(s3_endpoint, bucket).values(), key=lambda step: step["count"])
    assert newest["tip"] == _git("rev-parse", "HEAD", cwd=store)
    assert int(_git("rev-list", "--count", "HEAD", cwd=store)) < replaced


def _history_steps(endpoint: str, bucket: str) -> dict[str, dict[str, Any]]:
    """The mirror's history steps, by the commit each goes to."""
    s3 = client(endpoint)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="prod/network/history/")["Contents"]
    steps = [json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed]
    return {str(step["tip"]): step for step in steps}


def test_verify_names_a_missing_step_of_a_rebased_history_by_its_key(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """The steps of a rewritten history count past the history it replaced: a step the mirror
    lost is named by the key it was written under, not by its commits."""
    bucket, parted, _ = _rebased_with_a_mirror(workdir, tfshadow, tmp_path, s3_endpoint)
    store = workdir / ".tfshadow"
    joined = _git("rev-parse", "HEAD", cwd=store)
    assert tfshadow(*APPLY, "-var", "size=five", cwd=workdir).code == 0
    head = _git("rev-parse", "HEAD", cwd=store)
    steps = _history_steps(s3_endpoint, bucket)
    keys = {tip: f"history/{step['count']:010d}-{tip}.json" for tip, step in steps.items()}
    assert steps[joined]["count"] > int(_git("rev-list", "--count", joined, cwd=store))
    s3 = client(s3_endpoint)

    # The step where the replaced history parted (the joined history's first step counts past
    # that history), the joined history's first, then the newest: each named by its key.
    for lost in (parted, joined, head):
        s3.delete_object(Bucket=bucket, Key=f"prod/network/{keys[lost]}")

        assert _missing_keys(tfshadow, workdir) == [keys[lost]]


def _missing_keys(tfshadow: Tfshadow, cwd: Path) -> list[str]:
    """The keys `store verify` names missing (it exits 1)."""
    verified = tfshadow("store", "verify", "--json", cwd=cwd)
    assert verified.code == 1, verified.err
    return [f["key"] for f in verified.json()["findings"] if f["problem"] == "missing"]


def test_restore_of_two_histories_as_long_names_both_and_restores_the_one_chosen(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """Two copies that both upload to one mirror and diverged (each recorded while their git
    remote was away, neither rebased) leave two newest steps of one count: neither is chosen
    by the order of their keys."""
    bucket = new_bucket(s3_endpoint)
    mirror = settings(bucket, s3_endpoint).removeprefix("store {\n").removesuffix("}\n")
    colleague = two_copies(workdir, tfshadow, tmp_path, mirror)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow("store", "sync", cwd=colleague).code == 0
    (tmp_path / "shadows.git").rename(tmp_path / "away.git")
    assert tfshadow(*APPLY, "-var", "size=two", cwd=workdir).code == 0
    assert tfshadow("mark", "2", "good", cwd=workdir).code == 0
    applied = tfshadow(*APPLY, "-var", "size=four", cwd=colleague)  # its 2 recovered, 3 applied
    assert applied.code == 0, applied.err
    heads = {
        copy: _git("rev-parse", "HEAD", cwd=copy / ".tfshadow") for copy in (workdir, colleague)
    }
    steps = _history_steps(s3_endpoint, bucket)
    assert steps[heads[workdir]]["count"] == steps[heads[colleague]]["count"]
    kept = {  # (`log` here would record the other copy's change to the shared state)
        workdir: [(2, "apply"), (1, "apply")],
        colleague: [(3, "apply"), (2, "recovered"), (1, "apply")],
    }
    url = f"s3://{bucket}/prod/network"
    restored = tmp_path / "restored"
    restored.mkdir()

    line = _refused_restore(tfshadow, url, s3_endpoint, restored)

    for head in heads.values():
        assert head[:12] in line
    assert "--tip" in line
    for copy, head in heads.items():
        shutil.rmtree(restored / ".tfshadow", ignore_errors=True)
        chosen = tfshadow(
            "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip", head[:12],
            "--json", cwd=restored,
        )  # fmt: skip
        assert chosen.code == 0, chosen.err
        assert chosen.json()["commit"] == head
        assert _git("rev-parse", "HEAD", cwd=restored / ".tfshadow") == head
        assert _kept(tfshadow, restored) == kept[copy]
    unknown = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip", "0" * 12,
        cwd=tmp_path,
    )  # fmt: skip
    assert unknown.code == 2 and "no history step" in unknown.err


def _refused_restore(tfshadow: Tfshadow, url: str, endpoint: str, cwd: Path) -> str:
    """The one line of a `store restore` refused (exit 2) with nothing written."""
    refused = tfshadow("store", "restore", "--from", url, "--endpoint", endpoint, cwd=cwd)
    assert refused.code == 2, refused.err
    (line,) = refused.err.strip().splitlines()
    assert not (cwd / ".tfshadow").exists()
    return line


def _kept(tfshadow: Tfshadow, cwd: Path) -> list[tuple[object, ...]]:
    """Each version of the store, newest first: its number and kind."""
    log = tfshadow("log", "--json", cwd=cwd)
    assert log.code == 0, log.err
    return [(v["version"], v["kind"]) for v in log.json()["versions"]]


def _parted_copies_both_mirroring(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> tuple[str, Path]:
    """``workdir``'s store and a colleague's copy, both mirrored to one bucket and prefix,
    record apart: the colleague while the git remote is out of its reach (a version and marks,
    each uploaded), then ``workdir`` as a fresh clone of the remote (a CI runner's), whose
    first upload goes on from the step where they parted. Returns the bucket and the colleague.
    """
    bucket = new_bucket(s3_endpoint)
    mirror = settings(bucket, s3_endpoint).removeprefix("store {\n").removesuffix("}\n")
    colleague = two_copies(workdir, tfshadow, tmp_path, mirror)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    (tmp_path / "shadows.git").rename(tmp_path / "away.git")
    assert tfshadow(*APPLY, "-var", "size=two", cwd=colleague).code == 0
    for mark in ("good", "bad", "good"):
        assert tfshadow("mark", "2", mark, cwd=colleague).code == 0
    (tmp_path / "away.git").rename(tmp_path / "shadows.git")
    shutil.rmtree(workdir / ".tfshadow")
    assert tfshadow("store", "pull", cwd=workdir).code == 0
    applied = tfshadow(*APPLY, "-var", "size=four", cwd=workdir)
    assert applied.code == 0, applied.err
    return bucket, colleague


def test_verify_names_a_missing_step_exactly_where_two_parted_copies_uploaded(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """The fresh clone's first step counts past the colleague's history, which this store
    does not hold: the step it goes on from, lost, is named by the key it has."""
    bucket, _ = _parted_copies_both_mirroring(workdir, tfshadow, tmp_path, s3_endpoint)
    store = workdir / ".tfshadow"
    steps = _history_steps(s3_endpoint, bucket)
    keys = {tip: f"history/{step['count']:010d}-{tip}.json" for tip, step in steps.items()}
    (parted,) = [tip for tip, step in steps.items() if step["base"] is None]
    held = _git("rev-list", "HEAD", cwd=store).split()
    (first,) = [s for s in steps.values() if s["base"] == parted and s["tip"] in held]
    assert first["count"] > int(_git("rev-list", "--count", first["tip"], cwd=store))
    s3 = client(s3_endpoint)
    s3.delete_object(Bucket=bucket, Key=f"prod/network/{keys[parted]}")

    assert _missing_keys(tfshadow, workdir) == [keys[parted]]


def test_two_copies_whose_histories_parted_are_told_apart_until_joined(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """Two copies of one store both upload to one prefix and their histories part, one longer
    than the other: verify says so in each copy, and restore names what the other history
    holds rather than take the longer one silently; once joined, both are clean again."""
    bucket, colleague = _parted_copies_both_mirroring(workdir, tfshadow, tmp_path, s3_endpoint)
    heads = {
        copy: _git("rev-parse", "HEAD", cwd=copy / ".tfshadow") for copy in (workdir, colleague)
    }
    steps = _history_steps(s3_endpoint, bucket)
    assert steps[heads[workdir]]["count"] > steps[heads[colleague]]["count"]
    keys = {tip: f"history/{step['count']:010d}-{tip}.json" for tip, step in steps.items()}
    (parted,) = [tip for tip, step in steps.items() if step["base"] is None]

    for copy, other in ((workdir, colleague), (colleague, workdir)):
        verified = tfshadow("store", "verify", "--json", cwd=copy)
        assert verified.code == 1, verified.err
        (finding,) = verified.json()["findings"]
        assert finding["problem"] == "parted" and finding["key"] == keys[heads[other]]
        assert "another copy" in finding["what"] and parted[:12] in finding["what"]
    text = tfshadow("store", "verify", "--no-color", cwd=workdir)
    assert "version(s) default 2" in text.out and "parted" in text.out
    assert "two copies of the store upload to it" in text.out
    assert "sync --full" not in text.out

    url = f"s3://{bucket}/prod/network"
    restored = tmp_path / "restored"
    restored.mkdir()
    line = _refused_restore(tfshadow, url, s3_endpoint, restored)
    assert heads[workdir][:12] in line and heads[colleague][:12] in line
    assert "version(s) default 2" in line and "--tip" in line
    assert "that another copy of the store uploaded" in line
    for copy, other in ((colleague, workdir), (workdir, colleague)):
        shutil.rmtree(restored / ".tfshadow", ignore_errors=True)
        chosen = tfshadow(
            "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip",
            heads[copy][:12], "--json", cwd=restored,
        )  # fmt: skip
        assert chosen.code == 0, chosen.err
        assert _git("rev-parse", "HEAD", cwd=restored / ".tfshadow") == heads[copy]
        (left_out,) = chosen.json()["left_out"]
        assert left_out["commit"] == heads[other] and left_out["parted_at"] == parted
        assert left_out["other_copy"] is True
        assert {"workspace": "default", "version": 2} in left_out["versions"]
    shutil.rmtree(restored / ".tfshadow")
    said = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip",
        heads[colleague][:12], "--no-color", cwd=restored,
    )  # fmt: skip
    assert said.code == 0, said.err
    assert f"Left out: the history to commit {heads[workdir][:12]}" in said.out
    assert "uploaded by another copy of the store" in said.out

    # The colleague's store is lost: its history, restored from the mirror, is joined to the
    # remote's and the joined one uploaded, naming the history it replaced. Neither copy, nor
    # a restore, finds anything parted any more.
    shutil.rmtree(colleague / ".tfshadow")
    again = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip",
        heads[colleague][:12], cwd=colleague,
    )  # fmt: skip
    assert again.code == 0, again.err
    joined = tfshadow("store", "pull", "--rebase", "--json", cwd=colleague)
    assert joined.code == 0, joined.err
    assert [(m["from"], m["to"]) for m in joined.json()["rebased"]] == [(2, 4)]
    assert tfshadow("store", "verify", cwd=colleague).code == 0
    assert tfshadow("store", "verify", cwd=workdir).code == 0
    shutil.rmtree(restored / ".tfshadow")
    back = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--json", cwd=restored
    )
    assert back.code == 0, back.err
    assert back.json()["left_out"] == []
    assert back.json()["commit"] == _git("rev-parse", "HEAD", cwd=colleague / ".tfshadow")


def test_a_full_sync_from_another_copy_than_the_one_that_uploaded_the_older_steps_restores(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    """A colleague's copy repairs the mirror after the bundle of a step this copy uploaded was
    lost: `sync --full` sends the history again from its first commit, beside the older steps.
    Those hold nothing it lacks: restore takes it without asking for `--tip`."""
    bucket = new_bucket(s3_endpoint)
    mirror = settings(bucket, s3_endpoint).removeprefix("store {\n").removesuffix("}\n")
    colleague = two_copies(workdir, tfshadow, tmp_path, mirror)
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    assert tfshadow(*APPLY, "-var", "size=two", cwd=workdir).code == 0
    assert tfshadow("store", "pull", cwd=colleague).code == 0
    assert tfshadow(*APPLY, "-var", "size=three", cwd=colleague).code == 0
    (first,) = [s for s in _history_steps(s3_endpoint, bucket).values() if s["base"] is None]
    s3 = client(s3_endpoint)
    s3.delete_object(Bucket=bucket, Key=f"prod/network/objects/{first['bundle']['sha256']}")
    repaired = tfshadow("store", "sync", "--full", "--no-color", cwd=colleague)
    assert repaired.code == 0, repaired.err
    assert "Uploaded" in repaired.out
    assert tfshadow("store", "verify", cwd=colleague).code == 0
    head = _git("rev-parse", "HEAD", cwd=colleague / ".tfshadow")
    url = f"s3://{bucket}/prod/network"
    restored = tmp_path / "restored"
    restored.mkdir()

    back = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--json", cwd=restored
    )

    assert back.code == 0, back.err
    assert back.json()["commit"] == head and back.json()["left_out"] == []
    assert _kept(tfshadow, restored) == [(3, "apply"), (2, "apply"), (1, "apply")]
    shutil.rmtree(restored / ".tfshadow")
    chosen = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--tip", head[:12],
        "--no-color", cwd=restored,
    )  # fmt: skip
    assert chosen.code == 0, chosen.err
    assert "Left out" not in chosen.out
    # This copy, which uploaded the steps whose bundle was lost, has not pulled the
    # colleague's version: the mirror still holds all of its history, in the colleague's.
    # Its verify says so, and its full sync sends no history of its own beside it (which
    # a restore would take for the newest, or call parted).
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert tfshadow("store", "verify", cwd=workdir).code == 0
    full = tfshadow("store", "sync", "--full", "--json", cwd=workdir)
    assert full.code == 0, full.err
    assert full.json()["nothing_to_do"] is True
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == keys
    shutil.rmtree(restored / ".tfshadow")
    again = tfshadow(
        "store", "restore", "--from", url, "--endpoint", s3_endpoint, "--json", cwd=restored
    )
    assert again.code == 0, again.err
    assert again.json()["commit"] == head


def test_sync_warns_of_another_copys_parted_history_as_verify_reports_it(
    workdir: Path, tfshadow: Tfshadow, tmp_path: Path, s3_endpoint: str
) -> None:
    _, colleague = _parted_copies_both_mirroring(workdir, tfshadow, tmp_path, s3_endpoint)
    heads = {
        copy: _git("rev-parse", "HEAD", cwd=copy / ".tfshadow") for copy in (workdir, colleague)
    }

    for copy, other in ((workdir, colleague), (colleague, workdir)):
        synced = tfshadow("store", "sync", "--no-color", cwd=copy)

        assert synced.code == 0, synced.err
        (line,) = synced.err.strip().splitlines()
        assert line.startswith("tfshadow: warning: ") and "parted" in line
        assert heads[other][:12] in line and "another copy" in line
        assert "tfshadow store pull --rebase" in line
        as_json = tfshadow("store", "sync", "--json", cwd=copy)
        assert as_json.code == 0, as_json.err
        (warning,) = as_json.json()["warnings"]
        assert heads[other][:12] in warning
    assert "version(s) default 2" in tfshadow("store", "sync", cwd=workdir).err

    # Joined, neither copy is warned any more.
    joined = tfshadow("store", "pull", "--rebase", cwd=colleague)
    assert joined.code == 0, joined.err
    for copy in (colleague, workdir):
        synced = tfshadow("store", "sync", "--json", cwd=copy)
        assert synced.code == 0, synced.err
        assert synced.json()["warnings"] == [] and synced.err == ""


def test_sync_json_says_when_there_was_nothing_to_do(
    work: Path, tfshadow: Tfshadow, s3_endpoint: str
) -> None:
    bucket = new_bucket(s3_endpoint)
    (work / "tfshadow.hcl").write_text(settings(bucket, s3_endpoint))
    assert tfshadow(*APPLY, cwd=work).code == 0
    manifests = client(s3_endpoint).list_objects_v2(Bucket=bucket, Prefix="prod/network/versions/")[
        "Contents"
    ]
    client(s3_endpoint).delete_object(Bucket=bucket, Key=manifests[0]["Key"])

    for args, nothing in (((), True), (("--full",), False), (("--full",), True), ((), True)):
        synced = tfshadow("store", "sync", *args, "--json", cwd=work)

        assert synced.code == 0, synced.err
        assert synced.json()["nothing_to_do"] is nothing, (args, synced.json())
        assert (synced.json()["objects"] == 0) is nothing
