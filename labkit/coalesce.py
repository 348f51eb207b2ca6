"""One socket write per response: uvicorn's HTTP protocol with writes gathered per loop turn.

Why: uvicorn writes a response's status line and headers when the app sends
``http.response.start`` and the body when it sends ``http.response.body``: two ``send``
system calls for every small JSON answer, and with ``TCP_NODELAY`` two TCP segments the caller
must read apart. Profiling the gateway (py-spy, round 6) put about 47% of its event loop's
samples in socket writes. An ASGI app cannot fix that (ASGI keeps head and body as two
messages), and uvicorn has no option for it, hence this small module.

How: :class:`CoalescingHttpProtocol` is uvicorn's ``httptools`` protocol whose transport is a
:class:`CoalescingTransport`. The first ``write`` of a loop turn is held and a flush is
scheduled with ``loop.call_soon``; further writes in the same turn join it. A plain response
(``await send(start); await send(body)`` with nothing awaited in between, as Starlette's
``Response`` does) therefore leaves as one write, at the end of the turn that produced it. A
streamed response still leaves chunk by chunk, each in its own turn, so nothing waits longer
than one turn of the loop (microseconds). ``close()`` flushes what is held before closing;
``abort()`` drops it, as an abort drops the kernel's buffer too.

What it does not do: it does not change what is sent, only how many system calls carry it,
and it does not buffer across loop turns (that would be Nagle's algorithm, which
``TCP_NODELAY`` turned off on purpose). Flow control still sees the real transport: at most
one loop turn's bytes are outside its count.

Use it with ``uvicorn.Config(app, http=CoalescingHttpProtocol)``; the gateway does
(:mod:`labkit.direct.gateway`).

Example:
    >>> import asyncio
    >>> class Sink:
    ...     def __init__(self): self.writes = []
    ...     def write(self, data): self.writes.append(data)
    ...     def is_closing(self): return False
    >>> async def demo():
    ...     sink = Sink()
    ...     t = CoalescingTransport(sink, asyncio.get_running_loop())
    ...     t.write(b"HTTP/1.1 200 OK\\r\\n\\r\\n"); t.write(b"{}")
    ...     await asyncio.sleep(0)
    ...     return sink.writes
    >>> asyncio.run(demo())
    [b'HTTP/1.1 200 OK\\r\\n\\r\\n{}']
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that passes one loop turn's writes to ``inner`` as one write.

    Every attribute but ``write``, ``writelines``, ``close``, ``abort`` and ``set_protocol``
    is the inner transport's own.
    """

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._held: list[bytes] = []

    def __getattr__(self, name: str) -> Any:
        # is_closing, get_extra_info, pause_reading, resume_reading, ... : the real transport's
        return getattr(self._inner, name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            # first write of this loop turn: hold it, send everything gathered at the turn's end
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Send what this turn gathered, as one write (a no-op when nothing is held)."""
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held = []
        if not self._inner.is_closing():
            self._inner.write(data)

    def close(self) -> None:
        self.flush()  # what the app wrote goes out before the connection closes
        self._inner.close()

    def abort(self) -> None:
        self._held = []
        self._inner.abort()

    def set_protocol(self, protocol: Any) -> None:
        self.flush()  # an upgrade hands the connection over: nothing may stay behind
        self._inner.set_protocol(protocol)


class CoalescingHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
