"""Writes off the request path: the background writer, queued telemetry events, the queued
ledger, and a real gateway process that loses nothing when it is stopped (issue 17, overhead)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from helpers import free_port

from labkit.controls.budget import BudgetPolicy, CostLedger
from labkit.errors import BudgetExceeded
from labkit.telemetry import events
from labkit.telemetry.events import emit, read_events, telemetry_dir
from labkit.telemetry.queued_ledger import QueuedLedger
from labkit.telemetry.writer import BackgroundWriter

REPO = Path(__file__).resolve().parents[1]


# --- the writer -------------------------------------------------------------------------------

def test_the_writer_loses_nothing_from_many_threads_and_close_writes_the_rest():
    written: list[int] = []
    writer = BackgroundWriter("t", written.extend, interval_s=10.0)  # never wakes on its own
    threads = [threading.Thread(target=lambda k=k: [writer.put(k * 1000 + i) for i in range(500)])
               for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.pending() == 4000
    writer.close()  # a clean stop writes what is queued
    assert sorted(written) == sorted(k * 1000 + i for k in range(8) for i in range(500))
    assert writer.put(1) is False  # closed: the caller is told to write it itself


def test_flush_waits_for_everything_queued_before_it():
    written: list[int] = []
    writer = BackgroundWriter("t", written.extend, interval_s=10.0)
    for i in range(100):
        writer.put(i)
    assert writer.flush() is True and written == list(range(100))
    writer.close()


def test_a_full_queue_makes_the_caller_wait_not_lose_items():
    gate = threading.Event()
    batches: list[list[int]] = []

    def slow(batch: list[int]) -> None:
        gate.wait(5)
        batches.append(batch)

    writer = BackgroundWriter("t", slow, max_pending=5, interval_s=0.01)
    producer = threading.Thread(target=lambda: [writer.put(i) for i in range(40)])
    producer.start()
    time.sleep(0.3)
    assert producer.is_alive()  # blocked on the bound while the writer is stuck
    gate.set()
    producer.join(10)
    writer.close()
    assert [i for b in batches for i in b] == list(range(40))
    assert max(len(b) for b in batches) <= 5  # never more than the bound queued


def test_a_failing_batch_is_reported_and_the_writer_keeps_going(capsys):
    written: list[int] = []

    def flaky(batch: list[int]) -> None:
        if 13 in batch:
            raise OSError("disk full")
        written.extend(batch)

    writer = BackgroundWriter("t", flaky, interval_s=10.0)
    writer.put(13)
    writer.flush()
    writer.put(14)
    writer.close()
    assert written == [14] and writer.failed == 1
    assert "1 item(s) not written: OSError: disk full" in capsys.readouterr().err


# --- telemetry events through the writer ------------------------------------------------------

def test_background_events_reach_their_files_and_readers_see_them_at_once():
    events.start_background_writer()
    try:
        for i in range(300):
            emit("unit", n=i)
        # read_events flushes the queue first: a reader never misses an emitted event
        assert [e["n"] for e in read_events("unit")] == list(range(300))
        emit("unit", n=300)
    finally:
        events.stop_background_writer()
    lines = [json.loads(x) for p in telemetry_dir().glob("unit-*.jsonl") for x in p.read_text().splitlines()]
    assert [e["n"] for e in lines] == list(range(301))
    assert len({e["event_id"] for e in lines}) == 301
    emit("unit", n=301)  # writer stopped: written directly again
    assert read_events("unit")[-1]["n"] == 301


def test_background_writers_are_counted_so_nested_servers_do_not_stop_each_other():
    events.start_background_writer()
    events.start_background_writer()
    events.stop_background_writer()
    assert events._writer is not None  # one server still runs
    emit("unit", n=1)
    events.stop_background_writer()
    assert events._writer is None
    assert [e["n"] for e in read_events("unit")] == [1]


# --- the queued ledger ------------------------------------------------------------------------

def _row(ledger: CostLedger, key: str, cost: float, kind: str = "completion") -> None:
    ledger.record(kind=kind, key=key, pattern="direct", model_requested="m", model_served="m",
                  tokens_in=1, tokens_out=1, cost=cost)


def test_queued_rows_count_for_the_budget_exactly_once(lab_var: Path):
    ledger = QueuedLedger(lab_var / "ledger.sqlite", interval_s=10.0)  # rows stay queued
    try:
        _row(ledger, "a", 0.25)
        _row(ledger, "a", 0.5)
        _row(ledger, "b", 1.0)
        _row(ledger, "a", 9.0, kind="failed_attempt")  # never billed
        assert ledger._pending and CostLedger.spend(ledger) == 0.0  # nothing in the table yet
        assert ledger.spend(key="a") == 0.75 and ledger.spend() == 1.75
        # the budget control (CostLedger.check, unchanged) refuses on queued spend
        policy = BudgetPolicy(per_key_usd={"a": 1.0})
        try:
            ledger.check(policy, key="a", pattern="direct", estimate=0.3)
            raise AssertionError("over budget but not refused")
        except BudgetExceeded:
            pass
        ledger.flush()
        assert not ledger._pending
        assert ledger.spend(key="a") == 0.75 and ledger.spend() == 1.75  # now from the table
        assert [r["kind"] for r in ledger.rows()] == ["completion"] * 3 + ["failed_attempt"]
    finally:
        ledger.close()


def test_spend_is_exact_while_the_writer_runs(lab_var: Path):
    ledger = QueuedLedger(lab_var / "ledger.sqlite", interval_s=0.001)
    seen: list[float] = []
    try:
        for _ in range(400):
            _row(ledger, "k", 0.01)
            seen.append(round(ledger.spend(key="k"), 6))
        assert seen == [round(0.01 * (i + 1), 6) for i in range(400)]  # never a row twice or missing
    finally:
        ledger.close()
    assert len(CostLedger(lab_var / "ledger.sqlite").rows()) == 400


def test_a_batch_in_one_transaction_and_a_refused_row_costs_only_itself(lab_var: Path, capsys):
    ledger = QueuedLedger(lab_var / "ledger.sqlite", interval_s=10.0)
    try:
        _row(ledger, "a", 0.25)
        _row(ledger, "a", 0.5)
        statements: list[str] = []
        ledger._conn.set_trace_callback(statements.append)
        ledger.flush()
        ledger._conn.set_trace_callback(None)
        # the batch is one transaction
        assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1
        assert [r["cost"] for r in ledger.rows()] == [0.25, 0.5]
        # a row the database refuses (NOT NULL key) in the middle of a batch: the batch is
        # undone and written row by row, so its neighbours are stored once each, not twice
        _row(ledger, "b", 1.0)
        ledger.record(kind="completion", key=None, pattern="direct", model_requested="m",  # type: ignore[arg-type]
                      model_served="m", cost=2.0)
        _row(ledger, "c", 4.0)
        ledger.flush()
        assert "1 of 3 ledger row(s) refused" in capsys.readouterr().err  # the writer reports it
        assert [r["key"] for r in ledger.rows()] == ["a", "a", "b", "c"]
        assert ledger.spend() == 5.75 and not ledger._pending
        # a row CostLedger.record refuses (an unknown kind) is refused alone too
        ledger.record(kind="refund", key="d", pattern="direct", model_requested="m", model_served="m")
        _row(ledger, "e", 8.0)
        ledger.flush()
        assert "1 of 2 ledger row(s) refused" in capsys.readouterr().err
        assert [r["key"] for r in ledger.rows()] == ["a", "a", "b", "c", "e"]
    finally:
        ledger.close()


# --- a real gateway process, stopped cleanly --------------------------------------------------

def test_a_gateway_stopped_cleanly_has_written_every_event_and_ledger_row(provider, lab_var: Path):
    port = free_port()
    # `labkit gateway serve` whose writers wake only every 10 minutes: whatever reaches the
    # files was written by the stop, not by the writers' timers
    cli = ("import sys, labkit.telemetry.writer as w; w.DEFAULT_INTERVAL_S = 600; "
           "from labkit.cli import main; sys.argv[0] = 'labkit'; main()")
    proc = subprocess.Popen(
        [sys.executable, "-c", cli, "gateway", "serve", "--upstream", provider.base_url,
         "--api-key", "k", "--port", str(port)],
        cwd=REPO, env={**os.environ, "LABKIT_VAR": str(lab_var)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/models", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "the gateway did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer caller"}, timeout=30) as http:
            for i in range(25):
                r = http.post("/chat/completions", json={"model": "lab-chat-2026-01", "temperature": 1,
                                                         "messages": [{"role": "user", "content": f"ping {i}"}]})
                assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)  # what a process manager sends on a clean stop
        # uvicorn shuts down gracefully, then re-raises the signal: the process ends "by SIGTERM"
        # after the server stopped, so the queued events and rows must be written by then
        assert proc.wait(30) in (0, -signal.SIGTERM), proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    calls = [json.loads(x) for p in (lab_var / "telemetry").glob("call-*.jsonl") for x in p.read_text().splitlines()]
    assert len(calls) == 25 and {c["status"] for c in calls} == {"ok"}
    rows = CostLedger(lab_var / "ledger.sqlite").rows("completion")
    assert len(rows) == 25 and {r["key"] for r in rows} == {calls[0]["key"]}
