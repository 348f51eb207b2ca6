"""One socket write per response (labkit.coalesce): the transport's rules, then real uvicorn."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from labkit.coalesce import CoalescingHttpProtocol, CoalescingTransport
from labkit.direct.gateway import _UVICORN_SETTINGS
from labkit.serving import serve_app


class _Sink:
    """A stand-in transport that records what reaches it."""

    def __init__(self) -> None:
        self.log: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.log.append(("write", bytes(data)))

    def close(self) -> None:
        self.closing = True
        self.log.append(("close", b""))

    def abort(self) -> None:
        self.closing = True
        self.log.append(("abort", b""))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def _run(steps: Any) -> _Sink:
    async def main() -> _Sink:
        sink = _Sink()
        await steps(CoalescingTransport(sink, asyncio.get_running_loop()))
        await asyncio.sleep(0)  # let the last scheduled flush run
        return sink
    return asyncio.run(main())


def test_writes_of_one_loop_turn_leave_as_one_write_in_order() -> None:
    async def steps(t: CoalescingTransport) -> None:
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(memoryview(b'{"a":'))
        t.writelines([b"1", b"}"])
    assert _run(steps).log == [("write", b'HTTP/1.1 200 OK\r\n\r\n{"a":1}')]


def test_writes_of_different_turns_stay_apart_so_a_stream_is_not_delayed() -> None:
    async def steps(t: CoalescingTransport) -> None:
        t.write(b"head+chunk1")
        await asyncio.sleep(0)
        t.write(b"chunk2")
        await asyncio.sleep(0)
        t.write(b"chunk3")
    assert _run(steps).log == [("write", b"head+chunk1"), ("write", b"chunk2"), ("write", b"chunk3")]


def test_close_sends_what_is_held_first_and_abort_drops_it() -> None:
    async def closing(t: CoalescingTransport) -> None:
        t.write(b"last answer")
        t.close()
    assert _run(closing).log == [("write", b"last answer"), ("close", b"")]

    async def aborting(t: CoalescingTransport) -> None:
        t.write(b"never sent")
        t.abort()
    assert _run(aborting).log == [("abort", b"")]


def test_empty_writes_and_a_closed_inner_transport_send_nothing() -> None:
    async def steps(t: CoalescingTransport) -> None:
        t.write(b"")
        await asyncio.sleep(0)
        t.write(b"late")
        t._inner.closing = True  # the peer went away before the turn ended
    assert _run(steps).log == []


def test_everything_else_is_the_inner_transports() -> None:
    async def steps(t: CoalescingTransport) -> None:
        assert t.get_extra_info("peername") == ("127.0.0.1", 1)
        assert t.is_closing() is False
    _run(steps)


# --- real uvicorn, real sockets: count the writes that reach the socket's transport ------------

class _Counting:
    """Wraps the event loop's transport and counts the writes that reach it."""

    def __init__(self, inner: Any, log: list[bytes]) -> None:
        self._inner, self._log = inner, log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def write(self, data: bytes) -> None:
        self._log.append(bytes(data))
        self._inner.write(data)


class _CountedCoalescing(CoalescingHttpProtocol):
    writes: ClassVar[list[bytes]] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Counting(transport, self.writes))  # type: ignore[arg-type]


class _CountedPlain(HttpToolsProtocol):
    writes: ClassVar[list[bytes]] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Counting(transport, self.writes))  # type: ignore[arg-type]


async def _json(_request: Any) -> JSONResponse:
    return JSONResponse({"answer": "ok"})


async def _stream(_request: Any) -> StreamingResponse:
    async def parts() -> Any:
        for i in range(3):
            await asyncio.sleep(0.01)  # each chunk in its own loop turn, as a model's tokens arrive
            yield f"data: {i}\n\n".encode()
    return StreamingResponse(parts(), media_type="text/event-stream")


_APP = Starlette(routes=[Route("/json", _json), Route("/stream", _stream)])


@pytest.mark.parametrize("protocol, writes_per_answer", [(_CountedCoalescing, 1), (_CountedPlain, 2)])
def test_a_plain_answer_is_one_socket_write_and_was_two_before(protocol: Any, writes_per_answer: int) -> None:
    protocol.writes.clear()
    with serve_app(_APP, thread_name="labkit-test-coalesce", log_level="warning", http=protocol) as served, \
            httpx.Client(base_url=f"http://127.0.0.1:{served.port}") as client:
        answers = [client.get("/json") for _ in range(3)]  # one keep-alive connection
    assert [a.json() for a in answers] == [{"answer": "ok"}] * 3
    assert len(protocol.writes) == 3 * writes_per_answer
    assert all(w.startswith(b"HTTP/1.1 200 OK") for w in protocol.writes[::writes_per_answer])


def test_a_stream_still_leaves_chunk_by_chunk() -> None:
    _CountedCoalescing.writes.clear()
    with serve_app(_APP, thread_name="labkit-test-coalesce", log_level="warning",
                   http=_CountedCoalescing) as served, \
            httpx.Client(base_url=f"http://127.0.0.1:{served.port}") as client:
        body = client.get("/stream").text
    assert body == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    # the head may share a write with the first chunk, but the chunks were not held back together
    assert sum(b"data: " in w for w in _CountedCoalescing.writes) == 3
    assert len(_CountedCoalescing.writes) >= 3


def test_the_gateway_serves_with_one_write_per_answer() -> None:
    assert _UVICORN_SETTINGS["http"] is CoalescingHttpProtocol
