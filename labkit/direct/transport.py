"""How the resilient client's requests travel: the official SDK, or a lean httpx transport.

Every control of the call path (redaction, cache, budget, breaker, retry, fallback,
validation, telemetry) is the same code whichever transport carries the request; a transport
only sends one request and hands back what came back. :class:`Transport` is that small
protocol:

- :meth:`~Transport.chat` / :meth:`~Transport.embed`: one JSON request; a :class:`Reply`
  (status, headers, the parsed body and, where the transport has it, the raw bytes, which the
  gateway relays untouched when no control changed the answer);
- :meth:`~Transport.stream_chat`: an SSE stream as an iterator of parsed ``data:`` chunks
  (stops at ``[DONE]``; an ``error`` chunk raises), with ``close()``;
- failures are raised as the ``openai`` SDK's own exception types (``APIStatusError``
  subclasses with the response headers and error body, ``APITimeoutError``,
  ``APIConnectionError``, ``APIError`` for an error inside a stream), so
  :func:`labkit.controls.retry.classify`, ``Retry-After`` handling and the content-policy
  rule read both transports alike.

Two implementations:

- :class:`SdkTransport` (the default of :class:`~labkit.direct.ResilientClient`): the
  official ``openai`` SDK, its low-level ``post`` with the body already in wire format (auth,
  base URL, error types, SSE decoding are the SDK's); with ``sdk_fast_path=False`` its
  ``create()`` methods.
- :class:`LeanTransport` (the gateway's default): JSON requests on one keep-alive
  ``http.client`` connection per calling thread (the standard library's HTTP/1.1 client:
  about 0.13 ms of CPU per request here against 0.32 ms for an httpx transport and 0.27 ms
  for bare httpcore, measured on the mock provider), streams on a small ``httpx`` pool per
  thread; bodies serialised and parsed with ``orjson``. Called inline on an event loop (the
  gateway: :mod:`labkit.direct.inline`), the same JSON request goes over the loop's
  keep-alive pool instead (:mod:`labkit.direct.upstream`) and only the calling request waits.
  It skips what a relay does not need (the SDK's request options, response models, the
  client layer's cookies, auth flow and redirects) and builds the SDK's exception from the
  response only when a request failed.

It does not retry, time out on its own or decide anything: the client's controls do.

Example:
    >>> t = LeanTransport("http://127.0.0.1:9/v1", "lab-key")
    >>> t.url("/chat/completions")
    'http://127.0.0.1:9/v1/chat/completions'
    >>> t.close()
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx
import httpx2
import openai
import orjson
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from labkit.direct.inline import await_only, inline
from labkit.direct.upstream import UpstreamBroken, UpstreamPool, UpstreamTimeout

TransportName = str  # "sdk" | "lean"


class RequestTimeout(NamedTuple):
    """Limits of one attempt: reading (first byte, then between reads) and connecting, in s."""

    read_s: float
    connect_s: float


@dataclass(slots=True)
class Reply:
    """One answered request: status, headers, the parsed JSON body, the raw bytes if kept."""

    status: int
    headers: Mapping[str, str]
    data: dict[str, Any]
    raw: bytes | None = None


class ChunkStream(Protocol):
    """The parsed ``data:`` chunks of an SSE stream; ``close()`` drops the connection."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """What the resilient client needs to reach an OpenAI-compatible provider."""

    name: str

    def chat(self, body: dict[str, Any], timeout: RequestTimeout,
             headers: dict[str, str] | None) -> Reply:
        """``POST /chat/completions`` (not streamed)."""
        ...

    def stream_chat(self, body: dict[str, Any], timeout: RequestTimeout,
                    headers: dict[str, str] | None) -> ChunkStream:
        """``POST /chat/completions`` with ``stream: true``; raises on an error status."""
        ...

    def embed(self, body: dict[str, Any], timeout: RequestTimeout,
              headers: dict[str, str] | None) -> Reply:
        """``POST /embeddings`` (vectors as float lists)."""
        ...

    def models(self, timeout_s: float) -> list[str]:
        """The provider's model ids (``GET /models``)."""
        ...

    def close(self) -> None:
        """Close the connections."""
        ...


