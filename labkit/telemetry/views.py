"""DuckDB views over the telemetry JSON lines, and the summaries dashboards show.

:func:`connect` opens an in-memory DuckDB connection with one view per event kind
(``calls``, ``attempts``, ``alerts``, ``version_drift``, ``breaker``, ``validation``,
``safety``) reading ``var/telemetry/<kind>-*.jsonl`` with ``read_json``. Each view has a
fixed column list, so a field that no event carried yet is a NULL column rather than a
binder error, and a kind with no files yet is an empty view of the same shape (DuckDB
refuses a glob that matches nothing). Files are globbed when a query runs, so one connection
sees events written after it opened — as long as the kind had a file when it opened.

:func:`summary` is the per-pattern, per-model table (calls, error rate, p50/p95 latency,
tokens, cost, cache-hit and fallback rates) that the notebooks, ``labkit telemetry summary``
and the phase gates read.

It does not write events (``labkit.telemetry.events`` does) and does not evaluate alert
rules (``labkit.telemetry.alerts`` does).

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.telemetry.events import emit
    >>> _ = emit("call", pattern="direct", model_served="lab-mini-2026-03", status="ok", latency_ms=12.0, cost=0.001)
    >>> con = connect()
    >>> con.execute("SELECT count(*) FROM calls").fetchone()[0]
    1
    >>> summary()[0]["calls"]
    1
"""

from __future__ import annotations

from typing import Any

import duckdb

from labkit.errors import InputError
from labkit.telemetry.events import flush, telemetry_dir

_COMMON = {"event_id": "VARCHAR", "kind": "VARCHAR", "ts": "TIMESTAMPTZ", "unix_ts": "DOUBLE"}

# view name -> (event kind, columns beyond the common ones)
VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "calls": ("call", {
        "call_id": "VARCHAR", "pattern": "VARCHAR", "key": "VARCHAR", "route": "VARCHAR",
        "model_requested": "VARCHAR", "model_served": "VARCHAR", "status": "VARCHAR",
        "attempts": "INTEGER", "latency_ms": "DOUBLE", "ttft_ms": "DOUBLE", "tokens_in": "BIGINT",
        "tokens_out": "BIGINT", "cost": "DOUBLE", "cache_hit": "BOOLEAN", "fallback_used": "VARCHAR",
        "breaker_state": "VARCHAR", "redactions": "INTEGER", "validation": "VARCHAR",
        "stream": "BOOLEAN", "finish_reason": "VARCHAR", "error": "VARCHAR", "kind_of_call": "VARCHAR",
    }),
    "attempts": ("attempt", {
        "call_id": "VARCHAR", "pattern": "VARCHAR", "route": "VARCHAR", "attempt": "INTEGER",
        "status": "VARCHAR", "error_kind": "VARCHAR", "http_status": "INTEGER", "error": "VARCHAR",
        "latency_ms": "DOUBLE", "stream": "BOOLEAN",
    }),
    "alerts": ("alert", {"rule": "VARCHAR", "metric": "VARCHAR", "value": "DOUBLE",
                         "threshold": "DOUBLE", "window_s": "DOUBLE", "message": "VARCHAR"}),
    "version_drift": ("version_drift", {"call_id": "VARCHAR", "pattern": "VARCHAR", "model_pinned": "VARCHAR",
                                        "model_requested": "VARCHAR", "model_served": "VARCHAR",
                                        "refused": "BOOLEAN"}),
    "breaker": ("breaker", {"route": "VARCHAR", "old": "VARCHAR", "new": "VARCHAR"}),
    "validation": ("validation", {"call_id": "VARCHAR", "pattern": "VARCHAR", "route": "VARCHAR",
                                  "result": "VARCHAR", "repair": "BOOLEAN", "error": "VARCHAR"}),
    # other parts of the lab (safety, agent) report flags as kind "safety"
    "safety": ("safety", {"pattern": "VARCHAR", "flag": "VARCHAR", "source": "VARCHAR",
                          "score": "DOUBLE", "detail": "VARCHAR"}),
}


def _view_sql(kind: str, columns: dict[str, str]) -> str:
    cols = {**_COMMON, **columns}
    flush()  # events still queued by a background writer in this process
    files = sorted(telemetry_dir().glob(f"{kind}-*.jsonl"))
    if not files:
        select = ", ".join(f"CAST(NULL AS {t}) AS {name}" for name, t in cols.items())
        return f"SELECT {select} WHERE false"
    spec = "{" + ", ".join(f"'{name}': '{t}'" for name, t in cols.items()) + "}"
    pattern = str(telemetry_dir() / f"{kind}-*.jsonl").replace("'", "''")
    return (f"SELECT * FROM read_json('{pattern}', format='newline_delimited', "
            f"columns={spec}, ignore_errors=true)")


def connect(con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in-memory unless given) with every telemetry view defined."""
    con = con or duckdb.connect()
    for view, (kind, columns) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {_view_sql(kind, columns)}")
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def summary(since_s: float | None = None, *, by: str = "pattern, model_served",
            con: duckdb.DuckDBPyConnection | None = None) -> list[dict[str, Any]]:
    """Per-group call statistics over the last ``since_s`` seconds (all time if None).

    ``by`` is a comma-separated list of ``calls`` columns (default: pattern and served model).
    """
    allowed = set(VIEWS["calls"][1])
    groups = [g.strip() for g in by.split(",") if g.strip()]
    if not groups or any(g not in allowed for g in groups):
        raise InputError(f"cannot group by {by!r}; use columns of the calls view: {', '.join(sorted(allowed))}")
    con = con or connect()
    where = "WHERE unix_ts >= epoch(now()) - ?" if since_s is not None else ""
    group = ", ".join(groups)
    sql = f"""
        SELECT {group},
               count(*) AS calls,
               round(avg(CASE WHEN status NOT IN ('ok', 'fallback') THEN 1.0 ELSE 0.0 END), 4) AS error_rate,
               round(avg(CASE WHEN status = 'fallback' THEN 1.0 ELSE 0.0 END), 4) AS fallback_rate,
               round(avg(CASE WHEN cache_hit THEN 1.0 ELSE 0.0 END), 4) AS cache_hit_rate,
               round(quantile_cont(latency_ms, 0.5), 2) AS p50_ms,
               round(quantile_cont(latency_ms, 0.95), 2) AS p95_ms,
               round(quantile_cont(ttft_ms, 0.95), 2) AS p95_ttft_ms,
               coalesce(sum(tokens_in), 0) AS tokens_in,
               coalesce(sum(tokens_out), 0) AS tokens_out,
               round(coalesce(sum(cost), 0), 6) AS cost_usd,
               round(avg(attempts), 3) AS avg_attempts
        FROM calls {where}
        GROUP BY {group}
        ORDER BY calls DESC"""
    return _rows(con, sql, [since_s] if since_s is not None else None)
