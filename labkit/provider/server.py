"""The local mock provider: an OpenAI-compatible HTTP server that can be slow, fail and drift.

``create_app(config)`` builds the ASGI app (Starlette); ``serve_in_thread(config)`` runs it
on uvicorn in a background thread for tests, notebooks and ``labkit run``;
``labkit provider serve`` runs it in the foreground.

Endpoints: ``GET /v1/models``, ``GET /v1/models/{id}``, ``POST /v1/chat/completions``
(JSON and SSE streaming), ``POST /v1/embeddings``; admin paths (no key needed):
``GET|DELETE /lab/requests`` (the request log), ``GET|POST /lab/alias`` (move a moving
alias), ``GET|POST|DELETE /lab/faults`` (per-model faults at run time), ``GET /lab/health``.

The chat and embeddings endpoints are raw ASGI handlers rather than FastAPI routes: the
fault injector needs to reset the TCP connection, hold it open, or cut a stream without its
terminating chunk, which a response object cannot express, and skipping per-request
pydantic models of the whole body keeps the hot path within reach of a trivial endpoint's
throughput. Bodies are checked by hand (:func:`_check_chat`) with OpenAI's error shapes.

What it does not do: it is not a language model (see ``behaviour.py``), it serves one
choice per request (``n`` > 1 repeats it), and it does not implement the Responses,
Assistants, audio, image or file APIs.

Example:
    >>> from openai import OpenAI
    >>> with serve_in_thread() as p:
    ...     client = OpenAI(base_url=p.base_url, api_key="lab-key")
    ...     r = client.chat.completions.create(model="lab-chat", messages=[
    ...         {"role": "user", "content": "Labels: billing, technical\\nI was charged twice."}])
    ...     r.choices[0].message.content, r.model
    ('billing', 'lab-chat-2026-01')
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from labkit.errors import ConfigError, LabkitError
from labkit.provider import behaviour, semantic
from labkit.provider import openai_shapes as shapes
from labkit.provider.catalog import ALIAS_NEXT, ALIASES, MODELS, ModelSpec
from labkit.provider.config import ProviderConfig
from labkit.provider.embeddings import embed_text, embed_tokens
from labkit.provider.faults import FaultSpec, FaultState, LatencySpec, merge, parse_fault
from labkit.provider.limits import KeyLimits
from labkit.provider.requestlog import RequestLog
from labkit.serving import serve_app
from labkit.tokens import count_tokens, tokenize

FAULT_HEADER = b"x-lab-fault"
_REQUEST_IDS = itertools.count(1)
_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class _Reject(Exception):
    """Internal: answer this request with an OpenAI-shaped error."""

    def __init__(self, status: int, message: str | None = None, *, code: str | None = None,
                 param: str | None = None, type_: str | None = None,
                 headers: dict[str, str] | None = None, fault: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = shapes.error(status, message, code=code, param=param, type_=type_)
        self.headers = headers or {}
        self.fault = fault


class ProviderState:
    """Everything a running provider remembers: aliases, faults, limits, the request log."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.aliases: dict[str, str] = dict(ALIASES)
        self.alias_counts: dict[str, int] = {}
        self.started = time.monotonic()
        self.faults: dict[str, FaultSpec] = dict(config.faults)
        self.fault_state = FaultState(config.seed)
        self.limits = KeyLimits(config.rpm, config.tpm)
        log_path = config.request_log_path
        self.log = RequestLog(config.request_log_size, log_path, audit=config.pii_audit)
        self.closing = threading.Event()
        for rule in config.drift:
            target = rule.to or ALIAS_NEXT.get(rule.alias)
            if rule.alias not in ALIASES or target not in MODELS:
                raise ConfigError(f"drift rule: cannot move alias {rule.alias!r} to {target!r}")

    # -- aliases and drift ---------------------------------------------------------------
    def move_alias(self, alias: str, target: str | None = None) -> str:
        """Point ``alias`` at ``target`` (default: its next version); returns the new target."""
        if alias not in self.aliases:
            raise LabkitError(f"unknown alias {alias!r}; known: {', '.join(sorted(self.aliases))}")
        target = target or ALIAS_NEXT.get(alias)
        if target not in MODELS:
            raise LabkitError(f"unknown model version {target!r} for alias {alias!r}")
        self.aliases[alias] = target
        return target

    def resolve(self, name: str) -> ModelSpec | None:
        """The dated model ``name`` resolves to now (advancing drift rules), or None."""
        if name in self.aliases:
            count = self.alias_counts[name] = self.alias_counts.get(name, 0) + 1
            for rule in self.config.drift:
                if rule.alias != name:
                    continue
                due = (rule.after_requests is not None and count > rule.after_requests) or (
                    rule.after_seconds is not None and time.monotonic() - self.started >= rule.after_seconds)
                target = rule.to or ALIAS_NEXT.get(name)
                if due and target and self.aliases[name] != target:
                    self.aliases[name] = target
            return MODELS.get(self.aliases[name])
        return MODELS.get(name)

    # -- faults --------------------------------------------------------------------------
    def effective_fault(self, requested: str, served: str, header: FaultSpec | None, key: str) -> FaultSpec | None:
        """The fault this request gets: the model's (if selected) overridden by the header's."""
        model_spec = self.faults.get(served) or self.faults.get(requested) or self.faults.get("*")
        chosen_model = chosen_header = None
        if model_spec is not None and self.fault_state.selected(model_spec, f"model:{served}"):
            chosen_model = model_spec
        if header is not None and self.fault_state.selected(header, f"key:{key}"):
            chosen_header = header
        if chosen_model is None and chosen_header is None:
            return None
        spec = merge(chosen_model, chosen_header)
        return None if spec.is_empty() else spec


