"""Pattern 1, Direct API: the resilient client every model call in the lab goes through.

The source document's Direct API pattern sends the user's request to a model and returns
the answer in the same user flow, with guardrails: timeouts set from the user experience,
a clear fallback when the answer is too slow, retries with exponential backoff, caching of
stable inputs, a pinned model version, and monitoring. :class:`ResilientClient` composes
those controls (each lives in ``labkit/controls/``) around the official ``openai`` SDK,
whose own retries are switched off (``max_retries=0``) so the policy is ours and visible.

One call, in order:

1. PII redaction of every outgoing message (``labkit.controls.pii``); fail closed.
2. Cache lookup for deterministic requests (``controls.cache``).
3. Cost estimate and budget check (``controls.budget``) -> ``BudgetExceeded`` before sending.
4. The route chain: the requested model, its configured fallbacks (``"*"`` is the default
   entry), the large-context model on ``context_length_exceeded``. Per route: the circuit
   breaker (``controls.breaker``), the client rate limiter (``controls.ratelimit``) and the
   retry loop (``controls.retry``) under one deadline shared by every attempt
   (``controls.timeouts``). A timeout fails over at once (a silent provider is not retried
   until the deadline); a 400 is never retried on the same model.
5. Pinned-version check: a dated request answered by another version is recorded, alerted
   (a ``version_drift`` telemetry event) and, if configured, refused.
6. Output validation (``controls.validation``) with one repair attempt, then the next route;
   when none validates, ``CallResult.validation_error`` carries the last reason.
7. If every model route fails: the pattern's rule-based fallback (a callable), then an
   explicit ``cannot_answer`` result queued for human review (``var/review_queue.jsonl``).
   When no route was even tried (every one skipped by an open breaker or a Retry-After
   cool-down), the result also carries ``retry_after_s`` ("not now, come back then"), and
   with ``raise_on_failure`` the error is :class:`~labkit.errors.CallDeferred`; a refusal
   by the client rate limiter is :class:`~labkit.errors.RateLimitDeferred`. Job handlers
   turn either into a deferral that spends no attempt.
8. Real spend from the returned usage into the cost ledger (billed to the model that
   answered; failed attempts recorded unbilled), one telemetry event per attempt and per
   call, answer re-hydrated for the caller.

Streaming (:meth:`ResilientClient.stream_chat`) passes chunks through under a
time-to-first-token and a stream-idle limit. A cut, stalled, malformed or usage-less stream
is never a complete success: before any text reached the caller it fails over; after, it
raises :class:`~labkit.errors.StreamInterrupted`. A stream that is complete (finish reason
and usage seen) is finalised at once, without waiting for ``[DONE]``.

:class:`AsyncResilientClient` offers the same methods as coroutines and async iterators by
running the sync client in a worker thread pool: one implementation of the control flow,
not two that drift apart. It costs one thread per in-flight call.

It does not choose prompts, retrieve context or call tools: the other patterns do that and
call this client.

Example:
    >>> client = ResilientClient(ClientConfig(base_url="http://127.0.0.1:8100/v1"))  # doctest: +SKIP
    >>> r = client.chat([{"role": "user", "content": "Summarise: the lab is local."}],
    ...                 model="lab-chat-2026-01")                                   # doctest: +SKIP
    >>> r.status, r.model_served                                                   # doctest: +SKIP
    ('ok', 'lab-chat-2026-01')
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import openai
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, Field

from labkit.controls.breaker import BreakerPolicy, BreakerRegistry
from labkit.controls.budget import BudgetPolicy, CostEstimate, CostLedger, estimate_cost, price_of
from labkit.controls.cache import CachePolicy, ResponseCache, cache_key, is_cacheable
from labkit.controls.ratelimit import RateLimiter, RateLimitPolicy
from labkit.controls.retry import RetryPolicy, classify, make_retrying, retry_after
from labkit.controls.timeouts import Deadline, TimeoutPolicy
from labkit.errors import (
    CallDeferred,
    CircuitOpen,
    ConfigError,
    InputError,
    LabkitError,
    PinnedVersionMismatch,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RedactionFailed,
    StreamInterrupted,
    ValidationFailed,
)
from labkit.provider.catalog import ALIASES, MODELS, resolve
from labkit.settings import var_dir
from labkit.telemetry.events import emit

PATTERNS = ("direct", "rag", "jobs", "agent", "service")
CANNOT_ANSWER = ("I cannot answer this safely right now. The request has been queued for "
                 "human review.")
# failure kinds that say the route is unhealthy (they count against its breaker)
_HEALTH_FAILURES = {"timeout", "connection", "rate_limited", "server", "conflict", "stream"}

RuleFallback = Callable[[list[dict[str, Any]]], "str | None"]


class ClientConfig(BaseModel):
    """Everything the resilient client can be told; defaults suit the local mock provider."""

    base_url: str = "http://127.0.0.1:8100/v1"  # `labkit provider serve` default
    api_key: str = "lab-key"
    timeouts: TimeoutPolicy = Field(default_factory=TimeoutPolicy)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)
    cache: CachePolicy = Field(default_factory=CachePolicy)
    budget: BudgetPolicy = Field(default_factory=BudgetPolicy)
    ratelimit: RateLimitPolicy = Field(default_factory=RateLimitPolicy)
    # model -> models to try next, in order; "*" applies to models without an entry
    fallbacks: dict[str, list[str]] = Field(default_factory=lambda: {
        "*": ["lab-mini-2026-03"], "lab-mini-2026-03": ["lab-chat-2026-01"],
        "lab-large-2026-04": [], "lab-embed-2026-01": []})
    # tried next when a route answers context_length_exceeded
    context_fallback: str | None = "lab-large-2026-04"
    # alias -> the dated version it must resolve to (dated ids always pin themselves)
    pins: dict[str, str] = Field(default_factory=dict)
    refuse_version_drift: bool = False
    # send wire-format bodies with the SDK's low-level post() instead of create(); see _sdk_chat
    sdk_fast_path: bool = True
    raise_on_failure: bool = False  # True: ProviderUnavailable instead of a cannot_answer result
    embed_batch_size: int = Field(64, ge=1, le=2048)
    prices: dict[str, tuple[float, float]] | None = None  # None: the catalogue's price table
    ledger_path: str | None = None  # None: var/ledger.sqlite
    review_queue_path: str | None = None  # None: var/review_queue.jsonl
    telemetry: bool = True
    default_headers: dict[str, str] = Field(default_factory=dict)

    def routes_for(self, model: str) -> list[str]:
        """The model, then its fallbacks (the ``"*"`` entry when it has none of its own)."""
        chain = [model] + list(self.fallbacks.get(model, self.fallbacks.get("*", [])))
        seen: list[str] = []
        for m in chain:
            if m not in seen:
                seen.append(m)
        return seen


@dataclass
class CallResult:
    """What a chat call returns: the answer, who answered, what it cost, how it went."""

    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    parsed: Any = None
    model_requested: str = ""
    model_served: str | None = None
    status: str = "ok"  # ok | fallback | cannot_answer
    fallback_used: str | None = None
    attempts: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    cost: float = 0.0
    cache_hit: bool = False
    latency_ms: float = 0.0
    finish_reason: str | None = None
    ttft_ms: float | None = None
    call_id: str = ""
    request_id: str | None = None
    validation: str | None = None  # None | ok | repaired | failed
    # why the answer failed validation after the repair attempt (set with validation="failed"),
    # so callers can record the reason without reading it back from telemetry
    validation_error: str | None = None
    redactions: int = 0
    # set on cannot_answer when no route was tried (breakers open, Retry-After): "not now,
    # ask again in this many seconds" rather than "the model failed"
    retry_after_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (``parsed`` dumped if it is a pydantic model)."""
        out = asdict(self)
        if isinstance(self.parsed, BaseModel):
            out["parsed"] = self.parsed.model_dump(mode="json")
        return out