def _stream_error(data: dict[str, Any], request: httpx2.Request) -> openai.APIError:
    # the SDK's rule (openai._streaming.Stream): a chunk carrying "error" ends the stream
    error = data.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    if not message or not isinstance(message, str):
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=request, body=error)


# --- the official SDK ------------------------------------------------------------------------

class _SdkChunks:
    """The SDK's stream of plain dicts (``cast_to=object``: no response models per chunk)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for chunk in self._stream:
            yield chunk if isinstance(chunk, dict) else chunk.model_dump()

    def close(self) -> None:
        self._stream.close()


class SdkTransport:
    """The official ``openai`` SDK (its own retries off: the retry policy is the client's)."""

    name = "sdk"

    def __init__(self, base_url: str, api_key: str, *, connect_s: float = 2.0, read_s: float = 10.0,
                 default_headers: dict[str, str] | None = None, fast_path: bool = True) -> None:
        self.sdk = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0,
                                 timeout=openai.Timeout(read_s, connect=connect_s),
                                 default_headers=default_headers or None)
        self.fast_path = fast_path

    def _options(self, timeout: RequestTimeout, headers: dict[str, str] | None) -> Any:
        options: dict[str, Any] = {"timeout": openai.Timeout(timeout.read_s, connect=timeout.connect_s),
                                   "security": {"bearer_auth": True}}
        if headers:
            options["headers"] = headers
        return options

    def _post(self, path: str, body: dict[str, Any], timeout: RequestTimeout,
              headers: dict[str, str] | None) -> Reply:
        # The body is already in wire format, so the SDK's low-level post (same client: auth,
        # base URL, error types) skips create()'s params transform (1-2 ms of CPU per call in
        # openai 3.x) and, asked for the raw response, its response models too.
        resp = self.sdk.post(path, body=body, cast_to=httpx2.Response, options=self._options(timeout, headers))
        raw = resp.content
        return Reply(resp.status_code, resp.headers, orjson.loads(raw), raw)

    def chat(self, body: dict[str, Any], timeout: RequestTimeout, headers: dict[str, str] | None) -> Reply:
        if self.fast_path:
            return self._post("/chat/completions", body, timeout, headers)
        made: ChatCompletion = self.sdk.chat.completions.create(
            **body, timeout=openai.Timeout(timeout.read_s, connect=timeout.connect_s), extra_headers=headers)
        return Reply(200, {}, made.model_dump(), None)

    def stream_chat(self, body: dict[str, Any], timeout: RequestTimeout,
                    headers: dict[str, str] | None) -> ChunkStream:
        if self.fast_path:
            stream = self.sdk.post("/chat/completions", body=body, cast_to=object,
                                   options=self._options(timeout, headers), stream=True,
                                   stream_cls=openai.Stream[object])
        else:
            stream = self.sdk.chat.completions.create(
                **body, timeout=openai.Timeout(timeout.read_s, connect=timeout.connect_s),
                extra_headers=headers)
        return _SdkChunks(stream)

    def embed(self, body: dict[str, Any], timeout: RequestTimeout, headers: dict[str, str] | None) -> Reply:
        if self.fast_path:
            return self._post("/embeddings", {**body, "encoding_format": "float"}, timeout, headers)
        made: CreateEmbeddingResponse = self.sdk.embeddings.create(
            **body, timeout=openai.Timeout(timeout.read_s, connect=timeout.connect_s), extra_headers=headers)
        return Reply(200, {}, made.model_dump(), None)

    def models(self, timeout_s: float) -> list[str]:
        return [m.id for m in self.sdk.models.list(timeout=timeout_s)]

    def close(self) -> None:
        self.sdk.close()


# --- lean httpx ------------------------------------------------------------------------------

