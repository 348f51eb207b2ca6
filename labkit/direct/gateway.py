"""The resilient client as an OpenAI-compatible gateway: the controls without code changes.

Any OpenAI client pointed at the gateway (``OPENAI_BASE_URL=http://HOST:PORT/v1``) gets
every control of ``labkit.direct`` — PII redaction, timeouts, retries, the fallback
chain, breakers, cache, budgets, rate limits, pinned versions, telemetry — because each
request is served by one shared :class:`~labkit.direct.ResilientClient`.

Endpoints: ``POST /v1/chat/completions`` (JSON and SSE streaming; a ``json_schema``
``response_format`` is validated with one repair attempt), ``POST /v1/embeddings``,
``GET /v1/models``, ``GET /metrics`` (Prometheus), ``GET /healthz`` (with breaker states).
Every answer carries ``x-labkit-*`` headers saying what happened (status, model served,
attempts, cache, fallback, cost). ``X-Lab-Fault`` is passed upstream so the mock provider's
faults can be injected through the gateway. The caller presents one key, as
``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` (:func:`labkit.apikeys.presented_key`;
two keys, or two headers that disagree, are a 401); its budget key is the key's name in
``keys`` (or a short hash of the key), or whatever an embedding app's ``authenticate`` hook
returns (the service: the authenticated user). Authentication and billing use that one
result. ``X-Labkit-Pattern`` labels telemetry.

The configuration (:class:`GatewayConfig`, YAML) is the client's configuration plus the
gateway's own fields; see the README's Direct API section for a commented example.

Errors come back in OpenAI's shape: 400 bad input or the provider's content-policy refusal
(passed on, never routed to another model), 401 bad gateway key, 429 budget or rate limit
(``type`` says which), 502 when the upstream failed in a way the caller must see.

Streams (:class:`StreamingPolicy`, per request ``X-Labkit-Stream-Mode``): pass-through relays
chunks as they arrive, and a stream that breaks after text was sent ends with an SSE ``error``
event and no ``[DONE]``, so SDKs raise instead of returning a truncated answer as complete;
retry-safe holds the answer until the upstream finished cleanly, so every break fails over
before the caller saw a byte, at the price of a first token that arrives with the last.

How a request is served: the JSON calls (chat, embeddings) of a gateway that built its own
client on the lean transport run inline on the event loop (:mod:`labkit.direct.inline`): the
client's code runs in a greenlet, its upstream request on the loop's keep-alive pool
(:mod:`labkit.direct.upstream`) and its waits (backoff, ``Retry-After``, rate limiter) as loop
sleeps, so no worker thread and no hand-off; the controls are the same code as in process.
Streams, ``/v1/models`` and a client passed in (the service's) use worker threads. A chat
call's attempt and call events (telemetry and the metrics they feed) are recorded right after
its answer's last byte went out (``ResilientClient.chat(deferred=...)``): they are bookkeeping,
not controls, so they stay out of the caller's latency; every control (budget, breaker,
ledger, cache) has acted before the answer is written. The gateway's own servers write
telemetry events and ledger rows on background threads (:mod:`labkit.telemetry.writer`),
flushed when the server stops.

It does not implement the Responses, Assistants, audio, image or file APIs.

Example:
    >>> app = create_app(GatewayConfig(upstream="http://127.0.0.1:8100/v1"))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1"))
    ['/v1/chat/completions', '/v1/embeddings', '/v1/models']
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
import uvicorn
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError, model_validator

from labkit.apikeys import presented_key
from labkit.direct.client import ResilientClient
from labkit.direct.front import short_path_protocol
from labkit.direct.inline import loop_sleep, run_inline
from labkit.direct.models import PATTERNS, CallResult, ClientConfig
from labkit.direct.transport import LeanTransport
from labkit.errors import (
    BudgetExceeded,
    ConfigError,
    ContentPolicyViolation,
    InputError,
    LabkitError,
    NotAuthenticated,
    RateLimited,
    RedactionFailed,
)
from labkit.provider.catalog import MODELS
from labkit.serving import serve_app
from labkit.telemetry import events
from labkit.telemetry.metrics import ModelCallMetrics
from labkit.telemetry.queued_ledger import QueuedLedger
from labkit.tokens import count_tokens

_log = logging.getLogger(__name__)
_PASS_HEADERS = ("x-lab-fault",)
_PASS_HEADER_NAMES = {name.encode(): name for name in _PASS_HEADERS}  # as ASGI spells them -> as passed
STREAM_MODE_HEADER = "x-labkit-stream-mode"
_STREAM_MODE_BYTES = STREAM_MODE_HEADER.encode()
StreamMode = Literal["pass_through", "retry_safe"]


class StreamingPolicy(BaseModel):
    """How the gateway relays a streamed answer (``X-Labkit-Stream-Mode`` overrides per request).

    ``pass_through``: each chunk is relayed as it arrives (first token early); a break after
    output ends the stream with an SSE error event. ``retry_safe``: the answer is held until
    the upstream finished cleanly, then relayed, so every break fails over unseen; the caller's
    first token arrives with the last.
    """

    mode: StreamMode = "pass_through"


def stream_mode(value: str | None, default: StreamMode) -> StreamMode:
    """The mode a request asked for (``retry-safe``/``retry_safe``, ``pass-through``/...).

    Example:
        >>> stream_mode("Retry-Safe", "pass_through"), stream_mode(None, "retry_safe")
        ('retry_safe', 'retry_safe')
    """
    if value is None or not value.strip():
        return default
    mode = value.strip().lower().replace("-", "_")
    if mode == "retry_safe":
        return "retry_safe"
    if mode == "pass_through":
        return "pass_through"
    raise InputError(f"{STREAM_MODE_HEADER}: {value!r} is not a stream mode; use retry-safe or pass-through")


class GatewayConfig(ClientConfig):
    """The client's configuration plus what only the gateway needs."""

    upstream: str | None = None  # overrides base_url; `--upstream` overrides both
    # the gateway only relays, so it forwards with the lean httpx transport (transport.py);
    # `transport: sdk` sends through the official SDK like the in-process client
    transport: Literal["sdk", "lean"] = "lean"
    streaming: StreamingPolicy = Field(default_factory=StreamingPolicy)
    # gateway keys a caller may present -> the budget key name; empty: any bearer token
    keys: dict[str, str] = Field(default_factory=dict)
    redact_pii: bool = True
    default_pattern: str = "direct"

    @model_validator(mode="after")
    def _upstream_is_the_base_url(self) -> GatewayConfig:
        # here, not in load(): a config built in code (GatewayConfig(upstream=...)) must not
        # keep ClientConfig's default base_url and silently forward to port 8100
        if self.upstream:
            self.base_url = self.upstream
        return self

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> GatewayConfig:
        """Read a YAML (or JSON) file, apply ``overrides``; ConfigError with a one-line reason."""
        data: dict[str, Any] = {}
        if path is not None:
            try:
                data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except OSError as exc:
                raise ConfigError(f"cannot read gateway config {path}: {exc.strerror}") from None
            except UnicodeDecodeError as exc:
                raise ConfigError(f"gateway config {path} is not UTF-8 text (byte {exc.start}): "
                                  "save it as UTF-8") from None
            except yaml.YAMLError as exc:
                raise ConfigError(f"gateway config {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
            if not isinstance(data, dict):
                raise ConfigError(f"gateway config {path} must be a mapping, not {type(data).__name__}")
            unknown = _unknown_keys(cls, data)
            if unknown:
                # a misspelt key (``retry: {max_attemps: 3}``) would otherwise be ignored silently
                raise ConfigError(f"gateway config {path}: unknown key(s) {', '.join(unknown)}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            config = cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            raise ConfigError(f"gateway config {path or '(options)'}: {where}: {err['msg']}") from None
        if config.default_pattern not in PATTERNS:
            raise ConfigError(f"gateway config: default_pattern must be one of {', '.join(PATTERNS)}")
        return config


def _unknown_keys(model: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of keys in ``data`` that ``model`` (and its nested models) does not define.

    Checked here rather than with ``extra="forbid"`` because the nested policies belong to the
    controls, which other code builds from looser mappings.
    """
    unknown: list[str] = []
    for key, value in data.items():
        field = model.model_fields.get(str(key))
        if field is None:
            unknown.append(f"{prefix}{key}")
            continue
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel) and isinstance(value, dict):
            unknown.extend(_unknown_keys(kind, value, f"{prefix}{key}."))
    return unknown


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, type_: str, code: str | None = None,
           headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, headers)


def _labkit_raw_headers(r: CallResult) -> list[tuple[bytes, bytes]]:
    """The ``x-labkit-*`` headers of an answer, encoded as ASGI sends them (latin-1, as Starlette)."""
    return [(b"x-labkit-status", r.status.encode("latin-1")),
            (b"x-labkit-model-served", (r.model_served or "none").encode("latin-1")),
            (b"x-labkit-attempts", str(r.attempts).encode("latin-1")),
            (b"x-labkit-cache", b"hit" if r.cache_hit else b"miss"),
            (b"x-labkit-fallback", (r.fallback_used or "").encode("latin-1")),
            (b"x-labkit-cost", f"{r.cost:.8f}".encode("latin-1")),
            (b"x-labkit-call-id", r.call_id.encode("latin-1")),
            (b"x-labkit-validation", (r.validation or "").encode("latin-1"))]


def _labkit_headers(r: CallResult) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in _labkit_raw_headers(r)}


class _JsonAnswer(Response):
    """A 200 JSON answer with its headers already encoded: Starlette's :class:`Response`
    (same ``__call__``, same headers in the same order: the given ones, then length and type)
    without its generic encoding of a header mapping, built once per chat answer."""

    media_type = "application/json"

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        raw_headers.append((b"content-length", str(len(body)).encode("latin-1")))
        raw_headers.append((b"content-type", b"application/json"))
        self.raw_headers = raw_headers


_FINISH = {"stop", "length", "tool_calls", "content_filter", "function_call"}


def _finish(r: CallResult | None) -> str:
    # labkit's own outcomes (cannot_answer, ...) are not OpenAI finish reasons; x-labkit-status says
    reason = r.finish_reason if r is not None else None
    return reason if reason in _FINISH else "stop"


def _completion(r: CallResult) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": r.content, "refusal": None}
    if r.tool_calls:
        message["tool_calls"] = r.tool_calls
    return {"id": r.request_id or f"chatcmpl-{r.call_id}", "object": "chat.completion",
            "created": int(time.time()), "model": r.model_served or "labkit-fallback",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": _finish(r)}],
            "usage": _usage(r)}


def _usage(r: CallResult) -> dict[str, int]:
    tokens_in, tokens_out = r.usage.get("prompt_tokens", 0), r.usage.get("completion_tokens", 0)
    return {"prompt_tokens": tokens_in, "completion_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}


def _error_response(exc: Exception) -> Response:
    """Map a labkit error to OpenAI's error shape and a fitting status."""
    msg = str(exc)
    if isinstance(exc, BudgetExceeded):
        return _error(429, msg, "budget_exceeded", "budget_exceeded")
    if isinstance(exc, RateLimited):
        return _error(429, msg, "rate_limit_exceeded", "client_rate_limited", {"retry-after": "1"})
    if isinstance(exc, ContentPolicyViolation):  # the provider's decision and reason, passed on
        return _error(400, msg, "invalid_request_error", exc.code)
    if isinstance(exc, InputError):
        return _error(400, msg, "invalid_request_error")
    if isinstance(exc, RedactionFailed):
        return _error(500, msg, "redaction_failed", "redaction_failed")
    return _error(502, msg, "upstream_error", type(exc).__name__)


def _record(work: list[Callable[[], None]]) -> None:
    """Run a call's deferred bookkeeping; a failure is logged, the answer has already gone."""
    for fn in work:
        try:
            fn()
        except Exception:
            _log.exception("labkit gateway: recording a call's telemetry failed")


class _RecordAfter:
    """Starlette's ``background`` hook of a response: the call's events, recorded on the event
    loop right after the answer's last byte was handed to the socket (nothing awaited in
    between, so the next request on the loop sees them recorded)."""

    def __init__(self, work: list[Callable[[], None]]) -> None:
        self.work = work

    async def __call__(self) -> None:
        _record(self.work)


def _recorded_after(response: Response, work: list[Callable[[], None]]) -> Response:
    if work:
        response.background = _RecordAfter(work)  # type: ignore[assignment]
    return response


@functools.lru_cache(maxsize=1024)
def _key_for_token(token: str) -> str:
    # the same few tokens arrive on every request: hash each once
    return "key-" + hashlib.sha256(token.encode()).hexdigest()[:10] if token else "anonymous"


def _warm_redactor() -> None:
    """Load the PII detector's word lists now, before the first request.

    They load on first use (about 3 s of CPU, once); a server pays that before it accepts
    traffic, not in its first callers' latency.
    """
    from labkit.controls.pii import warm_up  # lazy: only gateways that redact pay for it

    # The lists are ~100k long-lived objects built in one go; with the collector on, their
    # allocations set off 3-4 full collections that walk everything built so far (160-290 ms
    # of CPU each, measured with gc.callbacks: round 15) and free nothing. Paused here; the
    # one collection before gc.freeze() (_freeze_startup_heap) still runs.
    with _collector_paused():
        warm_up()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection inside the block (restored as it was on exit)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class _Caller:
    key: str
    pattern: str
    headers: dict[str, str]


def create_app(config: GatewayConfig | None = None, client: ResilientClient | None = None,
               threads: int = 128,
               authenticate: Callable[[list[tuple[bytes, bytes]]], str] | None = None,
               background_writes: bool = False) -> FastAPI:
    """The gateway's FastAPI app around one shared resilient client.

    ``authenticate`` maps a request's raw headers to the budget key its spend is billed to,
    or raises ``NotAuthenticated`` (401 in OpenAI's shape); by default the gateway's own
    ``keys`` (any key when empty). An embedding app (the service) passes its own.

    ``background_writes`` (the gateway's own servers): telemetry events and, for a client
    built here, ledger rows are written by background threads (:mod:`labkit.telemetry.writer`)
    instead of on the request path; ``app.state.shutdown()`` writes what is queued and stops
    them (the servers call it when they stop).
    """
    config = config or GatewayConfig()
    if config.redact_pii:
        _warm_redactor()

    def own_keys(headers: list[tuple[bytes, bytes]]) -> str:
        token = presented_key(headers)
        if config.keys:
            if token is None or token not in config.keys:
                raise NotAuthenticated("Incorrect API key provided for the labkit gateway.")
            return config.keys[token]
        return _key_for_token(token or "")

    authenticate = authenticate or own_keys
    # A client built here waits with loop_sleep and, on the lean transport, sends on the event
    # loop: its JSON calls run inline (labkit.direct.inline), with no thread hand-off. A client
    # passed in (the service's, shared with code in threads) keeps the worker threads.
    runs_inline = client is None and config.transport == "lean"
    if client is None:
        ledger = QueuedLedger(config.ledger_path) if background_writes else None
        client = ResilientClient(config, sleep=loop_sleep if runs_inline else None, ledger=ledger)
    runs_inline = runs_inline and isinstance(client.transport, LeanTransport)
    if background_writes:
        events.start_background_writer()
    metrics = ModelCallMetrics()
    metrics.attach(client)
    app = FastAPI(title="labkit gateway", version="1", docs_url=None, redoc_url=None)
    app.state.client, app.state.config, app.state.metrics = client, config, metrics
    app.state.threads_raised = False
    app.state.runs_inline = runs_inline
    stopped = threading.Event()

    def shutdown() -> None:
        """Write every queued event and ledger row, stop the writer threads (idempotent)."""
        if stopped.is_set():
            return
        stopped.set()
        if background_writes:
            events.stop_background_writer()
            if isinstance(client.ledger, QueuedLedger):
                client.ledger.stop_writer()

    app.state.shutdown = shutdown
    config_threads = threads
    # The blocking client calls run on a plain executor: handing work to it costs about half
    # of anyio's to_thread (~35 vs ~60 us of CPU a call, measured) and its idle threads are
    # reused first. Streaming bodies still iterate in anyio's pool (Starlette's choice).
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="labkit-gateway")
    app.state.executor = executor

    async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            executor, functools.partial(fn, *args, **kwargs))

    async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # a JSON call: inline on the loop when the client allows it, else on a worker thread
        if runs_inline:
            return await run_inline(fn, *args, **kwargs)
        return await in_thread(fn, *args, **kwargs)

    threads_raised = False

    def caller(headers: list[tuple[bytes, bytes]]) -> _Caller | Response:
        nonlocal threads_raised
        if not threads_raised:  # first request: we are on the server's event loop now
            _raise_thread_limit(config_threads)
            threads_raised = app.state.threads_raised = True
        try:  # one reading of the headers decides both who is let in and who pays
            key = authenticate(headers)
        except NotAuthenticated as exc:
            return _error(401, str(exc), "invalid_request_error", "invalid_api_key",
                          {"www-authenticate": "Bearer"})
        # one pass over the headers: the pattern label and the headers passed upstream (the
        # first value of each, as _header would give it)
        label: str | None = None
        passed: dict[str, str] = {}
        for name, value in headers:
            if name == b"x-labkit-pattern":
                if label is None:
                    label = value.decode("latin-1")
            elif name in _PASS_HEADER_NAMES:
                passed.setdefault(_PASS_HEADER_NAMES[name], value.decode("latin-1"))
        pattern = label or config.default_pattern
        if pattern not in PATTERNS:
            pattern = config.default_pattern
        return _Caller(key=key, pattern=pattern, headers=passed)

    def admit(headers: list[tuple[bytes, bytes]], raw: bytes) -> tuple[_Caller, dict[str, Any]] | Response:
        """Both model endpoints' preamble: who calls (else 401), then a JSON object body (else 400)."""
        who = caller(headers)
        if isinstance(who, Response):
            return who
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _error(400, "The request body is not valid JSON.", "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object.", "invalid_request_error")
        return who, body

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await chat(request.headers.raw, await request.body())

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        return await embed(request.headers.raw, await request.body())

    # The two model endpoints as plain functions of (headers, body): FastAPI's routes above
    # call them (the service mounts those routes), and the gateway's own server calls them
    # straight from ASGI (GatewayFront), skipping FastAPI's middleware and routing.
    async def chat(headers: list[tuple[bytes, bytes]], raw: bytes) -> Response:
        admitted = admit(headers, raw)
        if isinstance(admitted, Response):
            return admitted
        who, body = admitted
        messages, model = body.get("messages"), body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", "invalid_request_error", "missing_model")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty array", "invalid_request_error")
        kwargs = dict(pattern=who.pattern, key=who.key, tools=body.get("tools"),
                      tool_choice=body.get("tool_choice"),
                      temperature=body.get("temperature", 1.0), seed=body.get("seed"),
                      max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
                      redact_pii=config.redact_pii, extra_headers=who.headers or None)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            try:
                mode = stream_mode(_header(headers, _STREAM_MODE_BYTES), config.streaming.mode)
            except InputError as exc:
                return _error_response(exc)
            streamed: Response = await in_thread(_stream_response, client, messages, model, kwargs,
                                                 include_usage, mode)
            return streamed

        response_format = body.get("response_format")
        schema = None  # a json_schema response format is validated (one repair) like output_model
        if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema")
        # the call's attempt and call events (telemetry, metrics) are recorded once the answer
        # is out: bookkeeping, not a control, so not in the caller's latency (every control has
        # acted by the time client.chat returns)
        deferred: list[Callable[[], None]] = []
        try:
            result = await call(
                client.chat, messages, model, response_format=response_format,
                output_model=schema if isinstance(schema, dict) else None, deferred=deferred, **kwargs)
        except LabkitError as exc:
            return _recorded_after(_error_response(exc), deferred)
        except BaseException:
            _record(deferred)
            raise
        # the provider's answer unchanged: relay its bytes; else the answer as the client made it
        answer = result.upstream_body if result.upstream_body is not None else orjson.dumps(_completion(result))
        return _recorded_after(_JsonAnswer(answer, _labkit_raw_headers(result)), deferred)

    async def embed(headers: list[tuple[bytes, bytes]], raw: bytes) -> Response:
        admitted = admit(headers, raw)
        if isinstance(admitted, Response):
            return admitted
        who, body = admitted
        model, inputs = body.get("model"), body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(model, str) or not isinstance(inputs, list) or not inputs \
                or not all(isinstance(x, str) and x for x in inputs):
            return _error(400, "'model' and a non-empty 'input' (string or array of strings) are required",
                          "invalid_request_error")
        try:
            vectors = await call(client.embed, inputs, model, pattern=who.pattern, key=who.key,
                                      redact_pii=config.redact_pii, extra_headers=who.headers or None)
        except LabkitError as exc:
            return _error_response(exc)
        tokens = sum(count_tokens(x) for x in inputs)
        return _json(200, {"object": "list", "model": model,
                           "data": [{"object": "embedding", "index": i, "embedding": v}
                                    for i, v in enumerate(vectors)],
                           "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        who = caller(request.headers.raw)
        if isinstance(who, Response):
            return who
        try:
            listed = await in_thread(client.transport.models, 2.0)
        except Exception:  # upstream unreachable: the catalogue is still a useful answer
            listed = sorted(MODELS)
        return _json(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 1767225600, "owned_by": "labkit"} for m in listed]})

    @app.get("/metrics")
    async def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/healthz")
    async def healthz() -> Response:
        return _json(200, {"status": "ok", "upstream": config.base_url,
                           "breakers": client.breakers.snapshot()})

    app.state.hot = {"/v1/chat/completions": chat, "/v1/embeddings": embed}
    return app


