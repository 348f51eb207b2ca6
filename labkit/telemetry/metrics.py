"""Prometheus metrics for model calls, for any server that runs the resilient client.

:class:`ModelCallMetrics` registers, on a registry of its own (so several apps in one
process do not collide on the global one), the numbers the source document says to
monitor for a direct model call: calls by pattern, model and status; latency and time to
first token histograms; tokens in and out; cost; cache hits; fallbacks; and the state of
every circuit breaker (read live from the client when scraped). Attach it to a client with
:meth:`ModelCallMetrics.attach`: the client reports every finished call to its observers.

It does not serve HTTP: the gateway and the service expose :meth:`render` at ``/metrics``.

Example:
    >>> m = ModelCallMetrics()
    >>> m.observe({"pattern": "direct", "model_served": "lab-mini-2026-03", "status": "ok",
    ...            "latency_ms": 12.0, "tokens_in": 10, "tokens_out": 5, "cost": 0.0001})
    >>> b'labkit_model_calls_total{model="lab-mini-2026-03",pattern="direct",status="ok"} 1.0' in m.render()[0]
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STATES = {"closed": 0, "half_open": 1, "open": 2}


class _BreakerCollector:
    """Reads breaker states from the attached clients at scrape time."""

    def __init__(self) -> None:
        self.clients: list[Any] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("labkit_breaker_state",
                                   "Circuit breaker state per route (0 closed, 1 half-open, 2 open)",
                                   labels=["route"])
        seen: set[str] = set()
        for client in self.clients:
            for snap in client.breakers.snapshot():
                if snap["route"] not in seen:
                    seen.add(snap["route"])
                    family.add_metric([snap["route"]], _STATES.get(snap["state"], 0))
        yield family


class ModelCallMetrics:
    """Model-call counters and histograms on their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.calls = Counter("labkit_model_calls", "Model calls by pattern, served model and status",
                             ["pattern", "model", "status"], registry=r)
        self.latency = Histogram("labkit_model_call_latency_seconds", "End-to-end model call latency",
                                 ["pattern", "model"], buckets=_BUCKETS, registry=r)
        self.ttft = Histogram("labkit_model_ttft_seconds", "Time to first token of streamed calls",
                              ["pattern", "model"], buckets=_BUCKETS, registry=r)
        self.tokens = Counter("labkit_model_tokens", "Tokens by direction", ["pattern", "model", "direction"],
                              registry=r)
        self.cost = Counter("labkit_model_cost_usd", "Spend in USD", ["pattern", "model"], registry=r)
        self.cache_hits = Counter("labkit_model_cache_hits", "Calls answered from the cache", ["pattern"],
                                  registry=r)
        self.fallbacks = Counter("labkit_model_fallbacks", "Calls answered by a fallback",
                                 ["pattern", "fallback"], registry=r)
        self._breakers = _BreakerCollector()
        r.register(self._breakers)
        # (pattern, model) -> its labelled children, (pattern, model, status) -> its calls
        # counter: labels() takes a lock and builds a key per call, six times a call (a few % of
        # a gateway request's CPU); a dict lookup is enough
        self._children: dict[tuple[str, str], tuple[Any, Any, Any, Any, Any]] = {}
        self._calls: dict[tuple[str, str, str], Any] = {}

    def attach(self, client: Any) -> None:
        """Observe every call ``client`` (a ResilientClient) finishes, and export its breakers."""
        client.observers.append(self.observe)
        self._breakers.clients.append(client)

    def observe(self, event: dict[str, Any]) -> None:
        """Count one finished call (a ``call`` telemetry event's fields)."""
        pattern = str(event.get("pattern") or "direct")
        model = str(event.get("model_served") or "none")
        status = str(event.get("status") or "unknown")
        calls = self._calls.get((pattern, model, status))
        if calls is None:
            calls = self._calls[(pattern, model, status)] = self.calls.labels(pattern, model, status)
        calls.inc()
        children = self._children.get((pattern, model))
        if children is None:
            children = self._children[(pattern, model)] = (
                self.latency.labels(pattern, model), self.ttft.labels(pattern, model),
                self.tokens.labels(pattern, model, "in"), self.tokens.labels(pattern, model, "out"),
                self.cost.labels(pattern, model))
        latency, ttft, tokens_in, tokens_out, cost = children
        if event.get("latency_ms") is not None:
            latency.observe(float(event["latency_ms"]) / 1000)
        if event.get("ttft_ms") is not None:
            ttft.observe(float(event["ttft_ms"]) / 1000)
        # a zero increment changes no counter: skipped (a cache hit, a failed call)
        if event.get("tokens_in"):
            tokens_in.inc(int(event["tokens_in"]))
        if event.get("tokens_out"):
            tokens_out.inc(int(event["tokens_out"]))
        if event.get("cost"):
            cost.inc(float(event["cost"]))
        if event.get("cache_hit"):
            self.cache_hits.labels(pattern).inc()
        if event.get("fallback_used"):
            self.fallbacks.labels(pattern, str(event["fallback_used"])).inc()

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
