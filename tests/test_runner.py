"""The main job's housekeeping: each run (and each `labkit lab` session) starts from a clean
telemetry slate; a green run prints no kernel log noise; the summary is readable."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import free_port

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


def test_two_archives_in_the_same_second_are_kept_apart(lab_var: Path) -> None:
    emit("call", cost=1.0)
    first = archive_telemetry("20261129T000000Z")
    emit("call", cost=2.0)
    second = archive_telemetry("20261129T000000Z")  # e.g. `labkit lab` right after `labkit run`
    assert first is not None and second is not None and first != second
    assert second.name == "20261129T000000Z-2" and any(first.glob("call-*.jsonl"))


def _start_lab(tmp: Path, *args: str) -> subprocess.Popen[str]:
    """``labkit lab`` as a user starts it, in its own process group (so nothing can be orphaned)."""
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "jupyter-workspaces"), JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-run"))
    return subprocess.Popen([sys.executable, "-m", "labkit.cli", "lab", "--no-browser", "--port", str(free_port()),
                             "--provider-port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, cwd=tmp, env=env)


def _read_until(proc: subprocess.Popen[str], needle: str, seconds: float) -> str:
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        if not select.select([proc.stdout], [], [], 1)[0]:
            continue
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not seen within {seconds:.0f} s; output:\n{''.join(seen)}")


def test_lab_starts_from_a_clean_telemetry_slate_and_stops_on_sigterm(lab_var: Path, tmp_path: Path) -> None:
    emit("call", cost=6.0, note="left by an earlier session")
    proc = _start_lab(tmp_path)
    try:
        out = _read_until(proc, "lab service on", 180)
        archives = list((lab_var / "telemetry-archive").iterdir())
        assert len(archives) == 1 and any(archives[0].glob("call-*.jsonl")), out
        assert f"earlier telemetry moved to {archives[0]}" in out
        # the session's own events (the service indexes at start) land in a fresh folder
        assert all(e.get("note") != "left by an earlier session" for e in read_events("call"))
        # SIGTERM (a supervisor, CI) stops JupyterLab with it instead of orphaning it
        proc.terminate()
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("JupyterLab outlived `labkit lab` after SIGTERM")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
