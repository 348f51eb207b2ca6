"""The OpenAI-compatible gateway inside the service: ``/v1/chat/completions`` and friends.

The routes are the gateway's own (:mod:`labkit.gateway`), mounted into the service and served
by the service's resilient client, so a caller of ``/v1/...`` gets exactly the gateway's
behaviour (JSON and streaming, fallbacks, ``x-labkit-*`` headers, OpenAI error shapes). In
front of them the service checks the API key against its own key table (401 in OpenAI's
error shape), so the gateway does not accept keys the service would refuse; the gateway then
charges budgets per presented key.

It does not re-implement any gateway logic.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from labkit.gateway import GatewayConfig
from labkit.gateway import create_app as create_gateway
from labkit.serviceapp.deps import model_client

_PATHS = ("/v1/chat/completions", "/v1/embeddings", "/v1/models")


class GatewayKeyCheck:
    """Pure ASGI middleware: ``/v1/*`` requests need a key the service knows."""

    def __init__(self, app: Any, service: FastAPI) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            token = ""
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    raw = value.decode("latin-1")
                    token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw.strip()
            if not token or self.service.state.keys.lookup(token) is None:
                body = json.dumps({"error": {"message": "Incorrect API key provided for the labkit service.",
                                             "type": "invalid_request_error", "param": None,
                                             "code": "invalid_api_key"}}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def mount(app: FastAPI) -> None:
    settings = app.state.settings
    config = GatewayConfig(base_url=settings.provider_url or "http://127.0.0.1:9/v1",
                           api_key=settings.provider_key)
    gateway = create_gateway(config, client=model_client(app), threads=settings.threads)
    for route in gateway.routes:
        if getattr(route, "path", None) in _PATHS:
            route.tags = ["gateway"] if hasattr(route, "tags") else None  # type: ignore[attr-defined]
            app.router.routes.append(route)
    app.add_middleware(GatewayKeyCheck, service=app)
