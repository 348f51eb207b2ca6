"""The gateway's HTTP front: uvicorn's httptools protocol with a short path for the model endpoints.

Why a hand-written subclass: for every request, uvicorn's ``HttpToolsProtocol`` builds an ASGI
scope (a dict, a copy of the app state, the parsed URL), a ``RequestResponseCycle`` with an
``asyncio.Event``, starts the app's task as soon as the headers are in (so a body that arrives as
its own segment, as the OpenAI SDK sends it, wakes that task once more), passes the body and the
answer as ASGI message dicts, and checks every answer header with two regular expressions. The
gateway's two model endpoints need none of that: their handlers take ``(headers, body)`` and
return a Starlette ``Response`` whose headers the gateway built itself. No server library offers
"a plain callback for these paths, ASGI for the rest" (Granian's RSGI and uvicorn's ``zttp``
protocol were measured no faster here: ``loadtests/RESULTS.md``, round 13), hence this subclass.

What takes the short path: a ``POST`` to exactly one of the hot paths (no query string), not
pipelined behind an unfinished answer, without ``Expect: 100-continue`` or an upgrade, with no
``limit_concurrency`` set. Its body is collected as it arrives (at most ``max_body`` bytes: a larger
one is read to its end and gets a 413, as on the ASGI path), the handler runs in a task once the body is complete,
and an answer whose class uses Starlette's plain ``Response.__call__`` is written as uvicorn
writes it (the status line, uvicorn's default ``server``/``date`` headers, the answer's headers,
``connection: close`` when the connection ends, then the body; uvicorn's bytes, in one write where
uvicorn makes two) followed by the answer's ``background`` work. Any other answer (a ``StreamingResponse``) is handed to a regular uvicorn
``RequestResponseCycle`` and runs as ASGI.

What stays uvicorn's own code, unchanged, for every request: the connection (keep-alive and its
timeout, flow control, 400 on a malformed request), pipelined requests (queued until the answer
before them is complete), graceful shutdown (a request in flight finishes and its connection then
closes), the task bookkeeping the server waits for, and every other request (routed to the ASGI
app, which still serves the hot paths too when a request leaves the short path).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import (
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

HotHandler = Callable[[list[tuple[bytes, bytes]], bytes], Awaitable[Any]]

_INTERNAL_ERROR = (b"content-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n"
                   b"connection: close\r\n\r\nInternal Server Error")
_TOO_LARGE = b'{"error":{"message":"The request body is too large.","type":"invalid_request_error","param":null,"code":null}}'


class _NoEvent:
    """Stands in for the cycle's ``asyncio.Event``: uvicorn sets it on a disconnect; nobody waits."""

    __slots__ = ()

    def set(self) -> None:
        pass


_NO_EVENT = _NoEvent()


class _ShortCycle:
    """One short-path request: the attributes uvicorn's connection code reads from a cycle
    (``response_complete``, ``disconnected``, ``keep_alive``, ``message_event``) and its body."""

    __slots__ = (
        "disconnected",
        "handler",
        "headers",
        "http_version",
        "keep_alive",
        "message_event",
        "parts",
        "path",
        "response_complete",
        "size",
    )

    def __init__(self, headers: list[tuple[bytes, bytes]], path: bytes, keep_alive: bool,
                 handler: HotHandler, http_version: str) -> None:
        self.headers = headers
        self.path = path
        self.parts: list[bytes] = []
        self.size = 0
        self.keep_alive = keep_alive
        self.handler = handler
        self.http_version = http_version
        self.response_complete = False
        self.disconnected = False
        self.message_event = _NO_EVENT


def _plain(response: Any) -> bool:
    """True when ``response`` is sent by Starlette's plain ``Response.__call__`` (head, body, background)."""
    return isinstance(response, Response) and type(response).__call__ is Response.__call__