class _StreamFault(ProviderError):
    """A stream broke before completing (cut, stalled, malformed, no usage)."""

    def __init__(self, message: str, kind: str = "stream") -> None:
        super().__init__(message)
        self.failure_kind = kind  # read by controls.retry.classify


@dataclass
class _Ctx:
    """Per-call bookkeeping shared by the attempts of one call."""

    call_id: str
    pattern: str
    key: str
    model_requested: str
    deadline: Deadline
    extra_headers: dict[str, str] | None
    mapping: dict[str, str]
    redactions: int
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    validation: str | None = None
    validation_error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    retry_in: float | None = None  # soonest a skipped route may be tried again (seconds)

    def skipped(self, wait_s: float) -> None:
        """Note a route skipped for ``wait_s`` more seconds (breaker open, Retry-After)."""
        self.retry_in = wait_s if self.retry_in is None else min(self.retry_in, wait_s)


def _validate(text: str | None, output_model: Any) -> Any:
    """Parse ``text`` with the safety helper's validator (pydantic class or JSON schema)."""
    try:
        from labkit.controls.validation import validate_output
    except ImportError:  # the safety helper's module is not there: plain pydantic
        validate_output = None
    if validate_output is not None:
        return validate_output(text or "", output_model)
    try:
        return output_model.model_validate_json(text or "")
    except Exception as exc:
        raise ValidationFailed(f"output does not match {output_model.__name__}: {exc}") from None


def _response_format_for(output_model: Any) -> dict[str, Any]:
    if isinstance(output_model, dict):
        schema, name = output_model, str(output_model.get("title", "output"))
    else:
        schema, name = output_model.model_json_schema(), output_model.__name__
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def _context_window(model: str) -> int | None:
    """The catalogue's context window of a dated id or alias; None for unknown models."""
    try:
        return resolve(model).context_window
    except KeyError:
        return None


def _is_pinned(model: str) -> bool:
    return model in MODELS and model not in ALIASES


