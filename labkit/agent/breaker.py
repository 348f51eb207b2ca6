"""The run breaker: pause an agent run when it starts behaving unusually, and say why.

Five thresholds, each checked before the next model turn or tool call:

- **tool error rate**: share of failed tool calls, once at least ``min_calls`` were made;
- **write rate**: writes executed within a sliding ``write_window_s``;
- **repeated identical calls**: the same tool with the same arguments, ``max_repeats`` times
  (the classic loop of an agent that does not notice it already has the answer);
- **step count**: model turns in the run;
- **spend**: the run's model cost in USD.

A trip raises :class:`~labkit.errors.AgentPaused` naming the threshold; the agent saves the
run as ``paused``. After a person has looked, :meth:`RunBreaker.acknowledge` gives the run a
fresh allowance of the same size (steps, spend, writes) and clears the error and repeat
counters, so a resumed run can pause again if the behaviour goes on.

Why not :mod:`labkit.controls.breaker`: that one protects a *route* to a model over a time
window shared by every caller; this one judges one *run* and must survive a process restart,
so its whole state is a small pydantic model saved with the run.

Example:
    >>> b = RunBreaker(BreakerLimits(max_repeats=2))
    >>> b.before_call("get_ticket", '{"ticket_id": "TCK-000001"}', is_write=False)
    >>> b.before_call("get_ticket", '{"ticket_id": "TCK-000001"}', is_write=False)
    Traceback (most recent call last):
    labkit.errors.AgentPaused: repeated identical calls: get_ticket called 2 times with the same arguments (limit 2)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from labkit.errors import AgentPaused


class BreakerLimits(BaseModel):
    """The thresholds; defaults suit the lab's small tasks."""

    max_steps: int = Field(default=10, ge=1)
    max_error_rate: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=4, ge=1)
    max_writes: int = Field(default=5, ge=1)
    write_window_s: float = Field(default=60.0, gt=0)
    max_repeats: int = Field(default=3, ge=2)
    max_spend_usd: float = Field(default=0.05, gt=0)


class BreakerState(BaseModel):
    """Everything the breaker counts; saved with the run."""

    steps: int = 0
    calls: int = 0
    errors: int = 0
    write_times: list[float] = Field(default_factory=list)
    spend_usd: float = 0.0
    repeats: dict[str, int] = Field(default_factory=dict)
    # raised by acknowledge(): the run may go this far before pausing again
    step_allowance: int = 0
    spend_allowance: float = 0.0
    reviews: int = 0


class RunBreaker:
    """Counts a run's behaviour and raises ``AgentPaused`` when a threshold is crossed."""

    def __init__(self, limits: BreakerLimits | None = None, state: BreakerState | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits = limits or BreakerLimits()
        self.state = state or BreakerState(step_allowance=self.limits.max_steps,
                                           spend_allowance=self.limits.max_spend_usd)
        self.clock = clock

    def before_step(self) -> None:
        """Check the step and spend budgets before a model turn; count the turn."""
        s = self.state
        if s.steps >= s.step_allowance:
            raise AgentPaused(f"step count: {s.steps} model turns reached the limit of "
                              f"{s.step_allowance}")
        if s.spend_usd >= s.spend_allowance:
            raise AgentPaused(f"spend: ${s.spend_usd:.4f} reached the limit of "
                              f"${s.spend_allowance:.4f}")
        self._check_error_rate()
        s.steps += 1

    def add_spend(self, cost_usd: float) -> None:
        """Add a model call's cost."""
        self.state.spend_usd += max(0.0, cost_usd)

    def before_call(self, tool: str, arguments: str, *, is_write: bool) -> None:
        """Check error rate, repeats and write rate before a tool call; count it as proposed."""
        s, lim = self.state, self.limits
        self._check_error_rate()
        key = hashlib.sha256(f"{tool}\x00{arguments}".encode()).hexdigest()[:16]
        s.repeats[key] = s.repeats.get(key, 0) + 1
        if s.repeats[key] >= lim.max_repeats:
            raise AgentPaused(f"repeated identical calls: {tool} called {s.repeats[key]} times "
                              f"with the same arguments (limit {lim.max_repeats})")
        if is_write:
            now = self.clock()
            recent = [t for t in s.write_times if now - t < lim.write_window_s]
            s.write_times = recent
            if len(recent) >= lim.max_writes:
                raise AgentPaused(f"write rate: {len(recent)} writes in the last "
                                  f"{lim.write_window_s:g}s (limit {lim.max_writes})")

    def after_call(self, ok: bool, *, wrote: bool = False) -> None:
        """Record a tool call's outcome (and the write it made)."""
        self.state.calls += 1
        self.state.errors += 0 if ok else 1
        if wrote:
            self.state.write_times.append(self.clock())

    def _check_error_rate(self) -> None:
        s, lim = self.state, self.limits
        if s.calls >= lim.min_calls and s.errors / s.calls >= lim.max_error_rate:
            raise AgentPaused(f"tool error rate: {s.errors} of {s.calls} tool calls failed "
                              f"(limit {lim.max_error_rate:.0%})")

    def acknowledge(self) -> None:
        """After review: a fresh allowance of steps and spend; error, repeat, write counters cleared."""
        s, lim = self.state, self.limits
        s.step_allowance = s.steps + lim.max_steps
        s.spend_allowance = s.spend_usd + lim.max_spend_usd
        s.calls = s.errors = 0
        s.repeats.clear()
        s.write_times.clear()
        s.reviews += 1
