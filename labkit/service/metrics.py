"""Prometheus metrics for the service: requests, latency per route, requests in flight.

Each app instance owns its own ``CollectorRegistry`` (several apps in one test process must not
collide in the global registry). Labels use the route *template* (``/jobs/{job_id}``), never the
raw path, so cardinality stays bounded whatever clients send.

Example:
    >>> m = ServiceMetrics()
    >>> m.observe("GET", "/healthz", 200, 0.001)
    >>> b"labkit_http_requests_total" in m.render()[0]
    True
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Buckets cover LLM-shaped latencies: tens of ms for probes up to tens of seconds for agent runs,
# and resolve single milliseconds at the bottom, so `labkit loadtest` can hold Locust's
# client-side figures against the server's own at the 1-2 ms a cached or gateway call takes.
_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServiceMetrics:
    """The service's metric families in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("labkit_http_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("labkit_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], buckets=_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("labkit_http_requests_in_flight", "requests being served",
                               registry=self.registry)
        self.pattern_calls = Counter("labkit_pattern_calls_total", "pattern calls by outcome",
                                     ["pattern", "outcome"], registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request (streams: until the last body chunk)."""

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        self.metrics.in_flight.inc()

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - start)
