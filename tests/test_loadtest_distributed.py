"""Locust's distributed mode on localhost: one master, two workers, the gate on the master."""

from __future__ import annotations

from pathlib import Path

from labkit.serviceapp.loadrun import run_loadtest

FAST_ENV = {"LABKIT_SERVICE_RAG_INGEST_LIMIT": "20", "LABKIT_THINK_TIME": "0,0.05"}


def test_distributed_mode_master_and_two_workers(tmp_path: Path) -> None:
    result = run_loadtest("smoke", users=4, spawn_rate=4, run_time="6s", workers=2, run_id="t-dist",
                          extra_env={**FAST_ENV, "LABKIT_WEIGHT_COPILOT": "0", "LABKIT_WEIGHT_AGENT": "0"})
    log = (result.run_dir / "locust.log").read_text()
    assert "2 workers connected" in log or "(2 total workers)" in log, log[-2000:]
    total = next(r for r in result.stats if r["name"] == "Aggregated")
    assert total["requests"] > 0
    assert (result.run_dir / "slo.json").exists(), "the master runs the SLO gate"
