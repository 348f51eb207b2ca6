"""Keep-alive HTTP/1.1 connections to the provider on the event loop (the gateway's upstream).

:class:`UpstreamPool` sends one request and returns the status, headers and whole body; the lean
transport (:class:`labkit.direct.transport.LeanTransport`) uses it when it runs on the event
loop (:mod:`labkit.direct.inline`), so the gateway's upstream I/O needs no worker thread.

A connection is an ``asyncio.Protocol`` whose bytes go straight into ``httptools``' response
parser (the C parser uvicorn itself uses). Why not httpx's or aiohttp's async client: per request
they build request/response objects, run a state machine in Python and walk a pool under a
lock, several times the CPU of this path, for a relay that only needs bytes in and bytes out.
What it does not do: redirects, cookies, proxies, HTTP/2, compression, streaming bodies
(streams go through the transport's httpx side).

Timeouts are the transport's: ``connect_s`` to connect, ``read_s`` without any byte arriving
(reset by every arriving byte, like a socket timeout). An idle connection the server closed is
noticed by the event loop (``connection_lost``) and never reused. Failures raise
:class:`UpstreamTimeout` or :class:`UpstreamBroken` (the transport maps them to the SDK's
exception types); the pool never retries.

Example:
    >>> pool = UpstreamPool("127.0.0.1", 9)
    >>> pool.request_head(b"POST", b"/v1/chat/completions", 2)[:36]
    b'POST /v1/chat/completions HTTP/1.1\\r\\n'
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Sequence

import httptools


class UpstreamTimeout(Exception):
    """Connecting or waiting for bytes took longer than allowed."""


class UpstreamBroken(Exception):
    """The connection failed: refused, reset, closed before the answer ended, or garbled."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        # the loop the connection lives on, kept: asyncio.get_running_loop() makes a getpid()
        # system call each time in Python 3.11 (three a request, round 17)
        self._loop = asyncio.get_running_loop()
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._timer: asyncio.TimerHandle | None = None
        self._read_s = 0.0

    # --- asyncio's callbacks ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._answer is None:  # bytes nobody asked for: this connection is out of step
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            return
        self._arm()  # a byte arrived: the read timeout starts again (as a socket timeout would)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamBroken(f"unreadable answer from the provider: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(UpstreamBroken("the provider closed the connection before the answer ended"))

    # --- httptools' callbacks --------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer, self._answer = self._answer, None
        self._disarm()
        if not self._parser.should_keep_alive():
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), self._headers, b"".join(self._body)))

    # --- one exchange ----------------------------------------------------------------------
    def send(self, data: bytes, read_s: float) -> asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        """Write one request; the future resolves with (status, headers, body)."""
        assert self.transport is not None
        self._answer = self._loop.create_future()
        self._headers, self._body = [], []
        self._read_s = read_s
        self._arm()
        self.transport.write(data)
        return self._answer

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self._read_s, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        self._fail(UpstreamTimeout(f"no answer from the provider within {self._read_s:g}s"))

    def _fail(self, exc: Exception) -> None:
        answer, self._answer = self._answer, None
        self._disarm()
        if answer is not None and not answer.done():
            self.close()  # a half-read answer leaves the connection unusable
            answer.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        self._disarm()
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Keep-alive connections to one ``host:port`` for one event loop (not thread-safe)."""

    def __init__(self, host: str, port: int, *, https: bool = False, max_idle: int = 64) -> None:
        self.host, self.port, self.max_idle = host, port, max_idle
        self._ssl = ssl.create_default_context() if https else None
        self._host_header = f"{host}:{port}".encode()
        # (method, target, extra headers) -> the head up to its content length: the same few
        # heads on every request, built once each
        self._heads: dict[tuple[bytes, bytes, tuple[tuple[bytes, bytes], ...]], bytes] = {}
        self._idle: deque[_Connection] = deque()
        self._all: set[_Connection] = set()
        self.opened = 0  # connections opened so far (tests: keep-alive means few)

    def request_head(self, method: bytes, target: bytes, length: int,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
        """The request line and headers (``Host`` and ``Content-Length`` included)."""
        key = (method, target, tuple(headers))
        start = self._heads.get(key)
        if start is None:
            lines = [method + b" " + target + b" HTTP/1.1", b"host: " + self._host_header]
            lines += [name + b": " + value for name, value in headers]
            start = b"\r\n".join(lines) + b"\r\ncontent-length: "
            if len(self._heads) < 256:  # a caller's passed headers vary: keep the cache small
                self._heads[key] = start
        return start + str(length).encode() + b"\r\n\r\n"

    async def _connection(self, connect_s: float) -> _Connection:
        while self._idle:
            conn = self._idle.pop()  # the most recently used: the likeliest to be alive
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
            self._all.discard(conn)
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Connection, self.host, self.port, ssl=self._ssl,
                                       server_hostname=self.host if self._ssl else None), connect_s)
        except TimeoutError:
            raise UpstreamTimeout(f"could not connect to {self.host}:{self.port} within {connect_s:g}s") from None
        except OSError as exc:
            raise UpstreamBroken(f"could not connect to {self.host}:{self.port}: {exc}") from exc
        self.opened += 1
        self._all.add(conn)
        return conn

    async def request(self, method: bytes, target: bytes, body: bytes, headers: Sequence[tuple[bytes, bytes]],
                      connect_s: float, read_s: float) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """One exchange: (status, headers, body); UpstreamTimeout / UpstreamBroken on failure."""
        conn = await self._connection(connect_s)
        try:
            answer = await conn.send(self.request_head(method, target, len(body), headers) + body, read_s)
        except BaseException:  # timed out, broken, or the caller was cancelled mid-answer
            conn.close()
            self._all.discard(conn)
            raise
        if conn.closed or len(self._idle) >= self.max_idle:
            conn.close()
            self._all.discard(conn)
        else:
            self._idle.append(conn)
        return answer

    def close(self) -> None:
        """Close every connection (call on the pool's event loop, or after it stopped)."""
        for conn in list(self._all):
            try:
                conn.close()
            except RuntimeError:  # the loop is already closed: the socket goes with it
                pass
        self._all.clear()
        self._idle.clear()
