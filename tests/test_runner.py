"""The main job's housekeeping: each run (and each `labkit lab` session) starts from a clean
telemetry slate; a green run prints no kernel log noise; the summary is readable."""

from __future__ import annotations

import contextlib
import json
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


# Lines a kernel or jupyter_client prints about itself: never on the terminal of a `labkit run`.
NOISE = ("Kernel is running over TCP", "KeyboardInterrupt caught in kernel", "[IPKernelApp]", "WARNING |",
         "papermill INFO", "jupyter_client")


def _labkit_run(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # a real process: the kernels write to file descriptors, which CliRunner would not capture
    return subprocess.run([sys.executable, "-m", "labkit.cli", "run", "--notebook", "00_start_here", "--no-service",
                           "--out", str(out), *args], capture_output=True, text=True, timeout=240, cwd=out.parent)


def test_a_green_run_prints_only_its_results_and_logs_the_kernel_noise(tmp_path: Path) -> None:
    proc = _labkit_run(tmp_path / "ok")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = (proc.stdout + proc.stderr).splitlines()
    assert [line.split(" (")[0] for line in lines] == ["ok   00_start_here", "GO    00_start_here",
                                                       f"summary: {tmp_path / 'ok' / 'summary.md'}"], lines
    log = (tmp_path / "ok" / "run.log").read_text()
    assert "[IPKernelApp]" in log and "papermill INFO" in log  # moved, not lost


def test_a_failed_run_still_shows_its_error_and_where_to_look(tmp_path: Path) -> None:
    proc = _labkit_run(tmp_path / "bad", "--param", "model=lab-nonexistent-2099")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "FAIL 00_start_here" in out and "GateFailed: NO-GO for 00_start_here" in out
    assert f"kernel log: {tmp_path / 'bad' / 'run.log'}" in out and "NO-GO 00_start_here" in out
    assert not [line for line in out.splitlines() if any(n in line for n in NOISE)], out


def _png() -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_summary_links_each_notebook_colours_each_gate_and_shows_the_plots(tmp_path: Path) -> None:
    import base64

    import nbformat

    from labkit.roadmap.runner import NotebookOutcome, RunSummary, write_summary

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    png = _png()
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("plot()", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode(), "text/plain": "fig"}),
    ])])
    nbformat.write(book, run_dir / "02_prototype.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), run_dir / "03_controlled_rollout.ipynb")
    gate = {"phase": "02_prototype", "passed": False, "figures": {"calls": 1500.0},
            "criteria": [{"name": "p95 latency", "value": 2250.4, "op": "<=", "threshold": 1500.0, "unit": "ms",
                          "passed": False, "detail": "slow provider"},
                         {"name": "recall@5", "value": 0.84, "op": ">=", "threshold": 0.6, "unit": "", "passed": True}]}
    failed = "GateFailed: NO-GO for 02_prototype"
    outcomes = [NotebookOutcome("02_prototype", run_dir / "02_prototype.ipynb", 40.0, failed),
                NotebookOutcome("03_controlled_rollout", run_dir / "03_controlled_rollout.ipynb", 9.0)]
    gates = [gate, {**gate, "phase": "03_controlled_rollout", "passed": True, "figures": {},
                    "criteria": [gate["criteria"][1]]}]
    summary = RunSummary(run_dir, outcomes, gates)
    md_path, html_path = write_summary(summary)
    md, page = md_path.read_text(), html_path.read_text()
    # links relative to the run folder, so the folder can be moved or archived whole
    assert "[02_prototype](02_prototype.ipynb)" in md and "href='03_controlled_rollout.ipynb'" in page
    # colour: a NO-GO badge and a failed row in red, a GO badge in green, each defined in the page
    assert "<h1>labkit run <span class='badge nogo'>NO-GO</span></h1>" in page
    assert "<h2>03_controlled_rollout <span class='badge go'>GO</span></h2>" in page
    assert "<tr class='fail'><td>p95 latency</td>" in page and ".nogo{background:#ffebe9" in page
    # numbers for people, not 2.25e+03
    assert "| p95 latency | 2,250 ms | <= 1,500 ms | **FAIL** |" in md and "calls = 1,500" in md
    # the plot: saved beside the summary for the markdown, embedded in the HTML
    assert (run_dir / "plots" / "02_prototype-1.png").read_bytes() == png
    assert "![02_prototype plot 1](plots/02_prototype-1.png)" in md
    assert f"src='data:image/png;base64,{base64.b64encode(png).decode()}'" in page


def test_summary_shows_values_and_rules_as_the_gate_table_does(tmp_path: Path) -> None:
    """The summary reads the saved gate and formats it with the gate's own formatter: a yes/no
    criterion reads ``yes | must hold`` (not ``True | == True``), a cost ``0.000014`` (not 1.4e-05)."""
    from labkit.roadmap.gates import Gate
    from labkit.roadmap.runner import NotebookOutcome, RunSummary, write_summary

    gate = Gate("04_scale_and_govern")
    gate.require("audit trail complete", True)
    gate.check("cost per call", 1.4e-05, "<=", 0.001, unit="USD")
    gate.figure("calls", None)
    saved = json.loads(gate.save().read_text())
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    summary = RunSummary(run_dir, [NotebookOutcome("04_scale_and_govern", run_dir / "none.ipynb", 1.0)], [saved])
    md_path, html_path = write_summary(summary)
    md, page = md_path.read_text(), html_path.read_text()
    for c in gate.criteria:
        assert f"| {c.name} | {c.shown_value()} | {c.rule()} | pass |" in md
        assert f"<td class='num'>{c.shown_value()}</td><td class='rule'>{c.rule()}</td>" in page.replace("&lt;", "<")
    assert "| audit trail complete | yes | must hold | pass |" in md
    assert "| cost per call | 0.000014 USD | <= 0.001 USD | pass |" in md
    assert "calls = –" in md and "calls = –" in page