def short_path_protocol(hot: dict[str, HotHandler], max_body: int) -> type[HttpToolsProtocol]:
    """A uvicorn HTTP protocol class (``uvicorn.Config(http=...)``) with the short path for ``hot``.

    ``hot`` maps a path (``"/v1/chat/completions"``) to ``handler(headers, body) -> Response``
    (headers as ASGI gives them: lower-case names, bytes); ``max_body`` is the largest body accepted.
    """
    paths = {path.encode("ascii"): handler for path, handler in hot.items()}

    class ShortPathProtocol(HttpToolsProtocol):
        """uvicorn's protocol; POSTs to the hot paths skip the ASGI layer (module docstring)."""

        def on_message_begin(self) -> None:
            # the scope is built only for requests that leave the short path (_to_asgi)
            self.url = b""
            self.expect_100_continue = False
            self.headers = []

        def _to_asgi(self) -> None:
            headers, url, expect = self.headers, self.url, self.expect_100_continue
            HttpToolsProtocol.on_message_begin(self)  # uvicorn's scope, as it would have built it
            self.headers = self.scope["headers"] = headers
            self.url, self.expect_100_continue = url, expect
            HttpToolsProtocol.on_headers_complete(self)

        def on_headers_complete(self) -> None:
            handler = paths.get(self.url)
            parser = self.parser
            if (handler is None or parser.get_method() != b"POST" or self.expect_100_continue
                    or parser.should_upgrade() or self.limit_concurrency is not None
                    or (self.cycle is not None and not self.cycle.response_complete)):
                self._to_asgi()  # anything else, and a pipelined request: uvicorn's own path
                return
            http_version = parser.get_http_version()
            keep_alive = http_version != "1.0" and parser.should_keep_alive()
            self.cycle = _ShortCycle(self.headers, self.url, keep_alive, handler, http_version)  # type: ignore[assignment]

        def on_body(self, body: bytes) -> None:
            cycle: Any = self.cycle  # a _ShortCycle on the short path, else uvicorn's cycle
            if type(cycle) is not _ShortCycle:
                HttpToolsProtocol.on_body(self, body)
                return
            cycle.size += len(body)
            if cycle.size <= max_body:
                cycle.parts.append(body)
            else:
                cycle.parts = []  # keep reading to the end of the body, keep none of it

        def on_message_complete(self) -> None:
            cycle: Any = self.cycle  # a _ShortCycle on the short path, else uvicorn's cycle
            if type(cycle) is not _ShortCycle:
                HttpToolsProtocol.on_message_complete(self)
                return
            task = self.loop.create_task(self._serve_short(cycle))
            task.add_done_callback(self.tasks.discard)  # the server waits for these on shutdown
            self.tasks.add(task)

        async def _serve_short(self, cycle: _ShortCycle) -> None:
            started = False
            try:
                if cycle.size > max_body:  # the whole body was read: the connection stays usable
                    started = True
                    self._write_answer(cycle, 413, [(b"content-length", str(len(_TOO_LARGE)).encode()),
                                                    (b"content-type", b"application/json")], _TOO_LARGE)
                    return
                body = cycle.parts[0] if len(cycle.parts) == 1 else b"".join(cycle.parts)
                response = await cycle.handler(cycle.headers, body)
                if not _plain(response):
                    await self._run_as_asgi(cycle, response)
                    return
                if self.flow.write_paused and not cycle.disconnected:
                    await self.flow.drain()
                started = True
                self._write_answer(cycle, response.status_code, response.raw_headers, response.body)
                if response.background is not None:
                    await response.background()
            except BaseException as exc:  # as uvicorn's run_asgi: log, answer 500 if nothing was sent
                self.logger.error("Exception in ASGI application\n", exc_info=exc)
                if not started and not cycle.disconnected:
                    cycle.keep_alive = False
                    self._write_answer(cycle, 500, None, None)
                else:  # uvicorn closes the connection when the app fails after its answer started
                    self.transport.close()

        def _write_answer(self, cycle: _ShortCycle, status: int, headers: list[tuple[bytes, bytes]] | None,
                          body: bytes | None) -> None:
            """The head and the body, the bytes uvicorn's ``send`` writes (in one write here), and the cycle's end."""
            if cycle.disconnected:
                return
            if headers is None:  # the 500 of a failed handler (uvicorn's text)
                content = [STATUS_LINE[status], *(n + b": " + v + b"\r\n" for n, v in self.server_state.default_headers),
                           _INTERNAL_ERROR]
                self.transport.write(b"".join(content))
            else:
                # one check over all values (the same character class uvicorn tests value by value;
                # the names are the gateway's own constants)
                if HEADER_VALUE_RE.search(b"".join([value for _, value in headers])):
                    raise RuntimeError("Invalid HTTP header value.")
                content = [STATUS_LINE[status]]
                for name, value in self.server_state.default_headers:
                    content += (name, b": ", value, b"\r\n")
                for name, value in headers:
                    content += (name, b": ", value, b"\r\n")
                if not cycle.keep_alive:
                    content.append(b"connection: close\r\n")
                content.append(b"\r\n")
                if body:
                    content.append(body)
                # head and body in one write: one send() and one TCP segment, where uvicorn's two
                # writes cost two system calls and woke the caller twice (round 17); same bytes
                self.transport.write(b"".join(content))
            cycle.response_complete = True
            if not cycle.keep_alive:
                self.transport.close()
            self.on_response_complete()  # uvicorn's: the next pipelined request, or the keep-alive timer

        async def _run_as_asgi(self, cycle: _ShortCycle, response: Any) -> None:
            """An answer that is not a plain one (a stream): sent by a regular uvicorn cycle."""
            scope = self._scope_for(cycle)
            asgi_cycle = RequestResponseCycle(
                scope=scope, transport=self.transport, flow=self.flow, logger=self.logger,
                access_logger=self.access_logger, access_log=self.access_log,
                default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
                expect_100_continue=False, keep_alive=cycle.keep_alive, on_response=self.on_response_complete)
            asgi_cycle.more_body = False  # the body was read on the short path
            asgi_cycle.disconnected = cycle.disconnected
            current: Any = self.cycle
            if current is cycle:  # from here on, the connection's events go to the real cycle
                self.cycle = asgi_cycle
            cycle.response_complete = True
            await asgi_cycle.run_asgi(response)

        def _scope_for(self, cycle: _ShortCycle) -> Any:  # uvicorn's HTTPScope
            return {"type": "http", "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
                    "http_version": cycle.http_version, "server": self.server, "client": self.client,
                    "scheme": self.scheme, "root_path": self.root_path, "headers": cycle.headers,
                    "state": self.app_state.copy(), "method": "POST", "path": cycle.path.decode("ascii"),
                    "raw_path": cycle.path, "query_string": b""}

    return ShortPathProtocol

