"""The OpenAI-compatible gateway inside the service: ``/v1/chat/completions`` and friends.

The routes are the gateway's own (:mod:`labkit.direct.gateway`), mounted into the service and served
by the service's resilient client, so a caller of ``/v1/...`` gets exactly the gateway's
behaviour (JSON and streaming, fallbacks, ``x-labkit-*`` headers, OpenAI error shapes). The
gateway authenticates with the service's own function
(:func:`~labkit.service.auth.principal_from_headers`: the same key forms, ``Bearer`` or
``X-API-Key``, the same refusal of ambiguous headers, 401 in OpenAI's error shape) and bills
spend to the user it returns — the same budget key the service's other routes charge.

It does not re-implement any gateway logic.
"""

from __future__ import annotations

from fastapi import FastAPI

from labkit.direct.gateway import GatewayConfig
from labkit.direct.gateway import create_app as create_gateway
from labkit.service.auth import principal_from_headers
from labkit.service.deps import model_client

_PATHS = ("/v1/chat/completions", "/v1/embeddings", "/v1/models")


def mount(app: FastAPI) -> None:
    settings = app.state.settings
    config = GatewayConfig(base_url=settings.provider_url or "http://127.0.0.1:9/v1",
                           api_key=settings.provider_key)
    gateway = create_gateway(
        config, client=model_client(app), threads=settings.threads,
        authenticate=lambda headers: principal_from_headers(app.state.keys, headers).user_id)
    for route in gateway.routes:
        if getattr(route, "path", None) in _PATHS:
            route.tags = ["gateway"] if hasattr(route, "tags") else None  # type: ignore[attr-defined]
            app.router.routes.append(route)
