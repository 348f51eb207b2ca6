"""Retry policy: which failures are worth retrying, and how long to wait before the next try.

Built on tenacity (the retry loop, stop and wait composition); this module adds what is
specific to model providers:

- :func:`classify` sorts an exception (from the ``openai`` SDK, httpx, or labkit) into a
  failure *kind*. Only timeouts, connection errors, 408, 409, 429 and 5xx are retryable.
  A 400 (``context_length_exceeded``, ``content_policy_violation``, a bad request) is never
  retried on the same model: the same request would fail the same way.
- :func:`retry_after` reads ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date).
- :func:`make_retrying` builds a ``tenacity.Retrying`` that waits with exponential backoff
  and full jitter (``uniform(0, min(cap, base * 2**n))``, the AWS "full jitter" scheme,
  which spreads clients out better than equal jitter), waits at least what the provider
  asked for in ``Retry-After`` (up to ``retry_after_cap_s``; a longer demand ends retries on
  this route instead of hammering it early), and never sleeps past the call's deadline.

A timeout is retryable in general, but the client does not retry it on the same route: a
silent provider is failed over after its first timeout (``retry_timeout_same_route``).

Example:
    >>> policy = RetryPolicy(max_attempts=3, base_s=0.1, max_backoff_s=1.0)
    >>> 0.0 <= policy.backoff(2) <= 0.2
    True
    >>> parse_retry_after({"retry-after-ms": "250"})
    0.25
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import tenacity
from pydantic import BaseModel, Field

from labkit.controls.timeouts import Deadline
from labkit.errors import (
    ContentPolicyViolation,
    ContextLengthExceeded,
    LabkitError,
    ProviderTimeout,
    RateLimited,
)

RETRYABLE_KINDS = frozenset({"timeout", "connection", "rate_limited", "server", "conflict", "stream"})


class RetryPolicy(BaseModel):
    """How often and how patiently one route is retried."""

    max_attempts: int = Field(3, ge=1, le=20)
    base_s: float = Field(0.2, ge=0)
    max_backoff_s: float = Field(4.0, ge=0)
    retry_after_cap_s: float = Field(10.0, ge=0)
    retry_timeout_same_route: bool = False

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter delay before retry number ``attempt`` (1 = the first retry)."""
        ceiling = min(self.max_backoff_s, self.base_s * (2 ** max(0, attempt - 1)))
        return (rng or random).uniform(0.0, ceiling)


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _error_code(exc: BaseException) -> str:
    """The provider's error code (``context_length_exceeded`` ...) if the body names one."""
    code = getattr(exc, "code", None)
    if code:
        return str(code)
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("code") or inner.get("type") or "")
    return ""


def classify(exc: BaseException) -> str:
    """The failure kind of ``exc``: timeout, connection, rate_limited, server, conflict,
    context_length, content_policy, bad_request, auth, not_found, stream, or other."""
    import httpx  # local: keeps the module importable for pure unit tests
    import openai

    try:  # the openai SDK (3.x) talks through httpx2; stream errors surface as its types
        import httpx2

        timeouts: tuple[type, ...] = (httpx.TimeoutException, httpx2.TimeoutException)
        transports: tuple[type, ...] = (httpx.TransportError, httpx2.TransportError, ConnectionError)
    except ImportError:  # pragma: no cover - older SDKs use httpx only
        timeouts, transports = (httpx.TimeoutException,), (httpx.TransportError, ConnectionError)

    kind = getattr(exc, "failure_kind", None)
    if isinstance(kind, str):  # errors that know their kind (e.g. the client's stream faults)
        return kind
    if isinstance(exc, (ProviderTimeout, openai.APITimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, ContextLengthExceeded):
        return "context_length"
    if isinstance(exc, ContentPolicyViolation):
        return "content_policy"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, openai.APIStatusError):
        status = _status(exc) or 0
        code = _error_code(exc)
        if status == 408:
            return "server"  # the server's own request timeout: retry it (not a silent provider)
        if status == 409:
            return "conflict"
        if status == 429:
            return "rate_limited"
        if status >= 500:
            return "server"
        if "context_length" in code:
            return "context_length"
        if "content_policy" in code or "content_filter" in code:
            return "content_policy"
        if status in (401, 403):
            return "auth"
        if status == 404:
            return "not_found"
        return "bad_request"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, timeouts):
        return "timeout"
    if isinstance(exc, transports):
        return "connection"
    if isinstance(exc, LabkitError):
        return "other"
    if isinstance(exc, openai.APIError):  # e.g. an error event inside a stream
        return "stream"
    return "other"


def is_retryable(exc: BaseException) -> bool:
    """True for the failures worth another attempt on the same route."""
    return classify(exc) in RETRYABLE_KINDS


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the provider asked us to wait: ``retry-after-ms``, else ``Retry-After``
    (delta-seconds or an HTTP date); ``None`` when absent or unreadable."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return max(0.0, (when - current).total_seconds())


def retry_after(exc: BaseException | None) -> float | None:
    """The ``Retry-After`` demand carried by an SDK error's response, if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    try:
        return parse_retry_after(dict(headers) if headers is not None else None)
    except Exception:  # headers of an odd type: treat as absent, never crash the retry loop
        return None


def make_retrying(
    policy: RetryPolicy,
    deadline: Deadline,
    *,
    sleep: Callable[[float], Any] = time.sleep,
    before_sleep: Callable[[tenacity.RetryCallState], Any] | None = None,
    rng: random.Random | None = None,
) -> tenacity.Retrying:
    """A tenacity loop for one route under ``policy`` and the shared ``deadline``.

    It re-raises the last exception when it gives up (``reraise=True``), so the caller sees
    the real failure and decides whether to fail over.

    Example:
        >>> calls = []
        >>> def flaky():
        ...     calls.append(1)
        ...     if len(calls) < 2:
        ...         raise ConnectionError("reset")
        ...     return "ok"
        >>> make_retrying(RetryPolicy(base_s=0), Deadline(5))(flaky)
        'ok'
    """

    def should_retry(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return False
        kind = classify(exc)
        if kind == "timeout" and not policy.retry_timeout_same_route:
            return False
        return kind in RETRYABLE_KINDS

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = policy.backoff(state.attempt_number, rng)
        demanded = retry_after(exc)
        if demanded is not None:
            delay = max(delay, demanded)
        return delay

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        demanded = retry_after(exc)
        if demanded is not None and demanded > policy.retry_after_cap_s:
            return True  # the provider wants a longer pause than we may take: fail over instead
        return (state.upcoming_sleep or 0.0) >= deadline.remaining()

    return tenacity.Retrying(
        retry=should_retry,
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def make_async_retrying(
    policy: RetryPolicy,
    deadline: Deadline,
    *,
    before_sleep: Callable[[tenacity.RetryCallState], Any] | None = None,
) -> tenacity.AsyncRetrying:
    """The asyncio twin of :func:`make_retrying` (same predicates, ``asyncio.sleep``)."""
    sync = make_retrying(policy, deadline, before_sleep=before_sleep)
    return tenacity.AsyncRetrying(
        retry=sync.retry, wait=sync.wait, stop=sync.stop, before_sleep=before_sleep, reraise=True,
    )
