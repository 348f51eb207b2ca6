"""Alert rules over telemetry time windows: latency, errors, cost, breakers, drift, safety.

The source document asks for "alerts for cost, latency and safety" and for drift that does
not go unnoticed for weeks. An :class:`AlertRule` names a metric, a threshold and a window;
:func:`evaluate` computes every rule over the DuckDB views (``labkit.telemetry.views``),
returns the rules that fired, and emits each as an ``alert`` event (so alerts are telemetry
too, and the dashboards show them).

Metrics (``window_s`` back from now, optionally one pattern):

- ``p95_latency_ms``: p95 of call latency, fires above ``threshold`` (the latency budget);
- ``error_rate``: share of calls that did not end ``ok``/``fallback``, with ``min_calls``;
- ``cost_per_hour``: USD spent in the window scaled to one hour;
- ``breaker_open``: breakers that opened in the window (``breaker`` events), fires at >= threshold;
- ``version_drift``: calls answered by another version than the pinned one;
- ``safety_flags``: ``safety`` events (injection detected, PII leak, ...) in the window;
- ``fallback_rate``: share of calls served by a fallback route.

It does not page anyone: routing alerts to people is deployment work.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.telemetry.events import emit
    >>> for ms in (100, 120, 5000):
    ...     _ = emit("call", pattern="direct", status="ok", latency_ms=ms, cost=0.0)
    >>> fired = evaluate([AlertRule(name="slow", metric="p95_latency_ms", threshold=2000, window_s=300)])
    >>> [a.rule for a in fired]
    ['slow']
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from pydantic import BaseModel, Field

from labkit.errors import ConfigError
from labkit.telemetry.events import emit
from labkit.telemetry.views import connect

Metric = Literal["p95_latency_ms", "error_rate", "cost_per_hour", "breaker_open",
                 "version_drift", "safety_flags", "fallback_rate"]


class AlertRule(BaseModel):
    """Fire when ``metric`` over the last ``window_s`` seconds is above ``threshold``
    (``breaker_open``, ``version_drift`` and ``safety_flags`` fire at ``>= threshold``)."""

    name: str
    metric: Metric
    threshold: float = Field(ge=0)
    window_s: float = Field(300.0, gt=0)
    pattern: str | None = None
    min_calls: int = Field(1, ge=0)


class Alert(BaseModel):
    """A rule that fired, with the value that made it fire."""

    rule: str
    metric: str
    value: float
    threshold: float
    window_s: float
    pattern: str | None = None
    message: str


DEFAULT_RULES: list[AlertRule] = [
    AlertRule(name="latency-budget", metric="p95_latency_ms", threshold=3000, window_s=300, min_calls=5),
    AlertRule(name="error-rate", metric="error_rate", threshold=0.05, window_s=300, min_calls=20),
    AlertRule(name="cost-per-hour", metric="cost_per_hour", threshold=5.0, window_s=3600),
    AlertRule(name="breaker-open", metric="breaker_open", threshold=1, window_s=300),
    AlertRule(name="version-drift", metric="version_drift", threshold=1, window_s=3600),
    AlertRule(name="safety-flags", metric="safety_flags", threshold=1, window_s=3600),
]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[Any, ...]:
    return con.execute(sql, params).fetchone() or (None,)


def _measure(con: duckdb.DuckDBPyConnection, rule: AlertRule) -> tuple[float | None, int]:
    """(value, number of events behind it) of ``rule``'s metric; value None = not enough data."""
    window = "unix_ts >= epoch(now()) - ?"
    params: list[Any] = [rule.window_s]
    pat = ""
    if rule.pattern is not None:
        pat = " AND pattern = ?"
        params.append(rule.pattern)
    if rule.metric in ("p95_latency_ms", "error_rate", "cost_per_hour", "fallback_rate"):
        value_sql = {
            "p95_latency_ms": "quantile_cont(latency_ms, 0.95)",
            "error_rate": "avg(CASE WHEN status NOT IN ('ok', 'fallback') THEN 1.0 ELSE 0.0 END)",
            "cost_per_hour": f"coalesce(sum(cost), 0) * 3600.0 / {rule.window_s}",
            "fallback_rate": "avg(CASE WHEN status = 'fallback' THEN 1.0 ELSE 0.0 END)",
        }[rule.metric]
        value, n = _one(con, f"SELECT {value_sql}, count(*) FROM calls WHERE {window}{pat}", params)
        if rule.metric != "cost_per_hour" and (n or 0) < max(1, rule.min_calls):
            return None, int(n or 0)
        return (float(value) if value is not None else 0.0), int(n or 0)
    if rule.metric == "breaker_open":
        (n,) = _one(con, f"SELECT count(*) FROM breaker WHERE {window} AND new = 'open'", [rule.window_s])
    elif rule.metric == "version_drift":
        (n,) = _one(con, f"SELECT count(*) FROM version_drift WHERE {window}{pat}", params)
    else:
        (n,) = _one(con, f"SELECT count(*) FROM safety WHERE {window}{pat}", params)
    return float(n or 0), int(n or 0)


def evaluate(rules: list[AlertRule] | None = None, *, emit_events: bool = True,
             con: duckdb.DuckDBPyConnection | None = None) -> list[Alert]:
    """Every rule that fires now (``DEFAULT_RULES`` if none given); each is emitted as an event."""
    con = con or connect()
    fired: list[Alert] = []
    for rule in rules if rules is not None else DEFAULT_RULES:
        value, n = _measure(con, rule)
        if value is None:
            continue
        counting = rule.metric in ("breaker_open", "version_drift", "safety_flags")
        if (value >= rule.threshold and value > 0) if counting else value > rule.threshold:
            scope = f" for pattern {rule.pattern}" if rule.pattern else ""
            alert = Alert(rule=rule.name, metric=rule.metric, value=round(value, 6),
                          threshold=rule.threshold, window_s=rule.window_s, pattern=rule.pattern,
                          message=f"{rule.metric}{scope} = {value:.4g} over the last "
                                  f"{rule.window_s:g}s (threshold {rule.threshold:g}, {n} events)")
            fired.append(alert)
            if emit_events:
                emit("alert", **alert.model_dump())
    return fired


def load_rules(path: str) -> list[AlertRule]:
    """Rules from a YAML file (a list of AlertRule mappings); ConfigError if malformed."""
    import yaml
    from pydantic import ValidationError

    try:
        with open(path) as fh:
            data = yaml.safe_load(fh) or []
    except OSError as exc:
        raise ConfigError(f"cannot read alert rules {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"alert rules {path} are not valid YAML: {str(exc).splitlines()[0]}") from None
    if isinstance(data, dict):
        data = data.get("rules", [])
    if not isinstance(data, list):
        raise ConfigError(f"alert rules {path} must be a list of rules")
    try:
        return [AlertRule.model_validate(item) for item in data]
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"alert rules {path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
