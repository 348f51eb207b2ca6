"""Timeouts: the limits a model call must respect, and the deadline shared by all its attempts.

The source document asks for "timeout limits based on the user experience you want to
protect". A call therefore has four limits (:class:`TimeoutPolicy`):

- ``connect_s``: how long to wait for a TCP connection to the provider;
- ``deadline_s``: the total budget of one call, across every retry and every fallback route
  (not per attempt: three retries of a 10 s timeout are not a 10 s user experience);
- ``ttft_s``: time to the first token of a stream (or to the whole body of a non-streamed
  answer, which is the same wait from the user's side);
- ``idle_s``: the longest gap between two chunks of a stream.

:class:`Deadline` is the running budget: every attempt asks it how much time is left and
never waits (or sleeps before a retry) past it.

It does not cancel work on its own; the client passes ``Deadline.attempt_timeout`` to the
SDK and stops between attempts.

Example:
    >>> policy = TimeoutPolicy(deadline_s=2.0, ttft_s=1.0)
    >>> d = Deadline(policy.deadline_s)
    >>> 1.9 < d.remaining() <= 2.0
    True
    >>> d.attempt_timeout(policy.ttft_s) <= 1.0
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, Field


class TimeoutPolicy(BaseModel):
    """The time limits of one model call (seconds)."""

    connect_s: float = Field(2.0, gt=0)
    deadline_s: float = Field(30.0, gt=0)
    ttft_s: float = Field(10.0, gt=0)
    idle_s: float = Field(5.0, gt=0)


class Deadline:
    """A time budget that started when the call started (monotonic clock)."""

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.monotonic
        self.seconds = float(seconds)
        self.started = self._clock()
        # computed once: a gateway request asks the deadline five or six times (round 15)
        self._expires = self.started + self.seconds

    @property
    def expires_at(self) -> float:
        """The monotonic time at which the budget runs out."""
        return self._expires

    def elapsed(self) -> float:
        """Seconds since the call started."""
        return self._clock() - self.started

    def _left(self) -> float:
        # the one place the budget's end is compared with the clock (may be negative)
        return self._expires - self._clock()

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self._left())

    def expired(self) -> bool:
        """True once the budget is used up."""
        return self._left() <= 0.0

    def attempt_timeout(self, limit: float) -> float:
        """The timeout one attempt may use: its own limit, cut to what is left of the budget."""
        return max(0.001, min(limit, self._left()))