_MAX_BODY = 32 * 1024 * 1024


class GatewayFront:
    """The ASGI app the gateway's server runs: the two model endpoints go straight to their
    handlers (no FastAPI middleware stack, routing or request object: ~15-20% of the event
    loop's time per request, py-spy), everything else to the FastAPI app. The server's protocol
    (``labkit.direct.front``) calls ``hot`` itself for a plain POST to those paths, without this
    ASGI call; requests that leave its short path (a query string, pipelining, ``Expect``) come here.

    Example:
        >>> front = GatewayFront(create_app(GatewayConfig(upstream="http://127.0.0.1:9/v1")))
        >>> sorted(front.hot)
        ['/v1/chat/completions', '/v1/embeddings']
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.hot: dict[str, Callable[[list[tuple[bytes, bytes]], bytes], Any]] = app.state.hot

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._on_shutdown(receive), send)
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.hot.get(scope["path"])
            if handler is not None:
                body = await _read_body(receive)
                response = _error(413, "The request body is too large.", "invalid_request_error") \
                    if body is None else await handler(scope["headers"], body)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


    def _on_shutdown(self, receive: Any) -> Any:
        """``receive`` that writes the queued events and ledger rows when the server stops.

        Here, inside the server's own shutdown: uvicorn re-raises SIGTERM/SIGINT once it has
        stopped, so code after ``server.run()`` never runs on a signal.
        """
        async def receive_and_stop() -> Any:
            message = await receive()
            if message.get("type") == "lifespan.shutdown":
                self.app.state.shutdown()
            return message
        return receive_and_stop


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body (None when larger than _MAX_BODY)."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body  # the usual case: one message
    parts = [body]
    size = len(body)
    while message.get("more_body"):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of header ``name`` (lower case, as ASGI gives names) or None."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _stream_response(client: ResilientClient, messages: list[dict[str, Any]], model: str,
                     kwargs: dict[str, Any], include_usage: bool,
                     mode: StreamMode = "pass_through") -> Response:
    """SSE in OpenAI's chunk format from the client's stream (run in the threadpool).

    ``retry_safe``: the client holds each route's text until it finished cleanly
    (``stream_chat(retry_safe=True)``: one implementation for the client and the gateway),
    so the whole answer, or an error with a proper HTTP status, is known before the first
    byte goes out; the answer then leaves as one SSE body with the ``x-labkit-*`` headers.
    """
    retry_safe = mode == "retry_safe"
    stream = client.stream_chat(messages, model, retry_safe=retry_safe, **kwargs)
    cid = "chatcmpl-" + events.new_id()[:24]
    created = int(time.time())

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, *, served: str | None = None,
              usage: dict[str, int] | None = None) -> bytes:
        obj: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created,
                               "model": served or model,
                               "choices": [] if delta is None else
                               [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if usage is not None:
            obj["usage"] = usage
        return b"data: " + orjson.dumps(obj) + b"\n\n"

    def ending(r: CallResult | None) -> Iterator[bytes]:
        served = r.model_served if r else None
        if r and r.tool_calls:
            yield chunk({"tool_calls": [{"index": i, **c} for i, c in enumerate(r.tool_calls)]}, served=served)
        yield chunk({}, _finish(r), served=served)
        if include_usage and r is not None:
            yield chunk(None, served=served, usage=_usage(r))
        yield b"data: [DONE]\n\n"

    if retry_safe:
        try:
            deltas = list(stream)  # returns once a route finished cleanly (or every route failed)
        except LabkitError as exc:
            return _error_response(exc)
        r = stream.result
        served = r.model_served if r else None
        parts = [chunk({"role": "assistant", "content": ""}, served=served)]
        parts += [chunk({"content": d}, served=served) for d in deltas]
        parts += list(ending(r))
        headers = {"cache-control": "no-cache", STREAM_MODE_HEADER: mode}
        if r is not None:
            headers.update(_labkit_headers(r))
        return Response(b"".join(parts), media_type="text/event-stream", headers=headers)

    # pull the first delta before answering, so failures that happen before any output
    # (budget, rate limit, bad input, a content-policy refusal) still get a proper HTTP status
    try:
        first = next(stream, None)
    except LabkitError as exc:
        return _error_response(exc)

    def body() -> Iterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            if first is not None:
                yield chunk({"content": first})
            for delta in stream:
                yield chunk({"content": delta})
        except LabkitError as exc:  # StreamInterrupted, or any other failure mid-stream
            err = {"error": {"message": str(exc), "type": "stream_interrupted", "code": "stream_interrupted"}}
            yield b"data: " + orjson.dumps(err) + b"\n\n"
            return  # no [DONE]: the caller must not take this as a complete answer
        yield from ending(stream.result)

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", STREAM_MODE_HEADER: mode})


@dataclass
class RunningGateway:
    """A gateway serving in a background thread (see :func:`serve_in_thread`)."""

    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def base_url(self) -> str:
        """The OpenAI base URL of the gateway (``.../v1``)."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def client(self) -> ResilientClient:
        """The shared resilient client behind the gateway."""
        client: ResilientClient = self.app.state.client
        return client