# --------------------------------------------------------------------------------------
# low-level ASGI helpers


async def _send_json(send: Any, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
    body = orjson.dumps(obj)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for k, v in (headers or {}).items():
        raw.append((k.encode(), v.encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _read_body(scope: dict, receive: Any, limit: int) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    raise _Reject(413, f"Request body too large: {int(value)} bytes; the limit is {limit}.",
                                  code="request_too_large")
            except ValueError:
                raise _Reject(400, "Invalid Content-Length header.") from None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Reject(413, f"Request body too large; the limit is {limit} bytes.", code="request_too_large")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _header(scope: dict, name: bytes) -> str | None:
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return None


def _abort(scope: dict) -> None:
    """Reset the TCP connection (RST, not FIN) without sending anything more."""
    transport = scope.get("lab.transport")
    if transport is None:
        raise RuntimeError("no transport to reset")
    sock = transport.get_extra_info("socket")
    with contextlib.suppress(Exception):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _hold(receive: Any, state: ProviderState, limit: float) -> None:
    """Keep the connection open, answering nothing, until the client leaves (or shutdown)."""
    waiter = asyncio.ensure_future(receive())
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline and not state.closing.is_set():
            done, _ = await asyncio.wait({waiter}, timeout=0.1)
            if done:
                message = waiter.result()
                if message["type"] == "http.disconnect":
                    return
                waiter = asyncio.ensure_future(receive())
    finally:
        waiter.cancel()


async def _sleep(seconds: float, state: ProviderState) -> None:
    end = time.monotonic() + seconds
    while seconds > 0 and not state.closing.is_set():
        await asyncio.sleep(min(seconds, 0.25))
        seconds = end - time.monotonic()


# --------------------------------------------------------------------------------------
# request checks


def _auth(scope: dict, config: ProviderConfig) -> str:
    raw = _header(scope, b"authorization") or ""
    key = raw[7:].strip() if raw[:7].lower() == "bearer " else ""
    key = key or (_header(scope, b"api-key") or "").strip()
    if not key:
        raise _Reject(401, "You didn't provide an API key. Pass it as 'Authorization: Bearer KEY'.",
                      code="missing_api_key")
    if config.api_keys and key not in config.api_keys:
        shown = key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "***"
        raise _Reject(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")
    return key


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _Reject(400, "We could not parse the JSON body of your request. (HINT: This likely means "
                      "you aren't using your HTTP library correctly.)", code="invalid_json") from None
    if not isinstance(body, dict):
        raise _Reject(400, "The request body must be a JSON object.", code="invalid_type")
    return body


def _bad(param: str, message: str) -> _Reject:
    return _Reject(400, message, param=param, code="invalid_value")


def _check_chat(body: dict[str, Any]) -> None:
    """OpenAI-style 400s for the body shapes the mock relies on (cheap: no pydantic)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _Reject(400, "you must provide a model parameter", param="model", code="missing_required_parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Reject(400, "'messages' must be a non-empty array.", param="messages",
                      code="missing_required_parameter" if messages is None else "invalid_type")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise _bad(f"messages[{i}]", f"Invalid type for 'messages[{i}]': expected an object.")
        if m.get("role") not in _ROLES:
            raise _bad(f"messages[{i}].role", f"Invalid value for 'messages[{i}].role': {m.get('role')!r}.")
        content = m.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise _bad(f"messages[{i}].content", f"Invalid type for 'messages[{i}].content': expected a string or array.")
        if isinstance(content, list) and not all(isinstance(p, dict) for p in content):
            raise _bad(f"messages[{i}].content", f"Invalid content parts in 'messages[{i}].content'.")
        calls = m.get("tool_calls")
        if calls is not None and (not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls)):
            raise _bad(f"messages[{i}].tool_calls", f"Invalid type for 'messages[{i}].tool_calls'.")
    for name, kinds in (("temperature", (int, float)), ("top_p", (int, float)), ("max_tokens", (int,)),
                        ("max_completion_tokens", (int,)), ("seed", (int,)), ("n", (int,)),
                        ("stream", (bool,))):
        value = body.get(name)
        if value is not None and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
            raise _bad(name, f"Invalid type for '{name}': got {type(value).__name__}.")
    t = body.get("temperature")
    if t is not None and not 0 <= t <= 2:
        raise _bad("temperature", f"Invalid 'temperature': {t}; it must be between 0 and 2.")
    for name in ("max_tokens", "max_completion_tokens", "n"):
        if body.get(name) is not None and body[name] < 1:
            raise _bad(name, f"Invalid '{name}': {body[name]}; it must be at least 1.")
    if (body.get("n") or 1) > 8:
        raise _bad("n", "The mock provider serves at most 8 choices.")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _bad("tools", "Invalid type for 'tools': expected an array.")
        for i, t in enumerate(tools):
            fn = t.get("function") if isinstance(t, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise _bad(f"tools[{i}]", f"Invalid 'tools[{i}]': expected {{type: function, function: {{name, ...}}}}.")
            if fn.get("parameters") is not None and not isinstance(fn["parameters"], dict):
                raise _bad(f"tools[{i}].function.parameters", "Invalid type for parameters: expected an object.")
    choice = body.get("tool_choice")
    if choice is not None and not (choice in ("none", "auto", "required") or isinstance(choice, dict)):
        raise _bad("tool_choice", f"Invalid value for 'tool_choice': {choice!r}.")
    if isinstance(choice, dict) and not tools:
        raise _bad("tool_choice", "'tool_choice' is only allowed when 'tools' are specified.")
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise _bad("response_format", "Invalid 'response_format': type must be text, json_object or json_schema.")
        if fmt["type"] == "json_schema":
            js = fmt.get("json_schema")
            if not isinstance(js, dict) or not isinstance(js.get("schema", {}), dict):
                raise _bad("response_format.json_schema", "Invalid 'response_format.json_schema': expected {name, schema}.")
    so = body.get("stream_options")
    if so is not None and not isinstance(so, dict):
        raise _bad("stream_options", "Invalid type for 'stream_options': expected an object.")


# Prompts repeat (system prompts, retrieved passages, retries), so the provider caches token
# counts per text; the formula is labkit.tokens.count_message_tokens', so counts agree with
# the client's estimates exactly.
_count = lru_cache(maxsize=65_536)(count_tokens)


def _message_tokens(messages: list[dict[str, Any]]) -> int:
    total = 2
    for m in messages:
        total += 4 + _count(behaviour.text_of(m.get("content")))
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            total += _count(str(fn.get("name", ""))) + _count(str(fn.get("arguments", "")))
    return total


def _prompt_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        parts.append(behaviour.text_of(m.get("content")))
        for call in m.get("tool_calls") or []:
            fn = call.get("function") or {}
            parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return "\n".join(parts)


def _truncate(text: str, max_tokens: int) -> tuple[str, int, bool]:
    """``text`` cut to ``max_tokens`` tokens; (text, tokens, truncated)."""
    total = count_tokens(text)
    if total <= max_tokens:
        return text, total, False
    # walk the tokenizer's own matches so the cut lands exactly on a token boundary
    import re as _re
    used, end = 0, 0
    for match in _re.finditer(r"\w+|[^\w\s]", text):
        pieces = sum(1 for _ in tokenize(match.group(0)))
        if used + pieces > max_tokens:
            if used < max_tokens:  # part of a long word
                end = match.start() + 4 * (max_tokens - used)
                used = max_tokens
            break
        used += pieces
        end = match.end()
    return text[:end], used, True


def _latency(fault: FaultSpec | None, field: str, profile: LatencySpec | None,
             state: ProviderState) -> float:
    spec = getattr(fault, field, None) if fault else None
    spec = spec or profile
    return spec.sample(state.fault_state.rng) if spec else 0.0


# --------------------------------------------------------------------------------------
# the endpoints


class _Endpoint:
    """Adapter so Starlette routes a path to a raw ASGI handler with the provider state."""

    def __init__(self, handler: Any, state: ProviderState) -> None:
        self.handler, self.state = handler, state

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.handler(scope, receive, send, self.state)


async def _pre(scope: dict, receive: Any, state: ProviderState, entry: dict[str, Any]) -> tuple[str, dict[str, Any], bytes, FaultSpec | None]:
    """Auth, body, header fault: shared by chat and embeddings."""
    key = _auth(scope, state.config)
    entry["key"] = key
    raw = await _read_body(scope, receive, state.config.max_body_bytes)
    body = _parse_json(raw)
    header = _header(scope, FAULT_HEADER)
    spec = None
    if header:
        try:
            spec = parse_fault(header)
        except ValueError as exc:
            raise _Reject(400, f"Invalid X-Lab-Fault header: {exc}", param="X-Lab-Fault") from None
    return key, body, raw, spec


def _limit(state: ProviderState, key: str, tokens: int) -> dict[str, str]:
    decision = state.limits.check(key, tokens, time.monotonic())
    if not decision.allowed:
        raise _Reject(429, f"Rate limit reached for {decision.kind} per minute on this key. "
                      f"Please try again in {decision.retry_after_s:.3f}s.",
                      code="rate_limit_exceeded", type_=decision.kind, headers=decision.headers,
                      fault="rate_limit")
    return decision.headers or {}


async def _apply_faults(scope: dict, receive: Any, state: ProviderState, fault: FaultSpec | None,
                        served: ModelSpec, requested: str, key: str, entry: dict[str, Any]) -> bool:
    """Pre-response faults. Returns False when the connection was reset or held (no reply)."""
    if fault is None:
        return True
    if fault.down is not None and state.fault_state.is_down(fault, f"down:{served.id}"):
        raise _Reject(503, f"Model {served.id} is temporarily unavailable.", code="model_unavailable",
                      fault=f"down={fault.down:g}")
    if fault.reset:
        entry.update(status=0, fault="reset")
        state.log.add(entry)
        _abort(scope)
        await asyncio.sleep(0)
        return False
    if fault.hang:
        entry.update(status=0, fault="hang")
        state.log.add(entry)
        await _hold(receive, state, state.config.max_hang_s)
        with contextlib.suppress(Exception):
            _abort(scope)
        return False
    status = fault.status or state.fault_state.pick_error(fault)
    if status:
        headers: dict[str, str] = {}
        if status == 429:
            if fault.retry_after is not None:
                headers["retry-after"] = f"{fault.retry_after:g}"
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = str(fault.retry_after_ms)
        if status == 400 and not (fault.context_length or fault.content_policy):
            raise _Reject(400, "Injected bad request.", code="injected_fault", fault=f"status={status}")
        raise _Reject(status, headers=headers, fault=f"status={status}")
    if fault.context_length:
        raise _Reject(400, f"This model's maximum context length is {served.context_window} tokens. "
                      "However, your messages resulted in more tokens. Please reduce the length of the messages.",
                      code="context_length_exceeded", param="messages", fault="context_length")
    if fault.content_policy:
        raise _Reject(400, "Your request was rejected as a result of our safety system.",
                      code="content_policy_violation", fault="content_policy")
    return True


def _new_entry(scope: dict, kind: str) -> dict[str, Any]:
    return {"time": time.time(), "t_mono": time.monotonic(), "path": scope["path"], "endpoint": kind,
            "key": None, "model_requested": None, "model_served": None, "status": None, "fault": None,
            "tokens_in": 0, "tokens_out": 0, "cost": 0.0, "stream": False, "prompt_text": ""}


async def _guard(scope: dict, receive: Any, send: Any, state: ProviderState, kind: str, work: Any) -> None:
    """Run ``work``; turn rejections and crashes into OpenAI-shaped errors and log them."""
    entry = _new_entry(scope, kind)
    try:
        await work(scope, receive, send, state, entry)
    except _Reject as rej:
        entry.update(status=rej.status, error=rej.body["error"]["code"] or rej.body["error"]["type"])
        if rej.fault:
            entry["fault"] = rej.fault
        state.log.add(entry)
        await _send_json(send, rej.status, rej.body, rej.headers)
    except ConnectionResetError:
        entry.update(status=499, error="client_disconnected")
        state.log.add(entry)
    except Exception as exc:  # the server stays up whatever it is sent
        entry.update(status=500, error=f"internal: {type(exc).__name__}: {exc}"[:300])
        state.log.add(entry)
        if not entry.get("_started"):
            status, body = shapes.error(500, f"Internal error in the mock provider: {type(exc).__name__}")
            with contextlib.suppress(Exception):
                await _send_json(send, status, body)


async def chat_completions(scope: dict, receive: Any, send: Any, state: ProviderState) -> None:
    """``POST /v1/chat/completions``."""
    await _guard(scope, receive, send, state, "chat", _chat)


async def _chat(scope: dict, receive: Any, send: Any, state: ProviderState, entry: dict[str, Any]) -> None:
    cfg = state.config
    key, body, raw, header_fault = await _pre(scope, receive, state, entry)
    _check_chat(body)
    messages = body["messages"]
    requested = body["model"]
    entry["model_requested"] = requested
    entry["stream"] = stream = bool(body.get("stream"))
    entry["prompt_text"] = _prompt_text(messages)
    spec = state.resolve(requested)
    if spec is None:
        raise _Reject(404, f"The model `{requested}` does not exist or you do not have access to it.",
                      code="model_not_found", param="model")
    if spec.kind != "chat":
        raise _Reject(400, f"`{spec.id}` is an embedding model; it cannot serve chat completions.",
                      code="model_not_supported", param="model")
    entry["model_served"] = spec.id
    prompt_tokens = _message_tokens(messages)
    if body.get("tools"):
        prompt_tokens += _count(orjson.dumps(body["tools"]).decode())
    entry["tokens_in"] = prompt_tokens
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    rl_headers = _limit(state, key, prompt_tokens)
    fault = state.effective_fault(requested, spec.id, header_fault, key)
    if fault is not None:
        entry["fault"] = fault.describe()
    if prompt_tokens > spec.context_window or (max_tokens and prompt_tokens + max_tokens > spec.context_window):
        raise _Reject(400, f"This model's maximum context length is {spec.context_window} tokens. However, "
                      f"your messages resulted in {prompt_tokens} tokens"
                      + (f" (plus {max_tokens} for the completion)" if max_tokens else "")
                      + ". Please reduce the length of the messages.",
                      code="context_length_exceeded", param="messages")
    if not await _apply_faults(scope, receive, state, fault, spec, requested, key, entry):
        return
    if fault and fault.no_prefill and messages[-1].get("role") == "assistant":
        raise _Reject(400, "This model does not support assistant message prefill. The conversation "
                      "must end with a user message.", code="prefill_unsupported", param="messages",
                      fault="no_prefill")
    realistic = cfg.latency == "realistic"
    profile_ttft = LatencySpec(dist="lognormal", value=spec.latency.ttft_median, spread=spec.latency.ttft_sigma) \
        if realistic else None
    delay = _latency(fault, "latency", None, state)

    request_hash = blake2b(raw, digest_size=16).digest()
    reply = behaviour.respond(
        body, spec, request_hash,
        hallucination_rate=fault.hallucinate if fault and fault.hallucinate is not None else cfg.hallucination_rate,
        injection_obedience=fault.obey_injection if fault and fault.obey_injection is not None else cfg.injection_obedience,
        obedience_forced=bool(fault and fault.obey_injection is not None),
    )
    content, finish = reply.content, reply.finish_reason
    out_tokens = 0
    if content is not None:
        limit = min(max_tokens or spec.max_output_tokens, spec.max_output_tokens)
        content, out_tokens, cut = _truncate(content, limit)
        if cut:
            finish = "length"
    for call in reply.tool_calls:
        out_tokens += count_tokens(call["function"]["name"]) + count_tokens(call["function"]["arguments"])
    state.limits.record_extra(key, out_tokens)
    usage = shapes.usage(prompt_tokens, out_tokens)
    entry.update(tokens_out=out_tokens, cost=round(spec.cost(prompt_tokens, out_tokens), 8),
                 task=reply.task, hallucinated=reply.hallucinated, obeyed_injection=reply.obeyed_injection)
    cid = "chatcmpl-" + request_hash.hex()[:24]
    created = int(time.time())
    headers = dict(rl_headers)
    headers["x-lab-model-served"] = spec.id
    headers["x-request-id"] = f"req_{request_hash.hex()[:8]}{next(_REQUEST_IDS):08x}"

    if not stream:
        per_token = spec.latency.per_token * out_tokens if realistic else 0.0
        ttft = _latency(fault, "ttft", profile_ttft, state)
        total = delay + ttft + per_token
        if fault and fault.inter_token:
            total += fault.inter_token.sample(state.fault_state.rng) * out_tokens
        if total > 0:
            await _sleep(total, state)
        entry["status"] = 200
        entry["latency_ms"] = round((time.monotonic() - entry["t_mono"]) * 1000, 3)
        state.log.add(entry)
        await _send_json(send, 200, shapes.completion(cid, created, spec.id, content, reply.tool_calls, finish,
                                                      usage, body.get("n") or 1), headers)
        return
    if delay > 0:
        await _sleep(delay, state)
    await _stream(scope, receive, send, state, entry, body, spec, fault, cid, created, content,
                  reply.tool_calls, finish, usage, headers, profile_ttft, realistic)


async def _stream(scope: dict, receive: Any, send: Any, state: ProviderState, entry: dict[str, Any],
                  body: dict[str, Any], spec: ModelSpec, fault: FaultSpec | None, cid: str, created: int,
                  content: str | None, tool_calls: list[dict], finish: str, usage: dict[str, int],
                  headers: dict[str, str], profile_ttft: LatencySpec | None, realistic: bool) -> None:
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
    raw_headers += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
    entry["_started"] = True
    entry["status"] = 200

    def frame(obj: dict[str, Any]) -> bytes:
        return b"data: " + orjson.dumps(obj) + b"\n\n"

    def piece(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return frame(shapes.chunk(cid, created, spec.id, delta, finish_reason, with_usage_field=include_usage))

    async def emit(data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    ttft = _latency(fault, "ttft", profile_ttft, state)
    if ttft > 0:
        await _sleep(ttft, state)
    await emit(piece({"role": "assistant", "content": "", "refusal": None}))
    pieces: list[dict[str, Any]] = []
    if content:
        import re as _re
        pieces = [{"content": w} for w in _re.findall(r"\s*\S+", content)]
    for i, call in enumerate(tool_calls):
        pieces.append({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                       "function": {"name": call["function"]["name"], "arguments": ""}}]})
        pieces.append({"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]})
    fault_note = fault.describe() if fault else None
    for n, delta in enumerate(pieces, start=1):
        if fault and fault.cut is not None and n > fault.cut:
            entry.update(fault=fault_note, status=200, error="stream_cut", tokens_out_sent=n - 1)
            state.log.add(entry)
            _abort(scope)
            await asyncio.sleep(0)
            return
        if fault and fault.stall is not None and n > fault.stall:
            entry.update(fault=fault_note, error="stream_stalled")
            state.log.add(entry)
            await _hold(receive, state, state.config.max_hang_s)
            with contextlib.suppress(Exception):
                _abort(scope)
            return
        gap = 0.0
        if fault and fault.inter_token:
            gap = fault.inter_token.sample(state.fault_state.rng)
        elif realistic:
            gap = spec.latency.per_token * max(1, count_tokens(delta.get("content") or ""))
        if gap > 0 and n > 1:
            await _sleep(gap, state)
        if fault and fault.malformed == n:
            await emit(b'data: {"id": "' + cid.encode() + b'", "choices": [{"delta": {"content": \n\n')
            continue
        await emit(piece(delta))
    if fault and fault.cut is not None and fault.cut >= len(pieces):
        # cut after the last content piece: the final chunk never arrives
        entry.update(fault=fault_note, error="stream_cut")
        state.log.add(entry)
        _abort(scope)
        await asyncio.sleep(0)
        return
    await emit(piece({}, finish))
    if include_usage:
        await emit(frame(shapes.chunk(cid, created, spec.id, None, usage=usage)))
    if not (fault and fault.no_done):
        await emit(b"data: [DONE]\n\n")
    entry["latency_ms"] = round((time.monotonic() - entry["t_mono"]) * 1000, 3)
    state.log.add(entry)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def embeddings(scope: dict, receive: Any, send: Any, state: ProviderState) -> None:
    """``POST /v1/embeddings``."""
    await _guard(scope, receive, send, state, "embeddings", _embeddings)


async def _embeddings(scope: dict, receive: Any, send: Any, state: ProviderState, entry: dict[str, Any]) -> None:
    key, body, _raw, header_fault = await _pre(scope, receive, state, entry)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Reject(400, "you must provide a model parameter", param="model", code="missing_required_parameter")
    entry["model_requested"] = model
    inputs = body.get("input")
    if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and all(isinstance(x, int) and not isinstance(x, bool) for x in inputs)):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise _bad("input", "'input' must be a non-empty string or array of strings (or token arrays).")
    if len(inputs) > 2048:
        raise _bad("input", f"'input' has {len(inputs)} items; the maximum is 2048.")
    for i, x in enumerate(inputs):
        ok = (isinstance(x, str) and x != "") or (
            isinstance(x, list) and x and all(isinstance(t, int) and not isinstance(t, bool) for t in x))
        if not ok:
            raise _bad(f"input[{i}]", f"Invalid 'input[{i}]': expected a non-empty string or array of integers.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise _bad("encoding_format", f"Invalid 'encoding_format': {encoding!r}; use float or base64.")
    spec = state.resolve(model)
    if spec is None:
        raise _Reject(404, f"The model `{model}` does not exist or you do not have access to it.",
                      code="model_not_found", param="model")
    if spec.kind != "embedding":
        raise _Reject(400, f"`{spec.id}` is a chat model; use an embedding model such as lab-embed.",
                      code="model_not_supported", param="model")
    entry["model_served"] = spec.id
    dims = body.get("dimensions")
    if dims is not None and (not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= spec.embedding_dimensions):
        raise _bad("dimensions", f"Invalid 'dimensions': {dims!r}; {spec.id} supports 1 to {spec.embedding_dimensions}.")
    is_semantic = spec.embedder == "semantic"
    if is_semantic:
        _check_semantic(spec, dims, inputs)
    dims = dims or spec.embedding_dimensions
    counts = [count_tokens(x) if isinstance(x, str) else len(x) for x in inputs]
    entry["prompt_text"] = "\n".join(x for x in inputs if isinstance(x, str))
    total = sum(counts)
    entry["tokens_in"] = total
    for i, c in enumerate(counts):
        if c > spec.context_window:
            raise _Reject(400, f"This model's maximum context length is {spec.context_window} tokens, however "
                          f"input[{i}] has {c} tokens. Please reduce the length of the input.",
                          code="context_length_exceeded", param=f"input[{i}]")
    rl_headers = _limit(state, key, total)
    fault = state.effective_fault(model, spec.id, header_fault, key)
    if fault is not None:
        entry["fault"] = fault.describe()
    if not await _apply_faults(scope, receive, state, fault, spec, model, key, entry):
        return
    delay = _latency(fault, "latency", None, state)
    if state.config.latency == "realistic":
        delay += LatencySpec(dist="lognormal", value=spec.latency.ttft_median,
                             spread=spec.latency.ttft_sigma).sample(state.fault_state.rng)
    if delay > 0:
        await _sleep(delay, state)
    if is_semantic:
        vectors = await asyncio.to_thread(_semantic_vectors, inputs)
    else:
        vectors = [embed_text(x, dims) if isinstance(x, str) else embed_tokens(x, dims) for x in inputs]
    data = [shapes.embedding_item(i, v, encoding) for i, v in enumerate(vectors)]
    entry.update(status=200, cost=round(spec.cost(total, 0), 8),
                 latency_ms=round((time.monotonic() - entry["t_mono"]) * 1000, 3))
    state.log.add(entry)
    await _send_json(send, 200, {"object": "list", "data": data, "model": spec.id,
                                 "usage": {"prompt_tokens": total, "total_tokens": total}},
                     {**rl_headers, "x-lab-model-served": spec.id})


def _check_semantic(spec: ModelSpec, dims: Any, inputs: list[Any]) -> None:
    """What the semantic model refuses beyond the shared checks, before any quota is spent."""
    if dims is not None and dims != spec.embedding_dimensions:
        # like OpenAI's ada-002: MiniLM was not trained to be shortened
        raise _bad("dimensions", f"Invalid 'dimensions': {dims!r}; {spec.id} only returns "
                   f"{spec.embedding_dimensions} dimensions.")
    for i, x in enumerate(inputs):
        if isinstance(x, list) and not all(0 <= t < semantic.VOCAB_SIZE for t in x):
            raise _bad(f"input[{i}]", f"Invalid 'input[{i}]': token ids of {spec.id} are WordPiece ids "
                       f"in [0, {semantic.VOCAB_SIZE}).")
    try:
        semantic.model_dir()
    except LabkitError as exc:
        raise _Reject(404, f"The model `{spec.id}` is not installed on this provider: {exc}",
                      code="model_not_found", param="model") from None


def _semantic_vectors(inputs: list[Any]) -> list[list[float]]:
    """Vectors of the semantic model (run in a worker thread: a batch takes tens of ms to seconds,
    and the event loop must keep serving other requests meanwhile)."""
    model = semantic.shared_embedder()
    texts = [x for x in inputs if isinstance(x, str)]
    by_text = iter(model.embed(texts).tolist()) if texts else iter(())
    return [next(by_text) if isinstance(x, str) else model.embed_token_ids(x).tolist() for x in inputs]


# --------------------------------------------------------------------------------------
# plain routes: models and the admin paths


def _model_obj(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1767225600, "owned_by": "labkit"}


def _routes(state: ProviderState) -> list[Route]:
    async def list_models(request: Request) -> Response:
        try:
            _auth(request.scope, state.config)
        except _Reject as rej:
            return JSONResponse(rej.body, rej.status)
        ids = list(MODELS) + list(state.aliases)
        return JSONResponse({"object": "list", "data": [_model_obj(i) for i in ids]})

    async def get_model(request: Request) -> Response:
        name = request.path_params["model"]
        if name not in MODELS and name not in state.aliases:
            status, body = shapes.error(404, f"The model `{name}` does not exist.", code="model_not_found",
                                        param="model")
            return JSONResponse(body, status)
        return JSONResponse(_model_obj(name))

    async def requests_log(request: Request) -> Response:
        if request.method == "DELETE":
            state.log.clear()
            return JSONResponse({"cleared": True})
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            since = 0
        return JSONResponse({"object": "list", "data": state.log.entries(since)})

    async def alias(request: Request) -> Response:
        if request.method == "POST":
            try:
                data = orjson.loads(await request.body())
                target = state.move_alias(str(data["alias"]), data.get("target") or data.get("to"))
            except (ValueError, KeyError, TypeError, AttributeError):
                status, body = shapes.error(400, "POST /lab/alias needs {\"alias\": NAME, \"target\": VERSION?}.")
                return JSONResponse(body, status)
            except LabkitError as exc:
                status, body = shapes.error(400, str(exc))
                return JSONResponse(body, status)
            return JSONResponse({"alias": data["alias"], "target": target, "aliases": state.aliases})
        return JSONResponse({"aliases": state.aliases, "counts": state.alias_counts})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            model = request.query_params.get("model")
            if model:
                state.faults.pop(model, None)
            else:
                state.faults.clear()
            state.fault_state.reset_counters()
            return JSONResponse({"faults": {}})
        if request.method == "POST":
            try:
                data = orjson.loads(await request.body())
                items = data.get("faults") if "faults" in data else {data["model"]: data.get("fault", data.get("spec"))}
                parsed = {str(m): parse_fault(s) if isinstance(s, str) else FaultSpec.model_validate(s)
                          for m, s in items.items()}
            except Exception as exc:  # any bad admin input is a 400, never a crash
                status, body = shapes.error(400, f"POST /lab/faults needs {{\"model\": M, \"fault\": SPEC}} "
                                            f"or {{\"faults\": {{M: SPEC}}}}: {str(exc).splitlines()[0][:200]}")
                return JSONResponse(body, status)
            state.faults.update(parsed)
            state.fault_state.reset_counters()
        return JSONResponse({"faults": {m: s.describe() for m, s in state.faults.items()}})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "aliases": state.aliases})

    return [
        Route("/v1/chat/completions", _Endpoint(chat_completions, state), methods=["POST"]),
        Route("/v1/embeddings", _Endpoint(embeddings, state), methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route("/lab/requests", requests_log, methods=["GET", "DELETE"]),
        Route("/lab/alias", alias, methods=["GET", "POST"]),
        Route("/lab/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/lab/health", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    status, body = shapes.error(status, f"Invalid URL ({request.method} {request.url.path})",
                                code="not_found" if status == 404 else "method_not_allowed")
    return JSONResponse(body, status)


class ProviderApp:
    """The ASGI app: Starlette routing behind a thin layer that hands handlers the transport."""

    def __init__(self, config: ProviderConfig) -> None:
        self.state = ProviderState(config)
        self.config = config
        self._hot = {"/v1/chat/completions": chat_completions, "/v1/embeddings": embeddings}
        self.inner = Starlette(routes=_routes(self.state),
                               exception_handlers={404: _not_found, 405: _not_found})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "http":
            # uvicorn's receive is a bound method of the request cycle, which owns the transport;
            # the connection-level faults (reset, cut) need it
            cycle = getattr(receive, "__self__", None)
            scope["lab.transport"] = getattr(cycle, "transport", None)
            # the two hot paths skip Starlette's middleware and route matching (~15% per request)
            if scope["method"] == "POST":
                handler = self._hot.get(scope["path"])
                if handler is not None:
                    await handler(scope, receive, send, self.state)
                    return
        await self.inner(scope, receive, send)


    async def _lifespan(self, receive: Any, send: Any) -> None:
        # the request log's file is written in batches: flush it on a timer while serving
        # and once more at shutdown (uvicorn re-raises SIGTERM afterwards, so atexit never runs)
        async def flusher() -> None:
            while True:
                await asyncio.sleep(0.5)
                self.state.log.flush()

        task = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                task = asyncio.ensure_future(flusher())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task is not None:
                    task.cancel()
                self.state.log.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(config: ProviderConfig | None = None) -> ProviderApp:
    """The provider's ASGI app for ``config`` (defaults: fast and well-behaved)."""
    return ProviderApp(config or ProviderConfig())


@dataclass
class RunningProvider:
    """A provider serving in a background thread (see :func:`serve_in_thread`)."""

    app: ProviderApp
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``.../v1``), for ``OPENAI_BASE_URL``."""
        return self.url + "/v1"

    @property
    def config(self) -> ProviderConfig:
        """The configuration it was started with."""
        return self.app.config

    @property
    def state(self) -> ProviderState:
        """The live state (aliases, faults, log)."""
        return self.app.state

    def request_log(self, since: int = 0) -> list[dict[str, Any]]:
        """Every attempt the provider saw (oldest first)."""
        return self.app.state.log.entries(since)

    def clear_log(self) -> None:
        """Forget the logged attempts."""
        self.app.state.log.clear()

    def set_fault(self, model: str, spec: str | FaultSpec) -> None:
        """Set a model's fault at run time (same as ``POST /lab/faults``)."""
        self.app.state.faults[model] = parse_fault(spec) if isinstance(spec, str) else spec
        self.app.state.fault_state.reset_counters()

    def clear_faults(self) -> None:
        """Remove every run-time and configured fault."""
        self.app.state.faults.clear()
        self.app.state.fault_state.reset_counters()

    def move_alias(self, alias: str = "lab-chat", target: str | None = None) -> str:
        """Move a moving alias (model drift); returns the new target."""
        return self.app.state.move_alias(alias, target)

    def stop(self) -> None:
        """Stop serving and wait for the thread (held connections are dropped)."""
        self.app.state.closing.set()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.app.state.log.flush()


@contextlib.contextmanager
def serve_in_thread(config: ProviderConfig | None = None, host: str = "127.0.0.1",
                    port: int = 0) -> Iterator[RunningProvider]:
    """Run the provider on uvicorn in a daemon thread until the ``with`` block ends.

    ``port=0`` picks a free port. Blocks until the server accepts connections.
    """
    config = config or ProviderConfig()
    app = create_app(config)
    with serve_app(app, host, port, thread_name="labkit-provider", startup_timeout_s=20,
                   log_level="warning", access_log=False, lifespan="off",
                   timeout_graceful_shutdown=2, timeout_keep_alive=30) as served:
        running = RunningProvider(app, served.server, served.thread, host, served.port)
        try:
            yield running
        finally:
            running.stop()
