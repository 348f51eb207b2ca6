"""``labkit jobs …`` and ``labkit worker``: the commands an operator uses, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def labkit(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'q.db'}"


def test_submit_worker_status_stats_roundtrip(url: str) -> None:
    out = labkit("jobs", "submit", "noop", "--payload", '{"n": 1}', "--key", "k1", "--backend", url)
    assert out.returncode == 0, out.stderr
    job_id = out.stdout.strip()
    again = labkit("jobs", "submit", "noop", "--key", "k1", "--backend", url)
    assert again.stdout.strip() == job_id                    # idempotency key: same job
    stats = json.loads(labkit("jobs", "stats", "--json", "--backend", url).stdout)
    assert stats[0]["depth"] == 1
    run = labkit("worker", "--backend", url, "--concurrency", "2", "--burst")
    assert run.returncode == 0 and "1 succeeded" in run.stderr
    status = json.loads(labkit("jobs", "status", job_id, "--json", "--backend", url).stdout)
    assert status["status"] == "succeeded" and status["result"] == {"ok": True}
    assert status["history"][0]["outcome"] == "succeeded"
    listing = labkit("jobs", "list", "--status", "succeeded", "--backend", url)
    assert job_id in listing.stdout


def test_dlq_list_and_replay(url: str) -> None:
    job_id = labkit("jobs", "submit", "poison", "--payload", '{"error": "no total"}',
                    "--backend", url).stdout.strip()
    labkit("worker", "--backend", url, "--burst")
    dead = json.loads(labkit("jobs", "dlq", "list", "--json", "--backend", url).stdout)
    assert [d["id"] for d in dead] == [job_id]
    assert dead[0]["dead_reason"] == "non_retryable" and "no total" in dead[0]["last_error"]
    out = labkit("jobs", "dlq", "replay", job_id, "--backend", url)
    assert out.stdout.strip() == "replayed 1 job(s)"
    status = json.loads(labkit("jobs", "status", job_id, "--json", "--backend", url).stdout)
    assert status["status"] == "queued" and status["attempts"] == 0


def test_alerts_command_reports_depth(url: str) -> None:
    for _ in range(3):
        labkit("jobs", "submit", "noop", "--backend", url)
    out = json.loads(labkit("jobs", "alerts", "--max-depth", "2", "--json", "--backend", url).stdout)
    assert [a["rule"] for a in out] == ["queue_depth"]
    quiet = labkit("jobs", "alerts", "--max-depth", "10", "--backend", url)
    assert quiet.stdout.strip() == "no alert firing"


def test_bad_input_is_one_line_error(url: str) -> None:
    for args, message in [
        (("jobs", "status", "nope", "--backend", url), "error: no job nope"),
        (("jobs", "submit", "noop", "--payload", "{bad", "--backend", url), "error: --payload is not valid JSON"),
        (("jobs", "submit", "no-such-kind", "--backend", url), "error: no handler for job kind"),
        (("jobs", "stats", "--backend", "postgres://x"), "error: unknown job queue URL scheme"),
    ]:
        out = labkit(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith(message) and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


def test_chaos_command_json_accounting(tmp_path: Path) -> None:
    out = labkit("jobs", "chaos", "--backend", "sqlite", "--jobs", "120", "--workers", "2",
                 "--kill-every", "2", "--json", timeout=600)  # a hang guard: jobs that meet an
    # open breaker now wait for it (deferred, no attempt spent), which is slower on a loaded machine
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["submitted"] == 120 and report["lost"] == 0
    assert report["side_effects_applied_more_than_once"] == 0
    assert report["succeeded"] + report["dead_lettered"] == 120


@pytest.mark.parametrize("args,start", [
    (("--jobs", "0"), "error: --jobs 0: "),
    (("--kill-every", "-1"), "error: --kill-every -1.0: "),
    (("--workers", "0"), "error: --workers 0: "),
    (("--error-rate", "1.5"), "error: --error-rate 1.5: "),
])
def test_chaos_refuses_bad_arguments_in_one_line(args: tuple[str, ...], start: str) -> None:
    out = labkit("jobs", "chaos", *args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "pydantic" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith(start), out.stderr
