"""Acting on a profile is claimed in the cooldown book first: a second claim in the same
cooldown (another watcher that looked at the same moment) is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tfshadow.metrics.base import ResourceRef
from tfshadow.ops.check import _claim
from tfshadow.profiles import CooldownBook
from tfshadow.settings.analysis import ProfileSettings

WEB = ResourceRef("aws_instance.web", "aws_instance", "web")
DB = ResourceRef("aws_instance.db", "aws_instance", "db")


def test_claim_once_per_cooldown(tmp_path: Path) -> None:
    book = CooldownBook(tmp_path / "cooldowns.json")
    profile = ProfileSettings(name="web", action="revert", cooldown=600.0)
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert _claim(book, profile, WEB, now)
    # A second process reading the same book at the same moment must not act again.
    assert not _claim(CooldownBook(tmp_path / "cooldowns.json"), profile, WEB, now)
    assert _claim(book, profile, DB, now)  # another resource is another claim
    assert _claim(book, profile, WEB, now + timedelta(seconds=601))
    assert book.last("web", WEB.address) == now + timedelta(seconds=601)
