"""Gateway overhead, round 17: the per-request work cut on the served path (issue 17).

- The short path writes an answer's head and body in one ``transport.write`` (one ``send()``, one TCP
  segment) instead of uvicorn's two; the bytes are the same.
- The lean transport's loop path keeps its event loop instead of asking ``asyncio.get_running_loop()``
  (a ``getpid()`` system call each time in Python 3.11) four times a request.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.responses import Response

from labkit.direct.front import short_path_protocol
from labkit.serving import serve_app

SETTINGS: dict[str, Any] = dict(log_level="critical", access_log=False, timeout_keep_alive=30,
                                timeout_graceful_shutdown=5, proxy_headers=False)


class _Recorder:
    """uvicorn's transport with its writes recorded (everything else passed through)."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport, self._writes = transport, writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@pytest.fixture()
def recorded() -> Iterator[tuple[int, list[bytes]]]:
    async def chat(headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        return Response(orjson.dumps({"echo": len(body)}), media_type="application/json")

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = (await receive()).get("body", b"")
        await (await chat(scope["headers"], body))(scope, receive, send)

    writes: list[bytes] = []
    base = short_path_protocol({"/v1/chat/completions": chat}, max_body=1000)

    class Recording(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(_Recorder(transport, writes))

    with serve_app(asgi, thread_name="round17-front", **SETTINGS, http=Recording) as running:
        yield running.port, writes


def _exchange(port: int, path: str) -> bytes:
    body = b'{"q": 1}'
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n"
                     f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_short_path_answer_is_one_write_of_the_same_bytes(recorded: tuple[int, list[bytes]]) -> None:
    port, writes = recorded
    short = _exchange(port, "/v1/chat/completions")
    assert writes == [short]  # head and body together, nothing else
    writes.clear()
    asgi = _exchange(port, "/v1/chat/completions?via=asgi")  # uvicorn's own cycle: head, then body
    assert len(writes) == 2 and b"".join(writes) == asgi

    def without_date(raw: bytes) -> bytes:
        return b"\r\n".join(line for line in raw.split(b"\r\n") if not line.startswith(b"date: "))

    assert without_date(short) == without_date(asgi) and short.endswith(b'{"echo":8}')


def test_the_upstream_asks_for_the_running_loop_once_per_connection_not_per_request(
        provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``asyncio.get_running_loop()`` makes a getpid() system call each time in Python 3.11; the lean
    transport's loop path asked it four times a request. Now: once per pool and twice per connection;
    a new event loop still gets a new pool (and the requests still answer)."""
    import asyncio

    from labkit.direct.transport import LeanTransport, RequestTimeout

    transport = LeanTransport(provider.base_url, "k")
    body = {"model": "lab-chat-2026-01", "messages": [{"role": "user", "content": "Labels: a, b\nText about b."}],
            "temperature": 0}
    asked = [0]
    real = asyncio.get_running_loop

    def counting() -> asyncio.AbstractEventLoop:
        asked[0] += 1
        return real()

    async def calls(n: int) -> list[Any]:
        # the transport's own loop path (what the gateway's inline calls await)
        return [await transport._exchange_on_loop("POST", "/chat/completions", orjson.dumps(body),
                                                  RequestTimeout(read_s=10.0, connect_s=2.0), None) for _ in range(n)]

    monkeypatch.setattr(asyncio, "get_running_loop", counting)
    try:
        first = asyncio.run(calls(20))
        pool = transport._upstream
        assert all(status == 200 for status, _, _ in first)
        # the pool's loop once, the one keep-alive connection twice (opening it, and the connection's own
        # loop); not 4 a request
        assert asked[0] <= 3
        asked[0] = 0
        second = asyncio.run(calls(3))  # a new loop: a new pool, found through the running loop again
        assert transport._upstream is not pool and all(status == 200 for status, _, _ in second)
        assert 1 <= asked[0] <= 3
    finally:
        transport.close()
