"""What the async-jobs workshop notebook reads jobs and queues with: tables for people, a queue watch.

``notebooks/pattern3_async_jobs.ipynb`` shows a job row, its attempt history and the queue's
depth over time. The queue already stores all of that (:class:`~labkit.jobs.models.Job`,
:meth:`~labkit.jobs.base.JobQueue.stats`); this module only turns it into rows a person reads —
times relative to the job's creation, "2 of 5" instead of two integers, a lease as seconds
left — and samples :meth:`~labkit.jobs.base.JobQueue.stats` on a timer for a plot. It also
opens the workshop's own queue (a fresh SQLite file, or a private ``redis-server`` when one is
installed), so a notebook run never reads another run's jobs.

It does not run workers or handlers (:mod:`labkit.jobs.worker` does) and changes no job.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> wq = workshop_queue("sqlite", Path(tempfile.mkdtemp()))
    >>> job = wq.queue.submit("noop", {"n": 1})
    >>> row = job_row(wq.queue.get(job.id))
    >>> row["status"], row["attempts"]
    ('queued', '0 of 5')
    >>> wq.close()
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.errors import InputError, JobError
from labkit.jobs.base import JobQueue
from labkit.jobs.models import Job, RetryPolicy
from labkit.jobs.queue import open_queue


@dataclass
class WorkshopQueue:
    """The notebook's queue: its URL (what workers open), the queue, and what to stop at the end."""

    url: str
    queue: JobQueue
    backend: str
    note: str = ""
    _server: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def close(self) -> None:
        """Close the queue and stop the private redis-server, if one was started."""
        self.queue.close()
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._server.kill()
            self._server = None


def workshop_queue(backend: str, folder: Path, *, retry_base_s: float = 0.3, jitter: float = 0.5,
                   max_attempts: int = 5) -> WorkshopQueue:
    """A fresh queue in ``folder`` for one notebook run (``backend``: ``"sqlite"`` or ``"redis"``).

    The backoff options ride on the URL (``retry_base``, ``jitter``, ``max_attempts``), so
    every worker process opened from it retries the same way. ``"redis"`` starts a private
    ``redis-server`` on a free port; when none is installed it falls back to SQLite and says
    so in ``note`` (the two backends keep the same semantics, one test suite holds both).

    Example:
        >>> import tempfile
        >>> wq = workshop_queue("sqlite", Path(tempfile.mkdtemp()), retry_base_s=0.5)
        >>> wq.backend, "retry_base=0.5" in wq.url
        ('sqlite', True)
        >>> wq.close()
    """
    if backend not in ("sqlite", "redis"):
        raise InputError(f"backend must be 'sqlite' or 'redis', got {backend!r}")
    options = f"retry_base={retry_base_s:g}&jitter={jitter:g}&max_attempts={max_attempts}"
    note = ""
    if folder.exists():
        shutil.rmtree(folder)     # a fresh queue per run: re-running the notebook starts clean
    folder.mkdir(parents=True)
    if backend == "redis":
        if shutil.which("redis-server") is None:
            note = "redis-server is not installed: using the SQLite backend instead"
            backend = "sqlite"
        else:
            # lazy: the drill module pulls in the client and spawns processes; only Redis needs it
            from labkit.jobs.chaos import start_redis

            server, base = start_redis(folder / "redis", fsync="everysec")
            url = f"{base}?ns=workshop&{options}"
            return WorkshopQueue(url, open_queue(url), "redis", f"private redis-server at {base}", server)
    url = f"sqlite:///{folder / 'queue.db'}?{options}"
    return WorkshopQueue(url, open_queue(url), "sqlite", note)


def _since(value: float | None, origin: float) -> float | None:
    return None if value is None else round(value - origin, 2)


def job_row(job: Job, now: float | None = None) -> dict[str, Any]:
    """One job as a person reads it: status, "attempts used of allowed", lease and backoff as seconds.

    ``lease left (s)`` is how long the worker holding the job may stay silent before anyone
    else may take it; ``runnable in (s)`` is the backoff (or deferral) still to wait.

    Example:
        >>> from labkit.jobs.models import Job
        >>> job = Job(id="j1", kind="noop", created_at=100.0, available_at=103.0, attempts=1,
        ...           status="failed", last_error="boom")
        >>> r = job_row(job, now=101.0)
        >>> r["attempts"], r["runnable in (s)"], r["last error"]
        ('1 of 5', 2.0, 'boom')
    """
    now = time.time() if now is None else now
    lease = None if job.lease_expires_at is None else round(job.lease_expires_at - now, 2)
    wait = round(job.available_at - now, 2) if job.status in ("queued", "failed") else None
    return {"job": job.id[-8:], "kind": job.kind, "status": job.status,
            "attempts": f"{job.attempts} of {job.max_attempts}", "deferrals": job.deferrals,
            "worker": job.worker_id or "–", "lease left (s)": lease,
            "runnable in (s)": wait if wait and wait > 0 else None,
            "last error": _short(job.last_error), "dead reason": job.dead_reason or "–"}


