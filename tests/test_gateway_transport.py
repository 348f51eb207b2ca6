"""The gateway's two transports give the caller the same answers (issue 17, overhead).

The gateway forwards with the lean httpx transport by default and with the official SDK when
configured ``transport: sdk``; every control is the same code, so for the same request and the
same fault a caller (the official openai SDK) must see the same status, body, ``x-labkit-*``
headers and the provider the same attempts. Each case runs against two gateways, one per
transport, in front of one mock provider (fault counters reset between them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from labkit.direct import ClientConfig, ResilientClient
from labkit.direct.gateway import GatewayConfig, RunningGateway, serve_in_thread
from labkit.direct.transport import LeanTransport, RequestTimeout, SdkTransport

CHAT, MINI, EMBED = "lab-chat-2026-01", "lab-mini-2026-03", "lab-embed-2026-01"
ASK = [{"role": "user", "content": "Summarise: The gateway adds controls. Clients need no changes. "
                                   "Every call is logged."}]
HEADERS = ("x-labkit-status", "x-labkit-model-served", "x-labkit-attempts", "x-labkit-cache",
           "x-labkit-fallback", "x-labkit-cost", "x-labkit-validation")
TRANSPORTS = ("lean", "sdk")


@pytest.fixture
def gateways(provider) -> Iterator[dict[str, RunningGateway]]:
    def config(transport: str) -> GatewayConfig:
        return GatewayConfig.load(None, upstream=provider.base_url, transport=transport,
                                  retry={"max_attempts": 3, "base_s": 0.01},
                                  # a hang guard, not a speed test
                                  timeouts={"connect_s": 2, "deadline_s": 20, "ttft_s": 5, "idle_s": 2},
                                  breaker={"min_volume": 50}, fallbacks={"*": [MINI]})

    with serve_in_thread(config("lean")) as lean, serve_in_thread(config("sdk")) as sdk:
        assert lean.client.transport.name == "lean" and sdk.client.transport.name == "sdk"
        yield {"lean": lean, "sdk": sdk}


def _sdk(gw: RunningGateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key="caller-key", max_retries=0, timeout=30)


def _both(provider, gateways: dict[str, RunningGateway], run: Callable[[RunningGateway], Any]
          ) -> dict[str, tuple[Any, list[tuple[str, int]]]]:
    """``run`` against each gateway; its outcome and the attempts the provider saw."""
    out = {}
    for name in TRANSPORTS:
        provider.clear_log()
        provider.clear_faults()  # resets the times= counters of header faults too
        outcome = run(gateways[name])
        log = [(e["model_served"], e["status"]) for e in provider.request_log() if e["endpoint"] in ("chat", "embeddings")]
        out[name] = (outcome, log)
    return out


def _plain(fault: str | None) -> Callable[[RunningGateway], Any]:
    def run(gw: RunningGateway) -> Any:
        extra = {"X-Lab-Fault": fault} if fault else None
        try:
            raw = _sdk(gw).chat.completions.with_raw_response.create(
                model=CHAT, messages=ASK, temperature=0.5, extra_headers=extra)
        except openai.APIStatusError as exc:
            return ("error", exc.status_code, exc.code, exc.type, exc.message)
        r = raw.parse()
        choice = r.choices[0]
        return ("ok", raw.status_code, choice.message.content, choice.finish_reason, r.model,
                r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens,
                {h: raw.headers.get(h) for h in HEADERS})
    return run


@pytest.mark.parametrize("fault", [
    None,
    "status=503;times=2",                 # retried on the same model
    "status=429;retry_after=0.2;times=1",  # Retry-After read from the upstream's headers
    "status=500",                         # every route fails: cannot_answer
    "status=400",                         # a plain 400: not retried, the next route
    "content_policy",                     # passed on as a 400, never routed
    "context_length;times=1",             # the large-context model next
    "reset;times=1",                      # connection reset: retried
])
def test_plain_chat_is_the_same_through_both_transports(provider, gateways, fault):
    got = _both(provider, gateways, _plain(fault))
    assert got["lean"] == got["sdk"], got
    assert got["lean"][1]  # the provider was reached


def test_the_lean_gateway_relays_the_providers_json_body(provider, gateways):
    """No control changed the answer: the bytes the provider sent are the bytes relayed."""
    body = {"model": CHAT, "messages": ASK, "temperature": 0.5}
    upstream = httpx.post(provider.base_url + "/chat/completions", json=body,
                          headers={"Authorization": "Bearer k"})
    for gw in gateways.values():
        relayed = httpx.post(gw.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"})
        assert relayed.status_code == 200 and relayed.headers["x-labkit-status"] == "ok"
        mine, theirs = relayed.json(), upstream.json()
        assert {k: v for k, v in mine.items() if k not in ("id", "created")} == \
            {k: v for k, v in theirs.items() if k not in ("id", "created")}


def test_pii_and_repairs_are_not_relayed_as_the_upstream_body(provider, gateways):
    """Re-hydrated answers and merged repair usage are built, not relayed: same in both modes."""
    text = "Summarise: Mail jane.doe@example.com about the refund today."

    def run(gw: RunningGateway) -> Any:
        r = _sdk(gw).chat.completions.create(model=CHAT, messages=[{"role": "user", "content": text}],
                                             temperature=0.5)
        return r.choices[0].message.content, r.usage.total_tokens

    got = _both(provider, gateways, run)
    assert got["lean"] == got["sdk"]
    assert "<EMAIL_" not in got["lean"][0][0]


@pytest.mark.parametrize("mode", ["pass-through", "retry-safe"])
@pytest.mark.parametrize("fault", [None, "cut=0", "cut=3", "malformed=1", "no_done"])
def test_streams_are_the_same_through_both_transports(provider, gateways, mode, fault):
    def run(gw: RunningGateway) -> Any:
        extra = {"X-Labkit-Stream-Mode": mode, **({"X-Lab-Fault": fault} if fault else {})}
        text, model, usage, finish = "", None, None, None
        try:
            for chunk in _sdk(gw).chat.completions.create(
                    model=CHAT, messages=ASK, temperature=0.5, stream=True,
                    stream_options={"include_usage": True}, extra_headers=extra):
                model = chunk.model or model
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens) if chunk.usage else usage
                for c in chunk.choices:
                    text += c.delta.content or ""
                    finish = c.finish_reason or finish
        except openai.APIError as exc:
            return ("error", type(exc).__name__, text != "")
        return ("ok", text, model, usage, finish)

    got = _both(provider, gateways, run)
    assert got["lean"] == got["sdk"], got


@pytest.mark.parametrize("fault", [None, "status=503;times=1", "status=500"])
def test_embeddings_are_the_same_through_both_transports(provider, gateways, fault):
    def run(gw: RunningGateway) -> Any:
        try:
            r = _sdk(gw).embeddings.create(model=EMBED, input=["refund policy", "leave policy"],
                                           extra_headers={"X-Lab-Fault": fault} if fault else None)
        except openai.APIStatusError as exc:
            return ("error", exc.status_code, exc.type)
        return ("ok", [d.embedding for d in r.data], r.usage.prompt_tokens)

    got = _both(provider, gateways, run)
    assert got["lean"] == got["sdk"], got


def test_models_are_listed_through_both_transports(gateways):
    listed = {name: [m.id for m in _sdk(gw).models.list()] for name, gw in gateways.items()}
    assert listed["lean"] == listed["sdk"] and CHAT in listed["lean"]


# --- the transports themselves, against the provider -------------------------------------------

@pytest.mark.parametrize("fault,error", [
    ("status=429;retry_after=0.25", openai.RateLimitError),
    ("status=503", openai.InternalServerError),
    ("content_policy", openai.BadRequestError),
    ("reset", openai.APIConnectionError),
])
def test_both_transports_raise_the_sdks_own_errors(provider, fault, error):
    """The controls read one kind of failure (status, headers, body) whichever transport sent."""
    body = {"model": CHAT, "messages": ASK}
    seen = {}
    for transport in (SdkTransport(provider.base_url, "k"), LeanTransport(provider.base_url, "k")):
        with pytest.raises(error) as raised:
            transport.chat(body, RequestTimeout(5, 2), {"X-Lab-Fault": fault})
        exc = raised.value
        response = getattr(exc, "response", None)
        seen[transport.name] = (type(exc), str(exc), getattr(exc, "body", None), getattr(exc, "code", None),
                                None if response is None else response.headers.get("retry-after"))
        transport.close()
    assert seen["lean"] == seen["sdk"], seen


def test_the_in_process_client_answers_alike_on_both_transports(provider):
    tools = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order.",
                                               "parameters": {"type": "object", "properties": {
                                                   "order_id": {"type": "string"}}}}}]
    ask = [{"role": "user", "content": "Where is order 4411?"}]
    results = {}
    for transport in TRANSPORTS:
        client = ResilientClient(ClientConfig(base_url=provider.base_url, transport=transport))
        r = client.chat(ask, model=CHAT, tools=tools, use_cache=False)
        s = client.stream_chat(ask, model=CHAT, tools=tools, use_cache=False)
        streamed = ("".join(s), s.result.tool_calls if s.result else None)
        vectors = client.embed(["refund policy"])
        results[transport] = (r.content, r.tool_calls, r.usage, r.cost, r.finish_reason, streamed, vectors)
        client.close()
    assert results["lean"] == results["sdk"]


# --- the lean transport's own keep-alive connection (http.client) -----------------------------

class _OneShotServer:
    """A raw HTTP/1.1 server for the keep-alive tests: answers ``{}`` to each request; counts
    the connections it accepted; ``close_after`` requests per connection (0: keep it open),
    ``silent``: accept and never answer."""

    def __init__(self, close_after: int = 0, silent: bool = False) -> None:
        import socket
        import threading

        self.connections = 0
        self.close_after, self.silent = close_after, silent
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: Any) -> None:
        served, buffer = 0, b""
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), b"0"))
                if len(rest) < length:
                    continue
                buffer = rest[length:]
                if self.silent:
                    self._stop.wait(30)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                served += 1
                if self.close_after and served >= self.close_after:
                    return  # closes the idle connection, as a server's keep-alive timeout does

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def test_the_lean_transport_reuses_one_live_connection():
    server = _OneShotServer()
    transport = LeanTransport(f"http://127.0.0.1:{server.port}/v1", "k")
    try:
        for _ in range(3):
            assert transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), None).data == {}
        # one connection: checking an idle connection for a close must not wait for data
        # (a peek on a socket with a timeout did, then gave up and reconnected every time)
        assert server.connections == 1
    finally:
        transport.close()
        server.close()


def test_the_lean_transport_replaces_a_connection_the_server_closed():
    import time

    server = _OneShotServer(close_after=1)
    transport = LeanTransport(f"http://127.0.0.1:{server.port}/v1", "k")
    try:
        for _ in range(3):
            assert transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), None).data == {}
            time.sleep(0.05)  # let the server's close arrive, as an idle keep-alive timeout would
        assert server.connections == 3  # each closed connection noticed and replaced, no error
    finally:
        transport.close()
        server.close()


def test_the_lean_transport_times_out_a_silent_server():
    server = _OneShotServer(silent=True)
    transport = LeanTransport(f"http://127.0.0.1:{server.port}/v1", "k")
    try:
        with pytest.raises(openai.APITimeoutError):
            transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(0.3, 2), None)
        with pytest.raises(openai.APIConnectionError):  # nothing listens any more
            server.close()
            transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(0.3, 0.5), None)
    finally:
        transport.close()
        server.close()


# --- the same transport on the event loop (labkit.direct.inline: the gateway's way) ------------

def _on_loop(fn: Callable[[], Any]) -> Any:
    """``fn()`` run inline on a fresh event loop, as the gateway runs its client calls."""
    import asyncio

    from labkit.direct.inline import run_inline

    async def main() -> Any:
        return await run_inline(fn)

    return asyncio.run(main())


def test_on_the_loop_the_lean_transport_reuses_and_replaces_connections():
    from labkit.direct.inline import loop_sleep

    live, closing = _OneShotServer(), _OneShotServer(close_after=1)
    keep = LeanTransport(f"http://127.0.0.1:{live.port}/v1", "k")
    fresh = LeanTransport(f"http://127.0.0.1:{closing.port}/v1", "k")

    def calls() -> list[Any]:
        out = []
        for _ in range(3):
            out.append(keep.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), None).data)
            out.append(fresh.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), None).data)
            loop_sleep(0.05)  # the server's close arrives meanwhile
        return out

    try:
        assert _on_loop(calls) == [{}] * 6
        assert live.connections == 1  # one keep-alive connection for three requests
        assert closing.connections == 3  # each closed idle connection noticed, not reused, no error
        assert keep._upstream is not None and keep._upstream.opened == 1
    finally:
        keep.close()
        fresh.close()
        live.close()
        closing.close()


def test_on_the_loop_the_lean_transport_raises_the_sdks_timeout_and_connection_errors():
    server = _OneShotServer(silent=True)
    transport = LeanTransport(f"http://127.0.0.1:{server.port}/v1", "k")

    def silent() -> None:
        transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(0.3, 2), None)

    def refused() -> None:
        transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(0.3, 0.5), None)

    try:
        with pytest.raises(openai.APITimeoutError):
            _on_loop(silent)
        server.close()
        with pytest.raises(openai.APIConnectionError):  # nothing listens any more
            _on_loop(refused)
    finally:
        transport.close()
        server.close()


def test_on_the_loop_an_error_status_is_the_sdks_exception(provider):
    transport = LeanTransport(provider.base_url, "k")

    def refused() -> None:
        transport.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), {"X-Lab-Fault": "status=429;retry_after=7"})

    try:
        with pytest.raises(openai.RateLimitError) as caught:
            _on_loop(refused)
        assert caught.value.response.headers["retry-after"] == "7"  # what the retry policy reads
    finally:
        transport.close()


def test_on_the_loop_and_in_a_thread_a_reply_has_the_same_headers(provider):
    # round 15: on the loop the reply's headers stay the parser's bytes until read (_Headers);
    # read, they are the same lower-case text mapping the thread path gives
    from labkit.direct.transport import _Headers

    on_loop, in_thread = LeanTransport(provider.base_url, "k"), LeanTransport(provider.base_url, "k")

    def ask(t: LeanTransport) -> Any:
        return t.chat({"model": CHAT, "messages": ASK}, RequestTimeout(5, 2), None)

    try:
        a, b = _on_loop(lambda: ask(on_loop)), ask(in_thread)
        assert isinstance(a.headers, _Headers) and a.headers._decoded is None  # nothing decoded yet
        assert a.headers["content-type"] == b.headers["content-type"] == "application/json"
        assert set(a.headers) == set(b.headers) and all(k == k.lower() for k in a.headers)
        varying = {"date", "x-request-id"}  # the clock and the provider's request counter
        assert {k: v for k, v in a.headers.items() if k not in varying} == \
            {k: v for k, v in b.headers.items() if k not in varying}
    finally:
        on_loop.close()
        in_thread.close()


def test_reply_headers_decode_bytes_and_text_once() -> None:
    from labkit.direct.transport import _Headers

    h = _Headers([(b"X-Request-Id", b"r\xe91"), ("Retry-After", "7")])
    assert h["x-request-id"] == "r\u00e91" and h["retry-after"] == "7" and len(h) == 2
    assert "X-Request-Id" not in h and h.get("missing") is None
    first = h._decoded
    assert dict(h) == {"x-request-id": "r\u00e91", "retry-after": "7"} and h._decoded is first
