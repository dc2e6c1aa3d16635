"""The recommendation log: JSON lines, appended and read back."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from tfshadow.forecast import journal
from tfshadow.forecast.results import Recommendation, Suspect

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SEAL = "tfshadow:sensitive:v1:fp:0123456789abcdef"


def _rec(created: datetime | None = START, **fields: object) -> Recommendation:
    values: dict[str, object] = {
        "resource": "aws_instance.web",
        "metric": "cpu",
        "source": "prometheus",
        "kind": "deviation",
        "window_start": START - timedelta(hours=1),
        "window_end": START,
        "observed": 87.4,
        "expected": 42.1,
        "score": 4.2,
        "threshold": 3.5,
        "severity": "critical",
        "suspect": Suspect(
            workspace="default",
            version=7,
            timestamp="2024-05-01T10:50:00Z",
            author="alice",
            description="Bump instance size",
            changed_resource=True,
        ),
        "command": "tfshadow revert 6",
        "reason": "cpu rose after version 7.",
        "created": created,
    }
    values.update(fields)
    return Recommendation(**values)  # type: ignore[arg-type]


def test_journal_append_then_read_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "analysis" / "recommendations.jsonl"
    first = [_rec(), _rec(resource="aws_instance.db", suspect=None, command=None)]
    second = [_rec(metric="memory")]

    journal.append(path, first)
    journal.append(path, second)

    records, skipped = journal.read(path)
    assert skipped == 0
    assert records == [r.to_json() for r in first + second]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["resource"] for line in lines)


def test_journal_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    old_umask = os.umask(0o000)
    try:
        journal.append(path, [_rec()])
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_journal_append_tightens_existing_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    path.write_text("")
    path.chmod(0o644)

    journal.append(path, [_rec()])

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_journal_append_nothing_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "analysis" / "recommendations.jsonl"

    journal.append(path, [])

    assert not path.exists()


def test_journal_read_missing_file_is_empty(tmp_path: Path) -> None:
    assert journal.read(tmp_path / "nothing.jsonl") == ([], 0)


def test_journal_read_skips_and_counts_corrupt_lines(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    journal.append(path, [_rec()])
    with path.open("ab") as handle:
        handle.write(b'{"resource": "torn\n')  # a write cut short
        handle.write(b"[1, 2]\n")  # valid JSON, not a record
        handle.write(b"\xff\xfe not utf-8\n")
        handle.write(b"\n")  # blank lines are not corruption
    journal.append(path, [_rec(metric="memory")])

    records, skipped = journal.read(path)

    assert skipped == 3
    assert [r["metric"] for r in records] == ["cpu", "memory"]


def test_journal_append_after_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    journal.append(path, [_rec()])
    with path.open("ab") as handle:
        handle.write(b'{"resource": "to')  # a crash mid-line, no newline

    journal.append(path, [_rec(metric="memory")])

    records, skipped = journal.read(path)
    assert skipped == 1
    assert [r["metric"] for r in records] == ["cpu", "memory"]


def test_journal_read_since_filters_by_creation(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    journal.append(
        path,
        [
            _rec(created=START - timedelta(days=2), metric="old"),
            _rec(created=START, metric="edge"),
            _rec(created=START + timedelta(hours=3), metric="new"),
            # No creation time: dated by the end of its window.
            _rec(created=None, metric="windowed", window_end=START + timedelta(hours=1)),
        ],
    )

    records, _ = journal.read(path, since=START)
    assert [r["metric"] for r in records] == ["edge", "new", "windowed"]

    plus_two = timezone(timedelta(hours=2))
    later, _ = journal.read(path, since=datetime(2024, 5, 1, 14, 30, tzinfo=plus_two))
    assert [r["metric"] for r in later] == ["new", "windowed"]

    naive, _ = journal.read(path, since=datetime(2024, 5, 1, 14, 0))
    assert [r["metric"] for r in naive] == ["new"]


def test_journal_keeps_sealed_values_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    suspect = Suspect(
        workspace="default",
        version=2,
        timestamp="2024-05-01T10:50:00Z",
        author="alice",
        description=SEAL,
        changed_resource=False,
    )

    journal.append(path, [_rec(suspect=suspect, reason=SEAL)])

    records, _ = journal.read(path)
    assert records[0]["suspect"]["description"] == SEAL
    assert records[0]["reason"] == SEAL
    assert SEAL in path.read_text(encoding="utf-8")


def test_journal_writes_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"

    journal.append(path, [_rec(threshold=float("inf"), observed=float("nan"))])

    line = path.read_text(encoding="utf-8")
    assert "NaN" not in line
    assert "Infinity" not in line
    record = json.loads(line)
    assert record["threshold"] is None
    assert record["observed"] is None


def test_journal_concurrent_appends_do_not_interleave(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.jsonl"
    long_reason = "x" * 20_000  # beyond any stdio buffer: one write per batch still holds

    def writer(name: str) -> None:
        for _ in range(20):
            journal.append(path, [_rec(metric=name, reason=long_reason)] * 3)

    threads = [threading.Thread(target=writer, args=(f"m{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records, skipped = journal.read(path)
    assert skipped == 0
    assert len(records) == 4 * 20 * 3
    assert all(r["reason"] == long_reason for r in records)


def test_journal_append_waits_for_another_writer(tmp_path: Path) -> None:
    # Another analysis holding the log (mid-batch, or checking for a torn last line) is waited
    # for: its batch and this one cannot interleave.
    import fcntl

    path = tmp_path / "recommendations.jsonl"
    journal.append(path, [_rec()])
    other = os.open(path, os.O_RDWR | os.O_APPEND)
    fcntl.flock(other, fcntl.LOCK_EX)
    os.write(other, b'{"torn": ')  # half a line, as a writer stopped mid-batch leaves it
    done = threading.Event()
    thread = threading.Thread(target=lambda: (journal.append(path, [_rec()]), done.set()))
    thread.start()
    try:
        assert not done.wait(0.3)
        os.write(other, b'"no"}\n')
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    thread.join(5)
    assert done.is_set()
    records, skipped = journal.read(path)
    assert skipped == 0
    assert [r.get("torn") for r in records] == [None, "no", None]
