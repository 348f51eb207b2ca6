"""Go/no-go gates: pass, fail loudly, refuse to pass when empty, and persist the outcome."""

from __future__ import annotations

import math

import pytest

from labkit.errors import GateFailed, InputError
from labkit.roadmap.gates import Gate, load_gate_results


def test_gate_passes_when_every_criterion_holds() -> None:
    gate = Gate("01_assessment")
    gate.check("open checklist items", 3, "<=", 4)
    gate.require("ADR written", True)
    gate.enforce()
    [saved] = load_gate_results()
    assert saved["passed"] is True and len(saved["criteria"]) == 2


def test_gate_failure_names_every_failed_criterion() -> None:
    gate = Gate("02_prototype")
    gate.check("p95 latency", 1200.0, "<=", 800.0, unit="ms")
    gate.check("recall@5", 0.95, ">=", 0.9)
    gate.require("fallback exercised", False, detail="no fallback seen")
    with pytest.raises(GateFailed) as info:
        gate.enforce()
    message = str(info.value)
    assert "NO-GO" in message and "2 of 3" in message
    assert "p95 latency" in message and "fallback exercised" in message
    assert load_gate_results()[0]["passed"] is False


def test_a_gate_without_criteria_cannot_pass() -> None:
    gate = Gate("03_rollout")
    assert not gate.passed
    with pytest.raises(GateFailed, match="no criteria"):
        gate.enforce()


def test_missing_values_fail_and_bad_operators_are_rejected() -> None:
    gate = Gate("04_scale")
    assert not gate.check("quality", None, ">=", 0.8).passed
    assert not gate.check("quality", math.nan, ">=", 0.8).passed
    assert not gate.check("quality", "n/a", ">=", 0.8).passed
    with pytest.raises(InputError, match="unknown comparison"):
        gate.check("x", 1, "=>", 1)


def test_figures_are_saved_for_the_run_summary() -> None:
    gate = Gate("02_prototype")
    gate.check("errors", 0, "==", 0)
    gate.figure("p50 latency ms", 12.5)
    gate.save()
    assert load_gate_results()[0]["figures"] == {"p50 latency ms": 12.5}
    assert list(gate.table().columns)[:3] == ["name", "value", "op"]
