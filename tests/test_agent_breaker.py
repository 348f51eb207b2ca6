"""The run breaker: each threshold pauses the run and says why; review gives a fresh allowance."""

from __future__ import annotations

import pytest

from labkit.agent.breaker import BreakerLimits, BreakerState, RunBreaker
from labkit.errors import AgentPaused


def test_step_count_trips_and_acknowledge_resumes() -> None:
    b = RunBreaker(BreakerLimits(max_steps=2))
    b.before_step()
    b.before_step()
    with pytest.raises(AgentPaused, match="step count"):
        b.before_step()
    b.acknowledge()
    b.before_step()  # a fresh allowance after review
    assert b.state.reviews == 1


def test_spend_trips() -> None:
    b = RunBreaker(BreakerLimits(max_spend_usd=0.01))
    b.before_step()
    b.add_spend(0.011)
    with pytest.raises(AgentPaused, match="spend"):
        b.before_step()


def test_error_rate_trips_only_after_enough_calls() -> None:
    b = RunBreaker(BreakerLimits(min_calls=4, max_error_rate=0.5))
    for ok in (False, False, True):
        b.before_call("get_ticket", str(ok) + str(b.state.calls), is_write=False)
        b.after_call(ok)
    b.before_call("get_ticket", "x", is_write=False)  # 2 of 3: too few calls to judge
    b.after_call(False)
    with pytest.raises(AgentPaused, match="tool error rate: 3 of 4"):
        b.before_call("get_ticket", "y", is_write=False)


def test_repeated_identical_calls_trip() -> None:
    b = RunBreaker(BreakerLimits(max_repeats=3))
    for _ in range(2):
        b.before_call("search_accounts", '{"query": "x"}', is_write=False)
        b.after_call(True)
    b.before_call("search_accounts", '{"query": "other"}', is_write=False)
    with pytest.raises(AgentPaused, match="repeated identical calls"):
        b.before_call("search_accounts", '{"query": "x"}', is_write=False)


def test_write_rate_uses_a_sliding_window() -> None:
    now = [0.0]
    b = RunBreaker(BreakerLimits(max_writes=2, write_window_s=60), clock=lambda: now[0])
    for i in range(2):
        b.before_call("add_account_note", str(i), is_write=True)
        b.after_call(True, wrote=True)
    with pytest.raises(AgentPaused, match="write rate: 2 writes"):
        b.before_call("add_account_note", "2", is_write=True)
    now[0] = 61.0  # the window moved on
    b.before_call("add_account_note", "3", is_write=True)


def test_state_round_trips_for_persistence() -> None:
    b = RunBreaker(BreakerLimits(max_steps=3))
    b.before_step()
    b.add_spend(0.002)
    again = RunBreaker(BreakerLimits(max_steps=3), BreakerState(**b.state.model_dump()))
    again.before_step()
    again.before_step()
    with pytest.raises(AgentPaused):
        again.before_step()
