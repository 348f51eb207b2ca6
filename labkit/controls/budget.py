"""Budgets and the cost ledger: estimate before the call, refuse over budget, record real spend.

- :func:`estimate_cost` prices a request *before* it is sent: prompt tokens from the lab's
  tokenizer (``labkit.tokens``) and the expected output (``max_tokens`` if given, else a
  default), at the price table's rates (``labkit.provider.catalog.price_table`` unless the
  deployment configures its own).
- :class:`BudgetPolicy` holds per-key, per-pattern and per-day limits (USD per UTC day);
  :meth:`CostLedger.check` raises :class:`~labkit.errors.BudgetExceeded` before the call if
  today's spend plus the estimate would cross any of them.
- :class:`CostLedger` records what really happened, from the usage the provider returned:
  one row per billed completion or embedding batch (with the provider's response id), one
  unbilled row per cache hit and per failed attempt. It is SQLite in WAL mode under ``var/``
  because the gateway, the service and job workers may write it from several processes.
  Its billed rows reconcile exactly with the provider's own request log.

It does not fetch prices from anywhere and does not know about invoices or currencies.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> est = estimate_cost("lab-mini-2026-03", [{"role": "user", "content": "hi"}], max_tokens=10)
    >>> round(est.cost, 8)
    7.05e-06
    >>> ledger = CostLedger()
    >>> ledger.record(kind="completion", key="k", pattern="direct", model_requested="lab-mini",
    ...               model_served="lab-mini-2026-03", tokens_in=7, tokens_out=10, cost=7.05e-06)
    >>> ledger.spend(key="k") > 0
    True
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from labkit.errors import BudgetExceeded, InputError
from labkit.provider.catalog import price_table
from labkit.settings import var_dir
from labkit.sqlitewal import enable_wal
from labkit.tokens import count_message_tokens, count_tokens


class CostEstimate(BaseModel):
    """A request's expected tokens and cost before it is sent."""

    model: str
    tokens_in: int
    tokens_out: int
    cost: float


class BudgetPolicy(BaseModel):
    """Spending limits in USD per UTC day; ``None`` means unlimited."""

    per_day_usd: float | None = Field(None, ge=0)
    per_key_usd: dict[str, float] = Field(default_factory=dict)
    per_pattern_usd: dict[str, float] = Field(default_factory=dict)
    default_key_usd: float | None = Field(None, ge=0)
    estimate_output_tokens: int = Field(256, ge=0)

    def active(self) -> bool:
        """True when any limit is set (otherwise the check is skipped entirely)."""
        return bool(self.per_day_usd is not None or self.per_key_usd or self.per_pattern_usd
                    or self.default_key_usd is not None)


def price_of(model: str, tokens_in: int, tokens_out: int,
             prices: dict[str, tuple[float, float]] | None = None) -> float:
    """USD for a call with these token counts; unknown models cost 0 (and say so nowhere else)."""
    table = prices if prices is not None else _PRICES
    p_in, p_out = table.get(model, (0.0, 0.0))
    return tokens_in * p_in / 1e6 + tokens_out * p_out / 1e6


_PRICES = price_table()


def estimate_cost(model: str, messages: list[dict[str, Any]], *, max_tokens: int | None = None,
                  tools: list[dict[str, Any]] | None = None, default_output_tokens: int = 256,
                  prices: dict[str, tuple[float, float]] | None = None) -> CostEstimate:
    """Expected cost of a chat request, from the lab's tokenizer and the price table."""
    tokens_in = count_message_tokens(messages)
    if tools:
        import json

        tokens_in += count_tokens(json.dumps(tools))
    tokens_out = max_tokens if max_tokens is not None else default_output_tokens
    return CostEstimate(model=model, tokens_in=tokens_in, tokens_out=tokens_out,
                        cost=price_of(model, tokens_in, tokens_out, prices))


