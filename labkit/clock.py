"""Clocks: the one home of "what time is it" for code whose behaviour depends on time.

Time-dependent controls (the circuit breaker, the rate limiter, the response cache, the agent's
run breaker, job leases and result TTLs) take a ``clock`` argument: a zero-argument callable
returning seconds. Production code passes nothing and gets :func:`time.monotonic` (intervals)
or :func:`time.time` (timestamps stored in a queue and shared across processes). Tests pass a
:class:`FakeClock` and move time by hand, so they assert on order and counts instead of on
how fast a loaded machine happens to be.

It does not patch :mod:`time` globally, and a fake clock does not slow down or speed up
anything that really sleeps (a server, another process).

Example:
    >>> clock = FakeClock(100.0)
    >>> clock()
    100.0
    >>> clock.advance(2.5); clock()
    102.5
    >>> clock.sleep(0.5); clock()    # a fake sleep only moves the fake time
    103.0
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds as a float; monotonic for intervals, epoch seconds for stored timestamps."""

Sleep = Callable[[float], None]
"""Blocks (or pretends to) for the given seconds; paired with a :data:`Clock`."""


class FakeClock:
    """A clock that moves only when told to; thread-safe. ``sleep`` advances it."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock does not go back: advance({seconds})")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """A stand-in for :func:`time.sleep`: returns at once, time moves by ``seconds``."""
        self.advance(max(0.0, seconds))
