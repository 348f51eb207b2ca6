"""Gateway overhead, round 17: the per-request work cut on the served path (issue 17).

- The short path writes an answer's head and body in one ``transport.write`` (one ``send()``, one TCP
  segment) instead of uvicorn's two; the bytes are the same.
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