def _raise_thread_limit(limit: int) -> None:
    # sync work runs in anyio's thread pool (40 by default); 50 concurrent users need more
    try:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = limit
    except Exception:  # no running loop yet or an older anyio: keep the default
        pass


# proxy_headers off: nothing here reads the client address, and the middleware runs per request.
# (Writing each answer's head and body as one socket write instead of uvicorn's two was tried in
# round 7 and measured no faster: loadtests/RESULTS.md, "The gateway's overhead, rounds 6-7".)
_UVICORN_SETTINGS: dict[str, Any] = dict(log_level="warning", access_log=False, timeout_keep_alive=30,
                                         timeout_graceful_shutdown=2, proxy_headers=False)


def _freeze_startup_heap() -> None:
    """Exclude what start-up built (the PII detector's word lists, imports) from garbage collection.

    Those are ~130k long-lived objects in large containers: every full collection walked them
    all (0.5-1 s of CPU each on this machine, measured), and a server that keeps some objects per
    request (the response cache, metrics labels) triggers full collections now and then: a
    pause of that length in some caller's request. ``gc.freeze()`` moves them to a permanent
    generation the collector never visits (after one collection, so no garbage is frozen).
    Process-wide: called only through :func:`tune_collector_for_serving`.
    """
    gc.collect()
    gc.freeze()


