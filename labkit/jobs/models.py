"""The job record, its statuses and the retry policy, shared by every queue backend.

A job is one unit of background work: a handler name (``kind``), a JSON payload, a queue, a
priority and an optional idempotency key. Its life:

    queued --claim--> running --complete--> succeeded --result TTL--> expired
                         |  \\--fail (retryable, attempts left)--> failed --backoff--> (claimable)
                         |  \\--fail (non-retryable or attempts used up)--> dead  (the DLQ)
                         |  \\--defer ("not now": breaker open, rate limit)--> queued, not before
                         |        a given time; the attempt is not counted (``deferrals`` is)
                         \\--lease expires (worker crashed)--> claimable again (or dead on the last attempt)

``failed`` means "this attempt failed, another is scheduled"; ``dead`` means "in the
dead-letter queue, a human must look". A dead job whose side effect had already been applied
(the worker died after :meth:`~labkit.jobs.queue.JobQueue.apply_effect` on its last attempt)
is reconciled to ``succeeded`` by :meth:`~labkit.jobs.queue.JobQueue.reconcile`, with
``result.reconciled`` set, so it is never silently dead. A queued job whose own deadline
(``expires_at``) passes before anyone runs it also becomes ``expired``: stale work is not
worth doing.

This module holds data and arithmetic only; storage lives in the backends.

Example:
    >>> policy = RetryPolicy(base_delay_s=1.0, max_delay_s=60.0, jitter=0.0)
    >>> [policy.delay(n) for n in (1, 2, 3)]
    [1.0, 2.0, 4.0]
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "dead", "expired"]
STATUSES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "dead", "expired")
TERMINAL: frozenset[str] = frozenset({"succeeded", "dead", "expired"})

DEFAULT_RESULT_TTL_S = 24 * 3600.0          # results are for the caller to fetch, then go
DEFAULT_FAILURE_RETENTION_S = 7 * 24 * 3600.0  # dead jobs stay longer: people investigate them


class Attempt(BaseModel):
    """One delivery of a job to a worker, and how it ended."""

    attempt: int
    worker_id: str
    started_at: float
    ended_at: float | None = None
    outcome: str | None = None      # succeeded | failed | dead | released | deferred | lease_expired | reconciled
    error: str | None = None


class Job(BaseModel):
    """A job as stored by any backend."""

    id: str
    queue: str = "default"
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0
    idempotency_key: str | None = None
    status: JobStatus = "queued"
    attempts: int = 0
    max_attempts: int = 5
    deferrals: int = 0              # times put back unrun because a dependency said "not now"
    created_at: float
    available_at: float
    started_at: float | None = None
    finished_at: float | None = None
    lease_expires_at: float | None = None
    worker_id: str | None = None
    result: Any = None
    last_error: str | None = None
    dead_reason: str | None = None
    result_ttl_s: float = DEFAULT_RESULT_TTL_S
    result_expires_at: float | None = None
    expires_at: float | None = None
    history: list[Attempt] = Field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The fields a status listing shows (no payload or result bodies)."""
        return {k: getattr(self, k) for k in (
            "id", "queue", "kind", "status", "priority", "attempts", "max_attempts",
            "last_error", "dead_reason")}


class QueueStats(BaseModel):
    """A snapshot of one queue, the numbers the metrics and alert rules read."""

    queue: str
    depth: int                      # waiting to run: queued + failed (awaiting a retry)
    queued: int
    running: int
    failed: int
    succeeded: int
    dead: int
    expired: int
    oldest_age_s: float             # age of the oldest job waiting to run (0 when none)
    workers_alive: int = 0


class WorkerInfo(BaseModel):
    """A worker process's registration and heartbeat."""

    worker_id: str
    queue: str
    pid: int
    host: str
    started_at: float
    last_heartbeat: float
    in_flight: int = 0
    stopped_at: float | None = None


class RetryPolicy(BaseModel):
    """Exponential backoff with full jitter between attempts of one job.

    The delay before attempt ``n+1`` is ``min(max_delay, base * 2**(n-1))``, scaled by a
    random factor in ``[1 - jitter, 1]`` so that jobs which failed together (a provider
    outage) do not all retry in the same instant.
    """

    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    jitter: float = Field(0.5, ge=0.0, le=1.0)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.max_delay_s, self.base_delay_s * (2 ** max(0, attempt - 1)))
        if self.jitter <= 0:
            return float(raw)
        r = (rng or random).random()
        return float(raw * (1.0 - self.jitter * r))


def new_job_id() -> str:
    """A time-ordered unique id (hex nanoseconds + random), so ids sort by creation."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:8]}"
