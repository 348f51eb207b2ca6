"""Circuit breaker per route: stop sending traffic to a model that is failing, probe it, return.

States follow the classic pattern, with an error-*rate* trigger rather than a consecutive
failure count (a count opens on three unlucky calls at low traffic and never opens on a
route that fails 40% of the time at high traffic):

- ``closed``: calls flow. Outcomes go into a sliding time window (``window_s``). When the
  window holds at least ``min_volume`` calls and the failure share reaches ``error_rate``,
  the breaker opens.
- ``open``: calls are refused (the client goes straight to its fallback) for
  ``open_s`` seconds.
- ``half_open``: exactly one probe is let through; success closes the breaker (and clears
  the window), failure opens it again for another ``open_s``.

While open, the client keeps routing to the fallback and the breaker's timer lets a real
request probe the primary every ``open_s``, so traffic returns to the primary soon after
it recovers. :meth:`CircuitBreaker.snapshot` and :class:`BreakerRegistry` expose state for
dashboards and telemetry.

It does not retry or sleep; it only answers "may I call this route now?" and, when the answer
is no, "when may I ask again?" (:meth:`CircuitBreaker.retry_in`), which the client turns into
a :class:`~labkit.errors.CallDeferred` so that a queued job waits instead of failing.
Time comes from ``clock`` (default :func:`time.monotonic`; tests pass a
:class:`labkit.clock.FakeClock`).

Example:
    >>> t = [0.0]
    >>> b = CircuitBreaker("m", window_s=10, min_volume=4, error_rate=0.5, open_s=5, clock=lambda: t[0])
    >>> for ok in (True, False, False, False):
    ...     b.record(ok)
    >>> b.state
    'open'
    >>> b.allow()
    False
    >>> t[0] = 6.0
    >>> b.allow(), b.allow()   # one probe only
    (True, False)
    >>> b.record(True); b.state
    'closed'
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class BreakerPolicy(BaseModel):
    """Thresholds of every breaker the client creates."""

    window_s: float = Field(30.0, gt=0)
    min_volume: int = Field(5, ge=1)
    error_rate: float = Field(0.5, gt=0, le=1)
    open_s: float = Field(5.0, gt=0)


class CircuitBreaker:
    """One route's breaker; thread-safe."""

    def __init__(self, name: str, *, window_s: float = 30.0, min_volume: int = 5,
                 error_rate: float = 0.5, open_s: float = 5.0,
                 clock: Callable[[], float] | None = None,
                 on_change: Callable[[str, str, str], Any] | None = None) -> None:
        self.name = name
        self.window_s, self.min_volume = window_s, min_volume
        self.error_rate, self.open_s = error_rate, open_s
        self._clock = clock or time.monotonic
        self._on_change = on_change
        self._lock = threading.Lock()
        self._outcomes: deque[tuple[float, bool]] = deque()
        self._failures = 0  # failures inside the window, kept in step with _outcomes (O(1) per call)
        self._state = CLOSED
        self._opened_at = 0.0
        self._probe_in_flight = False
        self.opened_count = 0

    # --- state ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (an open breaker past its timer reads half_open)."""
        with self._lock:
            return self._current_state()

    def _current_state(self) -> str:
        if self._state == OPEN and self._clock() - self._opened_at >= self.open_s:
            self._set(HALF_OPEN)
        return self._state

    def _set(self, new: str) -> None:
        old, self._state = self._state, new
        if new == OPEN:
            self._opened_at = self._clock()
            self.opened_count += 1
        if new != HALF_OPEN:
            self._probe_in_flight = False
        if old != new and self._on_change is not None:
            try:
                self._on_change(self.name, old, new)
            except Exception:  # a telemetry hook must never break the call path
                pass

    def _trim(self) -> None:
        horizon = self._clock() - self.window_s
        while self._outcomes and self._outcomes[0][0] < horizon:
            if not self._outcomes.popleft()[1]:
                self._failures -= 1

    # --- the call path ----------------------------------------------------------------
    def allow(self) -> bool:
        """May a call go to this route now? In half-open, only the first caller gets a yes."""
        with self._lock:
            state = self._current_state()
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record(self, success: bool) -> None:
        """Record a call's outcome (a failure is one the route is to blame for)."""
        with self._lock:
            state = self._current_state()
            if state == HALF_OPEN:
                if success:
                    self._outcomes.clear()
                    self._failures = 0
                    self._set(CLOSED)
                else:
                    self._set(OPEN)
                return
            if state == OPEN:
                return  # late results of calls admitted before opening do not move the timer
            self._outcomes.append((self._clock(), success))
            if not success:
                self._failures += 1
            self._trim()
            total = len(self._outcomes)
            if total >= self.min_volume and self._failures / total >= self.error_rate:
                self._set(OPEN)

    def retry_in(self) -> float:
        """Seconds until :meth:`allow` may say yes again (0 when it would now).

        Open: the rest of the open period. Half-open with its one probe in flight: a quarter
        of ``open_s`` (the probe's answer decides; asking again sooner only finds it busy).

        Example:
            >>> t = [0.0]
            >>> b = CircuitBreaker("m", min_volume=1, open_s=5, clock=lambda: t[0])
            >>> b.record(False); t[0] = 2.0; b.retry_in()
            3.0
        """
        with self._lock:
            state = self._current_state()
            if state == OPEN:
                return max(0.0, self._opened_at + self.open_s - self._clock())
            if state == HALF_OPEN and self._probe_in_flight:
                return self.open_s / 4
            return 0.0

    def release_probe(self) -> None:
        """Give back a half-open probe slot that was not used (the call never reached the route)."""
        with self._lock:
            self._probe_in_flight = False

    def snapshot(self) -> dict[str, Any]:
        """State for dashboards: state, window volume, failure rate, times opened."""
        with self._lock:
            state = self._current_state()
            self._trim()
            total = len(self._outcomes)
            return {"route": self.name, "state": state, "window_calls": total,
                    "window_failure_rate": (self._failures / total) if total else 0.0,
                    "opened_count": self.opened_count}


class BreakerRegistry:
    """One breaker per route name, created on first use with shared thresholds.

    Example:
        >>> reg = BreakerRegistry(BreakerPolicy(min_volume=2))
        >>> reg.get("lab-chat-2026-01").state
        'closed'
    """

    def __init__(self, policy: BreakerPolicy | None = None,
                 clock: Callable[[], float] | None = None,
                 on_change: Callable[[str, str, str], Any] | None = None) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        """The breaker for route ``name``."""
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                p = self.policy
                breaker = CircuitBreaker(name, window_s=p.window_s, min_volume=p.min_volume,
                                         error_rate=p.error_rate, open_s=p.open_s,
                                         clock=self._clock, on_change=self._on_change)
                self._breakers[name] = breaker
            return breaker

    def snapshot(self) -> list[dict[str, Any]]:
        """Every breaker's state (for dashboards, /metrics and telemetry)."""
        with self._lock:
            breakers = list(self._breakers.values())
        return [b.snapshot() for b in breakers]
