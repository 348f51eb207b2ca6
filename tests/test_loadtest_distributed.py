"""Locust's distributed mode on localhost: one master, two workers, the gate on the master."""

from __future__ import annotations

from pathlib import Path

from labkit.service.loadrun import run_loadtest

FAST_ENV = {"LABKIT_SERVICE_RAG_INGEST_LIMIT": "20", "LABKIT_THINK_TIME": "0,0.05"}


def test_distributed_mode_master_and_two_workers(tmp_path: Path) -> None:
    result = run_loadtest("smoke", users=4, spawn_rate=4, run_time="6s", workers=2, run_id="t-dist",
                          extra_env={**FAST_ENV, "LABKIT_WEIGHT_COPILOT": "0", "LABKIT_WEIGHT_AGENT": "0"})
    log = (result.run_dir / "locust.log").read_text()
    assert "2 workers connected" in log or "(2 total workers)" in log, log[-2000:]
    total = next(r for r in result.stats if r["name"] == "Aggregated")
    assert total["requests"] > 0
    assert (result.run_dir / "slo.json").exists(), "the master runs the SLO gate"
    # every Locust process reports its CPU; the warning judges the workers, not the master
    assert result.check["generator"]["processes"] == 3, result.check


def test_rollout_stages_switch_the_traffic_mix(tmp_path: Path) -> None:
    profile = tmp_path / "mini-rollout.yaml"
    profile.write_text(
        "name: mini-rollout\nthink_time: [0, 0.05]\n"
        "weights: {direct: 1, rag: 1, jobs: 0, agent: 0, copilot: 0, gateway: 0}\n"
        "stages:\n"
        "  - {name: pilot, duration: 4, users: 2, spawn_rate: 10, classes: [direct]}\n"
        "  - {name: full, duration: 9, users: 4, spawn_rate: 10, classes: [direct, rag]}\n"
        "slo: {max_failure_ratio: 0.5, default_p95_ms: 60000}\n")
    result = run_loadtest(str(profile), run_id="t-rollout", extra_env=FAST_ENV)
    history = (result.run_dir / "stats_stats_history.csv").read_text().splitlines()
    header = history[0].split(",")
    col = {name: i for i, name in enumerate(header)}
    rows = [line.split(",") for line in history[1:]]
    start = int(rows[0][col["Timestamp"]])
    first_rag = min(int(r[col["Timestamp"]]) - start for r in rows
                    if r[col["Name"]] == "/rag/ask" and int(r[col["Total Request Count"]]) > 0)
    first_direct = min(int(r[col["Timestamp"]]) - start for r in rows
                       if r[col["Name"]].startswith("/direct/") and int(r[col["Total Request Count"]]) > 0)
    assert first_direct < first_rag, (first_direct, first_rag)
    assert first_rag >= 3, "RAG users only join in the second stage"
    assert max(int(r[col["User Count"]]) for r in rows) == 4
