"""Streaming: how one route's stream is read, and the object the caller iterates.

:func:`stream_route` passes chunks through under a time-to-first-token and a stream-idle
limit. A cut, stalled, malformed or usage-less stream is never a complete success: before any
text reached the caller it fails over (the route loop in :mod:`labkit.direct.client` tries the
next route); after, it raises :class:`~labkit.errors.StreamInterrupted`. A stream that is
complete (finish reason and usage seen) is finalised at once, without waiting for ``[DONE]``.
Retry-safe streaming (``hold=True``) holds the text until the route finished cleanly, so
every break happens "before any text" and fails over; the price is that the caller's first
token arrives with the last.
The body is read on a helper thread so the limits hold even when the provider goes silent.

Text placeholders from PII redaction may be split across chunks; :class:`Rehydrator` holds
back a possibly split ``<PLACEHOLDER>`` until it is complete. It does not decide routes,
budgets or caching: the call path does.

Example:
    >>> r = Rehydrator({"<EMAIL_1>": "ann@example.com"})
    >>> r.feed("write to <EMA") + r.feed("IL_1> today") + r.flush()
    'write to ann@example.com today'
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from labkit.controls.pii import rehydrate
from labkit.controls.retry import classify
from labkit.direct.calls import CallContext
from labkit.direct.models import CallResult
from labkit.errors import ProviderError, StreamInterrupted

if TYPE_CHECKING:  # the client imports this module; at run time it is passed in
    from labkit.direct.client import ResilientClient


class StreamFault(ProviderError):
    """A stream broke before completing (cut, stalled, malformed, no usage)."""

    def __init__(self, message: str, kind: str = "stream") -> None:
        super().__init__(message)
        self.failure_kind = kind  # read by controls.retry.classify


class Rehydrator:
    """Re-hydrates streamed text, holding back a possibly split ``<PLACEHOLDER>``."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping, self.buffer = mapping, ""

    def feed(self, delta: str) -> str:
        if not self.mapping:
            return delta
        text = self.buffer + delta
        cut = text.rfind("<")
        if cut != -1 and ">" not in text[cut:] and len(text) - cut <= 40:
            self.buffer, text = text[cut:], text[:cut]
        else:
            self.buffer = ""
        return rehydrate(text, self.mapping)

    def flush(self) -> str:
        text, self.buffer = self.buffer, ""
        return rehydrate(text, self.mapping) if self.mapping else text


class ChatStream:
    """Iterate for ``str`` deltas; ``.result`` holds the :class:`CallResult` once the stream ends."""

    def __init__(self, call: Generator[str, None, CallResult]) -> None:
        self._call = call
        self.result: CallResult | None = None

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        try:
            return next(self._call)
        except StopIteration as done:  # the call path's return value is the result
            self.result = done.value
            raise StopIteration from None

    def close(self) -> None:
        """Stop early (closes the provider connection)."""
        self._call.close()