_KINDS = frozenset({"completion", "embedding", "cache_hit", "failed_attempt"})
_BILLED_KINDS = frozenset({"completion", "embedding"})


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,            -- completion | embedding | cache_hit | failed_attempt
    key TEXT NOT NULL,
    pattern TEXT NOT NULL,
    model_requested TEXT,
    model_served TEXT,
    request_id TEXT,               -- the provider's response id (billed rows)
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    billed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ledger_day ON ledger(day, key, pattern);
"""


class CostLedger:
    """Append-only spend records in ``var/ledger.sqlite`` (or ``path``); thread-safe."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else var_dir() / "ledger.sqlite"
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10,
                                     isolation_level=None)
        # WAL + NORMAL: concurrent writers from several processes, no fsync per row
        enable_wal(self._conn)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    _INSERT = ("INSERT INTO ledger (ts, day, kind, key, pattern, model_requested, model_served,"
               " request_id, tokens_in, tokens_out, cost, billed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")

    @staticmethod
    def _values(ts: float, day: str, *, kind: str, key: str, pattern: str, model_requested: str | None,
                model_served: str | None, tokens_in: int = 0, tokens_out: int = 0,
                cost: float = 0.0, request_id: str | None = None) -> tuple[Any, ...]:
        """One row's column values (InputError for an unknown kind); only completion and
        embedding rows are billed."""
        if kind not in _KINDS:
            raise InputError(f"unknown ledger row kind {kind!r}")
        billed = 1 if kind in _BILLED_KINDS else 0
        return (ts, day, kind, key, pattern, model_requested, model_served, request_id,
                int(tokens_in), int(tokens_out), float(cost) if billed else 0.0, billed)

    def record(self, *, kind: str, key: str, pattern: str, model_requested: str | None,
               model_served: str | None, tokens_in: int = 0, tokens_out: int = 0,
               cost: float = 0.0, request_id: str | None = None) -> None:
        """Append one row; only ``completion`` and ``embedding`` rows are billed."""
        values = self._values(time.time(), _today(), kind=kind, key=key, pattern=pattern,
                              model_requested=model_requested, model_served=model_served,
                              tokens_in=tokens_in, tokens_out=tokens_out, cost=cost,
                              request_id=request_id)
        with self._lock:
            self._conn.execute(self._INSERT, values)

    def spend(self, *, key: str | None = None, pattern: str | None = None,
              day: str | None = None) -> float:
        """Billed USD for ``day`` (default today), optionally for one key and/or pattern."""
        sql = "SELECT COALESCE(SUM(cost), 0) FROM ledger WHERE billed = 1 AND day = ?"
        args: list[Any] = [day or _today()]
        if key is not None:
            sql += " AND key = ?"
            args.append(key)
        if pattern is not None:
            sql += " AND pattern = ?"
            args.append(pattern)
        with self._lock:
            return float(self._conn.execute(sql, args).fetchone()[0])

    def rows(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every row (optionally of one kind), oldest first."""
        sql = "SELECT * FROM ledger" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        with self._lock:
            cur = self._conn.execute(sql, (kind,) if kind else ())
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def check(self, policy: BudgetPolicy, *, key: str, pattern: str, estimate: float) -> None:
        """Raise BudgetExceeded if today's spend plus ``estimate`` crosses any limit."""
        if not policy.active():
            return
        limits: list[tuple[str, float | None, float]] = []
        if policy.per_day_usd is not None:
            limits.append(("per-day budget", policy.per_day_usd, self.spend()))
        key_limit = policy.per_key_usd.get(key, policy.default_key_usd)
        if key_limit is not None:
            limits.append((f"budget of key {key!r}", key_limit, self.spend(key=key)))
        pattern_limit = policy.per_pattern_usd.get(pattern)
        if pattern_limit is not None:
            limits.append((f"budget of pattern {pattern!r}", pattern_limit, self.spend(pattern=pattern)))
        for name, limit, spent in limits:
            if limit is not None and spent + estimate > limit:
                raise BudgetExceeded(
                    f"{name} exceeded: spent ${spent:.6f} today + estimated ${estimate:.6f} "
                    f"> limit ${limit:.6f}")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()
