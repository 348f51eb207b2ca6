"""A call's bookkeeping after its answer (issue 17, overhead round 9).

The gateway records a chat call's attempt and call events (telemetry, and the metrics that
observe them) after the answer's last byte went out, so they are not in the caller's latency.
What must hold: every control still acts before the answer (the ledger bills the call, the
budget refuses the next one); the events are all there, in order, once the response was sent;
the in-process client without ``deferred`` records as it goes; an error answer's events are
recorded too. Real mock provider, the real gateway app driven through ASGI, real telemetry files.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from labkit.direct import ResilientClient
from labkit.direct.gateway import GatewayConfig, GatewayFront, create_app
from labkit.direct.models import ClientConfig
from labkit.errors import BudgetExceeded
from labkit.telemetry.events import flush, read_events

CHAT = "lab-chat-2026-01"
ASK = [{"role": "user", "content": "Summarise: the answer goes out before its bookkeeping."}]


def _kinds(call_id: str | None = None) -> list[str]:
    """The kinds of a call's attempt and call events (any call's when None), in time order."""
    flush()
    found = [e for kind in ("attempt", "call") for e in read_events(kind)
             if call_id is None or e.get("call_id") == call_id]
    return [e["kind"] for e in sorted(found, key=lambda e: e["unix_ts"])]


def test_the_client_records_as_it_goes_without_deferred(provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url, fallbacks={"*": []}))
    seen: list[dict[str, Any]] = []
    client.observers.append(seen.append)
    result = client.chat(ASK, CHAT)
    assert result.status == "ok"
    assert _kinds(result.call_id) == ["attempt", "call"]
    assert [f["call_id"] for f in seen] == [result.call_id]


def test_deferred_events_wait_for_the_caller_and_controls_do_not(provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url, fallbacks={"*": []}))
    seen: list[dict[str, Any]] = []
    client.observers.append(seen.append)
    later: list[Any] = []
    result = client.chat(ASK, CHAT, deferred=later)
    assert result.status == "ok" and result.cost > 0
    # the controls acted: the ledger billed the call already
    assert client.ledger.spend() == pytest.approx(result.cost)
    # the bookkeeping did not: no event, no observer call yet
    assert _kinds(result.call_id) == [] and seen == []
    assert len(later) == 2
    for record in later:
        record()
    assert _kinds(result.call_id) == ["attempt", "call"]
    assert [f["call_id"] for f in seen] == [result.call_id]


def test_a_refused_call_defers_its_event_too(provider):
    config = ClientConfig(base_url=provider.base_url, fallbacks={"*": []}, budget={"per_day_usd": 0.0})
    client = ResilientClient(config)
    later: list[Any] = []
    with pytest.raises(BudgetExceeded):
        client.chat(ASK, CHAT, deferred=later)
    assert len(later) == 1
    assert read_events("call") == []
    later[0]()
    assert [e["status"] for e in read_events("call")] == ["budget_exceeded"]


def _asgi_call(front: GatewayFront, body: dict[str, Any], on_call: list[str]) -> tuple[int, dict[str, Any]]:
    """One POST /v1/chat/completions through the ASGI app; the order of sends and observer calls."""
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        raw = orjson.dumps(body)
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:  # the client stays connected
                await asyncio.sleep(3600)
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            on_call.append(message["type"])
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions",
                 "headers": [(b"authorization", b"Bearer k"), (b"content-type", b"application/json")]}
        await front(scope, receive, send)

    asyncio.run(run())
    status = sent[0]["status"]
    return status, orjson.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def test_the_gateway_sends_the_answer_before_recording_the_call(provider):
    config = GatewayConfig(upstream=provider.base_url, fallbacks={"*": []}, redact_pii=False)
    app = create_app(config)
    order: list[str] = []
    app.state.client.observers.append(lambda fields: order.append("observed:" + fields["status"]))
    try:
        status, answer = _asgi_call(GatewayFront(app), {"model": CHAT, "messages": ASK}, order)
        assert status == 200 and answer["choices"][0]["message"]["content"]
        # the whole answer first, then the call's bookkeeping, before the handler returned
        assert order == ["http.response.start", "http.response.body", "observed:ok"]
        assert _kinds() == ["attempt", "call"]
        # the metrics (an observer too) counted it
        body, _ = app.state.metrics.render()
        assert b'status="ok"' in body
    finally:
        app.state.shutdown()
        app.state.client.close()


def test_the_gateway_records_an_error_answer_after_it_too(provider):
    config = GatewayConfig(upstream=provider.base_url, fallbacks={"*": []}, redact_pii=False,
                           budget={"per_day_usd": 0.0})
    app = create_app(config)
    order: list[str] = []
    app.state.client.observers.append(lambda fields: order.append("observed:" + fields["status"]))
    try:
        status, answer = _asgi_call(GatewayFront(app), {"model": CHAT, "messages": ASK}, order)
        assert status == 429 and answer["error"]["type"] == "budget_exceeded"
        assert order == ["http.response.start", "http.response.body", "observed:budget_exceeded"]
    finally:
        app.state.shutdown()
        app.state.client.close()
