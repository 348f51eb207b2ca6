"""Client-side rate limiting: requests and tokens per minute, kept under the provider's limits.

Two token buckets (requests per minute, tokens per minute) refill continuously. A call
takes one request and its estimated tokens; if either bucket is short it waits just long
enough for the refill, but never longer than ``max_wait_s`` or the call's deadline, and
otherwise raises :class:`~labkit.errors.RateLimitDeferred` (a ``RateLimited`` that carries
``retry_after_s``, the wait it would have needed) without taking anything. Waiting here
is cheaper than a 429 round trip and keeps the whole client fleet below the limits a 429
would enforce. A request larger than a whole bucket is admitted when the bucket is full
(otherwise it could never run).

Hand-written (about 60 lines) rather than a library: the lab needs a joint two-bucket
acquire bounded by a deadline, with an asyncio twin, which the common limiter packages do
not offer together.

Time and waiting are injectable (``clock``, ``sleep``), so tests run it on a
:class:`labkit.clock.FakeClock` instead of measuring real seconds.

It limits one process; several processes sharing one provider quota each need their share.

Example:
    >>> rl = RateLimiter(rpm=60, tpm=6000)
    >>> rl.acquire(tokens=100)     # returns the seconds it waited
    0.0
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from labkit.errors import RateLimitDeferred


class RateLimitPolicy(BaseModel):
    """Limits per minute; ``None`` disables that bucket."""

    rpm: float | None = Field(None, gt=0)
    tpm: float | None = Field(None, gt=0)
    max_wait_s: float = Field(5.0, ge=0)


class TokenBucket:
    """A bucket of ``capacity`` refilled at ``rate`` per second (not locked: RateLimiter locks)."""

    def __init__(self, rate_per_s: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate, self.capacity, self._clock = rate_per_s, capacity, clock
        self.level = capacity
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` could be taken (0 if now)."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        self._refill()
        # may go negative for an oversize request: later callers then pay its real cost
        self.level -= amount


class RateLimiter:
    """Joint RPM + TPM limiter; thread-safe, with :meth:`acquire_async` for asyncio."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None, *,
                 max_wait_s: float = 5.0, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._lock = threading.Lock()
        self.max_wait_s = max_wait_s
        self._buckets: list[tuple[TokenBucket, bool]] = []  # (bucket, counts tokens?)
        if rpm:
            self._buckets.append((TokenBucket(rpm / 60.0, rpm, self._clock), False))
        if tpm:
            self._buckets.append((TokenBucket(tpm / 60.0, tpm, self._clock), True))

    @classmethod
    def from_policy(cls, policy: RateLimitPolicy, clock: Callable[[], float] | None = None,
                    sleep: Callable[[float], None] | None = None) -> RateLimiter:
        """A limiter configured by ``policy``."""
        return cls(policy.rpm, policy.tpm, max_wait_s=policy.max_wait_s, clock=clock, sleep=sleep)

    @property
    def enabled(self) -> bool:
        """True when any bucket is configured."""
        return bool(self._buckets)

    def _try(self, tokens: int) -> float:
        """Take now and return 0, or return the wait needed (taking nothing)."""
        with self._lock:
            wait = max((b.wait_for(tokens if is_tok else 1) for b, is_tok in self._buckets), default=0.0)
            if wait <= 0:
                for b, is_tok in self._buckets:
                    b.take(tokens if is_tok else 1)
            return wait

    def _next_wait(self, tokens: int, start: float, limit: float) -> float:
        """Take now and return 0, or the wait before the next try; RateLimited past ``limit``."""
        wait = self._try(tokens)
        if wait > 0 and self._clock() - start + wait > limit:
            raise RateLimitDeferred(
                f"client rate limit: would wait {wait:.2f}s for {tokens} tokens, "
                f"more than the {limit:.2f}s allowed", retry_after_s=wait)
        return min(wait, 0.25)

    def _limit(self, max_wait_s: float | None) -> float:
        return self.max_wait_s if max_wait_s is None else min(max_wait_s, self.max_wait_s)

    def acquire(self, tokens: int = 0, *, max_wait_s: float | None = None) -> float:
        """Take one request and ``tokens``; block up to ``max_wait_s``; return seconds waited.

        A call admitted at once returns 0.0 (scheduling delay is not limiter wait).
        """
        if not self._buckets:
            return 0.0
        start, limit, waited = self._clock(), self._limit(max_wait_s), False
        while (pause := self._next_wait(tokens, start, limit)) > 0:
            self._sleep(pause)
            waited = True
        return round(self._clock() - start, 3) if waited else 0.0

    async def acquire_async(self, tokens: int = 0, *, max_wait_s: float | None = None) -> float:
        """The asyncio twin of :meth:`acquire`."""
        if not self._buckets:
            return 0.0
        start, limit, waited = self._clock(), self._limit(max_wait_s), False
        while (pause := self._next_wait(tokens, start, limit)) > 0:
            await asyncio.sleep(pause)
            waited = True
        return round(self._clock() - start, 3) if waited else 0.0
