"""The mirror's pending queue and mirrored commit, in the store's private directory."""

from __future__ import annotations

from pathlib import Path

from tfshadow.mirror import queue


def test_queue_round_trip_and_replace(tmp_path: Path) -> None:
    assert queue.load_pending(tmp_path) is None
    pending = queue.Pending("aws s3://b/p").lacking([("default", 2)], "cut")
    queue.save_pending(tmp_path, pending)
    loaded = queue.load_pending(tmp_path)
    assert loaded == pending
    # The next failure's versions are what the mirror then lacks: version 2 went up since.
    again = loaded.lacking([("default", 3), ("default", 3)], "again")
    assert again.versions == (("default", 3),)
    assert again.error == "again" and again.queued_at == pending.queued_at
    queue.clear_pending(tmp_path)
    assert queue.load_pending(tmp_path) is None
    assert not list(tmp_path.iterdir())


def test_queue_unreadable_file_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / queue.QUEUE).write_text("{not json")
    pending = queue.load_pending(tmp_path)
    assert pending is not None and pending.versions == () and "unreadable" in pending.error


def test_queue_mirrored_tip_is_per_target(tmp_path: Path) -> None:
    assert queue.mirrored_tip(tmp_path, "a") is None
    queue.save_mirrored_tip(tmp_path, "a", "c0ffee")
    assert queue.mirrored_tip(tmp_path, "a") == "c0ffee"
    assert queue.mirrored_tip(tmp_path, "b") is None
