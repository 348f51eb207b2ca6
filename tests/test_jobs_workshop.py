"""The async-jobs workshop helpers (labkit/jobs/workshop.py) on a real SQLite queue and a real Worker."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from labkit.errors import InputError, JobError
from labkit.jobs import RetryPolicy, Worker
from labkit.jobs.workshop import QueueWatch, backoff_rows, history_rows, job_row, wait_until, workshop_queue


def test_workshop_queue_starts_fresh_and_carries_its_backoff(tmp_path: Path) -> None:
    wq = workshop_queue("sqlite", tmp_path / "q", retry_base_s=0.05, jitter=0, max_attempts=3)
    wq.queue.submit("noop")
    wq.close()
    again = workshop_queue("sqlite", tmp_path / "q", retry_base_s=0.05, jitter=0, max_attempts=3)
    assert again.queue.counts() == {}                      # a re-run starts clean
    assert again.queue.retry.base_delay_s == 0.05 and again.queue.default_max_attempts == 3
    again.close()
    with pytest.raises(InputError, match="sqlite' or 'redis"):
        workshop_queue("kafka", tmp_path / "k")


def test_redis_falls_back_to_sqlite_with_a_note_when_no_server(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "redis-server" else real_which(name))
    wq = workshop_queue("redis", tmp_path / "r")
    assert wq.backend == "sqlite" and "not installed" in wq.note and wq.url.startswith("sqlite:///")
    wq.close()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_backend_runs_on_a_private_server(tmp_path: Path) -> None:
    wq = workshop_queue("redis", tmp_path / "r")
    try:
        assert wq.backend == "redis" and wq.url.startswith("redis://127.0.0.1:")
        job = wq.queue.submit("noop")
        assert Worker(wq.url, burst=True, poll_s=0.01, events=False).run().succeeded == 1
        assert wq.queue.get(job.id).status == "succeeded"
    finally:
        wq.close()


def test_rows_read_a_real_flaky_job(tmp_path: Path) -> None:
    wq = workshop_queue("sqlite", tmp_path / "q", retry_base_s=0.05, jitter=0)
    job = wq.queue.submit("flaky", {"fail_times": 1})
    row = job_row(wq.queue.get(job.id))
    assert (row["status"], row["attempts"], row["worker"], row["last error"]) == ("queued", "0 of 5", "–", "–")
    Worker(wq.url, burst=True, poll_s=0.01, events=False).run()
    done = wq.queue.get(job.id)
    rows = history_rows(done)
    assert [r["outcome"] for r in rows] == ["failed", "succeeded"]
    assert rows[1]["started (s)"] - rows[0]["ended (s)"] >= 0.04          # the backoff, in seconds since submit
    assert rows[0]["error"] == "JobError: transient failure on attempt 1"
    assert job_row(done)["attempts"] == "2 of 5"
    wq.close()


def test_job_row_shows_a_lease_counting_down(tmp_path: Path) -> None:
    wq = workshop_queue("sqlite", tmp_path / "q")
    job = wq.queue.submit("noop")
    held = wq.queue.claim("default", "me", lease_s=10)
    assert held is not None
    now = time.time()
    assert job_row(wq.queue.get(job.id), now=now)["lease left (s)"] == pytest.approx(10, abs=0.5)
    assert job_row(wq.queue.get(job.id), now=now + 12)["lease left (s)"] < 0
    wq.close()


def test_queue_watch_sees_a_backlog_build_and_drain(tmp_path: Path) -> None:
    wq = workshop_queue("sqlite", tmp_path / "q")
    with QueueWatch(wq.queue, interval_s=0.02) as watch:
        wq.queue.submit_many([{"kind": "noop"} for _ in range(5)])
        watch.mark("burst")
        time.sleep(0.1)
        Worker(wq.url, burst=True, poll_s=0.01, events=False).run()
    assert max(r["depth"] for r in watch.rows) == 5
    assert watch.rows[-1]["depth"] == 0 and watch.rows[-1]["succeeded"] == 5
    assert max(r["oldest age (s)"] for r in watch.rows) >= 0.05
    assert [label for _, label in watch.marks] == ["burst"]
    with pytest.raises(InputError):
        QueueWatch(wq.queue, interval_s=0)
    wq.close()


def test_backoff_rows_bound_the_policy() -> None:
    policy = RetryPolicy(base_delay_s=0.3, max_delay_s=1.0, jitter=0.5)
    rows = backoff_rows(policy, 4)
    rng = random.Random(0)
    for r in rows:
        n = r["after failed attempt"]
        for _ in range(50):
            assert r["shortest wait (s)"] - 1e-9 <= policy.delay(n, rng) <= r["longest wait (s)"] + 1e-9
    assert rows[-1]["longest wait (s)"] == 1.0                               # capped at max_delay_s


def test_wait_until_says_what_it_waited_for() -> None:
    with pytest.raises(JobError, match="the job to run"):
        wait_until(lambda: None, timeout_s=0.05, what="the job to run")
