"""Circuit breaker: error rate over a sliding window with minimum volume, single half-open probe."""

from __future__ import annotations

import threading

from labkit.controls.breaker import BreakerPolicy, BreakerRegistry, CircuitBreaker


def make(clock, **kw):
    opts = dict(window_s=10, min_volume=5, error_rate=0.5, open_s=3)
    opts.update(kw)
    return CircuitBreaker("m", clock=lambda: clock[0], **opts)


def test_does_not_open_below_minimum_volume():
    clock = [0.0]
    b = make(clock)
    for _ in range(4):
        b.record(False)
    assert b.state == "closed"
    b.record(False)
    assert b.state == "open"


def test_opens_on_error_rate_not_only_consecutive_failures():
    clock = [0.0]
    b = make(clock, min_volume=10, error_rate=0.4)
    for i in range(10):  # alternating: never 2 failures in a row, 50% failure rate
        b.record(i % 2 == 0)
    assert b.state == "open"


def test_old_outcomes_leave_the_window():
    clock = [0.0]
    b = make(clock)
    for _ in range(4):
        b.record(False)
    clock[0] = 11.0  # those failures are now older than the window
    for _ in range(4):
        b.record(True)
    b.record(False)
    assert b.state == "closed"
    assert b.snapshot()["window_calls"] == 5


def test_half_open_admits_one_probe_then_closes_or_reopens():
    clock = [0.0]
    b = make(clock)
    for _ in range(5):
        b.record(False)
    assert not b.allow()
    clock[0] = 3.5
    assert b.state == "half_open"
    assert b.allow() is True
    assert b.allow() is False  # only one probe
    b.record(False)
    assert b.state == "open" and b.opened_count == 2
    clock[0] = 7.0
    assert b.allow()
    b.record(True)
    assert b.state == "closed" and b.allow()


def test_single_probe_under_concurrency():
    clock = [0.0]
    b = make(clock)
    for _ in range(5):
        b.record(False)
    clock[0] = 5.0
    results = []
    threads = [threading.Thread(target=lambda: results.append(b.allow())) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_registry_reports_state_changes():
    changes = []
    reg = BreakerRegistry(BreakerPolicy(min_volume=2, error_rate=0.5, open_s=1),
                          on_change=lambda *c: changes.append(c))
    b = reg.get("lab-mini-2026-03")
    assert reg.get("lab-mini-2026-03") is b
    b.record(False)
    b.record(False)
    assert changes == [("lab-mini-2026-03", "closed", "open")]
    assert reg.snapshot()[0]["state"] == "open"


def test_retry_in_says_when_the_breaker_may_be_asked_again():
    from labkit.clock import FakeClock

    clock = FakeClock()
    b = CircuitBreaker("m", window_s=10, min_volume=1, error_rate=0.5, open_s=4, clock=clock)
    assert b.retry_in() == 0.0                       # closed: now
    b.record(False)
    clock.advance(1.5)
    assert not b.allow() and b.retry_in() == 2.5     # open: the rest of the open period
    clock.advance(2.5)
    assert b.allow()                                 # half-open: this caller probes
    assert not b.allow() and b.retry_in() == 1.0     # probe in flight: a quarter of open_s
    b.record(False)
    assert b.retry_in() == 4.0                       # the probe failed: a full open period
