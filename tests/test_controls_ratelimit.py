"""Client rate limiter: RPM and TPM buckets, bounded waits, RateLimited when the wait is too long."""

from __future__ import annotations

import asyncio

import pytest

from labkit.clock import FakeClock
from labkit.controls.ratelimit import RateLimiter
from labkit.errors import RateLimitDeferred, RateLimited


def test_rpm_bucket_admits_capacity_then_refuses_long_waits():
    clock = FakeClock()
    rl = RateLimiter(rpm=3, max_wait_s=0.05, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert rl.acquire() == 0.0
    with pytest.raises(RateLimited) as refused:
        rl.acquire()  # the next slot is 20 s away
    # "not now, come back in 20 s": a job can wait that long without spending an attempt
    assert isinstance(refused.value, RateLimitDeferred)
    assert refused.value.retry_after_s == pytest.approx(20.0)


def test_tpm_bucket_waits_for_refill():
    clock = FakeClock()
    rl = RateLimiter(tpm=600, max_wait_s=2, clock=clock, sleep=clock.sleep)  # 10 tokens per second
    rl.acquire(tokens=600)
    waited = rl.acquire(tokens=3)  # 0.3 s of refill, on the fake clock
    assert waited == pytest.approx(0.3, abs=0.001) and clock() == pytest.approx(0.3, abs=0.001)


def test_refused_call_takes_nothing():
    rl = RateLimiter(rpm=60, tpm=100, max_wait_s=0.0)
    rl.acquire(tokens=90)
    with pytest.raises(RateLimited):
        rl.acquire(tokens=50)
    rl.acquire(tokens=10)  # the refused call did not consume the request bucket or tokens


def test_disabled_limiter_and_async_twin():
    assert RateLimiter().acquire(tokens=10**9) == 0.0
    rl = RateLimiter(rpm=1, max_wait_s=0.01)
    assert asyncio.run(rl.acquire_async()) == 0.0
    with pytest.raises(RateLimited):
        asyncio.run(rl.acquire_async())
