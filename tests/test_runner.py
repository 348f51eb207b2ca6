"""The main job's housekeeping: each run's gates and monitoring start from a clean slate."""

from __future__ import annotations

from pathlib import Path

from labkit.roadmap.runner import archive_telemetry
from labkit.telemetry.events import emit, read_events


def test_earlier_telemetry_is_archived_not_deleted(lab_var: Path) -> None:
    emit("call", cost=6.0)  # e.g. a benchmark in the same hour
    target = archive_telemetry("20261129T000000Z")
    assert target is not None and target == lab_var / "telemetry-archive" / "20261129T000000Z"
    assert read_events("call") == []  # this run's cost alert will not see it
    assert any(target.glob("call-*.jsonl"))  # kept for whoever wants it
    emit("call", cost=0.1)  # the run's own events land in a fresh folder
    assert [e["cost"] for e in read_events("call")] == [0.1]


def test_nothing_to_archive_is_fine(lab_var: Path) -> None:
    assert archive_telemetry("x") is None
