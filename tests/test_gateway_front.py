"""The gateway's HTTP front (issue 17, overhead round 13): ``labkit.direct.front``.

The short path answers POSTs to the hot paths without the ASGI layer; everything about the
connection stays uvicorn's. Each test speaks raw HTTP/1.1 to a real server on a socket, so what is
checked is the bytes a caller gets: the same answer as through the ASGI app, keep-alive, HTTP/1.0
and ``Connection: close``, pipelined requests, a body sent in pieces, the body limit (413), ``Expect:
100-continue``, a streamed answer, a failing handler, and a request in flight at shutdown.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.responses import Response, StreamingResponse

from labkit.direct.front import short_path_protocol
from labkit.serving import serve_app

SETTINGS: dict[str, Any] = dict(log_level="critical", access_log=False, timeout_keep_alive=30,
                                timeout_graceful_shutdown=5, proxy_headers=False)


class _App:
    """A stand-in for the gateway: hot handlers, and an ASGI app that routes to the same handlers
    (as ``GatewayFront`` does), recording which way each request came."""

    def __init__(self) -> None:
        self.ways: list[str] = []
        self.bodies: list[bytes] = []
        self.release = threading.Event()
        self.hot = {"/v1/chat/completions": self.chat, "/v1/stream": self.stream,
                    "/v1/boom": self.boom, "/v1/slow": self.slow}

    async def chat(self, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        self.bodies.append(body)
        tag = dict(headers).get(b"x-tag", b"-")
        answer = Response(orjson.dumps({"echo": len(body), "tag": tag.decode()}), media_type="application/json",
                          headers={"x-labkit-status": "ok"})
        return answer

    async def stream(self, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        def parts() -> Iterator[bytes]:
            yield b"data: one\n\n"
            yield b"data: [DONE]\n\n"
        return StreamingResponse(parts(), media_type="text/event-stream")

    async def boom(self, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        raise RuntimeError("handler failed")

    async def slow(self, headers: list[tuple[bytes, bytes]], body: bytes) -> Response:
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        return Response(b"done", media_type="text/plain")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        self.ways.append("asgi")
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        handler = self.hot.get(scope["path"]) if scope["method"] == "POST" else None
        if handler is None:
            await Response(b"other", media_type="text/plain")(scope, receive, send)
            return
        await (await handler(scope["headers"], body))(scope, receive, send)


@pytest.fixture()
def served() -> Iterator[tuple[_App, int, Any]]:
    app = _App()
    protocol = short_path_protocol(app.hot, max_body=1000)
    with serve_app(app, thread_name="front-test", **SETTINGS, http=protocol) as running:
        yield app, running.port, running.server


def _request(path: str = "/v1/chat/completions", body: bytes = b'{"q": 1}', *, version: str = "1.1",
             extra: str = "") -> bytes:
    return (f"POST {path} HTTP/{version}\r\nhost: t\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{extra}\r\n").encode() + body


def _read_answer(sock: socket.socket, buffer: bytearray) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One answer (content-length or chunked) from ``sock``; leftover bytes stay in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(b": ")
        headers[name.lower()] = value
    buffer[:] = rest
    if b"content-length" in headers:
        size = int(headers[b"content-length"])
        while len(buffer) < size:
            buffer += sock.recv(65536)
        body = bytes(buffer[:size])
        buffer[:] = buffer[size:]
        return status, headers, body
    assert headers.get(b"transfer-encoding") == b"chunked"
    while b"0\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    raw, _, rest = bytes(buffer).partition(b"0\r\n\r\n")
    buffer[:] = rest
    body = b""
    while raw:
        size_line, _, raw = raw.partition(b"\r\n")
        size = int(size_line, 16)
        body += raw[:size]
        raw = raw[size + 2:]
    return status, headers, body


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def test_short_path_answers_as_the_asgi_path_does(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        buffer = bytearray()
        sock.sendall(_request(extra="x-tag: a\r\n"))
        short = _read_answer(sock, buffer)
        sock.sendall(_request("/v1/chat/completions?via=asgi", extra="x-tag: a\r\n"))  # leaves the short path
        asgi = _read_answer(sock, buffer)
    assert app.ways == ["asgi"]  # only the second request went through the ASGI app
    assert short[0] == asgi[0] == b"HTTP/1.1 200 OK"
    assert short[2] == asgi[2] == b'{"echo":8,"tag":"a"}'
    # the same headers in the same order (uvicorn's date and server first), the date's value aside
    assert list(short[1]) == list(asgi[1]) == [b"date", b"server", b"x-labkit-status", b"content-length",
                                               b"content-type"]
    assert {k: v for k, v in short[1].items() if k != b"date"} == {k: v for k, v in asgi[1].items() if k != b"date"}


def test_keep_alive_serves_many_requests_on_one_connection(served: tuple[_App, int, Any]) -> None:
    app, port, server = served
    with _connect(port) as sock:
        buffer = bytearray()
        for i in range(5):
            sock.sendall(_request(body=b"x" * i))
            status, headers, body = _read_answer(sock, buffer)
            assert status == b"HTTP/1.1 200 OK" and b"connection" not in headers
            assert orjson.loads(body)["echo"] == i
    assert app.ways == [] and server.server_state.total_requests == 5


def test_http_1_0_and_connection_close_end_the_connection(served: tuple[_App, int, Any]) -> None:
    _, port, _ = served
    for request in (_request(version="1.0"), _request(extra="connection: close\r\n")):
        with _connect(port) as sock:
            sock.sendall(request)
            status, headers, _ = _read_answer(sock, bytearray())
            assert status == b"HTTP/1.1 200 OK" and headers[b"connection"] == b"close"
            assert _closed(sock)


def test_pipelined_requests_are_answered_in_order(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        buffer = bytearray()
        sock.sendall(_request(extra="x-tag: 1\r\n") + _request(extra="x-tag: 2\r\n") + _request(extra="x-tag: 3\r\n"))
        tags = [orjson.loads(_read_answer(sock, buffer)[2])["tag"] for _ in range(3)]
    assert tags == ["1", "2", "3"]
    assert app.ways == ["asgi", "asgi"]  # the two behind the first were queued by uvicorn, as before


def test_a_body_in_pieces_is_read_whole(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    body = b'{"messages": "' + b"y" * 500 + b'"}'
    request = _request(body=body)
    head, body_start = request[:-len(body)], request[-len(body):]
    with _connect(port) as sock:
        sock.sendall(head)  # as the OpenAI SDK sends it: the head, then the body
        time.sleep(0.05)
        sock.sendall(body_start[:100])
        time.sleep(0.05)
        sock.sendall(body_start[100:])
        _, _, answer = _read_answer(sock, bytearray())
    assert orjson.loads(answer)["echo"] == len(body) and app.bodies == [body]


def test_a_body_over_the_limit_gets_413(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        buffer = bytearray()
        sock.sendall(_request(body=b"z" * 1001))
        status, headers, body = _read_answer(sock, buffer)
        assert status.startswith(b"HTTP/1.1 413 ") and b"connection" not in headers
        assert orjson.loads(body)["error"]["message"] == "The request body is too large."
        sock.sendall(_request(body=b"z" * 1000))  # the limit itself is accepted, on the same connection
        assert orjson.loads(_read_answer(sock, buffer)[2])["echo"] == 1000
    assert app.bodies == [b"z" * 1000]  # the handler never saw the larger one


def test_expect_100_continue_takes_uvicorns_path(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        request = _request(extra="expect: 100-continue\r\n")
        head, body = request.split(b"\r\n\r\n", 1)
        sock.sendall(head + b"\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        status, _, answer = _read_answer(sock, bytearray())
    assert status == b"HTTP/1.1 200 OK" and orjson.loads(answer)["echo"] == len(body) and app.ways == ["asgi"]


def test_a_streamed_answer_is_sent_by_uvicorns_cycle_and_the_connection_stays_usable(
        served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        buffer = bytearray()
        sock.sendall(_request("/v1/stream"))
        status, headers, body = _read_answer(sock, buffer)
        assert status == b"HTTP/1.1 200 OK" and headers[b"content-type"].startswith(b"text/event-stream")
        assert headers[b"transfer-encoding"] == b"chunked" and body == b"data: one\n\ndata: [DONE]\n\n"
        sock.sendall(_request())  # keep-alive after a stream
        assert _read_answer(sock, buffer)[0] == b"HTTP/1.1 200 OK"
    assert app.ways == []


def test_a_failing_handler_gets_uvicorns_500_and_the_connection_closes(served: tuple[_App, int, Any]) -> None:
    _, port, _ = served
    with _connect(port) as sock:
        sock.sendall(_request("/v1/boom"))
        status, headers, body = _read_answer(sock, bytearray())
        assert status == b"HTTP/1.1 500 Internal Server Error" and body == b"Internal Server Error"
        assert headers[b"connection"] == b"close" and _closed(sock)


def test_other_requests_go_to_the_asgi_app(served: tuple[_App, int, Any]) -> None:
    app, port, _ = served
    with _connect(port) as sock:
        buffer = bytearray()
        sock.sendall(b"GET /metrics HTTP/1.1\r\nhost: t\r\n\r\n")
        assert _read_answer(sock, buffer)[2] == b"other"
        sock.sendall(_request("/v1/other"))
        assert _read_answer(sock, buffer)[2] == b"other"
        sock.sendall(b"PUT /v1/chat/completions HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n")
        assert _read_answer(sock, buffer)[2] == b"other"
        sock.sendall(b"NOT HTTP\r\n\r\n")  # a malformed request: uvicorn's 400
        assert _read_answer(sock, buffer)[0] == b"HTTP/1.1 400 Bad Request"
    assert app.ways == ["asgi"] * 3


def test_a_request_in_flight_finishes_on_shutdown_and_its_connection_closes() -> None:
    app = _App()
    with serve_app(app, thread_name="front-test", **SETTINGS,
                   http=short_path_protocol(app.hot, max_body=1000)) as running:
        with _connect(running.port) as sock:
            sock.sendall(_request("/v1/slow"))
            time.sleep(0.1)
            running.server.should_exit = True  # what SIGTERM does
            time.sleep(0.2)
            assert running.thread.is_alive()  # waiting for the request in flight
            app.release.set()
            status, headers, body = _read_answer(sock, bytearray())
            assert status == b"HTTP/1.1 200 OK" and body == b"done"
            assert headers[b"connection"] == b"close" and _closed(sock)
        running.thread.join(timeout=10)
        assert not running.thread.is_alive()


def test_the_gateway_serves_its_model_endpoints_on_the_short_path() -> None:
    import uvicorn

    from labkit.direct.gateway import GatewayConfig, GatewayFront, _server_settings, create_app

    app = create_app(GatewayConfig(upstream="http://127.0.0.1:9/v1"))
    front = GatewayFront(app)
    settings = _server_settings(front)
    protocol = settings["http"]
    assert issubclass(protocol, uvicorn.protocols.http.httptools_impl.HttpToolsProtocol)
    config = uvicorn.Config(front, **settings)
    config.load()
    assert config.http_protocol_class is protocol
    assert {k: v for k, v in settings.items() if k != "http"} == {
        "log_level": "warning", "access_log": False, "timeout_keep_alive": 30, "timeout_graceful_shutdown": 2,
        "proxy_headers": False}
    app.state.shutdown()
