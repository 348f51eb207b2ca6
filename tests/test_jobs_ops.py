"""Operations: a provider slowdown piles jobs up, and the depth alert fires before the SLA is hit.

Metrics go to Prometheus gauges and ``queue`` telemetry events; alerts to ``alert`` events.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from labkit.jobs import BackgroundJobs, open_queue
from labkit.jobs.alerts import AlertMonitor, AlertRules, publish_stats
from labkit.jobs.worker import Worker
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.telemetry.events import read_events


def test_provider_slowdown_fires_depth_alert_before_age_sla(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    q = open_queue(url)
    slow = ProviderConfig.parse({"faults": {"*": "latency=0.4"}})
    with serve_in_thread(slow) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        worker = Worker(url, concurrency=2, poll_s=0.01, stats_interval_s=0.2)
        t = threading.Thread(target=worker.run)
        t.start()
        try:
            for i in range(60):
                q.submit("chat", {"messages": [{"role": "user", "content": f"Summarise: note {i}."}]})
            monitor = AlertMonitor(q, AlertRules(max_depth=40, max_age_s=60))
            fired = monitor.evaluate()
            stats = q.stats()
            # the backlog is visible while the oldest job is still young: users have not waited yet
            assert [a["rule"] for a in fired] == ["queue_depth"]
            assert stats.oldest_age_s < 60 and stats.depth > 40
            deadline = time.monotonic() + 60
            while q.stats().succeeded < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert q.stats().succeeded >= 2          # the slow provider still answers
        finally:
            worker.stop()
            t.join(30)
    alerts = read_events("alert")
    assert alerts[0]["rule"] == "queue_depth" and alerts[0]["state"] == "firing"
    assert alerts[0]["oldest_age_s"] < 60
    assert read_events("queue"), "the worker publishes queue stats as telemetry"


def test_gauges_follow_queue_stats(tmp_path: Path) -> None:
    q = open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    for _ in range(4):
        q.submit("noop", queue="gauges")
    publish_stats(q.stats("gauges"))
    assert REGISTRY.get_sample_value("labkit_queue_depth", {"queue": "gauges"}) == 4
    assert REGISTRY.get_sample_value("labkit_queue_oldest_age_seconds", {"queue": "gauges"}) >= 0
    q.claim("gauges", "w", 30)
    publish_stats(q.stats("gauges"))
    assert REGISTRY.get_sample_value("labkit_queue_depth", {"queue": "gauges"}) == 3
    assert REGISTRY.get_sample_value("labkit_queue_running", {"queue": "gauges"}) == 1
    assert read_events("queue")[-1]["depth"] == 3


def test_alert_resolves_when_backlog_drains(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    ai = BackgroundJobs(url)
    for i in range(5):
        ai.submit("noop", {"i": i})
    monitor = AlertMonitor(ai.q, AlertRules(max_depth=3))
    assert [a["rule"] for a in monitor.evaluate()] == ["queue_depth"]
    ai.run_workers(workers=1, in_process=True)
    assert monitor.evaluate() == []
    states = [(a["rule"], a["state"]) for a in read_events("alert")]
    assert states == [("queue_depth", "firing"), ("queue_depth", "resolved")]


def test_preload_runs_a_warm_up_before_any_job_is_claimed(provider, tmp_path, monkeypatch) -> None:
    """``--preload module:function`` builds the shared client before the first claim."""
    import labkit.jobs.handlers as handlers
    from labkit.errors import ConfigError

    monkeypatch.setenv("OPENAI_BASE_URL", provider.base_url)
    monkeypatch.setattr(handlers, "_client", None)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    job = open_queue(url).submit("noop")                  # noop never builds a client itself
    report = Worker(url, burst=True, events=False,
                    preload=["labkit.jobs.handlers:warm_client"]).run()
    assert report.succeeded == 1 and handlers._client is not None
    assert handlers._client.config.base_url == provider.base_url
    assert open_queue(url).get(job.id).status == "succeeded"
    with pytest.raises(ConfigError, match="cannot preload"):
        Worker(url, burst=True, events=False, preload=["labkit.jobs.handlers:no_such_warm_up"]).run()
    assert open_queue(url).stats().depth == 0


def test_job_kinds_are_registered_never_loaded_from_an_import_path() -> None:
    """Issue 13: a kind is what @job_kind registered; "module:function" strings load nothing."""
    from labkit.errors import ConfigError, NonRetryableJobError
    from labkit.jobs.handlers import HANDLERS, job_kind, resolve

    assert resolve("noop") is HANDLERS["noop"]
    with pytest.raises(NonRetryableJobError, match="no handler for job kind"):
        resolve("labkit.jobs.handlers:noop")  # the old string lookup would have imported it
    with pytest.raises(ConfigError, match="already registered"):
        @job_kind("noop")
        def another_noop(ctx: object) -> None:  # a second, different handler for a taken kind
            return None
    assert resolve("noop").__name__ == "noop"


def test_a_worker_process_knows_every_kind_the_service_submits(tmp_path: Path) -> None:
    """``labkit worker`` imports the modules that register kinds (no registration step, no strings)."""
    import subprocess
    import sys

    from labkit.service.job_handlers import KINDS

    code = ("import labkit.commands.jobs; from labkit.jobs.handlers import HANDLERS; "
            "print(' '.join(sorted(HANDLERS)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert set(KINDS.values()) <= set(out.stdout.split()), out.stdout