class _SseChunks:
    """SSE ``data:`` events of an httpx response, parsed with orjson, until ``[DONE]``."""

    def __init__(self, response: httpx.Response, on_error: Any) -> None:
        self._response, self._on_error = response, on_error

    def __iter__(self) -> Iterator[dict[str, Any]]:
        buffer = b""
        try:
            for piece in self._response.iter_raw():
                buffer += piece
                if b"\r" in buffer:
                    buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                while True:
                    end = buffer.find(b"\n\n")
                    if end < 0:
                        break
                    event, buffer = buffer[:end], buffer[end + 2:]
                    data = b"\n".join(line[5:].lstrip(b" ") if line.startswith(b"data:") else b""
                                      for line in event.split(b"\n") if line.startswith(b"data:"))
                    if not data:
                        continue  # a comment, an id or an event name without data
                    if data.startswith(b"[DONE]"):
                        return
                    chunk = orjson.loads(data)
                    if isinstance(chunk, dict) and chunk.get("error"):
                        raise self._on_error(chunk)
                    yield chunk
        except httpx.TimeoutException as exc:
            raise openai.APITimeoutError(request=_sdk_request(self._response.request)) from exc
        except httpx.TransportError as exc:
            raise openai.APIConnectionError(request=_sdk_request(self._response.request)) from exc
        finally:
            self._response.close()

    def close(self) -> None:
        self._response.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether an idle keep-alive socket was closed (or written to) by the server.

    A non-blocking peek: end-of-file (or unexpected bytes, or an error) means the connection
    cannot carry the next request; "nothing to read yet" means it is alive.
    """
    sock.settimeout(0)  # a socket with a timeout would wait for data despite MSG_DONTWAIT
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)  # b"" (closed) or stray bytes
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def _sdk_request(request: httpx.Request) -> httpx2.Request:
    """The SDK's request type for an exception (built only on the failure path)."""
    return httpx2.Request(request.method, str(request.url))


