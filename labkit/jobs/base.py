"""The one job-queue interface, :class:`JobQueue`, that both backends implement.

Two backends implement :class:`JobQueue` with the same semantics, and one parametrised test
suite (``tests/test_jobs_queue.py``) holds both to them:

- ``sqlite:///path/queue.db`` — embedded: one SQLite file in WAL mode, no server; several
  local worker processes share it (see ``labkit.jobs.sqlite_backend``).
- ``redis://host:port/db`` — distributed: Redis Streams consumer groups, for work that
  outgrows one machine (see ``labkit.jobs.redis_backend``).

Semantics every backend guarantees:

- at-least-once delivery: :meth:`JobQueue.claim` hands a job out with a lease; the worker
  renews it with :meth:`JobQueue.heartbeat`; a job whose lease runs out (the worker crashed)
  is handed out again — or dead-lettered when that was its last attempt;
- idempotency keys: submitting a key twice returns the first job; a result is written once
  (:meth:`JobQueue.complete` on a finished job changes nothing and returns False);
- ``max_attempts`` with exponential backoff and jitter (:class:`RetryPolicy`); non-retryable
  failures go straight to the dead-letter queue with the reason and the last error;
  :meth:`JobQueue.dead_letters` inspects it and :meth:`JobQueue.replay` re-queues;
- deferral: :meth:`JobQueue.defer` puts a held job back unrun, not before a given time, without
  counting the attempt (its ``deferrals`` count goes up instead): a dependency said "not now"
  (an open circuit breaker, the client rate limiter), which is no fault of the job's;
- priorities (higher first, FIFO within a priority);
- result expiry (``result_ttl_s`` per job) separate from failure retention (dead jobs are
  kept ``failure_retention_s``), both applied by :meth:`JobQueue.sweep`;
- side effects applied at most once: :meth:`JobQueue.apply_effect` records an effect under a
  key atomically with "was it applied before?", so a redelivered job cannot apply it twice.
  Every real application is also written to a ledger, which :meth:`JobQueue.effect_counts`
  reads, so the chaos drill can prove the guard held. The effect is a job's commit point: a job
  that went dead after its effect was applied (its worker died between the effect and
  :meth:`JobQueue.complete` on the last attempt) is turned into ``succeeded`` by
  :meth:`JobQueue.reconcile` (run by every :meth:`JobQueue.sweep`) with ``result.reconciled``
  set and an attempt-history entry saying so, never left silently dead.

Time: every timestamp a backend stores (leases, backoff, TTLs) comes from ``clock`` (default
:func:`time.time`; epoch seconds, because several processes compare them), so tests can drive
leases and expiry with a :class:`labkit.clock.FakeClock`.

Backend options ride on the URL's query string, so every worker process opened from the same
URL behaves the same: ``retry_base``, ``retry_max``, ``jitter`` (backoff, seconds),
``retention`` (failure retention, seconds) and, for Redis, ``ns`` (key namespace).

:func:`labkit.jobs.queue.open_queue` picks the backend from a URL; this module holds only the
interface, so the backends import it without importing each other.

Example:
    >>> import tempfile, os
    >>> from labkit.jobs.queue import open_queue
    >>> q = open_queue("sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db"))
    >>> job = q.submit("noop", {"n": 1}, idempotency_key="order-1")
    >>> q.submit("noop", {"n": 1}, idempotency_key="order-1").id == job.id
    True
    >>> claimed = q.claim("default", worker_id="w1", lease_s=30)
    >>> q.complete(claimed.id, "w1", claimed.attempts, {"ok": True}), q.get(job.id).status
    (True, 'succeeded')
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from labkit.errors import InputError, JobNotFound
from labkit.jobs.models import (
    DEFAULT_FAILURE_RETENTION_S,
    DEFAULT_RESULT_TTL_S,
    Job,
    QueueStats,
    RetryPolicy,
    WorkerInfo,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class JobQueue(ABC):
    """A durable job queue with leases, retries, a dead-letter queue and an effect ledger."""

    url: str

    def __init__(self, retry: RetryPolicy | None = None, default_max_attempts: int = 5,
                 failure_retention_s: float = DEFAULT_FAILURE_RETENTION_S,
                 clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.time
        self.retry = retry or RetryPolicy()
        self.default_max_attempts = default_max_attempts
        self.failure_retention_s = failure_retention_s

    # --- producers -------------------------------------------------------------------
    @abstractmethod
    def submit(self, kind: str, payload: dict[str, Any] | None = None, *, queue: str = "default",
               priority: int = 0, idempotency_key: str | None = None,
               max_attempts: int | None = None, result_ttl_s: float | None = None,
               expires_in_s: float | None = None, delay_s: float = 0.0) -> Job:
        """Queue a job (or return the existing one with the same idempotency key)."""

    def submit_many(self, specs: list[dict[str, Any]]) -> list[str]:
        """Queue many jobs; each spec holds :meth:`submit`'s arguments. Returns job ids."""
        return [self.submit(**spec).id for spec in specs]

    # --- workers ---------------------------------------------------------------------
    @abstractmethod
    def claim(self, queue: str, worker_id: str, lease_s: float) -> Job | None:
        """Take the next runnable job with a lease, or None when there is none."""

    @abstractmethod
    def heartbeat(self, job_id: str, worker_id: str, attempt: int, lease_s: float) -> bool:
        """Extend a held lease; False when the lease was lost (the job went to someone else)."""

    @abstractmethod
    def complete(self, job_id: str, worker_id: str, attempt: int, result: Any) -> bool:
        """Store the result and mark succeeded; False (and no change) if already finished."""

    @abstractmethod
    def fail(self, job_id: str, worker_id: str, attempt: int, error: str,
             retryable: bool = True) -> str:
        """Record a failed attempt; returns the job's new status ('failed' or 'dead')."""

    @abstractmethod
    def release(self, job_id: str, worker_id: str, attempt: int) -> bool:
        """Give a held job back unrun (graceful shutdown); the attempt is not counted."""

    @abstractmethod
    def defer(self, job_id: str, worker_id: str, attempt: int, delay_s: float,
              reason: str = "") -> bool:
        """Put a held job back unrun, claimable in ``delay_s``; the attempt is not counted.

        ``deferrals`` goes up by one and ``reason`` becomes ``last_error``. False (and no
        change) when the lease was lost. A cap on deferrals is the worker's to apply.
        """

    # --- inspection and operations -----------------------------------------------------
    @abstractmethod
    def get(self, job_id: str) -> Job:
        """The job with that id; raises JobNotFound."""

    def result(self, job_id: str) -> Any:
        """The stored result of a succeeded job; JobNotFound if missing, expired or unfinished."""
        job = self.get(job_id)
        if job.status == "expired":
            raise JobNotFound(f"job {job_id}: result expired")
        if job.status != "succeeded":
            raise JobNotFound(f"job {job_id} has no result (status {job.status})")
        return job.result

    @abstractmethod
    def list_jobs(self, queue: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[Job]:
        """Jobs, newest first, optionally filtered by queue and status."""

    def dead_letters(self, queue: str | None = None, limit: int = 100) -> list[Job]:
        """The dead-letter queue: jobs that need a human, with reason and last error."""
        return self.list_jobs(queue=queue, status="dead", limit=limit)

    @abstractmethod
    def replay(self, job_ids: list[str] | None = None, queue: str | None = None) -> int:
        """Re-queue dead jobs (the given ids, or every dead job of ``queue``) with fresh attempts."""

    @abstractmethod
    def stats(self, queue: str = "default") -> QueueStats:
        """Depth, per-status counts and the oldest waiting job's age for one queue."""

    @abstractmethod
    def queues(self) -> list[str]:
        """Names of queues that hold jobs."""

    @abstractmethod
    def sweep(self, now: float | None = None) -> dict[str, int]:
        """Apply expiry (results past their TTL, stale queued jobs, dead jobs past retention)
        and :meth:`reconcile`; returns counts per action."""

    @abstractmethod
    def reconcile(self, now: float | None = None) -> list[str]:
        """Dead jobs whose side effect was applied become ``succeeded``; returns their ids.

        Only jobs that died of ``max_attempts`` or ``lease_expired`` (a non-retryable failure
        raised after the effect stays dead: the handler said so). The result is
        ``{"reconciled": true, "was": <dead_reason>, "effect": <effect value>}``.
        """

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Jobs per status across all queues (for drills and reports)."""

    # --- side effects ------------------------------------------------------------------
    @abstractmethod
    def apply_effect(self, effect_key: str, job_id: str, value: Any) -> bool:
        """Apply a side effect at most once per key; True when this call applied it."""

    @abstractmethod
    def effect_counts(self) -> dict[str, int]:
        """``applied`` (distinct keys), ``ledger`` (applications) and ``duplicates`` (keys applied twice)."""

    @abstractmethod
    def execution_counts(self) -> dict[str, int]:
        """How many jobs ran more than once (allowed under at-least-once) and total executions."""

    # --- worker registry -----------------------------------------------------------------
    @abstractmethod
    def register_worker(self, info: WorkerInfo) -> None:
        """Record a worker process start."""

    @abstractmethod
    def worker_heartbeat(self, worker_id: str, in_flight: int) -> None:
        """Record that a worker is alive."""

    @abstractmethod
    def worker_stopped(self, worker_id: str) -> None:
        """Record a graceful worker stop (so its silence does not raise an alert)."""

    @abstractmethod
    def workers(self, queue: str | None = None) -> list[WorkerInfo]:
        """Registered workers."""

    def close(self) -> None:  # noqa: B027 - an optional hook: a backend with nothing to release keeps it
        """Release connections."""

    # --- shared helpers ------------------------------------------------------------------
    def _checked(self, kind: str, payload: dict[str, Any] | None, queue: str, max_attempts: int | None,
                 result_ttl_s: float | None) -> tuple[str, int, float]:
        """What every backend checks before it stores a job: (payload JSON, attempts, result TTL)."""
        self._check_kind(kind, queue)
        attempts = self.default_max_attempts if max_attempts is None else int(max_attempts)
        if attempts < 1:
            raise InputError(f"max_attempts must be at least 1, got {attempts}")
        ttl = DEFAULT_RESULT_TTL_S if result_ttl_s is None else float(result_ttl_s)
        try:
            body = json.dumps(payload or {})
        except (TypeError, ValueError) as exc:
            raise InputError(f"job payload is not JSON-serialisable: {exc}") from None
        return body, attempts, ttl

    @staticmethod
    def _check_kind(kind: str, queue: str) -> None:
        if not kind or not isinstance(kind, str):
            raise InputError("a job needs a kind (the handler name)")
        if not queue or ":" in queue or "{" in queue:
            raise InputError(f"bad queue name {queue!r}: non-empty, without ':' or braces")

    def now(self) -> float:
        """The queue's clock (epoch seconds unless a test injected another)."""
        return self._clock()

    def __enter__(self) -> JobQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
