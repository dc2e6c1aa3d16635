"""Which recommendations the webhook was told of already."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tfshadow.forecast.alerted import news, remember
from tfshadow.forecast.results import Recommendation, Suspect

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _rec(severity: str = "warning", version: int | None = 7, **fields: object) -> Recommendation:
    suspect = (
        None
        if version is None
        else Suspect(
            workspace="default",
            version=version,
            timestamp="2024-05-01T11:50:00Z",
            author="alice",
            description="Bump instance size",
            changed_resource=True,
        )
    )
    rec = Recommendation(
        resource="aws_instance.web",
        metric="cpu",
        source="prometheus",
        kind="deviation",
        window_start=START,
        window_end=START + timedelta(hours=1),
        observed=87.4,
        expected=42.1,
        score=4.2,
        threshold=3.5,
        severity=severity,
        suspect=suspect,
        command="tfshadow revert 6",
        reason="cpu rose after version 7.",
    )
    return replace(rec, **fields)  # type: ignore[arg-type]


def test_an_ongoing_deviation_alerted_once_is_not_news_again(tmp_path: Path) -> None:
    record = tmp_path / "analysis" / "alerted.json"
    first = _rec()
    assert news(record, "default", [first]) == [first]
    remember(record, "default", [first])
    assert record.stat().st_mode & 0o777 == 0o600  # the store's own bookkeeping
    # The next analysis sees the same deviation, a little longer, even a little later in start.
    later = _rec(window_start=START + timedelta(minutes=5), window_end=START + timedelta(hours=2))
    assert news(record, "default", [later]) == []
    # Also when it is over and only explained (info).
    assert news(record, "default", [_rec("info", window_end=START + timedelta(hours=3))]) == []


def test_what_changed_about_a_deviation_is_news(tmp_path: Path) -> None:
    record = tmp_path / "alerted.json"
    remember(record, "default", [_rec()])
    worse = _rec("critical")
    other_suspect = _rec(version=8)
    no_suspect = _rec(version=None)
    new_one = _rec(window_start=START + timedelta(hours=2), window_end=START + timedelta(hours=3))
    other_metric = _rec(metric="memory")
    candidates = [worse, other_suspect, no_suspect, new_one, other_metric]
    assert news(record, "default", candidates) == candidates
    assert news(record, "staging", [_rec()]) == [_rec()]


def test_remember_keeps_the_latest_alert_of_each_series(tmp_path: Path) -> None:
    record = tmp_path / "alerted.json"
    remember(record, "default", [_rec(), _rec(metric="memory")])
    remember(record, "default", [_rec("critical")])
    assert news(record, "default", [_rec("critical"), _rec(metric="memory")]) == []
    assert [p.name for p in tmp_path.iterdir()] == ["alerted.json"]  # no temporary file left


def test_an_unreadable_record_sends_again_rather_than_holding_back(tmp_path: Path) -> None:
    record = tmp_path / "alerted.json"
    record.write_text("{torn")
    assert news(record, "default", [_rec()]) == [_rec()]
    record.write_text('{"default\\taws_instance.web\\tcpu\\tdeviation": {"end": "soon"}}')
    assert news(record, "default", [_rec()]) == [_rec()]
    remember(record, "default", [_rec()])
    assert news(record, "default", [_rec()]) == []


def test_an_alert_written_with_another_spelling_of_its_time_still_covers(tmp_path: Path) -> None:
    # "Z" or no zone at all (UTC, as tfshadow writes its times) read as the moment they name: an
    # alert whose end could not be compared was sent again on every analysis.
    record = tmp_path / "alerted.json"
    remember(record, "default", [_rec()])
    for end in ("2024-05-01T13:00:00Z", "2024-05-01T13:00:00", "2024-05-01T15:00:00+02:00"):
        doc = json.loads(record.read_text())
        (entry,) = doc.values()
        entry["end"] = end
        record.write_text(json.dumps(doc))
        assert news(record, "default", [_rec()]) == [], end
    entry["end"] = "soon"
    record.write_text(json.dumps(doc))
    assert news(record, "default", [_rec()]) == [_rec()]  # unreadable: sent rather than lost
