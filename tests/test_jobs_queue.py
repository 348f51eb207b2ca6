"""The job-queue contract, held against both backends (SQLite WAL and a real Redis).

Each test gets a fresh queue: a new SQLite file, or a new key namespace on the session's
redis-server. Workers here run in-process (threads) unless the test is about processes;
``tests/test_jobs_reliability.py`` kills real worker processes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest

from labkit.clock import FakeClock
from labkit.errors import ConfigError, InputError, JobNotFound
from labkit.jobs import open_queue
from labkit.jobs.alerts import AlertMonitor, AlertRules
from labkit.jobs.models import WorkerInfo
from labkit.jobs.queue import JobQueue
from labkit.jobs.worker import Worker
from labkit.telemetry.events import read_events


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest, tmp_path) -> str:
    opts = "retry_base=0.05&retry_max=0.2&jitter=0.5"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}?{opts}"
    redis_url = request.getfixturevalue("redis_url")
    return f"{redis_url}?ns=t{uuid.uuid4().hex[:10]}&{opts}"


@pytest.fixture
def q(queue_url: str) -> JobQueue:
    queue = open_queue(queue_url)
    yield queue
    queue.close()


def _run_worker_until(worker: Worker, done: Callable[[], bool], guard_s: float = 30) -> None:
    """Run ``worker`` in a thread until ``done()`` holds, then stop it and wait for it.

    ``guard_s`` only keeps a broken test from hanging; the assertions after the call decide.
    """
    t = threading.Thread(target=worker.run)
    t.start()
    try:
        deadline = time.monotonic() + guard_s
        while not done() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
        t.join(30)


@pytest.fixture
def clock() -> FakeClock:
    """Queue time that moves only when a test says so (leases, delays, ages, TTLs)."""
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def fq(queue_url: str, clock: FakeClock) -> JobQueue:
    """A queue on the fake ``clock``: lease and delay tests assert order, not seconds."""
    queue = open_queue(queue_url, clock=clock)
    yield queue
    queue.close()


def test_submit_claim_complete_records_status_and_history(q: JobQueue) -> None:
    job = q.submit("noop", {"x": 1})
    assert job.status == "queued" and job.attempts == 0 and job.payload == {"x": 1}
    claimed = q.claim("default", "w1", lease_s=30)
    assert claimed.id == job.id and claimed.status == "running" and claimed.attempts == 1
    assert claimed.lease_expires_at > time.time() + 20
    assert q.complete(job.id, "w1", 1, {"answer": 42}) is True
    done = q.get(job.id)
    assert done.status == "succeeded" and done.result == {"answer": 42}
    assert done.finished_at >= done.started_at >= done.created_at
    assert [(a.attempt, a.worker_id, a.outcome) for a in done.history] == [(1, "w1", "succeeded")]
    assert q.result(job.id) == {"answer": 42}
    assert q.claim("default", "w1", 30) is None


def test_idempotency_key_gives_one_job_and_result_written_once(q: JobQueue) -> None:
    a = q.submit("noop", {"v": 1}, idempotency_key="invoice-7")
    b = q.submit("noop", {"v": 2}, idempotency_key="invoice-7")
    assert a.id == b.id and b.payload == {"v": 1}
    assert q.stats().depth == 1
    c = q.claim("default", "w1", 30)
    assert q.complete(c.id, "w1", 1, "first") is True
    assert q.complete(c.id, "w2", 1, "second") is False
    assert q.result(c.id) == "first"
    # the side effect, keyed by the idempotency key, applies once however often it is tried
    assert q.apply_effect("invoice-7", c.id, {"booked": 1}) is True
    assert q.apply_effect("invoice-7", c.id, {"booked": 1}) is False
    assert q.effect_counts() == {"applied": 1, "ledger": 1, "duplicates": 0}


def test_submit_many_dedups_keys(q: JobQueue) -> None:
    ids = q.submit_many([{"kind": "noop", "idempotency_key": "k1"}, {"kind": "noop"},
                         {"kind": "noop", "idempotency_key": "k1"}])
    assert ids[0] == ids[2] and ids[0] != ids[1]
    assert q.stats().queued == 2


def test_priorities_higher_first_then_fifo(q: JobQueue) -> None:
    low1 = q.submit("noop", priority=0)
    high = q.submit("noop", priority=9)
    low2 = q.submit("noop", priority=0)
    mid = q.submit("noop", priority=5)
    order = [q.claim("default", "w", 30).id for _ in range(4)]
    assert order == [high.id, mid.id, low1.id, low2.id]


def test_crashed_worker_job_is_redelivered_after_lease(fq: JobQueue, clock: FakeClock) -> None:
    q = fq
    job = q.submit("noop")
    first = q.claim("default", "crashed", lease_s=1.0)
    clock.advance(0.9)
    assert q.claim("default", "other", lease_s=1.0) is None      # leased: not handed out twice
    clock.advance(0.4)
    again = q.claim("default", "other", lease_s=30)
    assert again is not None and again.id == job.id and again.attempts == 2
    assert [a.outcome for a in again.history] == ["lease_expired", None]
    # the crashed worker's heartbeat is refused, the new holder's accepted
    assert q.heartbeat(job.id, "crashed", first.attempts, 30) is False
    assert q.heartbeat(job.id, "other", again.attempts, 30) is True


def test_heartbeat_keeps_the_lease(fq: JobQueue, clock: FakeClock) -> None:
    q = fq
    job = q.submit("noop")
    held = q.claim("default", "w", lease_s=1.0)
    for _ in range(8):                   # 4 s in all: well past the first lease
        clock.advance(0.5)
        assert q.heartbeat(job.id, "w", held.attempts, 1.0)
    assert q.claim("default", "thief", lease_s=1.0) is None
    assert q.get(job.id).attempts == 1


def test_lease_expiry_on_last_attempt_dead_letters(q: JobQueue) -> None:
    job = q.submit("noop", max_attempts=1)
    q.claim("default", "w", lease_s=0.2)
    time.sleep(0.4)
    assert q.claim("default", "w2", lease_s=0.2) is None
    dead = q.get(job.id)
    assert dead.status == "dead" and dead.dead_reason == "lease_expired"


def test_retry_with_backoff_then_dead_letter_with_reason(q: JobQueue) -> None:
    job = q.submit("fail", max_attempts=3)
    seen = []
    deadline = time.time() + 10
    while time.time() < deadline and q.get(job.id).status not in ("dead",):
        c = q.claim("default", "w", 30)
        if c is None:
            time.sleep(0.02)
            continue
        seen.append(time.time())
        status = q.fail(c.id, "w", c.attempts, f"boom {c.attempts}")
        assert status == ("dead" if c.attempts == 3 else "failed")
        if status == "failed":
            failed = q.get(job.id)
            # the retry is scheduled after a backoff (base 0.05 s, jitter at most halves it)
            assert failed.status == "failed"
            assert failed.available_at >= failed.history[-1].ended_at + 0.02
    dead = q.get(job.id)
    assert dead.status == "dead" and dead.dead_reason == "max_attempts"
    assert dead.last_error == "boom 3" and dead.attempts == 3
    assert [a.outcome for a in dead.history] == ["failed", "failed", "dead"]
    assert [j.id for j in q.dead_letters()] == [job.id]
    # backoff: retries were not immediate (base 0.05 s, jitter at most halves it)
    assert seen[1] - seen[0] >= 0.02 and seen[2] - seen[1] >= 0.04


def test_non_retryable_goes_straight_to_dlq_and_replay(q: JobQueue) -> None:
    job = q.submit("poison", max_attempts=5)
    c = q.claim("default", "w", 30)
    assert q.fail(c.id, "w", 1, "ValidationFailed: no total", retryable=False) == "dead"
    dead = q.get(job.id)
    assert dead.dead_reason == "non_retryable" and dead.attempts == 1
    assert "no total" in dead.last_error
    assert q.stats().dead == 1
    assert q.replay([job.id]) == 1
    replayed = q.get(job.id)
    assert replayed.status == "queued" and replayed.attempts == 0 and replayed.dead_reason is None
    again = q.claim("default", "w", 30)
    assert again.id == job.id and again.attempts == 1 and len(again.history) == 2
    assert q.replay([job.id]) == 0                # not dead any more


def test_stale_fail_report_changes_nothing(q: JobQueue) -> None:
    job = q.submit("noop")
    c = q.claim("default", "w", 30)
    assert q.complete(job.id, "w", c.attempts, 1)
    assert q.fail(job.id, "w", c.attempts, "late") == "succeeded"
    assert q.get(job.id).status == "succeeded"


def test_release_gives_job_back_without_using_an_attempt(q: JobQueue) -> None:
    job = q.submit("noop", max_attempts=1)
    c = q.claim("default", "w", 30)
    assert q.release(job.id, "w", c.attempts) is True
    back = q.get(job.id)
    assert back.status == "queued" and back.attempts == 0
    c2 = q.claim("default", "w2", 30)
    assert c2.id == job.id and c2.attempts == 1
    assert [a.outcome for a in c2.history] == ["released", None]


def test_result_ttl_and_failure_retention_are_separate(q: JobQueue) -> None:
    ok = q.submit("noop", result_ttl_s=1)
    bad = q.submit("poison")
    c = q.claim("default", "w", 30)
    q.complete(c.id, "w", 1, {"r": 1})
    d = q.claim("default", "w", 30)
    q.fail(d.id, "w", 1, "bad", retryable=False)
    now = time.time()
    assert q.sweep(now)["results_expired"] == 0
    out = q.sweep(now + 5)             # past the result TTL, well within failure retention
    assert out["results_expired"] == 1 and out["purged"] == 0
    assert q.get(ok.id).status == "expired" and q.get(ok.id).result is None
    with pytest.raises(JobNotFound, match="expired"):
        q.result(ok.id)
    assert q.get(bad.id).status == "dead"
    out = q.sweep(now + q.failure_retention_s + 10)   # past retention: both tombstones purged
    assert out["purged"] == 2
    with pytest.raises(JobNotFound):
        q.get(bad.id)


def test_queued_job_past_its_deadline_expires_unrun(q: JobQueue) -> None:
    job = q.submit("noop", expires_in_s=0.2)
    time.sleep(0.3)
    assert q.claim("default", "w", 30) is None
    q.sweep()
    stale = q.get(job.id)
    assert stale.status == "expired" and stale.attempts == 0


def test_stats_depth_and_oldest_age(fq: JobQueue, clock: FakeClock) -> None:
    q = fq
    q.submit("noop", queue="reports")
    clock.advance(0.2)
    q.submit("noop", queue="reports")
    q.submit("noop", queue="other")
    stats = q.stats("reports")
    assert stats.depth == 2 and stats.queued == 2 and stats.running == 0
    assert stats.oldest_age_s >= 0.2
    assert set(q.queues()) == {"reports", "other"}
    q.claim("reports", "w", 30)
    assert q.stats("reports").running == 1 and q.stats("reports").depth == 1
    assert q.stats("empty").oldest_age_s == 0.0


def test_bad_input_is_a_clear_error(q: JobQueue) -> None:
    with pytest.raises(InputError, match="max_attempts"):
        q.submit("noop", max_attempts=0)
    with pytest.raises(InputError, match="queue name"):
        q.submit("noop", queue="a:b")
    with pytest.raises(InputError, match="JSON"):
        q.submit("noop", {"x": object()})
    with pytest.raises(JobNotFound):
        q.get("nope")
    assert q.counts().get("queued", 0) == 0        # nothing half-written


def test_unknown_url_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="scheme"):
        open_queue("postgres://x/y")
    with pytest.raises(ConfigError):
        open_queue("sqlite:///tmp/q.db?retry_base=fast")


def test_worker_runs_handlers_retries_and_dead_letters(queue_url: str, q: JobQueue) -> None:
    ok = q.submit("noop")
    flaky = q.submit("flaky", {"fail_times": 2}, max_attempts=4)
    poison = q.submit("poison", max_attempts=4)
    unknown = q.submit("no-such-kind")
    effect = q.submit("effect", {"value": 7}, idempotency_key="fx-1")
    report = Worker(queue_url, concurrency=3, burst=True, poll_s=0.01).run()
    assert q.get(ok.id).status == "succeeded"
    f = q.get(flaky.id)
    assert f.status == "succeeded" and f.attempts == 3 and f.result == {"attempt": 3}
    p = q.get(poison.id)
    assert p.status == "dead" and p.attempts == 1 and "NonRetryableJobError" in p.last_error
    assert q.get(unknown.id).dead_reason == "non_retryable"
    assert q.get(effect.id).result == {"applied": True}
    assert report.succeeded == 3 and report.dead == 2
    events = read_events("job")
    assert {e["job_id"] for e in events} >= {ok.id, flaky.id, poison.id}


def test_worker_stop_releases_in_flight_job_after_grace(queue_url: str, q: JobQueue) -> None:
    job = q.submit("sleep", {"seconds": 3})
    w = Worker(queue_url, concurrency=1, grace_s=0.2, poll_s=0.01)
    _run_worker_until(w, lambda: q.get(job.id).status == "running", guard_s=5)
    assert w.report.released == 1
    back = q.get(job.id)
    assert back.status == "queued" and back.attempts == 0
    assert any(x.worker_id == w.worker_id and x.stopped_at for x in q.workers())


def test_alerts_fire_on_depth_age_dlq_growth_and_silent_worker(fq: JobQueue, clock: FakeClock) -> None:
    q = fq
    monitor = AlertMonitor(q, AlertRules(max_depth=3, max_age_s=0.2, dlq_growth=1,
                                         worker_silence_s=0.2))
    assert monitor.evaluate() == []
    for _ in range(5):
        q.submit("noop")
    clock.advance(0.3)
    now = clock()
    q.register_worker(WorkerInfo(worker_id="ghost", queue="default", pid=1, host="h",
                                 started_at=now - 10, last_heartbeat=now - 5))
    d = q.submit("poison", priority=10)
    c = q.claim("default", "w", 30)
    assert c.id == d.id
    q.fail(c.id, "w", c.attempts, "bad", retryable=False)
    fired = {a["rule"] for a in monitor.evaluate()}
    assert fired == {"queue_depth", "job_age_sla", "worker_silent", "dlq_growth"}
    assert monitor.evaluate() == []          # still firing: not re-sent
    alerts = read_events("alert")
    assert {a["rule"] for a in alerts if a["state"] == "firing"} >= {"queue_depth", "job_age_sla"}


def test_delayed_submit_waits_its_turn(fq: JobQueue, clock: FakeClock) -> None:
    q = fq
    job = q.submit("noop", delay_s=1.0)
    clock.advance(0.9)
    assert q.claim("default", "w", 30) is None
    clock.advance(0.2)
    got = q.claim("default", "w", 30)
    assert got is not None and got.id == job.id


def test_effect_ledger_would_show_a_double_application(q: JobQueue) -> None:
    # the chaos drill trusts effect_counts() to reveal a broken guard: check it can
    assert q.apply_effect("fx", "j1", 1) is True
    assert q.effect_counts()["duplicates"] == 0
    if hasattr(q, "r"):
        q.r.rpush(q._k("effect_log"), "fx")                      # a second, unguarded application
    else:
        q._conn().execute("INSERT INTO effect_log (effect_key, job_id, applied_at) VALUES ('fx', 'j1', 0)")
    assert q.effect_counts() == {"applied": 1, "ledger": 2, "duplicates": 1}


# --- "not now": deferral without spending an attempt (issue 12 item 4) ----------------------

def test_defer_puts_a_job_back_until_its_time_without_spending_an_attempt(queue_url: str) -> None:
    from labkit.clock import FakeClock

    clock = FakeClock(1_000_000.0)
    q = open_queue(queue_url, clock=clock)
    try:
        job = q.submit("noop", max_attempts=2)
        c = q.claim("default", "w1", lease_s=30)
        assert c.attempts == 1
        assert q.defer(c.id, "w1", 1, delay_s=5.0, reason="CallDeferred: breaker open") is True
        back = q.get(job.id)
        assert back.status == "queued" and back.attempts == 0 and back.deferrals == 1
        assert back.available_at == clock() + 5.0 and back.last_error == "CallDeferred: breaker open"
        assert back.history[-1].outcome == "deferred"
        assert q.defer(c.id, "w1", 1, delay_s=5.0) is False      # no longer held: no change
        clock.advance(4.9)
        assert q.claim("default", "w1", lease_s=30) is None      # not before its time
        clock.advance(0.2)
        again = q.claim("default", "w2", lease_s=30)
        assert again.id == job.id and again.attempts == 1 and again.deferrals == 1
        assert q.complete(again.id, "w2", 1, {"ok": True})
        # a deferral is not an execution: the job ran once
        assert q.execution_counts() == {"executed_more_than_once": 0, "executions": 1}
    finally:
        q.close()


def test_a_job_whose_client_breaker_is_open_is_deferred_not_failed(queue_url: str, provider) -> None:
    from labkit.controls.retry import RetryPolicy
    from labkit.direct import ClientConfig, ResilientClient
    from labkit.errors import CallDeferred

    provider.set_fault("lab-chat-2026-01", "status=503")
    client = ResilientClient(ClientConfig(
        base_url=provider.base_url, fallbacks={"*": []}, retry=RetryPolicy(max_attempts=1),
        breaker={"min_volume": 1, "error_rate": 0.5, "open_s": 120, "window_s": 60}))
    assert client.chat([{"role": "user", "content": "hi"}], use_cache=False).status == "cannot_answer"
    assert client.breakers.get("lab-chat-2026-01").state == "open"
    sent_before = len(provider.request_log())
    q = open_queue(queue_url)
    job = q.submit("chat", {"messages": [{"role": "user", "content": "Summarise: hello"}]},
                   max_attempts=2)
    w = Worker(queue_url, concurrency=1, poll_s=0.01, events=False, extras={"client": client})
    _run_worker_until(w, lambda: q.get(job.id).deferrals > 0)
    got = q.get(job.id)
    assert got.status == "queued" and got.attempts == 0 and got.deferrals == 1
    assert got.last_error.startswith(CallDeferred.__name__)
    # not claimable before the breaker may probe again (about 120 s from now)
    assert got.available_at >= time.time() + 60
    assert len(provider.request_log()) == sent_before      # nothing reached the provider
    assert w.report.deferred == 1 and w.report.failed == 0
    q.close()


def test_the_deferral_cap_turns_endless_deferral_into_a_reported_failed_attempt(queue_url: str) -> None:
    from labkit.jobs.handlers import job_kind

    @job_kind("always_not_now")
    def always_not_now(ctx):
        from labkit.errors import CallDeferred

        raise CallDeferred("breaker open", retry_after_s=0.0)

    q = open_queue(queue_url)
    job = q.submit("always_not_now", max_attempts=1)
    w = Worker(queue_url, concurrency=1, poll_s=0.01, events=False, max_deferrals=3, min_defer_s=0.0)
    _run_worker_until(w, lambda: q.get(job.id).status == "dead")
    dead = q.get(job.id)
    assert dead.status == "dead" and dead.deferrals == 3 and dead.attempts == 1
    assert "deferred 3 times (cap 3)" in dead.last_error
    assert [a.outcome for a in dead.history] == ["deferred"] * 3 + ["dead"]
    assert w.report.deferred == 3 and w.report.deferral_cap_hits == 1
    q.close()


# --- a dead job whose side effect was applied is reconciled, not silently dead ----------------

def test_a_job_that_died_after_its_effect_is_reconciled(queue_url: str) -> None:
    from labkit.clock import FakeClock

    clock = FakeClock(2_000_000.0)
    q = open_queue(queue_url, clock=clock)
    try:
        applied = q.submit("effect", max_attempts=1, idempotency_key="order-7")
        untouched = q.submit("effect", max_attempts=1)
        poisoned = q.submit("effect", max_attempts=3)
        for _ in range(3):
            c = q.claim("default", "w1", lease_s=1)
            if c.id in (applied.id, poisoned.id):
                assert q.apply_effect(c.idempotency_key or c.id, c.id, {"order": 7})
            if c.id == poisoned.id:   # the handler itself said "do not retry" after its effect
                assert q.fail(c.id, "w1", 1, "bad after effect", retryable=False) == "dead"
        clock.advance(5)              # w1 was SIGKILLed: its leases run out
        assert q.claim("default", "w2", lease_s=1) is None     # reaps: both leased jobs go dead
        assert q.get(applied.id).status == "dead" and q.get(untouched.id).status == "dead"
        assert q.reconcile() == [applied.id]
        done = q.get(applied.id)
        assert done.status == "succeeded" and done.dead_reason is None
        assert done.result == {"reconciled": True, "was": "lease_expired", "effect": {"order": 7}}
        assert done.history[-1].outcome == "reconciled" and "lease expired" in done.history[-1].error
        assert q.get(untouched.id).status == "dead"             # no effect: a real dead letter
        assert q.get(poisoned.id).status == "dead"              # non-retryable: stays for a human
        assert q.reconcile() == []                              # once
        assert q.sweep()["reconciled"] == 0
    finally:
        q.close()