_TIMES = ("created_at", "available_at", "started_at", "finished_at", "lease_expires_at",
          "result_expires_at", "expires_at")


def job_fields(job: Job) -> dict[str, Any]:
    """Every stored field of a job (no payload, result or history bodies), times as clock times.

    Example:
        >>> from labkit.jobs.models import Job
        >>> f = job_fields(Job(id="j1", kind="noop", created_at=0.0, available_at=0.0))
        >>> f["status"], f["started_at"], len(f["created_at"])
        ('queued', '–', 12)
    """
    out: dict[str, Any] = {}
    for name, value in job.model_dump(exclude={"payload", "result", "history"}).items():
        if name in _TIMES:
            value = "–" if value is None else time.strftime("%H:%M:%S", time.localtime(value)) + f"{value % 1:.3f}"[1:]
        out[name] = "–" if value is None else value
    return out


def _short(text: str | None, limit: int = 90) -> str:
    if not text:
        return "–"
    first = text.split(" | ", 1)[0]   # the worker appends a traceback after " | "
    return first if len(first) <= limit else first[: limit - 1] + "…"


def history_rows(job: Job) -> list[dict[str, Any]]:
    """The job's attempt history, one row per delivery, times in seconds since it was submitted.

    Example:
        >>> from labkit.jobs.models import Attempt, Job
        >>> job = Job(id="j1", kind="noop", created_at=100.0, available_at=100.0, history=[
        ...     Attempt(attempt=1, worker_id="w1", started_at=100.5, ended_at=101.0, outcome="failed", error="x")])
        >>> history_rows(job)[0]["started (s)"], history_rows(job)[0]["outcome"]
        (0.5, 'failed')
    """
    rows = []
    for a in job.history:
        rows.append({"attempt": a.attempt, "worker": a.worker_id, "started (s)": _since(a.started_at, job.created_at),
                     "ended (s)": _since(a.ended_at, job.created_at),
                     "outcome": a.outcome or "(running)", "error": _short(a.error)})
    return rows


def wait_until(predicate: Callable[[], Any], timeout_s: float = 30.0, poll_s: float = 0.05,
               what: str = "the condition") -> Any:
    """Poll ``predicate`` until it returns something truthy and return that; JobError on timeout.

    Example:
        >>> wait_until(lambda: 42)
        42
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise JobError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(poll_s)


class QueueWatch:
    """Sample a queue's stats every ``interval_s`` in a background thread (for a depth/age plot).

    Use as a context manager around whatever fills and drains the queue; ``rows`` holds one
    sample per tick: seconds since the start, depth, running, succeeded, dead, oldest age.

    Example:
        >>> import tempfile
        >>> wq = workshop_queue("sqlite", Path(tempfile.mkdtemp()))
        >>> with QueueWatch(wq.queue, interval_s=0.01) as watch:
        ...     _ = wq.queue.submit("noop"); time.sleep(0.05)
        >>> max(r["depth"] for r in watch.rows)
        1
        >>> wq.close()
    """

    def __init__(self, queue: JobQueue, name: str = "default", interval_s: float = 0.1) -> None:
        if interval_s <= 0:
            raise InputError(f"interval_s must be positive, got {interval_s}")
        self.queue, self.name, self.interval_s = queue, name, interval_s
        self.rows: list[dict[str, Any]] = []
        self.marks: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="queue-watch", daemon=True)
        self._t0 = 0.0

    def _sample(self) -> None:
        s = self.queue.stats(self.name)
        self.rows.append({"t (s)": round(time.monotonic() - self._t0, 3), "depth": s.depth,
                          "running": s.running, "succeeded": s.succeeded, "dead": s.dead,
                          "oldest age (s)": round(s.oldest_age_s, 3)})

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def mark(self, label: str) -> None:
        """Note an event (a worker started, a burst arrived) at the current time, for the plot."""
        self.marks.append((round(time.monotonic() - self._t0, 3), label))

    def __enter__(self) -> QueueWatch:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()    # the final state, after the last tick


def backoff_rows(policy: RetryPolicy, attempts: int = 5) -> list[dict[str, Any]]:
    """The wait after each failed attempt under ``policy``: its longest (no jitter) and shortest value.

    Example:
        >>> [(r["longest wait (s)"], r["shortest wait (s)"]) for r in backoff_rows(RetryPolicy(base_delay_s=1, jitter=0.5), 3)]
        [(1.0, 0.5), (2.0, 1.0), (4.0, 2.0)]
    """
    rows = []
    for n in range(1, attempts + 1):
        longest = min(policy.max_delay_s, policy.base_delay_s * 2 ** (n - 1))
        rows.append({"after failed attempt": n, "longest wait (s)": float(longest),
                     "shortest wait (s)": float(longest * (1.0 - policy.jitter))})
    return rows
