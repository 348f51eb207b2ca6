"""Budgets and the cost ledger: estimates from the tokenizer and price table, limits before the call."""

from __future__ import annotations

import pytest

from labkit.controls.budget import BudgetPolicy, CostLedger, estimate_cost, price_of
from labkit.errors import BudgetExceeded, InputError
from labkit.provider.catalog import MODELS
from labkit.tokens import count_message_tokens


def test_estimate_uses_tokenizer_and_price_table():
    msgs = [{"role": "user", "content": "What is the refund policy for enterprise customers?"}]
    est = estimate_cost("lab-large-2026-04", msgs, max_tokens=100)
    assert est.tokens_in == count_message_tokens(msgs)
    assert est.cost == pytest.approx(MODELS["lab-large-2026-04"].cost(est.tokens_in, 100))
    assert estimate_cost("lab-large-2026-04", msgs).tokens_out == 256
    assert price_of("unknown-model", 10, 10) == 0.0


def _spend(ledger, key="k1", pattern="direct", cost=0.4, kind="completion"):
    ledger.record(kind=kind, key=key, pattern=pattern, model_requested="m", model_served="m",
                  tokens_in=1, tokens_out=1, cost=cost)


def test_per_key_per_pattern_per_day_limits():
    ledger = CostLedger()
    _spend(ledger, key="k1", pattern="rag", cost=0.4)
    _spend(ledger, key="k2", pattern="direct", cost=0.3)
    policy = BudgetPolicy(per_key_usd={"k1": 0.5}, per_pattern_usd={"direct": 0.35}, per_day_usd=1.0)
    ledger.check(policy, key="k1", pattern="agent", estimate=0.05)  # 0.45 <= 0.5
    with pytest.raises(BudgetExceeded, match="budget of key 'k1'"):
        ledger.check(policy, key="k1", pattern="agent", estimate=0.2)
    with pytest.raises(BudgetExceeded, match="budget of pattern 'direct'"):
        ledger.check(policy, key="k3", pattern="direct", estimate=0.1)
    with pytest.raises(BudgetExceeded, match="per-day"):
        ledger.check(policy, key="k3", pattern="jobs", estimate=0.31)


def test_unbilled_rows_do_not_count_and_kinds_are_checked():
    ledger = CostLedger()
    _spend(ledger, kind="failed_attempt", cost=5.0)
    _spend(ledger, kind="cache_hit", cost=5.0)
    assert ledger.spend() == 0.0
    assert {r["kind"] for r in ledger.rows()} == {"failed_attempt", "cache_hit"}
    with pytest.raises(InputError):
        _spend(ledger, kind="refund")


def test_inactive_policy_checks_nothing():
    ledger = CostLedger()
    _spend(ledger, cost=100.0)
    ledger.check(BudgetPolicy(), key="k1", pattern="direct", estimate=100.0)
