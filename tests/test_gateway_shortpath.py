"""The gateway's shorter request path (issue 17, overhead round 11).

Each step below does less per request than before and must answer exactly as before: the chat
answer's headers built as raw bytes (the same ones Starlette's ``Response`` sends), no cost
estimate built when no budget or token limit needs one, one pass over the caller's headers,
the upstream request head built once per shape, metrics children looked up once, events
written from the fields dict the client already holds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.responses import Response

import labkit.direct.client as client_module
from labkit.controls.budget import BudgetPolicy
from labkit.direct import ResilientClient
from labkit.direct.gateway import (
    GatewayConfig,
    GatewayFront,
    _JsonAnswer,
    _labkit_headers,
    _labkit_raw_headers,
    create_app,
)
from labkit.direct.models import CallResult, ClientConfig
from labkit.direct.transport import Reply, RequestTimeout
from labkit.direct.upstream import UpstreamPool
from labkit.telemetry import events
from labkit.telemetry.metrics import ModelCallMetrics

CHAT = "lab-chat-2026-01"
ANSWER = orjson.dumps({"id": "chatcmpl-7", "object": "chat.completion", "created": 1, "model": CHAT,
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32}})


class Instant:
    """A transport that answers at once and remembers what it was sent."""

    name = "lean"

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], dict[str, str] | None]] = []

    def chat(self, body: dict[str, Any], timeout: RequestTimeout, headers: dict[str, str] | None) -> Reply:
        self.sent.append((body, headers))
        return Reply(200, {"content-type": "application/json"}, orjson.loads(ANSWER), ANSWER)

    def close(self) -> None:
        pass


def _result(**overrides: Any) -> CallResult:
    fields: dict[str, Any] = dict(content="hi", model_requested=CHAT, model_served="lab-mini-2026-03",
                                  status="fallback", fallback_used="lab-mini-2026-03", attempts=2, cost=1.25e-05,
                                  call_id="c" * 32, validation="repaired")
    fields.update(overrides)
    return CallResult(**fields)


@pytest.mark.parametrize("result", [_result(), _result(model_served=None, fallback_used=None, validation=None,
                                                       cache_hit=True, status="cannot_answer", cost=0.0)])
def test_the_json_answer_sends_what_starlettes_response_sent(result):
    body = b'{"id":"x"}'
    before = Response(body, status_code=200, media_type="application/json", headers=_labkit_headers(result))
    after = _JsonAnswer(body, _labkit_raw_headers(result))
    assert after.status_code == before.status_code == 200
    assert after.body == before.body
    assert after.raw_headers == before.raw_headers  # same names, values and order
    assert after.background is None


def _client(**config: Any) -> tuple[ResilientClient, Instant]:
    transport = Instant()
    client = ResilientClient(ClientConfig(base_url="http://127.0.0.1:9/v1", fallbacks={"*": []}, **config),
                             transport=transport)  # type: ignore[arg-type]
    return client, transport


def test_no_cost_estimate_is_built_without_a_budget_or_token_limit(monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no estimate was needed")

    monkeypatch.setattr(client_module, "CostEstimate", refuse)
    monkeypatch.setattr(client_module, "estimate_cost", refuse)
    client, _ = _client()
    result = client.chat([{"role": "user", "content": "hi"}], CHAT, redact_pii=False)
    assert result.status == "ok" and result.cost > 0


def test_a_budget_still_gets_its_estimate_and_refuses(monkeypatch):
    estimated: list[str] = []
    real = client_module.estimate_cost

    def counting(model: str, *args: Any, **kwargs: Any) -> Any:
        estimated.append(model)
        return real(model, *args, **kwargs)

    monkeypatch.setattr(client_module, "estimate_cost", counting)
    client, transport = _client(budget=BudgetPolicy(per_day_usd=1e-9))
    from labkit.errors import BudgetExceeded

    with pytest.raises(BudgetExceeded):
        client.chat([{"role": "user", "content": "hi"}], CHAT, redact_pii=False)
    assert estimated == [CHAT] and transport.sent == []


def _serve_one(front: GatewayFront, headers: list[tuple[bytes, bytes]], body: bytes) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers}
    asyncio.run(front(scope, receive, send))
    return sent


def test_the_callers_headers_are_read_in_one_pass_with_the_first_value_winning(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_VAR", str(tmp_path))
    transport = Instant()
    config = GatewayConfig(upstream="http://127.0.0.1:9/v1", redact_pii=False, fallbacks={"*": []})
    client = ResilientClient(config, transport=transport)  # type: ignore[arg-type]
    front = GatewayFront(create_app(config, client=client))
    body = orjson.dumps({"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5})
    auth = (b"authorization", b"Bearer k")
    _serve_one(front, [auth, (b"x-lab-fault", b"first"), (b"x-lab-fault", b"second"),
                       (b"x-labkit-pattern", b"rag"), (b"x-labkit-pattern", b"agent")], body)
    _serve_one(front, [auth, (b"x-labkit-pattern", b"")], body)  # empty: the default pattern
    _serve_one(front, [auth, (b"x-labkit-pattern", b"nonsense")], body)
    assert [h for _, h in transport.sent] == [{"x-lab-fault": "first"}, None, None]
    events.flush()
    patterns = [e["pattern"] for e in events.read_events("call")]
    assert patterns == ["rag", "direct", "direct"]


def test_the_chat_answer_through_the_front_carries_the_labkit_headers(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_VAR", str(tmp_path))
    config = GatewayConfig(upstream="http://127.0.0.1:9/v1", redact_pii=False, fallbacks={"*": []})
    client = ResilientClient(config, transport=Instant())  # type: ignore[arg-type]
    front = GatewayFront(create_app(config, client=client))
    body = orjson.dumps({"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "temperature": 0})
    start, answer = _serve_one(front, [(b"authorization", b"Bearer k")], body)
    headers = dict(start["headers"])
    assert start["status"] == 200 and answer["body"] == ANSWER  # the provider's bytes, relayed
    assert headers[b"x-labkit-status"] == b"ok" and headers[b"x-labkit-cache"] == b"miss"
    assert headers[b"content-length"] == str(len(ANSWER)).encode()
    assert headers[b"content-type"] == b"application/json"


def test_the_upstream_head_is_built_once_per_shape_and_stays_right():
    pool = UpstreamPool("127.0.0.1", 9)
    one = pool.request_head(b"POST", b"/v1/chat/completions", 5, [(b"a", b"b")])
    two = pool.request_head(b"POST", b"/v1/chat/completions", 123, [(b"a", b"b")])
    other = pool.request_head(b"POST", b"/v1/embeddings", 7, [])
    assert one == b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:9\r\na: b\r\ncontent-length: 5\r\n\r\n"
    assert two.endswith(b"\r\ncontent-length: 123\r\n\r\n") and two[:-12] == one[:-10]
    assert other == b"POST /v1/embeddings HTTP/1.1\r\nhost: 127.0.0.1:9\r\ncontent-length: 7\r\n\r\n"
    for n in range(1000):  # callers' passed headers vary: the cache stays bounded
        pool.request_head(b"POST", b"/v1/chat/completions", 1, [(b"x-lab-fault", str(n).encode())])
    assert len(pool._heads) <= 256


def test_metrics_look_each_label_set_up_once_and_count_the_same():
    metrics = ModelCallMetrics()
    looked_up: list[tuple[str, ...]] = []
    labels = metrics.calls.labels

    def counting(*values: str) -> Any:
        looked_up.append(values)
        return labels(*values)

    metrics.calls.labels = counting  # type: ignore[method-assign]
    base = {"pattern": "direct", "model_served": CHAT, "latency_ms": 2.0, "tokens_in": 10, "tokens_out": 5,
            "cost": 0.5}
    for status in ("ok", "ok", "fallback", "ok"):
        metrics.observe({**base, "status": status})
    metrics.observe({**base, "status": "ok", "tokens_in": 0, "tokens_out": 0, "cost": 0.0, "cache_hit": True})
    assert looked_up == [("direct", CHAT, "ok"), ("direct", CHAT, "fallback")]
    text = metrics.render()[0].decode()
    assert f'labkit_model_calls_total{{model="{CHAT}",pattern="direct",status="ok"}} 4.0' in text
    assert f'labkit_model_calls_total{{model="{CHAT}",pattern="direct",status="fallback"}} 1.0' in text
    assert f'labkit_model_tokens_total{{direction="in",model="{CHAT}",pattern="direct"}} 40.0' in text
    assert f'labkit_model_cost_usd_total{{model="{CHAT}",pattern="direct"}} 2.0' in text
    assert 'labkit_model_cache_hits_total{pattern="direct"} 1.0' in text


def test_emit_fields_writes_what_emit_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_VAR", str(tmp_path))
    fields = {"call_id": "c1", "pattern": "direct", "latency_ms": 1.5, "error": None}
    by_keywords = events.emit("call", **fields)
    from_dict = events.emit_fields("call", fields)
    assert fields == {"call_id": "c1", "pattern": "direct", "latency_ms": 1.5, "error": None}  # not changed
    strip = ("event_id", "ts", "unix_ts")
    assert {k: v for k, v in by_keywords.items() if k not in strip} == \
        {k: v for k, v in from_dict.items() if k not in strip}
    written = events.read_events("call")
    assert [e["event_id"] for e in written] == [by_keywords["event_id"], from_dict["event_id"]]