class LeanTransport:
    """Per-thread keep-alive connections, orjson bodies, raw bytes kept for relaying.

    JSON requests (chat, embeddings, models) go over one ``http.client`` connection per
    calling thread: the request is written in one ``send`` (headers and body together) and the
    response read whole. Why not httpx here: per request it builds request/response models,
    runs h11's state machine and walks its pool under a lock, 2.5x the CPU of ``http.client``
    for a relay that needs none of it. An idle connection the server closed is noticed before
    it is reused (a non-blocking ``MSG_PEEK`` reads end-of-file) and replaced; any other
    failure closes it and raises the SDK's exception, and the client's retry policy decides.

    Streams go over httpx's ``HTTPTransport`` (the layer below ``httpx.Client``), one small
    pool per thread: one pool shared by the gateway's 50-128 worker threads cost more than it
    saved (httpcore walks all its connections under one lock on every request).
    """

    name = "lean"

    def __init__(self, base_url: str, api_key: str, *, connect_s: float = 2.0, read_s: float = 10.0,
                 default_headers: dict[str, str] | None = None, keepalive_per_thread: int = 2) -> None:
        self.base_url = base_url.rstrip("/")
        self._keepalive = keepalive_per_thread
        self._local = threading.local()
        self._pools: list[httpx.HTTPTransport] = []
        self._pools_lock = threading.Lock()
        self._headers = [(b"authorization", b"Bearer " + api_key.encode()),
                         (b"content-type", b"application/json"), (b"accept", b"application/json"),
                         (b"user-agent", b"labkit-gateway")]
        self._headers += [(k.lower().encode(), v.encode()) for k, v in (default_headers or {}).items()]
        self._stream_url = httpx.URL(self.url("/chat/completions"))  # streams are the httpx side
        # the http.client side: where to connect, the path prefix, the same headers as a dict
        split = urlsplit(self.base_url)
        self._https = split.scheme == "https"
        self._host = split.hostname or "127.0.0.1"
        self._port = split.port or (443 if self._https else 80)
        self._prefix = split.path.rstrip("/")
        self._plain = {k.decode(): v.decode() for k, v in self._headers}
        self._conns: list[http.client.HTTPConnection] = []
        # the event-loop side (inline calls, labkit.direct.inline): one pool for the loop in use
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0  # the thread the pool's loop was last seen running on
        self._upstream: UpstreamPool | None = None
        # only its error factory is used: the SDK's own mapping from a response to an exception
        self._errors = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0)

    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.base_url + path

    def _stream_request(self, body: dict[str, Any], timeout: RequestTimeout,
                        headers: dict[str, str] | None) -> httpx.Request:
        hdrs = self._headers
        if headers:
            hdrs = hdrs + [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        request = httpx.Request("POST", self._stream_url, headers=hdrs, content=orjson.dumps(body))
        request.extensions["timeout"] = {"connect": timeout.connect_s, "read": timeout.read_s,
                                         "write": timeout.read_s, "pool": timeout.connect_s}
        return request

    def _pool(self) -> httpx.HTTPTransport:
        pool: httpx.HTTPTransport | None = getattr(self._local, "pool", None)
        if pool is None:
            pool = httpx.HTTPTransport(limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=self._keepalive, keepalive_expiry=30.0))
            with self._pools_lock:
                self._pools.append(pool)
            self._local.pool = pool
        return pool

    def _open_stream(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._pool().handle_request(request)
            if response.status_code >= 400:
                response.read()
        except httpx.TimeoutException as exc:
            raise openai.APITimeoutError(request=_sdk_request(request)) from exc
        except httpx.TransportError as exc:
            raise openai.APIConnectionError(request=_sdk_request(request)) from exc
        if response.status_code >= 400:
            response.close()
            raise self._status_error("POST", "/chat/completions", response.status_code,
                                     list(response.headers.raw), response.content)
        return response

    def _status_error(self, method: str, path: str, status: int, headers: list[tuple[Any, Any]],
                      content: bytes) -> openai.APIStatusError:
        """The SDK's own exception for an error status (its mapping from a response)."""
        return self._errors._make_status_error_from_response(httpx2.Response(
            status, headers=headers, content=content, request=httpx2.Request(method, self.url(path))))

    def _connection(self, timeout: RequestTimeout) -> http.client.HTTPConnection:
        """This thread's connection, open, with the read timeout of this request."""
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.sock is not None and _closed_by_peer(conn.sock):
            conn.close()  # the server dropped the idle connection: open a new one below
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = kind(self._host, self._port, timeout=timeout.connect_s)
            with self._pools_lock:
                self._conns.append(conn)
            self._local.conn = conn
        if conn.sock is None:
            conn.timeout = timeout.connect_s  # the connect timeout ...
            conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(timeout.read_s)  # ... then the read timeout, for this request
        return conn

    def _exchange(self, method: str, path: str, content: bytes | None, timeout: RequestTimeout,
                  headers: dict[str, str] | None) -> tuple[int, list[tuple[Any, Any]], bytes]:
        """One request on this thread's connection: status, headers (text here, bytes from the
        loop), the whole body.

        Run inline on the event loop (the gateway), the same request goes through the loop's
        :class:`~labkit.direct.upstream.UpstreamPool` instead, and only this call waits.
        """
        if inline():
            return await_only(self._exchange_on_loop(method, path, content, timeout, headers))
        sent = self._plain if not headers else {**self._plain, **{k.lower(): v for k, v in headers.items()}}
        conn: http.client.HTTPConnection | None = None
        try:
            conn = self._connection(timeout)
            conn.request(method, self._prefix + path, body=content, headers=sent)
            response = conn.getresponse()  # (closes the connection itself if the server said so)
            raw = response.read()
        except TimeoutError as exc:
            if conn is not None:
                conn.close()
            raise openai.APITimeoutError(request=httpx2.Request(method, self.url(path))) from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, cut, garbled
            if conn is not None:
                conn.close()
            raise openai.APIConnectionError(request=httpx2.Request(method, self.url(path))) from exc
        return response.status, response.getheaders(), raw

    def _pool_on_loop(self) -> UpstreamPool:
        """The keep-alive pool of the running event loop (a new loop gets a new pool)."""
        known = self._loop
        # A thread runs one loop at a time: when the pool's loop is running on this very thread, it
        # is the running loop. Asked without asyncio.get_running_loop(), which in Python 3.11 makes
        # a getpid() system call each time (its fork check): one a request saved (round 17).
        if (known is not None and self._upstream is not None and self._loop_thread == threading.get_ident()
                and known.is_running()):
            return self._upstream
        loop = asyncio.get_running_loop()
        if self._upstream is None or known is not loop:
            if self._upstream is not None:
                self._upstream.close()
            self._loop = loop
            self._upstream = UpstreamPool(self._host, self._port, https=self._https)
        self._loop_thread = threading.get_ident()
        return self._upstream

    async def _exchange_on_loop(self, method: str, path: str, content: bytes | None, timeout: RequestTimeout,
                                headers: dict[str, str] | None) -> tuple[int, list[tuple[Any, Any]], bytes]:
        """:meth:`_exchange` on the event loop: the same request, the same exceptions.

        The answer's headers come back as the bytes the parser gave: on a success nothing reads
        them (the reply's mapping decodes them if asked: :class:`_Headers`), on an error the
        SDK's exception is built from them as from text."""
        sent = self._headers
        if headers:  # a caller's header replaces a default of the same name, as in _exchange
            merged = {**self._plain, **{k.lower(): v for k, v in headers.items()}}
            sent = [(k.encode(), v.encode()) for k, v in merged.items()]
        try:
            status, pairs, raw = await self._pool_on_loop().request(
                method.encode(), (self._prefix + path).encode(), content or b"", sent,
                timeout.connect_s, timeout.read_s)
        except UpstreamTimeout as exc:
            raise openai.APITimeoutError(request=httpx2.Request(method, self.url(path))) from exc
        except UpstreamBroken as exc:
            raise openai.APIConnectionError(request=httpx2.Request(method, self.url(path))) from exc
        return status, pairs, raw

    def _json(self, path: str, body: dict[str, Any], timeout: RequestTimeout,
              headers: dict[str, str] | None) -> Reply:
        status, pairs, raw = self._exchange("POST", path, orjson.dumps(body), timeout, headers)
        if status >= 400:
            raise self._status_error("POST", path, status, pairs, raw)
        return Reply(status, _Headers(pairs), orjson.loads(raw), raw)

    def chat(self, body: dict[str, Any], timeout: RequestTimeout, headers: dict[str, str] | None) -> Reply:
        return self._json("/chat/completions", body, timeout, headers)

    def stream_chat(self, body: dict[str, Any], timeout: RequestTimeout,
                    headers: dict[str, str] | None) -> ChunkStream:
        request = self._stream_request(body, timeout, headers)
        response = self._open_stream(request)
        sdk_request = _sdk_request(request)
        return _SseChunks(response, lambda data: _stream_error(data, sdk_request))

    def embed(self, body: dict[str, Any], timeout: RequestTimeout, headers: dict[str, str] | None) -> Reply:
        return self._json("/embeddings", {**body, "encoding_format": "float"}, timeout, headers)

    def models(self, timeout_s: float) -> list[str]:
        status, pairs, raw = self._exchange("GET", "/models", None, RequestTimeout(timeout_s, timeout_s), None)
        if status >= 400:
            raise self._status_error("GET", "/models", status, pairs, raw)
        return [str(m["id"]) for m in orjson.loads(raw).get("data", [])]

    def close(self) -> None:
        with self._pools_lock:
            pools, self._pools = self._pools, []
            conns, self._conns = self._conns, []
        for pool in pools:
            pool.close()
        for conn in conns:
            conn.close()
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None
        self._errors.close()


class _Headers(Mapping[str, str]):
    """A reply's headers by lower-case name, decoded (latin-1) only when first read.

    The lean transport's success path never reads a reply's headers (the gateway relays the
    body; the controls read headers only from errors), so decoding and lower-casing each pair
    per request was work for nobody (round 15). Takes text pairs or the parser's bytes pairs.

    Example:
        >>> h = _Headers([(b"Content-Type", b"application/json"), ("x-request-id", "r1")])
        >>> h["content-type"], dict(h)["x-request-id"], len(h)
        ('application/json', 'r1', 2)
    """

    __slots__ = ("_decoded", "_pairs")

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self._pairs = pairs
        self._decoded: dict[str, str] | None = None

    def _map(self) -> dict[str, str]:
        if self._decoded is None:
            self._decoded = {(k.decode("latin-1") if isinstance(k, bytes) else k).lower():
                             (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in self._pairs}
        return self._decoded

    def __getitem__(self, name: str) -> str:
        return self._map()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())

    def __repr__(self) -> str:  # as received (a repr must not do the decoding it describes)
        return f"_Headers({self._pairs!r})"


def make_transport(kind: str, base_url: str, api_key: str, *, connect_s: float, read_s: float,
                   default_headers: dict[str, str] | None = None, fast_path: bool = True) -> Transport:
    """The transport named ``kind`` (``sdk`` or ``lean``)."""
    if kind == "lean":
        return LeanTransport(base_url, api_key, connect_s=connect_s, read_s=read_s,
                             default_headers=default_headers)
    return SdkTransport(base_url, api_key, connect_s=connect_s, read_s=read_s,
                        default_headers=default_headers, fast_path=fast_path)
