"""Pattern 1, Direct API: the resilient client every model call in the lab goes through.

The source document's Direct API pattern sends the user's request to a model and returns
the answer in the same user flow, with guardrails: timeouts set from the user experience,
a clear fallback when the answer is too slow, retries with exponential backoff, caching of
stable inputs, a pinned model version, and monitoring. :class:`ResilientClient` composes
those controls (each lives in ``labkit/controls/``) around the official ``openai`` SDK,
whose own retries are switched off (``max_retries=0``) so the policy is ours and visible.
The request itself travels through a pluggable transport (:mod:`labkit.direct.transport`):
the SDK by default; the gateway, which only relays, uses a lean httpx one. The controls are
the same code either way.

Read :meth:`ResilientClient._call` first: its numbered comments are the steps of one model
call, in order (redaction, cache, budget, the route chain with breaker, rate limit and
retries under one deadline, the pinned version, validation with one repair, the fallbacks,
billing and telemetry). Plain calls, streamed calls and embeddings share one route loop
(:meth:`ResilientClient._over_routes`); how a streamed route is read lives in
:mod:`labkit.direct.stream`, embeddings in :mod:`labkit.direct.embeddings`.

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

import functools
import os
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, Literal

import openai
from pydantic import BaseModel

import labkit.direct.embeddings as embeddings
import labkit.direct.stream as stream
from labkit.controls.breaker import BreakerRegistry
from labkit.controls.budget import CostEstimate, CostLedger, estimate_cost, price_of
from labkit.controls.cache import ResponseCache, cache_key, is_cacheable
from labkit.controls.pii import redact_messages, rehydrate, rehydrate_value
from labkit.controls.ratelimit import RateLimiter
from labkit.controls.retry import classify, make_retrying, retry_after
from labkit.controls.timeouts import Deadline
from labkit.controls.validation import repair_messages
from labkit.direct.calls import (
    HEALTH_FAILURES,
    CallContext,
    context_window,
    finish,
    is_pinned,
    response_format_for,
    validate,
)
from labkit.direct.models import CANNOT_ANSWER, PATTERNS, CallResult, ClientConfig, RuleFallback
from labkit.direct.review import ReviewQueue
from labkit.direct.stream import ChatStream
from labkit.direct.transport import Reply, RequestTimeout, Transport, make_transport
from labkit.errors import (
    CallDeferred,
    CircuitOpen,
    ConfigError,
    ContentPolicyViolation,
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
from labkit.telemetry.events import emit_fields, new_id


class ResilientClient:
    """The one choke point for model calls (:meth:`_call` shows the order of controls).

    Example:
        >>> c = ResilientClient(ClientConfig(base_url="http://127.0.0.1:9/v1"),
        ...                     rule_fallbacks={"direct": lambda msgs: "Please try again later."})
        >>> c.config.routes_for("lab-chat-2026-01")
        ['lab-chat-2026-01', 'lab-mini-2026-03']
    """

    def __init__(self, config: ClientConfig | None = None, *,
                 rule_fallbacks: dict[str, RuleFallback] | None = None,
                 ledger: CostLedger | None = None,
                 clock: Callable[[], float] | None = None,
                 transport: Transport | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.config = config or ClientConfig()
        # one monotonic clock for breakers, cache, limiter and cool-downs (tests inject a fake)
        self._clock = clock or time.monotonic
        # every wait of a call (Retry-After cool-down, retry backoff, rate limiter) goes through
        # this one function; the gateway passes one that suspends only the call, not its event loop
        self._sleep = sleep or time.sleep
        c = self.config
        if not c.api_key:
            raise ConfigError("the resilient client needs an API key (ClientConfig.api_key or OPENAI_API_KEY)")
        # how requests travel (config.transport: the official SDK, or lean httpx); the
        # controls below never look at which
        self.transport: Transport = transport or make_transport(
            c.transport, c.base_url, c.api_key, connect_s=c.timeouts.connect_s, read_s=c.timeouts.ttft_s,
            default_headers=c.default_headers or None, fast_path=c.sdk_fast_path)
        self.rule_fallbacks: dict[str, RuleFallback] = dict(rule_fallbacks or {})
        self.breakers = BreakerRegistry(c.breaker, clock=self._clock, on_change=self._breaker_changed)
        self.cache = ResponseCache(c.cache.ttl_s, c.cache.max_entries, clock=self._clock)
        self.limiter = RateLimiter.from_policy(c.ratelimit, clock=self._clock, sleep=self._sleep)
        self._ledger = ledger
        self._ledger_lock = threading.Lock()
        self._prices = c.prices
        self._cooldown: dict[str, float] = {}  # route -> monotonic time before which not to call
        # called with every finished call's telemetry fields (e.g. Prometheus metrics)
        self.observers: list[Callable[[dict[str, Any]], Any]] = []
        self.reviews = ReviewQueue(c.review_queue_path)

    # --- construction -----------------------------------------------------------------
    @classmethod
    def from_env(cls, **overrides: Any) -> ResilientClient:
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
        self.transport.close()

    # --- small helpers ----------------------------------------------------------------
    def _emit(self, kind: str, **fields: Any) -> None:
        self._emit_fields(kind, fields)

    def _emit_fields(self, kind: str, fields: dict[str, Any]) -> None:
        # the fields travel as one dict (not re-packed as keywords at every step: an event
        # has ~20 fields, and the gateway records two per request)
        if self.config.telemetry:
            emit_fields(kind, fields)
        if kind == "call":
            for observer in self.observers:
                try:
                    observer(fields)
                except Exception:  # a dashboard hook must never break a model call
                    pass

    def _emit_for(self, ctx: CallContext, kind: str, **fields: Any) -> None:
        """A call's own attempt or call event: now, or queued on ``ctx.deferred`` when the
        caller records them after it has answered (the gateway: after the response's last byte)."""
        if ctx.deferred is None:
            self._emit_fields(kind, fields)
        else:
            ctx.deferred.append(functools.partial(self._emit_fields, kind, fields))

    def _breaker_changed(self, route: str, old: str, new: str) -> None:
        self._emit("breaker", route=route, old=old, new=new)

    def _price(self, model: str, tokens_in: int, tokens_out: int) -> float:
        # rounded like the provider's bill, so the ledger reconciles to the last digit
        return round(price_of(model, tokens_in, tokens_out, self._prices), 8)

    def _start(self, messages: Any, model: str, pattern: str, key: str, deadline_s: float | None,
               extra_headers: dict[str, str] | None, redact_pii: bool,
               deferred: list[Callable[[], None]] | None = None
               ) -> tuple[CallContext, list[dict[str, Any]]]:
        if not isinstance(model, str) or not model:
            raise InputError("model must be a non-empty string (a dated version such as lab-chat-2026-01)")
        if pattern not in PATTERNS:
            raise InputError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
        mapping: dict[str, str] = {}
        if redact_pii:
            try:
                messages, mapping = redact_messages(messages)
            except LabkitError:
                raise
            except Exception as exc:  # fail closed: nothing is sent if redaction breaks
                raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise InputError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
        deadline = Deadline(deadline_s if deadline_s is not None else self.config.timeouts.deadline_s)
        ctx = CallContext(call_id=new_id(), pattern=pattern, key=key, model_requested=model,
                   deadline=deadline, extra_headers=extra_headers, mapping=mapping,
                   redactions=len(mapping), deferred=deferred)
        return ctx, messages

    def _record_attempt(self, ctx: CallContext, route: str, t0: float, exc: BaseException | None,
                        *, stream: bool = False, note: str | None = None) -> None:
        latency_ms = (time.perf_counter() - t0) * 1000
        if exc is None:
            self._emit_for(ctx, "attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       attempt=ctx.attempts, status="ok", latency_ms=round(latency_ms, 3),
                       stream=stream)
            return
        kind = classify(exc)
        message = f"{route}: {kind}: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
        ctx.errors.append(message)
        http_status = getattr(exc, "status_code", None)
        self._emit_for(ctx, "attempt", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                   attempt=ctx.attempts, status="error", error_kind=kind, http_status=http_status,
                   error=message, latency_ms=round(latency_ms, 3), stream=stream, note=note)
        self.ledger.record(kind="failed_attempt", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=route)

    def _check_version(self, ctx: CallContext, route: str, served: str | None) -> None:
        # a dated id pins itself; an alias is pinned through config.pins
        expected = self.config.pins.get(route) or (route if is_pinned(route) else None)
        if served and expected and served != expected:
            self._emit("version_drift", call_id=ctx.call_id, pattern=ctx.pattern,
                       model_requested=route, model_pinned=expected, model_served=served,
                       refused=self.config.refuse_version_drift)
            if self.config.refuse_version_drift:
                raise PinnedVersionMismatch(
                    f"pinned {expected} for {route} but the provider served {served}; drift is refused")

    def _emit_call(self, ctx: CallContext, result: CallResult, *, stream: bool, error: str | None = None) -> None:
        breaker = self.breakers.get(ctx.model_requested).state
        self._emit_for(ctx, "call", call_id=ctx.call_id, pattern=ctx.pattern, key=ctx.key,
                   route=result.model_served or "none", model_requested=result.model_requested,
                   model_served=result.model_served, status=result.status, attempts=result.attempts,
                   latency_ms=round(result.latency_ms, 3),
                   ttft_ms=None if result.ttft_ms is None else round(result.ttft_ms, 3),
                   tokens_in=result.usage.get("prompt_tokens", 0),
                   tokens_out=result.usage.get("completion_tokens", 0), cost=result.cost,
                   cache_hit=result.cache_hit, fallback_used=result.fallback_used,
                   breaker_state=breaker, redactions=ctx.redactions, validation=result.validation,
                   stream=stream, finish_reason=result.finish_reason, error=error)

    def _give_up(self, ctx: CallContext, messages: list[dict[str, Any]], *, stream: bool
                 ) -> CallResult:
        """Every model route failed: rule-based fallback, else cannot_answer + review queue."""
        def latency() -> float:
            return (time.perf_counter() - ctx.started) * 1000

        rule = self.rule_fallbacks.get(ctx.pattern)
        if rule is not None:
            try:
                text = rule(messages)
            except Exception as exc:  # a broken rule must not hide the real failure
                ctx.errors.append(f"rule:{ctx.pattern}: {type(exc).__name__}: {exc}")
                text = None
            if text:
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
        # the queued request is the *redacted* one: the review queue must not hold raw PII
        self.reviews.add({"call_id": ctx.call_id, "ts": time.time(), "pattern": ctx.pattern, "key": ctx.key,
                          "model_requested": ctx.model_requested, "reason": reason, "messages": messages})
        result = CallResult(content=CANNOT_ANSWER, model_requested=ctx.model_requested,
                            model_served=None, status="cannot_answer", fallback_used="human_review",
                            attempts=ctx.attempts, latency_ms=latency(), call_id=ctx.call_id,
                            validation=ctx.validation, validation_error=ctx.validation_error,
                            redactions=ctx.redactions, finish_reason="cannot_answer",
                            retry_after_s=retry_after)
        self._emit_call(ctx, result, stream=stream, error=reason)
        return result

    def review_queue(self) -> list[dict[str, Any]]:
        """Requests that ended as ``cannot_answer``, oldest first (for a human to pick up)."""
        return self.reviews.items()

    def _next_routes(self, routes: list[str], failed: str, kind: str, call: str = "chat") -> list[str]:
        """Remaining routes after ``failed`` failed with ``kind`` (in a ``call`` of that kind)."""
        rest = routes[routes.index(failed) + 1:]
        if kind == "context_length":
            window = context_window(failed) or 0
            # unknown models (a real provider's) stay in the chain: they may be larger
            bigger = [r for r in rest if (context_window(r) or window + 1) > window]
            cf = self.config.context_fallback if call == "chat" else None  # a chat model
            if cf and cf != failed and cf not in bigger and (context_window(cf) or window + 1) > window:
                bigger.insert(0, cf)
            return bigger
        return rest

    def _route_admitted(self, ctx: CallContext, route: str, tokens: int, last: bool = False) -> bool:
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
            self._sleep(wait)
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

    def _run_route(self, ctx: CallContext, route: str, send: Callable[[str, Any], Any], *,
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
            timeout = RequestTimeout(ctx.deadline.attempt_timeout(t.ttft_s if not stream else max(t.ttft_s, t.idle_s)),
                                     ctx.deadline.attempt_timeout(t.connect_s))
            try:
                out = send(route, timeout)
            except BaseException as exc:
                kind = classify(exc)
                if kind in HEALTH_FAILURES:
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
        except BaseException as exc:
            replay: list[BaseException] = [exc]

        def attempt_or_replay() -> Any:
            if replay:
                raise replay.pop()
            return attempt()

        return make_retrying(self.config.retry, ctx.deadline, sleep=self._sleep)(attempt_or_replay)

    def _over_routes(self, ctx: CallContext, model: str, tokens: int, try_route: Callable[[str], Any],
                     call: Literal["chat", "embedding"] = "chat"
                     ) -> Generator[str, None, tuple[str, Any] | None]:
        """The route loop, written once for plain calls, streamed calls and embeddings.

        ``try_route(route)`` returns the route's answer, or (streaming) a generator whose text
        is passed on and whose return value is the answer. Returns ``(route, answer)`` from
        the first route that answers, or None when every route failed or was skipped.
        """
        # the fallback map's "*" entry and the context fallback name chat models: chat calls only
        routes = self.config.routes_for(model, call)
        route: str | None = routes[0] if routes else None
        while route is not None:
            if ctx.deadline.expired():  # one deadline for every attempt on every route
                ctx.errors.append(f"deadline of {ctx.deadline.seconds:g}s used up")
                break
            # cool-down (Retry-After), circuit breaker and client rate limiter, in that order
            if not self._route_admitted(ctx, route, tokens, last=route == routes[-1]):
                route = self._advance(routes, route, "breaker_open", call)
                continue
            try:
                outcome = try_route(route)
                answer = (yield from outcome) if isinstance(outcome, Generator) else outcome
            except (StreamInterrupted, PinnedVersionMismatch):
                raise  # text already reached the caller / drift is refused: never fail over
            except openai.AuthenticationError as exc:
                raise ProviderError(f"the provider rejected the API key: {exc.message}") from None
            except (ProviderError, ValidationFailed) as exc:  # this route failed: the next one
                route = self._advance(routes, route, self._failure_kind(ctx, route, exc), call)
                continue
            except LabkitError:  # budget, rate limit, bad input: the caller must see it
                raise
            except Exception as exc:  # boundary: SDK errors (already recorded per attempt) fail over
                route = self._advance(routes, route, self._failure_kind(ctx, route, exc), call)
                continue
            return route, answer
        return None

    def _failure_kind(self, ctx: CallContext, route: str, exc: BaseException) -> str:
        """The kind of a route's failure; a content-policy refusal is raised instead.

        A refusal is the provider's decision about this request, not an outage: asking another
        model would route around a safety decision (and a differently tuned model may say yes).
        The caller gets the provider's reason as ContentPolicyViolation, and telemetry a
        ``safety`` event beside the call's.
        """
        kind = classify(exc)
        if kind != "content_policy":
            return kind
        body = getattr(exc, "body", None)
        reason = body.get("message") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
        refusal = ContentPolicyViolation(str(reason or exc), model=route,
                                         code=str(code or "content_policy_violation"))
        self._emit("safety", call_id=ctx.call_id, pattern=ctx.pattern, flag="content_policy",
                   source="provider", route=route, model_requested=ctx.model_requested,
                   detail=str(refusal)[:300])
        self._refused(ctx, "content_policy", refusal)
        raise refusal from None

    # --- chat -------------------------------------------------------------------------
    def chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01", *,
             pattern: str = "direct", tools: list[dict[str, Any]] | None = None,
             tool_choice: Any = None, response_format: dict[str, Any] | None = None,
             output_model: Any = None, temperature: float | None = 0.0, seed: int | None = None,
             max_tokens: int | None = None, key: str = "default", deadline_s: float | None = None,
             redact_pii: bool = True, extra_headers: dict[str, str] | None = None,
             use_cache: bool = True, deferred: list[Callable[[], None]] | None = None) -> CallResult:
        """One chat completion through every control (the steps, in order, are in :meth:`_call`).

        ``deferred``: a list the call's attempt and call events (telemetry and the metrics
        observers) are appended to as callables instead of being recorded now; the caller runs
        them once it has answered, so that bookkeeping is not in its caller's latency (the
        gateway does, right after the answer's last byte). Every control (budget, breaker,
        ledger, cache) still acts before this method returns.

        Raises BudgetExceeded, RateLimited, RedactionFailed, PinnedVersionMismatch (if drift
        is refused), InputError, ContentPolicyViolation (the provider refused the request: a
        decision, never failed over); other model-side failures end in a fallback or
        ``cannot_answer``.
        """
        ctx, sent = self._start(messages, model, pattern, key, deadline_s, extra_headers, redact_pii,
                                deferred)
        if output_model is not None and response_format is None:
            response_format = response_format_for(output_model)
        params = {"tools": tools, "tool_choice": tool_choice, "response_format": response_format,
                  "temperature": temperature, "seed": seed, "max_tokens": max_tokens}
        return finish(self._call(ctx, sent, model, params, output_model=output_model, use_cache=use_cache))

    def stream_chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01", *,
                    pattern: str = "direct", tools: list[dict[str, Any]] | None = None,
                    tool_choice: Any = None, temperature: float | None = 0.0, seed: int | None = None,
                    max_tokens: int | None = None, key: str = "default",
                    deadline_s: float | None = None, redact_pii: bool = True,
                    extra_headers: dict[str, str] | None = None, use_cache: bool = True,
                    retry_safe: bool = False) -> ChatStream:
        """Stream an answer as ``str`` deltas; ``.result`` is set when the stream ends.

        The same steps as :meth:`chat` (:meth:`_call`); each route's stream is read by
        :func:`labkit.direct.stream.stream_route` under a time-to-first-token and a
        stream-idle limit. Raises StreamInterrupted if the stream breaks after text reached
        the caller. ``retry_safe=True`` holds each route's text until that route finished
        cleanly, so any break fails over to the next route and nothing is ever interrupted;
        the first delta then arrives with the last.

        Example:
            >>> s = client.stream_chat([{"role": "user", "content": "hi"}])  # doctest: +SKIP
            >>> "".join(s), s.result.status                                    # doctest: +SKIP
            ('Hello.', 'ok')
        """
        ctx, sent = self._start(messages, model, pattern, key, deadline_s, extra_headers, redact_pii)
        params = {"tools": tools, "tool_choice": tool_choice, "response_format": None,
                  "temperature": temperature, "seed": seed, "max_tokens": max_tokens}
        return ChatStream(self._call(ctx, sent, model, params, use_cache=use_cache, streamed=True,
                                     hold=retry_safe))

    def _call(self, ctx: CallContext, sent: list[dict[str, Any]], model: str, params: dict[str, Any], *,
              output_model: Any = None, use_cache: bool = True, streamed: bool = False,
              hold: bool = False) -> Generator[str, None, CallResult]:
        """The steps of one model call, in order; yields text only when ``streamed``.

        Step 1, PII redaction of every outgoing message (fail closed), happened in
        :meth:`_start`: ``sent`` holds placeholders and ``ctx.mapping`` the originals.
        """
        # 2. cache lookup, for deterministic requests only (temperature 0 or a seed)
        ck = None
        if use_cache and self.config.cache.enabled and is_cacheable(params["temperature"], params["seed"]):
            ck = cache_key(model=model, messages=sent, output_model=output_model, **params)
            hit = self.cache.get(ck)
            if hit is not None:
                result = self._from_cache(ctx, hit, output_model, stream=streamed)
                if streamed and result.content:
                    yield result.content
                return result
        # 3. cost estimate and budget check: BudgetExceeded before anything is sent (neither
        #    when no budget or token limit needs them: the common case, no estimate built)
        tokens = 0
        if self.config.budget.active() or self.limiter.enabled:
            estimate = self._estimate(model, sent, params["max_tokens"], params["tools"])
            self._check_budget(ctx, estimate.cost)
            tokens = estimate.tokens_in + estimate.tokens_out

        def try_route(route: str) -> Any:
            if streamed:
                return stream.stream_route(self, ctx, route, sent, params, hold=hold)
            return self._chat_route(ctx, route, sent, params, output_model)

        # 4. the route chain: the model, its fallbacks, the large-context model after a
        #    context_length_exceeded; per route: breaker, rate limiter, retries, one deadline.
        #    A content-policy refusal ends the chain (_failure_kind): a decision, not an outage.
        #    Inside each route: 5. the pinned-version check (_bill) and 6. output validation
        #    with one repair attempt (_chat_route, plain calls with an output_model)
        found = yield from self._over_routes(ctx, model, tokens, try_route)
        if found is None:
            # 7. every model route failed: the rule-based fallback, else cannot_answer + review queue
            result = self._give_up(ctx, sent, stream=streamed)
            if streamed and result.content:
                yield result.content
            return result
        route, result = found
        if route != model:
            result.status, result.fallback_used = "fallback", route
        result.latency_ms = (time.perf_counter() - ctx.started) * 1000
        if ck is not None and result.status == "ok":
            self.cache.put(ck, self._cacheable(result))
        # 8. one telemetry event per call (spend was billed per route, in _bill); answer re-hydrated
        self._emit_call(ctx, result, stream=streamed)
        return self._rehydrated(ctx, result)

    def _check_budget(self, ctx: CallContext, estimate: float) -> None:
        try:
            self.ledger.check(self.config.budget, key=ctx.key, pattern=ctx.pattern, estimate=estimate)
        except LabkitError as exc:  # refused calls are telemetry too (cost alerts, dashboards)
            self._refused(ctx, "budget_exceeded", exc)
            raise

    def _refused(self, ctx: CallContext, status: str, exc: BaseException) -> None:
        result = CallResult(content=None, model_requested=ctx.model_requested, status=status,
                            attempts=ctx.attempts, call_id=ctx.call_id, redactions=ctx.redactions,
                            latency_ms=(time.perf_counter() - ctx.started) * 1000)
        self._emit_call(ctx, result, stream=False, error=str(exc))

    def _estimate(self, model: str, sent: list[dict[str, Any]], max_tokens: int | None,
                  tools: list[dict[str, Any]] | None) -> CostEstimate:
        """The pre-call estimate (:meth:`_call` asks only when a budget or token limit needs it)."""
        return estimate_cost(model, sent, max_tokens=max_tokens, tools=tools,
                             default_output_tokens=self.config.budget.estimate_output_tokens,
                             prices=self._prices)

    def _advance(self, routes: list[str], failed: str, kind: str, call: str = "chat") -> str | None:
        """The next route to try; on context_length the chain becomes the larger models only."""
        idx = routes.index(failed) + 1
        routes[idx:] = self._next_routes(routes, failed, kind, call)
        return routes[idx] if idx < len(routes) else None

    def _chat_route(self, ctx: CallContext, route: str, sent: list[dict[str, Any]],
                    params: dict[str, Any], output_model: Any) -> CallResult:
        """One route: the call (with retries), version check, billing, validation + repair."""

        def send(model_id: str, timeout: Any, msgs: list[dict[str, Any]] = sent) -> Any:
            kwargs = {k: v for k, v in params.items() if v is not None}
            return self.transport.chat({"model": model_id, "messages": msgs, **kwargs}, timeout, ctx.extra_headers)

        resp = self._run_route(ctx, route, send)
        result = self._bill(ctx, route, resp)
        if output_model is None:
            return result
        try:
            result.parsed = validate(result.content, output_model)
            result.validation = ctx.validation = "ok"
            ctx.validation_error = None   # an earlier route's failure no longer describes the answer
            return result
        except (ValidationFailed, LabkitError, ValueError) as first:
            self._emit("validation", call_id=ctx.call_id, pattern=ctx.pattern, route=route,
                       result="failed", repair=False, error=str(first)[:300])
            repair = repair_messages(sent, result.content, first, output_model)  # type: ignore[arg-type]
            resp2 = self._run_route(ctx, route, lambda m, t: send(m, t, repair))
            second = self._bill(ctx, route, resp2)
            second.usage = {k: result.usage.get(k, 0) + second.usage.get(k, 0) for k in second.usage}
            second.cost += result.cost
            second.upstream_body = None  # its usage is now both turns': not the upstream's body
            try:
                second.parsed = validate(second.content, output_model)
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

    def _bill(self, ctx: CallContext, route: str, reply: Reply) -> CallResult:
        """Turn a reply into a CallResult, record its spend, check the pinned version."""
        resp = reply.data
        usage = resp.get("usage") or {}
        tin = int(usage.get("prompt_tokens") or 0)
        tout = int(usage.get("completion_tokens") or 0)
        served = resp.get("model") or route
        cost = self._price(served, tin, tout)
        request_id = resp.get("id")
        # billed to the model that answered, before any refusal: the provider charged it
        self.ledger.record(kind="completion", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=served,
                           tokens_in=tin, tokens_out=tout, cost=cost, request_id=request_id)
        self._check_version(ctx, route, served)
        choices = resp.get("choices") or []
        choice = choices[0] if choices else {}
        message = choice.get("message") or {}
        tool_calls = []
        for call in (message.get("tool_calls") or []):
            function = call.get("function") or {}
            tool_calls.append({"id": call.get("id"), "type": "function",
                               "function": {"name": function.get("name"),
                                            "arguments": function.get("arguments")}})
        return CallResult(content=message.get("content"), tool_calls=tool_calls,
                          model_requested=ctx.model_requested, model_served=served, status="ok",
                          attempts=ctx.attempts, usage={"prompt_tokens": tin, "completion_tokens": tout},
                          cost=cost, finish_reason=choice.get("finish_reason"),
                          call_id=ctx.call_id, request_id=request_id,
                          redactions=ctx.redactions, upstream_body=reply.raw)

    def _cacheable(self, result: CallResult) -> dict[str, Any]:
        # stored redacted (placeholders, not PII) and without the parsed object
        return {"content": result.content, "tool_calls": result.tool_calls,
                "model_served": result.model_served, "usage": dict(result.usage),
                "finish_reason": result.finish_reason, "validation": result.validation}

    def _from_cache(self, ctx: CallContext, hit: dict[str, Any], output_model: Any, *, stream: bool) -> CallResult:
        result = CallResult(content=hit["content"], tool_calls=[dict(c) for c in hit["tool_calls"]],
                            model_requested=ctx.model_requested, model_served=hit["model_served"],
                            status="ok", attempts=0, usage=dict(hit["usage"]), cost=0.0,
                            cache_hit=True, finish_reason=hit["finish_reason"], call_id=ctx.call_id,
                            validation=hit.get("validation"), redactions=ctx.redactions,
                            latency_ms=(time.perf_counter() - ctx.started) * 1000)
        if output_model is not None:
            result.parsed = validate(result.content, output_model)
        self.ledger.record(kind="cache_hit", key=ctx.key, pattern=ctx.pattern,
                           model_requested=ctx.model_requested, model_served=result.model_served,
                           tokens_in=result.usage.get("prompt_tokens", 0),
                           tokens_out=result.usage.get("completion_tokens", 0))
        self._emit_call(ctx, result, stream=stream)
        return self._rehydrated(ctx, result)

    def _rehydrated(self, ctx: CallContext, result: CallResult) -> CallResult:
        if not ctx.mapping:
            return result
        result.upstream_body = None  # the caller's answer differs from what the provider sent
        if result.content:
            result.content = rehydrate(result.content, ctx.mapping)
        for call in result.tool_calls:
            call["function"]["arguments"] = rehydrate_value(call["function"]["arguments"], ctx.mapping)
        if isinstance(result.parsed, BaseModel):
            result.parsed = type(result.parsed).model_validate(
                rehydrate_value(result.parsed.model_dump(), ctx.mapping))
        return result

    # --- embeddings -------------------------------------------------------------------
    def embed(self, texts: list[str], model: str = "lab-embed-2026-01", *, pattern: str = "rag",
              key: str = "default", deadline_s: float | None = None, redact_pii: bool = True,
              extra_headers: dict[str, str] | None = None, batch_size: int | None = None
              ) -> list[list[float]]:
        """Vectors for ``texts`` in order (see :func:`labkit.direct.embeddings.embed`).

        Example:
            >>> vecs = client.embed(["refund policy", "holiday policy"])  # doctest: +SKIP
            >>> len(vecs), len(vecs[0])                                    # doctest: +SKIP
            (2, 256)
        """
        return embeddings.embed(self, texts, model, pattern=pattern, key=key, deadline_s=deadline_s,
                                redact_pii=redact_pii, extra_headers=extra_headers, batch_size=batch_size)
