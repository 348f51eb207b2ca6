"""Shared objects of one service process, built once on first use: the resilient client.

Every model call the service makes goes through one :class:`ResilientClient` per process
(the lab's choke point), so its breaker, cache, rate limiter and cost ledger see all the
process's traffic. Budgets are charged per caller: the service passes the user id as the
client's ``key``.

Example:
    >>> extractive_fallback([{"role": "user", "content": "One. Two. Three."}])
    'One. Two.'
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from labkit.patterns.direct import ClientConfig, ResilientClient
from labkit.service import resource
from labkit.telemetry.metrics import ModelCallMetrics

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def extractive_fallback(messages: list[dict[str, Any]]) -> str | None:
    """The rule-based answer when no model answers: the first two sentences of the input."""
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = message["content"].strip()
            if text:
                return " ".join(_SENTENCE.split(text)[:2])
    return None


def model_client(app: FastAPI) -> ResilientClient:
    """The process's resilient client, pointed at the configured provider."""
    settings = app.state.settings

    def build() -> ResilientClient:
        config = ClientConfig(base_url=settings.provider_url or "http://127.0.0.1:9/v1",
                              api_key=settings.provider_key)
        client = ResilientClient(config, rule_fallbacks={"direct": extractive_fallback})
        # model calls of every pattern (count, latency, tokens, cost, breakers) on /metrics
        ModelCallMetrics(registry=app.state.metrics.registry).attach(client)
        return client

    return resource(app, "model_client", build)
