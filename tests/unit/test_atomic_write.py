from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tfshadow.atomic_write import replace_file


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_gets_the_mode_a_plain_write_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        replace_file(tmp_path / "report.txt", "line one\r\nline two\n")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "report.txt").read_bytes() == b"line one\r\nline two\n"
    assert mode_of(tmp_path / "report.txt") == mode_of(tmp_path / "plain.txt") == 0o640


def test_replaced_file_keeps_its_mode_unless_one_is_given(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text("old")
    path.chmod(0o600)
    replace_file(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode_of(path) == 0o600

    replace_file(path, b"newer", mode=0o644)
    assert path.read_bytes() == b"newer"
    assert mode_of(path) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "queue.json"
    path.write_text("{}\n")

    def disk_full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        replace_file(path, '{"a": 1}\n')
    monkeypatch.undo()
    assert path.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.json"]


def test_durable_writes_flush_the_file_and_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    replace_file(tmp_path / "a.json", "{}")
    assert synced == ["file", "dir"]

    synced.clear()
    replace_file(tmp_path / "cache.bin", b"\x00", durable=False)
    assert synced == []
