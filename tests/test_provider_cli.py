"""The provider's commands: `labkit provider serve`, the interim `labkit run` (`labkit reset`: test_reset.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from helpers import free_port
from openai import OpenAI

from labkit.cli import cli
from labkit.provider.faults import FaultSpec


def test_serve_help_documents_every_fault() -> None:
    result = CliRunner().invoke(cli, ["provider", "serve", "--help"])
    assert result.exit_code == 0
    names = {"error_rate" if f == "error_rates" else f for f in FaultSpec.model_fields}
    missing = [n for n in names if n not in result.output]
    assert not missing, missing
    assert "X-Lab-Fault" in result.output and "/lab/faults" in result.output


def test_serve_subprocess_with_flags_works_with_openai_env(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "req.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labkit.cli", "provider", "serve", "--port", str(port), "--fault",
         "lab-mini=status=503;times=1", "--api-key", "k1", "--request-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/lab/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        env_client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k1", max_retries=1)
        r = env_client.chat.completions.create(model="lab-mini", messages=[{"role": "user", "content": "hi"}])
        assert r.model == "lab-mini-2026-03"
        bad = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", headers={"Authorization": "Bearer nope"},
                         json={"model": "lab-mini", "messages": [{"role": "user", "content": "hi"}]})
        assert bad.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    statuses = [line.count('"status":503') for line in log.read_text().splitlines()]
    assert statuses[0] == 1 and len(statuses) == 3


def test_serve_rejects_bad_fault_flag() -> None:
    result = subprocess.run([sys.executable, "-m", "labkit.cli", "provider", "serve", "--fault", "lab-chat=boom"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --fault") and "Traceback" not in result.stderr


def test_run_tour_prints_all_four(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit.commands.run import run

    result = CliRunner().invoke(run, ["--tour"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[DOC-0001#s1]" in out and "five days" in out
    assert "chunks:" in out and "get_account({'account_id': 'ACC-00042'})" in out
    assert "256 dims" in out and "mock provider stopped" in out


def test_serve_reports_a_non_utf8_config_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "provider.yaml"
    cfg.write_bytes("latency: none\n# caf\u00e9\n".encode("latin-1"))
    result = subprocess.run([sys.executable, "-m", "labkit.cli", "provider", "serve", "--config", str(cfg)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: provider config {cfg} is not UTF-8")
