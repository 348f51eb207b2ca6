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

Job kinds are registered, never looked up from import paths: ``@job_kind("name")`` puts a
handler in :data:`HANDLERS` when its module is imported. The built-ins are below; the batch
(:mod:`labkit.jobs.batch`), the chaos drill (:mod:`labkit.jobs.chaos`) and the service
(:mod:`labkit.service.job_handlers`) register their own, and a worker process knows a kind
because ``labkit worker`` imports those modules (a fixed list in :mod:`labkit.commands.jobs`).
A notebook registers its handlers the same way and runs them with an in-process worker.

Example:
    >>> @job_kind("double")
    ... def double(ctx: JobContext) -> dict:
    ...     return {"value": ctx.payload["n"] * 2}
    >>> resolve("double") is double
    True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labkit.errors import (
    CallDeferred,
    ConfigError,
    InputError,
    JobError,
    NonRetryableJobError,
)
from labkit.jobs.models import Job
from labkit.jobs.queue import JobQueue

if TYPE_CHECKING:  # typing only: the client itself loads on a job's first model call
    from labkit.direct.client import ResilientClient

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
_client: ResilientClient | None = None


def shared_client() -> ResilientClient:
    """One resilient client per worker process, built on first use from OPENAI_BASE_URL.

    Building a client opens its ledger and cache (~0.5 s), and its breaker must see every
    job's calls to be of any use — so handlers share one instead of making one per job.
    """
    global _client
    with _client_lock:
        if _client is None:
            # lazy: openai and the controls load only when a job calls a model (workers start fast)
            from labkit.direct import ResilientClient

            _client = ResilientClient.from_env()
        return _client


def warm_client() -> None:
    """Build the shared client and load what its first call would load lazily.

    For ``labkit worker --preload labkit.jobs.handlers:warm_client``: the worker runs it
    before claiming, so no job holds a lease while the client is being built.

    Example:
        >>> warm_client()          # doctest: +SKIP
    """
    # lazy: this function IS the warm-up; it loads what a first call would
    import labkit.controls.pii

    # the PII word lists, street vocabulary and patterns load on first use (~3 s of CPU): a
    # worker that met them inside its first job held that job's lease the whole time
    labkit.controls.pii.warm_up()

    # lazy: as above
    import labkit.controls.validation

    _ = shared_client().ledger  # the ledger opens on first use


def answered(result: Any) -> Any:
    """The client's result, or :class:`CallDeferred` when it is a "not now" (no route was tried).

    A ``cannot_answer`` whose ``retry_after_s`` is set means every route was skipped (open
    breakers, Retry-After) and nothing reached the provider: the job should wait, not fail.

    Example:
        >>> from labkit.direct import CallResult
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


def job_kind(name: str) -> Callable[[Handler], Handler]:
    """Decorator: register ``fn`` as the handler for jobs of kind ``name`` (one handler per kind)."""
    def deco(fn: Handler) -> Handler:
        known = HANDLERS.get(name)
        if known is not None and known is not fn and (known.__module__, known.__qualname__) != (
                fn.__module__, fn.__qualname__):
            raise ConfigError(f"job kind {name!r} is already registered by {known.__module__}.{known.__qualname__}")
        HANDLERS[name] = fn
        return fn
    return deco


def resolve(kind: str) -> Handler:
    """The handler registered for ``kind``; NonRetryableJobError (the job is dead) when there is none."""
    try:
        return HANDLERS[kind]
    except KeyError:
        raise NonRetryableJobError(f"no handler for job kind {kind!r} "
                                   f"(registered: {', '.join(sorted(HANDLERS))})") from None


# --- built-in handlers (used by tests, the benchmark and the drills) --------------------

@job_kind("noop")
def noop(ctx: JobContext) -> dict[str, Any]:
    """Does nothing; measures the queue's own overhead."""
    return {"ok": True}


@job_kind("sleep")
def sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleeps ``payload['seconds']`` (a stand-in for slow I/O)."""
    seconds = float(ctx.payload.get("seconds", 0.1))
    time.sleep(seconds)
    return {"slept": seconds}


@job_kind("effect")
def effect(ctx: JobContext) -> dict[str, Any]:
    """Applies one side effect (``payload['value']``), optionally after sleeping ``seconds``."""
    if ctx.payload.get("seconds"):
        time.sleep(float(ctx.payload["seconds"]))
    applied = ctx.apply_effect(ctx.payload.get("value", ctx.job.id))
    return {"applied": applied}


@job_kind("fail")
def fail(ctx: JobContext) -> None:
    """Always fails with a retryable error."""
    raise JobError(ctx.payload.get("error", "simulated transient failure"))


@job_kind("poison")
def poison(ctx: JobContext) -> None:
    """Always fails with a non-retryable error (goes straight to the DLQ)."""
    raise NonRetryableJobError(ctx.payload.get("error", "malformed input"))


@job_kind("flaky")
def flaky(ctx: JobContext) -> dict[str, Any]:
    """Fails its first ``payload['fail_times']`` attempts, then succeeds."""
    if ctx.attempt <= int(ctx.payload.get("fail_times", 1)):
        raise JobError(f"transient failure on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}


@job_kind("chat")
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


def check_known(kind: str) -> None:
    """Raise InputError for kinds that resolve to nothing (used by the CLI before submitting)."""
    try:
        resolve(kind)
    except NonRetryableJobError as exc:
        raise InputError(str(exc)) from None