def _raise_young_threshold() -> None:
    """The youngest generation's threshold to ``_GEN0_THRESHOLD`` (a higher one already set is kept)."""
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(_GEN0_THRESHOLD, young), older, oldest)


def tune_collector_for_serving() -> None:
    """Set the garbage collector up for a process whose job is serving this gateway: freeze what
    start-up built, then collect the young generation a tenth as often (``_GEN0_THRESHOLD``).

    Both settings are process-wide, so only a serving gateway process makes them: :func:`build_server`
    (``labkit gateway serve`` and the benches' gateway processes) by default. :func:`serve_in_thread`
    does not (it shares its process with a test run or a notebook kernel, whose own allocations the
    larger threshold and the frozen heap would change); pass ``tune_gc=True`` there only in a process
    that exists to serve the gateway.
    """
    _freeze_startup_heap()
    _raise_young_threshold()


# A request allocates a few hundred container objects (dicts, lists, the event and the result)
# and frees almost all of them by reference counting before it ends; CPython's default of a
# young collection every 700 net allocations then ran one every ~2-3 requests, each scanning
# whatever happened to be alive, and every 10th of them a middle-generation one. Ten times the
# threshold runs a tenth as many, each about as costly (what is alive at that moment is the
# requests in flight, not the allocations since the last one): measured in round 15.
_GEN0_THRESHOLD = 7_000


