"""Timestamps along one served request, for ``gateway_timeline.py`` (loaded only in its child servers).

Wraps, by monkeypatching, the functions a chat request passes through in the gateway (or the relay
floor) and records ``time.perf_counter_ns()`` (CLOCK_MONOTONIC, comparable across processes on
Linux) at each: uvicorn's first ``data_received`` of the request, the ASGI call, the chat handler,
``run_inline``, the client's ``_start`` / PII redaction / cache key / route / billing, the lean
transport, the upstream pool's write and the first byte of the answer, the response head and body
sends, the end of the ASGI call (after the deferred bookkeeping). The names wrapped exist in the
gateway since round 11, so a baseline checkout at an older ref is instrumented the same way.

The wrappers cost a few microseconds a request; both sides of a comparison carry them. The
records are written to ``$STAMPS_OUT`` as JSON when the timeline asks ``GET /__stamps``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

_now = time.perf_counter_ns
RECORDS: list[dict[str, int]] = []
_current: dict[str, int] = {}


def _stamp_sync(owner: Any, name: str, before: str, after: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def stamped(*args: Any, **kwargs: Any) -> Any:
        _current[before] = _now()
        try:
            return original(*args, **kwargs)
        finally:
            _current[after] = _now()

    setattr(owner, name, stamped)


def _dump() -> None:
    path = os.environ.get("STAMPS_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(RECORDS, fh)


async def _traced(inner: Callable[..., Any], scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope.get("type") == "http" and scope.get("path") == "/__stamps":
        _dump()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"written"})
        return
    if scope.get("type") != "http" or scope.get("method") != "POST":
        await inner(scope, receive, send)
        return
    _current["asgi_in"] = _now()

    async def stamped_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            _current["head_send"] = _now()
            await send(message)
            return
        _current["body_send"] = _now()
        await send(message)
        _current["body_sent"] = _now()

    await inner(scope, receive, stamped_send)
    _current["asgi_out"] = _now()
    RECORDS.append(dict(_current))
    _current.clear()


def _common() -> None:
    """The front (uvicorn) and the upstream exchange: present in the gateway and the floor."""
    from uvicorn.protocols.http import httptools_impl

    from labkit.direct import upstream

    original_received = httptools_impl.HttpToolsProtocol.data_received

    def data_received(self: Any, data: bytes) -> None:
        _current.setdefault("bytes_in", _now())  # the request's first bytes reach the loop
        original_received(self, data)

    httptools_impl.HttpToolsProtocol.data_received = data_received  # type: ignore[method-assign]
    original_send = upstream._Connection.send

    def conn_send(self: Any, data: bytes, read_s: float) -> Any:
        _current["upstream_write"] = _now()
        answer = original_send(self, data, read_s)
        _current["upstream_written"] = _now()
        return answer

    upstream._Connection.send = conn_send  # type: ignore[method-assign]
    original_upstream_received = upstream._Connection.data_received

    def upstream_received(self: Any, data: bytes) -> None:
        _current.setdefault("upstream_bytes_in", _now())
        original_upstream_received(self, data)

    upstream._Connection.data_received = upstream_received  # type: ignore[method-assign]
    original_request = upstream.UpstreamPool.request

    async def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original_request(self, *args, **kwargs)
        finally:
            _current["upstream_answer"] = _now()

    upstream.UpstreamPool.request = request  # type: ignore[method-assign]


def instrument_gateway() -> None:
    """Stamp the gateway's path (call before ``build_server``)."""
    import labkit.direct.client as client
    import labkit.direct.gateway as gateway
    import labkit.direct.transport as transport

    _common()
    _stamp_sync(client, "redact_messages", "pii_in", "pii_out")
    _stamp_sync(client, "cache_key", "key_in", "key_out")
    _stamp_sync(client.ResilientClient, "_start", "start_in", "start_out")
    _stamp_sync(client.ResilientClient, "_run_route", "route_in", "route_out")
    _stamp_sync(client.ResilientClient, "_bill", "bill_in", "bill_out")
    _stamp_sync(transport.LeanTransport, "chat", "transport_in", "transport_out")
    original_inline = gateway.run_inline

    async def run_inline(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        _current["inline_in"] = _now()
        try:
            return await original_inline(fn, *args, **kwargs)
        finally:
            _current["inline_out"] = _now()

    gateway.run_inline = run_inline
    original_call = gateway.GatewayFront.__call__
    original_init = gateway.GatewayFront.__init__

    def init(self: Any, app: Any) -> None:
        original_init(self, app)
        hot = {}
        for path, handler in self.hot.items():
            async def stamped(headers: Any, raw: bytes, handler: Any = handler) -> Any:
                _current["handler_in"] = _now()
                try:
                    return await handler(headers, raw)
                finally:
                    _current["handler_out"] = _now()
            hot[path] = stamped
        self.hot = hot

    async def call(self: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _traced(lambda s, r, w: original_call(self, s, r, w), scope, receive, send)

    gateway.GatewayFront.__init__ = init  # type: ignore[method-assign]
    gateway.GatewayFront.__call__ = call  # type: ignore[method-assign]
    if hasattr(gateway, "short_path_protocol"):  # round 13 on: the model endpoints skip the ASGI call
        gateway.short_path_protocol = _stamped_short_path(gateway.short_path_protocol)


class _StampedWrites:
    """The transport of a short-path answer: stamps around its head write and its body write."""

    def __init__(self, real: Any) -> None:
        self.real, self.writes = real, 0

    def write(self, data: bytes) -> None:
        # since round 17 the short path writes head and body in one write: its "head write" step is
        # then the whole write and its "body write" step empty (stamped right after it)
        self.writes += 1
        _current["head_send" if self.writes == 1 else "body_send"] = _now()
        self.real.write(data)
        if self.writes == 1:
            _current["body_send"] = _now()
        _current["body_sent"] = _now()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _stamped_short_path(factory: Callable[..., Any]) -> Callable[..., Any]:
    """``short_path_protocol`` whose class stamps ``asgi_in`` when the short path's task starts (the
    body is then complete: the old path's "body read" step is inside "front" here), the two writes,
    and ``asgi_out`` after the answer's background work, as ``_traced`` does for the ASGI path."""
    def stamped_factory(hot: Any, max_body: int) -> Any:
        base = factory(hot, max_body)

        class Stamped(base):  # type: ignore[misc, valid-type]
            async def _serve_short(self, cycle: Any) -> None:
                _current["asgi_in"] = _now()
                await super()._serve_short(cycle)
                _current["asgi_out"] = _now()
                RECORDS.append(dict(_current))
                _current.clear()

            def _write_answer(self, *args: Any) -> None:
                real = self.transport
                self.transport = _StampedWrites(real)
                try:
                    super()._write_answer(*args)
                finally:
                    self.transport = real
        return Stamped
    return stamped_factory


def instrument_app(app: Any) -> Any:
    """The relay floor's ASGI app, stamped (its front and upstream exchange only)."""
    _common()

    async def call(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _traced(app, scope, receive, send)

    return call
