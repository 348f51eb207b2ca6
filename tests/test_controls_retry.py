"""Retry policy and timeouts: classification, Retry-After parsing, backoff, deadline-bounded loops."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import openai
import pytest

from labkit.controls.retry import RetryPolicy, classify, make_retrying, parse_retry_after
from labkit.controls.timeouts import Deadline, TimeoutPolicy
from labkit.errors import ProviderTimeout


def _status_error(status: int, code: str | None = None, headers: dict | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    response = httpx.Response(status, headers=headers or {}, request=request)
    body = {"error": {"message": "m", "code": code}}
    cls = {400: openai.BadRequestError, 429: openai.RateLimitError, 409: openai.ConflictError,
           503: openai.InternalServerError, 500: openai.InternalServerError,
           401: openai.AuthenticationError}.get(status, openai.APIStatusError)
    return cls("m", response=response, body=body)


@pytest.mark.parametrize("status,code,kind", [
    (429, None, "rate_limited"), (503, None, "server"), (500, None, "server"), (408, None, "server"),
    (409, None, "conflict"), (400, "context_length_exceeded", "context_length"),
    (400, "content_policy_violation", "content_policy"), (400, None, "bad_request"), (401, None, "auth"),
])
def test_classify_status_errors(status, code, kind):
    assert classify(_status_error(status, code)) == kind


def test_classify_transport_errors():
    req = httpx.Request("POST", "http://x")
    assert classify(openai.APITimeoutError(request=req)) == "timeout"
    assert classify(openai.APIConnectionError(request=req)) == "connection"
    assert classify(ProviderTimeout("late")) == "timeout"
    assert classify(ConnectionResetError()) == "connection"


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "100", "retry-after": "9"}) == 0.1  # ms wins
    now = time.time()
    when = datetime.fromtimestamp(now, tz=UTC) + timedelta(seconds=30)
    value = parse_retry_after({"Retry-After": format_datetime(when, usegmt=True)}, now=now)
    assert 28.5 <= value <= 30.5
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_full_jitter_backoff_stays_under_the_exponential_ceiling():
    policy = RetryPolicy(base_s=0.1, max_backoff_s=1.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (6, 1.0)]:
        samples = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # full jitter reaches towards the ceiling


def test_retrying_honours_retry_after_and_attempt_limit():
    sleeps: list[float] = []
    calls = []

    def always_429():
        calls.append(1)
        raise _status_error(429, headers={"retry-after-ms": "700"})

    retrying = make_retrying(RetryPolicy(max_attempts=3, base_s=0.01), Deadline(30), sleep=sleeps.append)
    with pytest.raises(openai.RateLimitError):
        retrying(always_429)
    assert len(calls) == 3
    assert sleeps and all(s >= 0.7 for s in sleeps)


def test_retrying_never_sleeps_past_the_deadline():
    sleeps: list[float] = []
    calls = []

    def always_503():
        calls.append(1)
        raise _status_error(503, headers={"retry-after": "5"})

    retrying = make_retrying(RetryPolicy(max_attempts=10), Deadline(2.0), sleep=sleeps.append)
    with pytest.raises(openai.InternalServerError):
        retrying(always_503)
    assert calls == [1] and sleeps == []  # a 5 s wait does not fit a 2 s budget


def test_retry_after_beyond_the_cap_ends_retries_on_the_route():
    calls = []

    def slow_down():
        calls.append(1)
        raise _status_error(429, headers={"retry-after": "60"})

    retrying = make_retrying(RetryPolicy(max_attempts=5, retry_after_cap_s=10), Deadline(300), sleep=lambda s: None)
    with pytest.raises(openai.RateLimitError):
        retrying(slow_down)
    assert len(calls) == 1


def test_no_retry_on_400_and_no_retry_of_timeouts_on_the_same_route():
    for exc in (_status_error(400, "context_length_exceeded"), _status_error(400, "content_policy_violation"),
                openai.APITimeoutError(request=httpx.Request("POST", "http://x"))):
        calls = []

        def fail(exc=exc):
            calls.append(1)
            raise exc

        with pytest.raises(type(exc)):
            make_retrying(RetryPolicy(max_attempts=5), Deadline(10), sleep=lambda s: None)(fail)
        assert len(calls) == 1


def test_deadline_and_attempt_timeout():
    clock = [100.0]
    d = Deadline(5, clock=lambda: clock[0])
    assert d.attempt_timeout(10) == 5
    clock[0] = 104.0
    assert d.attempt_timeout(10) == pytest.approx(1.0)
    clock[0] = 106.0
    assert d.expired() and d.remaining() == 0.0
    assert TimeoutPolicy().deadline_s > TimeoutPolicy().ttft_s


def test_deadline_answers_from_its_fixed_end_on_a_fake_clock() -> None:
    # round 15: the end is computed once; every question still reads the clock
    from labkit.controls.timeouts import Deadline

    now = [100.0]
    d = Deadline(2.0, clock=lambda: now[0])
    assert d.expires_at == 102.0 and d.remaining() == 2.0 and not d.expired()
    assert d.attempt_timeout(10.0) == 2.0 and d.attempt_timeout(0.5) == 0.5
    now[0] = 101.5
    assert d.remaining() == 0.5 and d.elapsed() == 1.5 and d.attempt_timeout(10.0) == 0.5
    now[0] = 102.0
    assert d.expired() and d.remaining() == 0.0 and d.attempt_timeout(10.0) == 0.001
    now[0] = 105.0
    assert d.expired() and d.remaining() == 0.0 and d.attempt_timeout(10.0) == 0.001


def test_deadline_reads_the_clock_once_per_question() -> None:
    # round 16: remaining/expired/attempt_timeout share one helper; each asks the clock once
    from labkit.controls.timeouts import Deadline

    reads = [0]

    def clock() -> float:
        reads[0] += 1
        return 50.0

    d = Deadline(3.0, clock=clock)
    for question in (d.remaining, d.expired, lambda: d.attempt_timeout(1.0)):
        reads[0] = 0
        question()
        assert reads[0] == 1
