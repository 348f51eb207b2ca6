"""Job handlers: what a worker runs for each job ``kind``, and the context it runs with.

A handler is a plain function ``handler(ctx: JobContext) -> result`` (anything JSON-able).
Raise :class:`labkit.errors.NonRetryableJobError` (or let
:class:`labkit.errors.ValidationFailed` escape) to send the job straight to the dead-letter
queue; raise (or let escape) :class:`labkit.errors.CallDeferred` or
:class:`labkit.errors.RateLimitDeferred` for "not now" — the job goes back to the queue until
``retry_after_s`` without spending an attempt (:func:`answered` turns the client's deferred
``cannot_answer`` result into that error); any other exception is retried with backoff until
``max_attempts``.

Side effects (writing a record, sending a message) must go through
:meth:`JobContext.apply_effect`, which applies them at most once per job even when the job
is delivered twice — at-least-once delivery makes handlers run more than once, so only the
effect write can be the guard. The effect is the job's commit point: a job that goes dead after
its effect was applied is reconciled to ``succeeded`` (see :meth:`JobQueue.reconcile`), so
apply the effect last.

Kinds resolve through :data:`HANDLERS` (built-ins below and anything :func:`register`-ed) or,
failing that, as ``"package.module:function"``, so a notebook can run its own handlers
without editing labkit.

Example:
    >>> @register("double")
    ... def double(ctx: JobContext) -> dict:
    ...     return {"value": ctx.payload["n"] * 2}
    >>> resolve("double") is double
    True
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labkit.errors import CallDeferred, InputError, JobError, NonRetryableJobError
from labkit.jobs.models import Job
from labkit.jobs.queue import JobQueue

Handler = Callable[["JobContext"], Any]
HANDLERS: dict[str, Handler] = {}


@dataclass
class JobContext:
    """What a handler sees: the job, its payload, and the at-most-once effect writer."""

    job: Job
    queue: JobQueue
    worker_id: str
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def attempt(self) -> int:
        return self.job.attempts

    def effect_key(self) -> str:
        """The job's effect key: its idempotency key if it has one, else its id."""
        return self.job.idempotency_key or self.job.id

    def apply_effect(self, value: Any, key: str | None = None) -> bool:
        """Apply this job's side effect once; True if this call applied it, False if done before."""
        return self.queue.apply_effect(key or self.effect_key(), self.job.id, value)


_client_lock = threading.Lock()
_client: Any = None


def shared_client() -> Any:
    """One resilient client per worker process, built on first use from OPENAI_BASE_URL.

    Building a client opens its ledger and cache (~0.5 s), and its breaker must see every
    job's calls to be of any use — so handlers share one instead of making one per job.
    """
    global _client
    with _client_lock:
        if _client is None:
            from labkit.patterns.direct import ResilientClient  # heavy: only when a job calls a model

            _client = ResilientClient.from_env()
        return _client


def warm_client() -> None:
    """Build the shared client and load what its first call would load lazily.

    For ``labkit worker --preload labkit.jobs.handlers:warm_client``: the worker runs it
    before claiming, so no job holds a lease while the client is being built.

    Example:
        >>> warm_client()          # doctest: +SKIP
    """
    import labkit.controls.pii  # noqa: F401 - imported by the client's first redaction
    import labkit.controls.validation  # noqa: F401 - imported by its first output check

    shared_client().ledger     # the ledger opens on first use


def answered(result: Any) -> Any:
    """The client's result, or :class:`CallDeferred` when it is a "not now" (no route was tried).

    A ``cannot_answer`` whose ``retry_after_s`` is set means every route was skipped (open
    breakers, Retry-After) and nothing reached the provider: the job should wait, not fail.

    Example:
        >>> from labkit.patterns.direct import CallResult
        >>> answered(CallResult(content="hi")).content
        'hi'
        >>> answered(CallResult(content=None, status="cannot_answer", retry_after_s=2.0))
        Traceback (most recent call last):
        labkit.errors.CallDeferred: no model route may be tried for 2.00s; the job waits
    """
    retry_after = getattr(result, "retry_after_s", None)
    if getattr(result, "status", None) == "cannot_answer" and retry_after is not None:
        raise CallDeferred(f"no model route may be tried for {retry_after:.2f}s; the job waits",
                           retry_after_s=retry_after)
    return result


def register(name: str) -> Callable[[Handler], Handler]:
    """Decorator: make ``fn`` the handler for jobs of kind ``name``."""
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return deco


# handlers that live in heavier modules, imported only when a job of that kind runs
_LAZY = {"invoice_extract": "labkit.jobs.batch:extract_invoice",
         "chaos_call": "labkit.jobs.chaos:chaos_call"}


def resolve(kind: str) -> Handler:
    """The handler for ``kind``; raises NonRetryableJobError when there is none."""
    if kind in HANDLERS:
        return HANDLERS[kind]
    target = _LAZY.get(kind, kind)
    if ":" not in target:
        raise NonRetryableJobError(f"no handler for job kind {kind!r}")
    module_name, attr = target.split(":", 1)
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise NonRetryableJobError(f"cannot load handler {target!r}: {exc}") from None
    HANDLERS[kind] = fn
    return fn


# --- built-in handlers (used by tests, the benchmark and the drills) --------------------

@register("noop")
def noop(ctx: JobContext) -> dict[str, Any]:
    """Does nothing; measures the queue's own overhead."""
    return {"ok": True}


@register("sleep")
def sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleeps ``payload['seconds']`` (a stand-in for slow I/O)."""
    seconds = float(ctx.payload.get("seconds", 0.1))
    time.sleep(seconds)
    return {"slept": seconds}


@register("effect")
def effect(ctx: JobContext) -> dict[str, Any]:
    """Applies one side effect (``payload['value']``), optionally after sleeping ``seconds``."""
    if ctx.payload.get("seconds"):
        time.sleep(float(ctx.payload["seconds"]))
    applied = ctx.apply_effect(ctx.payload.get("value", ctx.job.id))
    return {"applied": applied}


@register("fail")
def fail(ctx: JobContext) -> None:
    """Always fails with a retryable error."""
    raise JobError(ctx.payload.get("error", "simulated transient failure"))


@register("poison")
def poison(ctx: JobContext) -> None:
    """Always fails with a non-retryable error (goes straight to the DLQ)."""
    raise NonRetryableJobError(ctx.payload.get("error", "malformed input"))


@register("flaky")
def flaky(ctx: JobContext) -> dict[str, Any]:
    """Fails its first ``payload['fail_times']`` attempts, then succeeds."""
    if ctx.attempt <= int(ctx.payload.get("fail_times", 1)):
        raise JobError(f"transient failure on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}


@register("chat")
def chat(ctx: JobContext) -> dict[str, Any]:
    """One model call through the resilient client: ``payload`` = {messages, model?, …}."""
    messages = ctx.payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise NonRetryableJobError("chat job needs payload.messages (a non-empty list)")
    client = ctx.extras.get("client") or shared_client()
    r = answered(client.chat(messages=messages, model=ctx.payload.get("model", "lab-chat-2026-01"),
                             pattern="jobs", key=ctx.payload.get("key", "default")))
    return {"content": r.content, "status": r.status, "model_served": r.model_served,
            "cost": r.cost}


def _check_known(kind: str) -> None:
    """Raise InputError for kinds that resolve to nothing (used by the CLI before submitting)."""
    try:
        resolve(kind)
    except NonRetryableJobError as exc:
        raise InputError(str(exc)) from None