def stream_route(client: ResilientClient, ctx: CallContext, route: str, sent: list[dict[str, Any]],
                 params: dict[str, Any], *, hold: bool = False) -> Generator[str, None, CallResult]:
    """One streamed route: its text as it arrives; its :class:`CallResult` as the return value.

    Opening the stream is retried like any attempt; a body that breaks raises
    :class:`StreamFault` (the route loop fails over) before any text reached the caller, and
    :class:`~labkit.errors.StreamInterrupted` after.

    ``hold=True`` is retry-safe streaming: the text is held until the upstream finished
    cleanly (finish reason and usage, within the same TTFT, idle and deadline limits), then
    released at once. Nothing reaches the caller before that, so every break fails over, and
    the next route is asked the question afresh (never a continuation of the partial answer).
    The caller's time to first token becomes the whole answer's time: ``ttft_ms`` is then when
    the text was released.
    """
    t = client.config.timeouts
    kwargs = {k: v for k, v in params.items() if v is not None}
    delivered = [False]  # has any text reached the caller?

    def open_stream(model_id: str, timeout: Any) -> Any:
        return client.transport.stream_chat({"model": model_id, "messages": sent, "stream": True,
                                             "stream_options": {"include_usage": True}, **kwargs},
                                            timeout, ctx.extra_headers)

    sdk_stream = client._run_route(ctx, route, open_stream, stream=True)
    breaker = client.breakers.get(route)
    t0 = time.perf_counter()
    rehydrator = Rehydrator(ctx.mapping)
    reader: queue.Queue[tuple[str, Any]] = queue.Queue()

    def pump() -> None:
        try:
            for chunk in sdk_stream:
                if not isinstance(chunk, dict):  # valid JSON but not a chunk: malformed
                    raise ValueError(f"malformed stream chunk: {str(chunk)[:80]}")
                reader.put(("chunk", chunk))
            reader.put(("end", None))
        except BaseException as exc:
            reader.put(("error", exc))

    threading.Thread(target=pump, daemon=True, name=f"stream-{ctx.call_id[:8]}").start()
    parts: list[str] = []
    held: list[str] = []  # retry-safe: text not yet released to the caller
    tool_parts: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    usage: dict[str, Any] | None = None
    served: str | None = None
    resp_id: str | None = None
    ttft_ms: float | None = None
    fault: StreamFault | None = None
    first_content_by = time.monotonic() + min(t.ttft_s, ctx.deadline.remaining())
    try:
        while True:
            if ttft_ms is None:
                wait = first_content_by - time.monotonic()
            else:
                wait = min(t.idle_s, ctx.deadline.remaining())
            try:
                kind, item = reader.get(timeout=max(0.0, wait))
            except queue.Empty:
                limit = "time-to-first-token" if ttft_ms is None else "stream-idle"
                fault = StreamFault(f"{route}: {limit} limit reached, stream stalled", "timeout")
                break
            if kind == "end":
                if finish is None:
                    fault = StreamFault(f"{route}: stream ended without a finish reason (cut)")
                elif usage is None:
                    fault = StreamFault(f"{route}: stream ended without usage")
                break
            if kind == "error":
                k = classify(item)
                fault = StreamFault(f"{route}: stream broke: {type(item).__name__}: "
                                     f"{str(item)[:160]}", "stream" if k in ("other", "stream") else k)
                break
            chunk = item  # one parsed SSE chunk (a dict, whichever transport read it)
            served = served or chunk.get("model")
            resp_id = resp_id or chunk.get("id")
            if chunk.get("usage") is not None:
                usage = chunk["usage"]
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                text = delta.get("content")
                if text:
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - ctx.started) * 1000
                    parts.append(text)
                    out = rehydrator.feed(text)
                    if out and hold:
                        held.append(out)
                    elif out:
                        delivered[0] = True
                        yield out
                for tc in delta.get("tool_calls") or []:
                    slot = tool_parts.setdefault(int(tc.get("index") or 0), {
                        "id": None, "type": "function", "function": {"name": "", "arguments": ""}})
                    if ttft_ms is None:
                        ttft_ms = (time.perf_counter() - ctx.started) * 1000
                    slot["id"] = tc.get("id") or slot["id"]
                    function = tc.get("function")
                    if function is not None:
                        slot["function"]["name"] += function.get("name") or ""
                        slot["function"]["arguments"] += function.get("arguments") or ""
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            if finish is not None and usage is not None:
                break  # complete: do not wait for [DONE]
    finally:
        try:
            sdk_stream.close()
        except Exception:  # closing a broken connection may itself fail; nothing to do
            pass
    if fault is not None:
        breaker.record(False)
        client._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                   attempt=ctx.attempts, status="error", error_kind="stream_" + fault.failure_kind,
                   error=str(fault), latency_ms=round((time.perf_counter() - t0) * 1000, 3),
                   stream=True, delivered=delivered[0])
        ctx.errors.append(str(fault))
        client.ledger.record(kind="failed_attempt", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=route)
        if delivered[0]:
            result = CallResult(content=None, model_requested=ctx.model_requested,
                                model_served=served or route, status="interrupted",
                                attempts=ctx.attempts, call_id=ctx.call_id,
                                latency_ms=(time.perf_counter() - ctx.started) * 1000,
                                ttft_ms=ttft_ms, redactions=ctx.redactions,
                                finish_reason="interrupted")
            client._emit_call(ctx, result, stream=True, error=str(fault))
            raise StreamInterrupted(f"{fault}; part of the answer was already delivered")
        raise fault
    breaker.record(True)
    client._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
               attempt=ctx.attempts, status="ok", stream=True,
               latency_ms=round((time.perf_counter() - t0) * 1000, 3), held=hold)
    tin = int((usage or {}).get("prompt_tokens") or 0)
    tout = int((usage or {}).get("completion_tokens") or 0)
    served = served or route
    cost = client._price(served, tin, tout)
    client.ledger.record(kind="completion", key=ctx.key, pattern=ctx.pattern,
                       model_requested=ctx.model_requested, model_served=served,
                       tokens_in=tin, tokens_out=tout, cost=cost, request_id=resp_id)
    client._check_version(ctx, route, served)  # before releasing: a refused drift shows nothing
    tail = rehydrator.flush()
    if hold:  # complete, clean and the pinned version: release the held answer now
        if held or tail:
            ttft_ms = (time.perf_counter() - ctx.started) * 1000
        yield from held
    if tail:
        yield tail
    tool_calls = [tool_parts[i] for i in sorted(tool_parts)]
    return CallResult(content="".join(parts) if parts or not tool_calls else None,
                      tool_calls=tool_calls, model_requested=ctx.model_requested,
                      model_served=served, status="ok", attempts=ctx.attempts,
                      usage={"prompt_tokens": tin, "completion_tokens": tout}, cost=cost,
                      finish_reason=finish, ttft_ms=ttft_ms, call_id=ctx.call_id,
                      request_id=resp_id, redactions=ctx.redactions)

