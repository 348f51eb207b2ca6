"""Shared objects of one service process, built once on first use: the resilient client and friends.

:func:`resource` keeps one object per app (client, queue, RAG pipeline, agent store) under
a lock, so concurrent first requests build it once.

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
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI

from labkit.direct import ClientConfig, ResilientClient
from labkit.telemetry.metrics import ModelCallMetrics

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
T = TypeVar("T")


def resource(app: FastAPI, name: str, factory: Callable[[], T]) -> T:
    """A per-app shared object (client, queue, RAG index), built once on first use.

    Example:
        >>> import threading
        >>> app = FastAPI(); app.state.resources = {}; app.state.resource_lock = threading.Lock()
        >>> resource(app, "n", lambda: 41) + 1
        42
    """
    found = app.state.resources.get(name)
    if found is not None:
        return found
    with app.state.resource_lock:
        found = app.state.resources.get(name)
        if found is None:
            found = factory()
            app.state.resources[name] = found
    return found


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