class _Rehydrator:
    """Re-hydrates streamed text, holding back a possibly split ``<PLACEHOLDER>``."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping, self.buffer = mapping, ""

    def feed(self, delta: str) -> str:
        if not self.mapping:
            return delta
        from labkit.controls.pii import rehydrate

        text = self.buffer + delta
        cut = text.rfind("<")
        if cut != -1 and ">" not in text[cut:] and len(text) - cut <= 40:
            self.buffer, text = text[cut:], text[:cut]
        else:
            self.buffer = ""
        return rehydrate(text, self.mapping)

    def flush(self) -> str:
        from labkit.controls.pii import rehydrate

        text, self.buffer = self.buffer, ""
        return rehydrate(text, self.mapping) if self.mapping else text


class ChatStream:
    """Iterate for ``str`` deltas; ``.result`` holds the :class:`CallResult` once finished."""

    def __init__(self, gen: Iterator[str]) -> None:
        self._gen = gen
        self.result: CallResult | None = None

    def __iter__(self) -> "ChatStream":
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def close(self) -> None:
        """Stop early (closes the provider connection)."""
        self._gen.close()  # type: ignore[attr-defined]


class ResilientClient:
    """The one choke point for model calls (see the module docstring for the order of controls).

    Example:
        >>> c = ResilientClient(ClientConfig(base_url="http://127.0.0.1:9/v1"),
        ...                     rule_fallbacks={"direct": lambda msgs: "Please try again later."})
        >>> c.config.routes_for("lab-chat-2026-01")
        ['lab-chat-2026-01', 'lab-mini-2026-03']
    """

    def __init__(self, config: ClientConfig | None = None, *,
                 rule_fallbacks: dict[str, RuleFallback] | None = None,
                 ledger: CostLedger | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.config = config or ClientConfig()
        # one monotonic clock for breakers, cache, limiter and cool-downs (tests inject a fake)
        self._clock = clock or time.monotonic
        c = self.config
        if not c.api_key:
            raise ConfigError("the resilient client needs an API key (ClientConfig.api_key or OPENAI_API_KEY)")
        self._sdk = openai.OpenAI(
            api_key=c.api_key, base_url=c.base_url, max_retries=0,
            timeout=openai.Timeout(c.timeouts.ttft_s, connect=c.timeouts.connect_s),
            default_headers=c.default_headers or None,
        )
        self.rule_fallbacks: dict[str, RuleFallback] = dict(rule_fallbacks or {})
        self.breakers = BreakerRegistry(c.breaker, clock=self._clock, on_change=self._breaker_changed)
        self.cache = ResponseCache(c.cache.ttl_s, c.cache.max_entries, clock=self._clock)
        self.limiter = RateLimiter.from_policy(c.ratelimit, clock=self._clock)
        self._ledger = ledger
        self._ledger_lock = threading.Lock()
        self._prices = c.prices
        self._cooldown: dict[str, float] = {}  # route -> monotonic time before which not to call
        # called with every finished call's telemetry fields (e.g. Prometheus metrics)
        self.observers: list[Callable[[dict[str, Any]], Any]] = []

    # --- construction -----------------------------------------------------------------
    @classmethod
    def from_env(cls, **overrides: Any) -> "ResilientClient":
        """A client for ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` with default controls.

        Example:
            >>> os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
            >>> ResilientClient.from_env().config.base_url
            'http://127.0.0.1:9/v1'
        """
        data: dict[str, Any] = {}
        if os.environ.get("OPENAI_BASE_URL"):
            data["base_url"] = os.environ["OPENAI_BASE_URL"]
        if os.environ.get("OPENAI_API_KEY"):
            data["api_key"] = os.environ["OPENAI_API_KEY"]
        rule_fallbacks = overrides.pop("rule_fallbacks", None)
        data.update(overrides)
        return cls(ClientConfig(**data), rule_fallbacks=rule_fallbacks)

    @property
    def ledger(self) -> CostLedger:
        """The cost ledger (opened on first use so constructing a client touches no files)."""
        if self._ledger is None:
            with self._ledger_lock:
                if self._ledger is None:
                    self._ledger = CostLedger(self.config.ledger_path)
        return self._ledger

    def close(self) -> None:
        """Close the HTTP connections."""
        self._sdk.close()

    # --- the SDK calls ----------------------------------------------------------------
    def _options(self, timeout: Any, headers: dict[str, str] | None) -> dict[str, Any]:
        options: dict[str, Any] = {"timeout": timeout, "security": {"bearer_auth": True}}
        if headers:
            options["headers"] = headers
        return options

    def _sdk_chat(self, body: dict[str, Any], timeout: Any, headers: dict[str, str] | None) -> Any:
        """``POST /chat/completions`` through the SDK; a ``Stream`` when ``body["stream"]``."""
        stream = bool(body.get("stream"))
        if not self.config.sdk_fast_path:
            return self._sdk.chat.completions.create(**body, timeout=timeout, extra_headers=headers)
        # The body is already in wire format, so the SDK's low-level post (same client: auth,
        # base URL, error types, typed responses, SSE) skips create()'s params transform,
        # which costs 1-2 ms of CPU per call in openai 3.x - more than all our controls.
        return self._sdk.post("/chat/completions", body=body, cast_to=ChatCompletion,
                              options=self._options(timeout, headers), stream=stream,
                              stream_cls=openai.Stream[ChatCompletionChunk])

    def _sdk_embed(self, body: dict[str, Any], timeout: Any, headers: dict[str, str] | None) -> Any:
        """``POST /embeddings`` through the SDK (same fast path as chat)."""
        if not self.config.sdk_fast_path:
            return self._sdk.embeddings.create(**body, timeout=timeout, extra_headers=headers)
        return self._sdk.post("/embeddings", body={**body, "encoding_format": "float"},
                              cast_to=CreateEmbeddingResponse, options=self._options(timeout, headers))

    # --- small helpers ----------------------------------------------------------------
    def _emit(self, kind: str, **fields: Any) -> None:
        if self.config.telemetry:
            emit(kind, **fields)
        if kind == "call":
            for observer in self.observers:
                try:
                    observer(fields)
                except Exception:  # a dashboard hook must never break a model call
                    pass

    def _breaker_changed(self, route: str, old: str, new: str) -> None:
        self._emit("breaker", route=route, old=old, new=new)

    def _price(self, model: str, tokens_in: int, tokens_out: int) -> float:
        # rounded like the provider's bill, so the ledger reconciles to the last digit
        return round(price_of(model, tokens_in, tokens_out, self._prices), 8)

    def _start(self, messages: Any, model: str, pattern: str, key: str, deadline_s: float | None,
               extra_headers: dict[str, str] | None, redact_pii: bool
               ) -> tuple[_Ctx, list[dict[str, Any]]]:
        if not isinstance(model, str) or not model:
            raise InputError("model must be a non-empty string (a dated version such as lab-chat-2026-01)")
        if pattern not in PATTERNS:
            raise InputError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
        mapping: dict[str, str] = {}
        if redact_pii:
            try:
                from labkit.controls.pii import redact_messages

                messages, mapping = redact_messages(messages)
            except RedactionFailed:
                raise
            except LabkitError:
                raise
            except Exception as exc:  # fail closed: nothing is sent if redaction breaks
                raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise InputError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
        deadline = Deadline(deadline_s if deadline_s is not None else self.config.timeouts.deadline_s)
        ctx = _Ctx(call_id=uuid.uuid4().hex, pattern=pattern, key=key, model_requested=model,
                   deadline=deadline, extra_headers=extra_headers, mapping=mapping,
                   redactions=len(mapping))
        return ctx, messages

    def _record_attempt(self, ctx: _Ctx, route: str, t0: float, exc: BaseException | None,
                        *, stream: bool = False, note: str | None = None) -> None:
        latency_ms = (time.perf_counter() - t0) * 1000
        if exc is None:
            self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       attempt=ctx.attempts, status="ok", latency_ms=round(latency_ms, 3),
                       stream=stream)
            return
        kind = classify(exc)
        message = f"{route}: {kind}: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
        ctx.errors.append(message)
        http_status = getattr(exc, "status_code", None)
        self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                   attempt=ctx.attempts, status="error", error_kind=kind, http_status=http_status,
                   error=message, latency_ms=round(latency_ms, 3), stream=stream, note=note)
        self.ledger.record(kind="failed_attempt", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=route)

    def _check_version(self, ctx: _Ctx, route: str, served: str | None) -> None:
        # a dated id pins itself; an alias is pinned through config.pins
        expected = self.config.pins.get(route) or (route if _is_pinned(route) else None)
        if served and expected and served != expected:
            self._emit("version_drift", call_id=ctx.call_id, pattern=ctx.pattern,
                       model_requested=route, model_pinned=expected, model_served=served,
                       refused=self.config.refuse_version_drift)
            if self.config.refuse_version_drift:
                raise PinnedVersionMismatch(
                    f"pinned {expected} for {route} but the provider served {served}; drift is refused")

    def _emit_call(self, ctx: _Ctx, result: CallResult, *, stream: bool, error: str | None = None) -> None:
        breaker = self.breakers.get(ctx.model_requested).state
        self._emit("call", call_id=ctx.call_id, pattern=ctx.pattern, key=ctx.key,
                   route=result.model_served or "none", model_requested=result.model_requested,
                   model_served=result.model_served, status=result.status, attempts=result.attempts,
                   latency_ms=round(result.latency_ms, 3),
                   ttft_ms=None if result.ttft_ms is None else round(result.ttft_ms, 3),
                   tokens_in=result.usage.get("prompt_tokens", 0),
                   tokens_out=result.usage.get("completion_tokens", 0), cost=result.cost,
                   cache_hit=result.cache_hit, fallback_used=result.fallback_used,
                   breaker_state=breaker, redactions=ctx.redactions, validation=result.validation,
                   stream=stream, finish_reason=result.finish_reason, error=error)

    def _give_up(self, ctx: _Ctx, messages: list[dict[str, Any]], *, stream: bool
                 ) -> CallResult:
        """Every model route failed: rule-based fallback, else cannot_answer + review queue."""
        latency = lambda: (time.perf_counter() - ctx.started) * 1000  # noqa: E731
        rule = self.rule_fallbacks.get(ctx.pattern)
        if rule is not None:
            try:
                text = rule(messages)
            except Exception as exc:  # a broken rule must not hide the real failure
                ctx.errors.append(f"rule:{ctx.pattern}: {type(exc).__name__}: {exc}")
                text = None
            if text:
                from labkit.controls.pii import rehydrate

                result = CallResult(content=rehydrate(text, ctx.mapping) if ctx.mapping else text,
                                    model_requested=ctx.model_requested,
                                    model_served=f"rule:{ctx.pattern}", status="fallback",
                                    fallback_used=f"rule:{ctx.pattern}", attempts=ctx.attempts,
                                    latency_ms=latency(), call_id=ctx.call_id,
                                    validation=ctx.validation,
                                    validation_error=ctx.validation_error,
                                    redactions=ctx.redactions, finish_reason="stop")
                self._emit_call(ctx, result, stream=stream, error="; ".join(ctx.errors[-3:]) or None)
                return result
        reason = "; ".join(ctx.errors[-3:]) or "no route available"
        # no attempt reached the provider: every route was skipped for a while, so "not now"
        retry_after = ctx.retry_in if ctx.attempts == 0 else None
        if self.config.raise_on_failure:
            result = CallResult(content=None, model_requested=ctx.model_requested,
                                status="cannot_answer", attempts=ctx.attempts, latency_ms=latency(),
                                call_id=ctx.call_id, redactions=ctx.redactions,
                                retry_after_s=retry_after)
            self._emit_call(ctx, result, stream=stream, error=reason)
            if retry_after is not None:
                raise CallDeferred(f"no route for {ctx.model_requested} may be tried for "
                                   f"{retry_after:.2f}s: {reason}", retry_after_s=retry_after)
            raise ProviderUnavailable(f"every route for {ctx.model_requested} failed: {reason}")
        self._queue_review(ctx, messages, reason)
        result = CallResult(content=CANNOT_ANSWER, model_requested=ctx.model_requested,
                            model_served=None, status="cannot_answer", fallback_used="human_review",
                            attempts=ctx.attempts, latency_ms=latency(), call_id=ctx.call_id,
                            validation=ctx.validation, validation_error=ctx.validation_error,
                            redactions=ctx.redactions, finish_reason="cannot_answer",
                            retry_after_s=retry_after)
        self._emit_call(ctx, result, stream=stream, error=reason)
        return result

    def _queue_review(self, ctx: _Ctx, messages: list[dict[str, Any]], reason: str) -> None:
        # the queued request is the *redacted* one: the review queue must not hold raw PII
        path = self.config.review_queue_path or str(var_dir() / "review_queue.jsonl")
        item = {"call_id": ctx.call_id, "ts": time.time(), "pattern": ctx.pattern, "key": ctx.key,
                "model_requested": ctx.model_requested, "reason": reason, "messages": messages}
        line = (json.dumps(item, default=str) + "\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def review_queue(self) -> list[dict[str, Any]]:
        """Requests that ended as ``cannot_answer``, oldest first (for a human to pick up)."""
        path = self.config.review_queue_path or str(var_dir() / "review_queue.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def _next_routes(self, routes: list[str], failed: str, kind: str) -> list[str]:
        """Remaining routes after ``failed`` failed with ``kind``."""
        rest = routes[routes.index(failed) + 1:]
        if kind == "context_length":
            window = _context_window(failed) or 0
            # unknown models (a real provider's) stay in the chain: they may be larger
            bigger = [r for r in rest if (_context_window(r) or window + 1) > window]
            cf = self.config.context_fallback
            if cf and cf != failed and cf not in bigger and (_context_window(cf) or window + 1) > window:
                bigger.insert(0, cf)
            return bigger
        return rest

    def _route_admitted(self, ctx: _Ctx, route: str, tokens: int, last: bool = False) -> bool:
        """Cool-down, breaker and rate limiter say this route may be tried now."""
        # a Retry-After from an earlier call still holds: fail over, or wait if no route is left
        wait = self._cooldown.get(route, 0.0) - self._clock()
        if wait > 0:
            if not last or wait > min(self.config.retry.retry_after_cap_s, ctx.deadline.remaining()):
                ctx.skipped(wait)
                ctx.errors.append(f"{route}: provider asked to wait {wait:.2f}s")
                self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                           attempt=ctx.attempts, status="skipped", error_kind="retry_after")
                return False
            time.sleep(wait)
        breaker = self.breakers.get(route)
        if not breaker.allow():
            ctx.skipped(breaker.retry_in())
            ctx.errors.append(f"{route}: breaker open")
            self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       attempt=ctx.attempts, status="skipped", error_kind="breaker_open")
            return False
        if self.limiter.enabled:
            try:
                self.limiter.acquire(tokens, max_wait_s=ctx.deadline.remaining())
            except LabkitError as exc:
                breaker.release_probe()
                self._refused(ctx, "rate_limited", exc)
                raise
        return True

    def _run_route(self, ctx: _Ctx, route: str, send: Callable[[str, Any], Any], *,
                   stream: bool = False) -> Any:
        """``send(route, timeout)`` under the retry policy; records attempts and breaker outcomes."""
        breaker = self.breakers.get(route)
        t = self.config.timeouts

        def attempt() -> Any:
            if ctx.deadline.expired():
                raise ProviderTimeout(f"deadline of {ctx.deadline.seconds:g}s used up")
            if ctx.attempts and breaker.state == "open":
                raise CircuitOpen(f"breaker for {route} opened during retries")
            ctx.attempts += 1
            t0 = time.perf_counter()
            timeout = openai.Timeout(ctx.deadline.attempt_timeout(t.ttft_s if not stream else max(t.ttft_s, t.idle_s)),
                                     connect=ctx.deadline.attempt_timeout(t.connect_s))
            try:
                out = send(route, timeout)
            except BaseException as exc:
                kind = classify(exc)
                if kind in _HEALTH_FAILURES:
                    breaker.record(False)
                demanded = retry_after(exc)
                if demanded:  # remembered, so the next call does not hammer the route either
                    self._cooldown[route] = max(self._cooldown.get(route, 0.0), self._clock() + demanded)
                self._record_attempt(ctx, route, t0, exc, stream=stream)
                raise
            if not stream:  # a stream's health is known only when its body ends
                breaker.record(True)
                self._record_attempt(ctx, route, t0, None)
            return out

        # Happy path without the retry machinery (it costs ~80 us a call); on a failure,
        # tenacity takes over with that failure replayed as its first attempt, so the policy
        # (what to retry, backoff, Retry-After, deadline) stays tenacity's alone.
        try:
            return attempt()
        except BaseException as exc:  # noqa: BLE001 - handed to tenacity below
            replay: list[BaseException] = [exc]

        def attempt_or_replay() -> Any:
            if replay:
                raise replay.pop()
            return attempt()

        return make_retrying(self.config.retry, ctx.deadline)(attempt_or_replay)

    # --- chat -------------------------------------------------------------------------
    def chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01", *,
             pattern: str = "direct", tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, response_format: dict[str, Any] | None = None,
             output_model: Any = None, temperature: float | None = 0.0, seed: int | None = None,
             max_tokens: int | None = None, key: str = "default", deadline_s: float | None = None,
             redact_pii: bool = True, extra_headers: dict[str, str] | None = None,
             use_cache: bool = True) -> CallResult:
        """One chat completion through every control; see the module docstring.

        Raises BudgetExceeded, RateLimited, RedactionFailed, PinnedVersionMismatch (if drift
        is refused), InputError; model-side failures end in a fallback or ``cannot_answer``.
        """
        ctx, sent = self._start(messages, model, pattern, key, deadline_s, extra_headers, redact_pii)
        if output_model is not None and response_format is None:
            response_format = _response_format_for(output_model)
        params = {"tools": tools, "tool_choice": tool_choice, "response_format": response_format,
                  "temperature": temperature, "seed": seed, "max_tokens": max_tokens}

        ck = None
        if use_cache and self.config.cache.enabled and is_cacheable(temperature, seed):
            ck = cache_key(model=model, messages=sent, output_model=output_model, **params)
            hit = self.cache.get(ck)
            if hit is not None:
                return self._from_cache(ctx, hit, output_model, stream=False)

        estimate = self._estimate(model, sent, max_tokens, tools)
        self._check_budget(ctx, estimate.cost)

        routes = self.config.routes_for(model)
        route: str | None = routes[0] if routes else None
        while route is not None:
            if ctx.deadline.expired():
                ctx.errors.append(f"deadline of {ctx.deadline.seconds:g}s used up")
                break
            if not self._route_admitted(ctx, route, estimate.tokens_in + estimate.tokens_out,
                                        last=route == routes[-1]):
                route = self._advance(routes, route, "breaker_open")
                continue
            try:
                result = self._chat_route(ctx, route, sent, params, output_model)
            except PinnedVersionMismatch:
                raise
            except openai.AuthenticationError as exc:
                raise ProviderError(f"the provider rejected the API key: {exc.message}") from None
            except (ProviderError, ValidationFailed) as exc:  # this route failed: next one
                route = self._advance(routes, route, classify(exc))
                continue
            except LabkitError:  # budget, rate limit, bad input: the caller must see it
                raise
            except Exception as exc:  # SDK errors (already recorded per attempt): fail over
                route = self._advance(routes, route, classify(exc))
                continue
            if route != model:
                result.status, result.fallback_used = "fallback", route
            result.latency_ms = (time.perf_counter() - ctx.started) * 1000
            if ck is not None and result.status == "ok":
                self.cache.put(ck, self._cacheable(result))
            self._emit_call(ctx, result, stream=False)
            return self._rehydrated(ctx, result)
        return self._give_up(ctx, sent, stream=False)

    def _check_budget(self, ctx: _Ctx, estimate: float) -> None:
        try:
            self.ledger.check(self.config.budget, key=ctx.key, pattern=ctx.pattern, estimate=estimate)
        except LabkitError as exc:  # refused calls are telemetry too (cost alerts, dashboards)
            self._refused(ctx, "budget_exceeded", exc)
            raise

    def _refused(self, ctx: _Ctx, status: str, exc: BaseException) -> None:
        result = CallResult(content=None, model_requested=ctx.model_requested, status=status,
                            attempts=ctx.attempts, call_id=ctx.call_id, redactions=ctx.redactions,
                            latency_ms=(time.perf_counter() - ctx.started) * 1000)
        self._emit_call(ctx, result, stream=False, error=str(exc))

    def _estimate(self, model: str, sent: list[dict[str, Any]], max_tokens: int | None,
                  tools: list[dict[str, Any]] | None) -> CostEstimate:
        """The pre-call estimate; skipped (zero) when no budget or token limit needs it."""
        if not (self.config.budget.active() or self.limiter.enabled):
            return CostEstimate(model=model, tokens_in=0, tokens_out=0, cost=0.0)
        return estimate_cost(model, sent, max_tokens=max_tokens, tools=tools,
                             default_output_tokens=self.config.budget.estimate_output_tokens,
                             prices=self._prices)

    def _advance(self, routes: list[str], failed: str, kind: str) -> str | None:
        """The next route to try; on context_length the chain becomes the larger models only."""
        idx = routes.index(failed) + 1
        routes[idx:] = self._next_routes(routes, failed, kind)
        return routes[idx] if idx < len(routes) else None

    def _chat_route(self, ctx: _Ctx, route: str, sent: list[dict[str, Any]],
                    params: dict[str, Any], output_model: Any) -> CallResult:
        """One route: the call (with retries), version check, billing, validation + repair."""

        def send(model_id: str, timeout: Any, msgs: list[dict[str, Any]] = sent) -> Any:
            kwargs = {k: v for k, v in params.items() if v is not None}
            return self._sdk_chat({"model": model_id, "messages": msgs, **kwargs}, timeout, ctx.extra_headers)

        resp = self._run_route(ctx, route, send)
        result = self._bill(ctx, route, resp)
        if output_model is None:
            return result
        try:
            result.parsed = _validate(result.content, output_model)
            result.validation = ctx.validation = "ok"
            ctx.validation_error = None   # an earlier route's failure no longer describes the answer
            return result
        except (ValidationFailed, LabkitError, ValueError) as first:
            self._emit("validation", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       result="failed", repair=False, error=str(first)[:300])
            try:
                from labkit.controls.validation import repair_messages

                repair = repair_messages(sent, result.content, first, output_model)  # type: ignore[arg-type]
            except ImportError:
                repair = sent + [
                    {"role": "assistant", "content": result.content or ""},
                    {"role": "user", "content": f"Your answer did not validate: {str(first)[:500]}. "
                                                "Reply again with only JSON that matches the schema."}]
            resp2 = self._run_route(ctx, route, lambda m, t: send(m, t, repair))
            second = self._bill(ctx, route, resp2)
            second.usage = {k: result.usage.get(k, 0) + second.usage.get(k, 0) for k in second.usage}
            second.cost += result.cost
            try:
                second.parsed = _validate(second.content, output_model)
            except (ValidationFailed, LabkitError, ValueError) as again:
                ctx.validation = "failed"
                ctx.validation_error = f"{route}: {str(again)[:300]}"
                self._emit("validation", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                           result="failed", repair=True, error=str(again)[:300])
                raise ValidationFailed(f"{route}: output invalid after one repair: {again}") from None
            second.validation = ctx.validation = "repaired"
            ctx.validation_error = None
            self._emit("validation", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       result="repaired", repair=True)
            return second

    def _bill(self, ctx: _Ctx, route: str, resp: Any) -> CallResult:
        """Turn an SDK response into a CallResult, record its spend, check the pinned version."""
        usage = getattr(resp, "usage", None)
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        served = getattr(resp, "model", None) or route
        cost = self._price(served, tin, tout)
        # billed to the model that answered, before any refusal: the provider charged it
        self.ledger.record(kind="completion", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=served,
                           tokens_in=tin, tokens_out=tout, cost=cost, request_id=getattr(resp, "id", None))
        self._check_version(ctx, route, served)
        choice = resp.choices[0] if resp.choices else None
        message = choice.message if choice else None
        tool_calls = []
        for call in (getattr(message, "tool_calls", None) or []):
            tool_calls.append({"id": call.id, "type": "function",
                               "function": {"name": call.function.name,
                                            "arguments": call.function.arguments}})
        return CallResult(content=getattr(message, "content", None), tool_calls=tool_calls,
                          model_requested=ctx.model_requested, model_served=served, status="ok",
                          attempts=ctx.attempts, usage={"prompt_tokens": tin, "completion_tokens": tout},
                          cost=cost, finish_reason=getattr(choice, "finish_reason", None),
                          call_id=ctx.call_id, request_id=getattr(resp, "id", None),
                          redactions=ctx.redactions)

    def _cacheable(self, result: CallResult) -> dict[str, Any]:
        # stored redacted (placeholders, not PII) and without the parsed object
        return {"content": result.content, "tool_calls": result.tool_calls,
                "model_served": result.model_served, "usage": dict(result.usage),
                "finish_reason": result.finish_reason, "validation": result.validation}

    def _from_cache(self, ctx: _Ctx, hit: dict[str, Any], output_model: Any, *, stream: bool) -> CallResult:
        result = CallResult(content=hit["content"], tool_calls=[dict(c) for c in hit["tool_calls"]],
                            model_requested=ctx.model_requested, model_served=hit["model_served"],
                            status="ok", attempts=0, usage=dict(hit["usage"]), cost=0.0,
                            cache_hit=True, finish_reason=hit["finish_reason"], call_id=ctx.call_id,
                            validation=hit.get("validation"), redactions=ctx.redactions,
                            latency_ms=(time.perf_counter() - ctx.started) * 1000)
        if output_model is not None:
            result.parsed = _validate(result.content, output_model)
        self.ledger.record(kind="cache_hit", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=result.model_served,
                           tokens_in=result.usage.get("prompt_tokens", 0),
                           tokens_out=result.usage.get("completion_tokens", 0))
        self._emit_call(ctx, result, stream=stream)
        return self._rehydrated(ctx, result)

    def _rehydrated(self, ctx: _Ctx, result: CallResult) -> CallResult:
        if not ctx.mapping:
            return result
        from labkit.controls.pii import rehydrate, rehydrate_value

        if result.content:
            result.content = rehydrate(result.content, ctx.mapping)
        for call in result.tool_calls:
            call["function"]["arguments"] = rehydrate_value(call["function"]["arguments"], ctx.mapping)
        if isinstance(result.parsed, BaseModel):
            result.parsed = type(result.parsed).model_validate(
                rehydrate_value(result.parsed.model_dump(), ctx.mapping))
        return result

    # --- streaming --------------------------------------------------------------------
    def stream_chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01", *,
                    pattern: str = "direct", tools: list[dict[str, Any]] | None = None,
                    tool_choice: Any = None, temperature: float | None = 0.0, seed: int | None = None,
                    max_tokens: int | None = None, key: str = "default",
                    deadline_s: float | None = None, redact_pii: bool = True,
                    extra_headers: dict[str, str] | None = None, use_cache: bool = True) -> ChatStream:
        """Stream an answer as ``str`` deltas; ``.result`` is set when the stream ends.

        Raises StreamInterrupted if the stream breaks after text reached the caller.

        Example:
            >>> s = client.stream_chat([{"role": "user", "content": "hi"}])  # doctest: +SKIP
            >>> "".join(s), s.result.status                                    # doctest: +SKIP
            ('Hello.', 'ok')
        """
        ctx, sent = self._start(messages, model, pattern, key, deadline_s, extra_headers, redact_pii)
        holder = ChatStream(iter(()))
        holder._gen = self._stream_gen(ctx, sent, model, holder, tools=tools, tool_choice=tool_choice,
                                       temperature=temperature, seed=seed, max_tokens=max_tokens,
                                       use_cache=use_cache)
        return holder

    def _stream_gen(self, ctx: _Ctx, sent: list[dict[str, Any]], model: str, holder: ChatStream,
                    **params: Any) -> Iterator[str]:
        use_cache = params.pop("use_cache")
        ck = None
        if use_cache and self.config.cache.enabled and is_cacheable(params["temperature"], params["seed"]):
            ck = cache_key(model=model, messages=sent, output_model=None, response_format=None, **params)
            hit = self.cache.get(ck)
            if hit is not None:
                result = self._from_cache(ctx, hit, None, stream=True)
                holder.result = result
                if result.content:
                    yield result.content
                return
        estimate = self._estimate(model, sent, params["max_tokens"], params["tools"])
        self._check_budget(ctx, estimate.cost)
        routes = self.config.routes_for(model)
        route: str | None = routes[0] if routes else None
        while route is not None:
            if ctx.deadline.expired():
                ctx.errors.append(f"deadline of {ctx.deadline.seconds:g}s used up")
                break
            if not self._route_admitted(ctx, route, estimate.tokens_in + estimate.tokens_out,
                                        last=route == routes[-1]):
                route = self._advance(routes, route, "breaker_open")
                continue
            delivered = [False]
            try:
                result = yield from self._stream_route(ctx, route, sent, params, delivered)
            except StreamInterrupted:
                raise
            except PinnedVersionMismatch:
                raise
            except openai.AuthenticationError as exc:
                raise ProviderError(f"the provider rejected the API key: {exc.message}") from None
            except Exception as exc:
                if isinstance(exc, LabkitError) and not isinstance(exc, ProviderError):
                    raise
                route = self._advance(routes, route, classify(exc))
                continue
            if route != model:
                result.status, result.fallback_used = "fallback", route
            result.latency_ms = (time.perf_counter() - ctx.started) * 1000
            if ck is not None and result.status == "ok":
                self.cache.put(ck, self._cacheable(result))
            self._emit_call(ctx, result, stream=True)
            holder.result = self._rehydrated(ctx, result)
            return
        result = self._give_up(ctx, sent, stream=True)
        holder.result = result
        if result.content:
            yield result.content

    def _stream_route(self, ctx: _Ctx, route: str, sent: list[dict[str, Any]],
                      params: dict[str, Any], delivered: list[bool]) -> Iterator[str]:
        """One streamed route. Opening is retried; a broken body fails over or interrupts."""
        t = self.config.timeouts
        kwargs = {k: v for k, v in params.items() if v is not None}

        def open_stream(model_id: str, timeout: Any) -> Any:
            return self._sdk_chat({"model": model_id, "messages": sent, "stream": True,
                                   "stream_options": {"include_usage": True}, **kwargs},
                                  timeout, ctx.extra_headers)

        sdk_stream = self._run_route(ctx, route, open_stream, stream=True)
        breaker = self.breakers.get(route)
        t0 = time.perf_counter()
        rehydrator = _Rehydrator(ctx.mapping)
        reader: "queue.Queue[tuple[str, Any]]" = queue.Queue()

        def pump() -> None:
            try:
                for chunk in sdk_stream:
                    reader.put(("chunk", chunk))
                reader.put(("end", None))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
                reader.put(("error", exc))

        threading.Thread(target=pump, daemon=True, name=f"stream-{ctx.call_id[:8]}").start()
        parts: list[str] = []
        tool_parts: dict[int, dict[str, Any]] = {}
        finish: str | None = None
        usage: Any = None
        served: str | None = None
        resp_id: str | None = None
        ttft_ms: float | None = None
        fault: _StreamFault | None = None
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
                    fault = _StreamFault(f"{route}: {limit} limit reached, stream stalled", "timeout")
                    break
                if kind == "end":
                    if finish is None:
                        fault = _StreamFault(f"{route}: stream ended without a finish reason (cut)")
                    elif usage is None:
                        fault = _StreamFault(f"{route}: stream ended without usage")
                    break
                if kind == "error":
                    k = classify(item)
                    fault = _StreamFault(f"{route}: stream broke: {type(item).__name__}: "
                                         f"{str(item)[:160]}", "stream" if k in ("other", "stream") else k)
                    break
                chunk = item
                served = served or getattr(chunk, "model", None)
                resp_id = resp_id or getattr(chunk, "id", None)
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    delta = choice.delta
                    text = getattr(delta, "content", None)
                    if text:
                        if ttft_ms is None:
                            ttft_ms = (time.perf_counter() - ctx.started) * 1000
                        parts.append(text)
                        out = rehydrator.feed(text)
                        if out:
                            delivered[0] = True
                            yield out
                    for tc in getattr(delta, "tool_calls", None) or []:
                        slot = tool_parts.setdefault(tc.index, {"id": None, "type": "function",
                                                                "function": {"name": "", "arguments": ""}})
                        if ttft_ms is None:
                            ttft_ms = (time.perf_counter() - ctx.started) * 1000
                        slot["id"] = tc.id or slot["id"]
                        if tc.function is not None:
                            slot["function"]["name"] += tc.function.name or ""
                            slot["function"]["arguments"] += tc.function.arguments or ""
                    if choice.finish_reason:
                        finish = choice.finish_reason
                if finish is not None and usage is not None:
                    break  # complete: do not wait for [DONE]
        finally:
            try:
                sdk_stream.close()
            except Exception:  # closing a broken connection may itself fail; nothing to do
                pass
        if fault is not None:
            breaker.record(False)
            self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       attempt=ctx.attempts, status="error", error_kind="stream_" + fault.failure_kind,
                       error=str(fault), latency_ms=round((time.perf_counter() - t0) * 1000, 3),
                       stream=True, delivered=delivered[0])
            ctx.errors.append(str(fault))
            self.ledger.record(kind="failed_attempt", key=ctx.key, pattern=ctx.pattern,
                               model_requested=ctx.model_requested, model_served=route)
            if delivered[0]:
                result = CallResult(content=None, model_requested=ctx.model_requested,
                                    model_served=served or route, status="interrupted",
                                    attempts=ctx.attempts, call_id=ctx.call_id,
                                    latency_ms=(time.perf_counter() - ctx.started) * 1000,
                                    ttft_ms=ttft_ms, redactions=ctx.redactions,
                                    finish_reason="interrupted")
                self._emit_call(ctx, result, stream=True, error=str(fault))
                raise StreamInterrupted(f"{fault}; part of the answer was already delivered")
            raise fault
        breaker.record(True)
        self._emit("attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                   attempt=ctx.attempts, status="ok", stream=True,
                   latency_ms=round((time.perf_counter() - t0) * 1000, 3))
        tail = rehydrator.flush()
        if tail:
            yield tail
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        served = served or route
        cost = self._price(served, tin, tout)
        self.ledger.record(kind="completion", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=served,
                           tokens_in=tin, tokens_out=tout, cost=cost, request_id=resp_id)
        self._check_version(ctx, route, served)
        tool_calls = [tool_parts[i] for i in sorted(tool_parts)]
        return CallResult(content="".join(parts) if parts or not tool_calls else None,
                          tool_calls=tool_calls, model_requested=ctx.model_requested,
                          model_served=served, status="ok", attempts=ctx.attempts,
                          usage={"prompt_tokens": tin, "completion_tokens": tout}, cost=cost,
                          finish_reason=finish, ttft_ms=ttft_ms, call_id=ctx.call_id,
                          request_id=resp_id, redactions=ctx.redactions)

    # --- embeddings -------------------------------------------------------------------
    def embed(self, texts: list[str], model: str = "lab-embed-2026-01", *, pattern: str = "rag",
              key: str = "default", deadline_s: float | None = None, redact_pii: bool = True,
              extra_headers: dict[str, str] | None = None, batch_size: int | None = None
              ) -> list[list[float]]:
        """Vectors for ``texts`` in order, sent in batches, each batch through retry + breaker.

        Identical texts are served from the cache. Raises ProviderUnavailable when a batch
        fails on every route (there is no rule-based stand-in for a vector).

        Example:
            >>> vecs = client.embed(["refund policy", "holiday policy"])  # doctest: +SKIP
            >>> len(vecs), len(vecs[0])                                    # doctest: +SKIP
            (2, 256)
        """
        if isinstance(texts, str) or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InputError("texts must be a list of strings")
        if not texts:
            return []
        if pattern not in PATTERNS:
            raise InputError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
        sent = list(texts)
        redactions = 0
        if redact_pii:
            try:
                from labkit.controls.pii import redact

                reds = [redact(t) for t in texts]
            except LabkitError:
                raise
            except Exception as exc:
                raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc
            sent = [r.text for r in reds]
            redactions = sum(len(r.mapping) for r in reds)
        ctx = _Ctx(call_id=uuid.uuid4().hex, pattern=pattern, key=key, model_requested=model,
                   deadline=Deadline(deadline_s or self.config.timeouts.deadline_s),
                   extra_headers=extra_headers, mapping={}, redactions=redactions)
        out: list[list[float] | None] = [None] * len(sent)
        todo: list[int] = []
        keys: list[str | None] = [None] * len(sent)
        for i, text in enumerate(sent):
            if self.config.cache.enabled:
                keys[i] = cache_key(kind="embedding", model=model, input=text)
                hit = self.cache.get(keys[i])
                if hit is not None:
                    out[i] = hit
                    continue
            todo.append(i)
        size = batch_size or self.config.embed_batch_size
        tokens_in = tokens_total = 0
        cost_total = 0.0
        served_model = model
        from labkit.tokens import count_tokens

        for start in range(0, len(todo), size):
            idx = todo[start:start + size]
            batch = [sent[i] for i in idx]
            est_tokens = sum(count_tokens(t) for t in batch)
            est = self._price(model, est_tokens, 0)
            self.ledger.check(self.config.budget, key=key, pattern=pattern, estimate=est)
            resp = None
            routes = self.config.routes_for(model)
            attempts_before, ctx.retry_in = ctx.attempts, None
            for route in routes:
                if ctx.deadline.expired():
                    break
                if not self._route_admitted(ctx, route, est_tokens, last=route == routes[-1]):
                    continue
                try:
                    resp = self._run_route(ctx, route, lambda m, tmo: self._sdk_embed(
                        {"model": m, "input": batch}, tmo, extra_headers))
                    break
                except openai.AuthenticationError as exc:
                    raise ProviderError(f"the provider rejected the API key: {exc.message}") from None
                except LabkitError as exc:
                    if not isinstance(exc, ProviderError):
                        raise
                except Exception:  # recorded by _run_route; try the next route
                    pass
            if resp is None:
                reason = "; ".join(ctx.errors[-3:]) or "no route available"
                self._emit("call", call_id=ctx.call_id, pattern=pattern, key=key, route="none",
                           model_requested=model, model_served=None, status="error",
                           attempts=ctx.attempts, kind_of_call="embedding",
                           latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3), error=reason)
                if ctx.attempts == attempts_before and ctx.retry_in is not None:
                    raise CallDeferred(f"embedding {len(batch)} texts with {model}: no route may be "
                                       f"tried for {ctx.retry_in:.2f}s: {reason}", retry_after_s=ctx.retry_in)
                raise ProviderUnavailable(f"embedding {len(batch)} texts with {model} failed: {reason}")
            served_model = getattr(resp, "model", None) or model
            tin = int(getattr(resp.usage, "prompt_tokens", 0) or 0) if getattr(resp, "usage", None) else 0
            cost = self._price(served_model, tin, 0)
            self.ledger.record(kind="embedding", key=key, pattern=pattern, model_requested=model,
                               model_served=served_model, tokens_in=tin, cost=cost,
                               request_id=getattr(resp, "id", None))
            tokens_in += tin
            tokens_total += tin
            cost_total += cost
            for item in sorted(resp.data, key=lambda d: d.index):
                i = idx[item.index]
                out[i] = list(item.embedding)
                if keys[i] is not None:
                    self.cache.put(keys[i], out[i])
        self._emit("call", call_id=ctx.call_id, pattern=pattern, key=key, route=served_model,
                   model_requested=model, model_served=served_model, status="ok",
                   attempts=ctx.attempts, kind_of_call="embedding", tokens_in=tokens_in,
                   tokens_out=0, cost=cost_total, cache_hit=not todo, texts=len(texts),
                   redactions=redactions,
                   latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3))
        return [v if v is not None else [] for v in out]


class AsyncResilientClient:
    """The resilient client for asyncio code: same methods, as coroutines / async iterators.

    Each call runs the sync client in a worker thread (see the module docstring for why).

    Example:
        >>> async def main():                                                   # doctest: +SKIP
        ...     client = AsyncResilientClient.from_env()
        ...     r = await client.chat([{"role": "user", "content": "hi"}])
        ...     async for delta in client.stream_chat([{"role": "user", "content": "hi"}]):
        ...         print(delta, end="")
    """

    def __init__(self, config: ClientConfig | None = None, *, max_workers: int = 64,
                 rule_fallbacks: dict[str, RuleFallback] | None = None,
                 sync_client: ResilientClient | None = None) -> None:
        self.sync = sync_client or ResilientClient(config, rule_fallbacks=rule_fallbacks)
        self.config = self.sync.config
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="labkit-client")

    @classmethod
    def from_env(cls, **overrides: Any) -> "AsyncResilientClient":
        """Like :meth:`ResilientClient.from_env`."""
        return cls(sync_client=ResilientClient.from_env(**overrides))

    @property
    def breakers(self) -> BreakerRegistry:
        """The underlying breakers (for dashboards)."""
        return self.sync.breakers

    @property
    def ledger(self) -> CostLedger:
        """The underlying cost ledger."""
        return self.sync.ledger

    async def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    async def chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01",
                   **kwargs: Any) -> CallResult:
        """Coroutine version of :meth:`ResilientClient.chat`."""
        return await self._run(self.sync.chat, messages, model, **kwargs)

    async def embed(self, texts: list[str], model: str = "lab-embed-2026-01",
                    **kwargs: Any) -> list[list[float]]:
        """Coroutine version of :meth:`ResilientClient.embed`."""
        return await self._run(self.sync.embed, texts, model, **kwargs)

    async def stream_chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01",
                          **kwargs: Any) -> AsyncIterator[str]:
        """Async-iterator version of :meth:`ResilientClient.stream_chat`."""
        stream = await self._run(self.sync.stream_chat, messages, model, **kwargs)
        done = object()
        try:
            while True:
                item = await self._run(next, stream, done)
                if item is done:
                    break
                yield item
        finally:
            await self._run(stream.close)

    async def aclose(self) -> None:
        """Release the worker threads and connections."""
        self._pool.shutdown(wait=False)
        self.sync.close()