def _server_settings(front: GatewayFront) -> dict[str, Any]:
    """uvicorn's settings for the gateway: ``_UVICORN_SETTINGS`` and the short-path protocol
    (``labkit.direct.front``: the two model endpoints without the ASGI layer, round 13)."""
    return dict(_UVICORN_SETTINGS, http=short_path_protocol(front.hot, _MAX_BODY))


def build_server(config: GatewayConfig, host: str, sock_or_port: Any, threads: int = 128,
                 tune_gc: bool = True) -> tuple[FastAPI, uvicorn.Server]:
    """The app and a uvicorn server for it (used by the CLI; same uvicorn settings as :func:`serve_in_thread`).

    The caller's process is taken to be a serving gateway: the collector is tuned for it
    (:func:`tune_collector_for_serving`) unless ``tune_gc`` is False.
    """
    app = create_app(config, threads=threads, background_writes=True)
    if tune_gc:
        tune_collector_for_serving()
    front = GatewayFront(app)
    uconfig = uvicorn.Config(front, host=host, port=sock_or_port if isinstance(sock_or_port, int) else 0,
                             **_server_settings(front))
    return app, uvicorn.Server(uconfig)


@contextlib.contextmanager
def serve_in_thread(config: GatewayConfig | None = None, host: str = "127.0.0.1",
                    port: int = 0, tune_gc: bool = False) -> Iterator[RunningGateway]:
    """Run the gateway on uvicorn in a daemon thread until the ``with`` block ends.

    The process's garbage collector is left as it is (a test run or a notebook kernel shares it);
    ``tune_gc=True`` applies :func:`tune_collector_for_serving` for a process that only serves.
    """
    config = config or GatewayConfig()
    app = create_app(config, threads=128, background_writes=True)
    if tune_gc:
        tune_collector_for_serving()
    try:
        front = GatewayFront(app)
        with serve_app(front, host, port, thread_name="labkit-gateway", startup_timeout_s=20,
                       **_server_settings(front)) as served:
            yield RunningGateway(app, served.server, served.thread, host, served.port)
    finally:
        app.state.shutdown()
        app.state.executor.shutdown(wait=False)
        app.state.client.close()
