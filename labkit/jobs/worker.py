"""Queue workers: claim, run, heartbeat, record — and stop gracefully on SIGTERM.

A :class:`Worker` is one process with ``concurrency`` runner threads (model calls are I/O
bound, so threads keep a process busy without the memory of one process per slot) and one
housekeeping thread that

- renews the lease of every job in flight (every ``lease_s / 3``), so only a *crashed*
  worker's jobs are redelivered;
- writes the worker's own heartbeat (the "worker silent" alert reads it);
- every ``stats_interval_s``: applies expiry (:meth:`JobQueue.sweep`), publishes queue depth
  and oldest-job age as Prometheus gauges and a ``queue`` telemetry event, and — with
  ``monitor=True`` — evaluates the alert rules.

"Not now" is not a failure: a handler that meets :class:`~labkit.errors.CallDeferred` (every
model route skipped because its circuit breaker is open) or
:class:`~labkit.errors.RateLimitDeferred` (the client rate limiter) gets its job put back with
:meth:`JobQueue.defer`, claimable once the breaker may probe again (``retry_after_s``, plus up
to 25% jitter so deferred jobs do not all return in the same instant), and its attempt is not
counted. Against livelock, a job deferred ``max_deferrals`` times has its next deferral
recorded as a failed attempt (its ``last_error`` says the cap was hit) — so a dependency that
never recovers still ends in the dead-letter queue, loudly; the report and a ``job`` telemetry
event (``status="deferral_cap"``) count these.

Shutdown: SIGTERM/SIGINT (or :meth:`Worker.stop`) stops claiming; jobs in flight get
``grace_s`` to finish, and whatever is still running then is released back to the queue
unharmed (its attempt is not counted). SIGKILL cannot be caught: that is what leases are for.

:func:`spawn_worker` starts a worker as a real OS process (``python -m labkit.cli worker``),
which is how the tests, the drill and the benchmark run them.

Example:
    >>> import tempfile, os
    >>> from labkit.jobs.queue import open_queue
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db")
    >>> q = open_queue(url); _ = q.submit("noop")
    >>> Worker(url, concurrency=2, burst=True, events=False).run().succeeded
    1
"""

from __future__ import annotations

import importlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from labkit.errors import (
    CallDeferred,
    ConfigError,
    ContentPolicyViolation,
    InputError,
    LabkitError,
    NonRetryableJobError,
    RateLimitDeferred,
    ValidationFailed,
)
from labkit.jobs.alerts import (  # prometheus only when running
    AlertMonitor,
    publish_stats,
)
from labkit.jobs.handlers import JobContext, resolve
from labkit.jobs.models import Job, WorkerInfo
from labkit.jobs.queue import JobQueue, open_queue
from labkit.telemetry.events import emit


@dataclass
class WorkerReport:
    """What one worker did before it stopped."""

    worker_id: str
    succeeded: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0
    deferred: int = 0          # put back unrun ("not now"), attempt not counted
    deferral_cap_hits: int = 0  # deferrals past max_deferrals, recorded as failed attempts
    leases_lost: int = 0
    errors: list[str] = field(default_factory=list)


class Worker:
    """One worker process's loop (see module docstring)."""

    def __init__(self, url: str | None = None, queue: str = "default", concurrency: int = 1,
                 lease_s: float = 30.0, poll_s: float = 0.05, grace_s: float = 10.0,
                 burst: bool = False, worker_id: str | None = None, events: bool = True,
                 stats_interval_s: float = 5.0, monitor: bool = False,
                 extras: dict[str, Any] | None = None, preload: list[str] | None = None,
                 max_deferrals: int = 50, min_defer_s: float = 0.05) -> None:
        if concurrency < 1:
            raise InputError(f"concurrency must be at least 1, got {concurrency}")
        self.url = url
        self.queue_name = queue
        self.q: JobQueue = open_queue(url)
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.grace_s = grace_s
        self.burst = burst
        self.events = events
        self.stats_interval_s = stats_interval_s
        self.monitor = monitor
        self.extras = extras or {}
        self.preload = list(preload or [])
        if max_deferrals < 0:
            raise InputError(f"max_deferrals must be 0 or more, got {max_deferrals}")
        self.max_deferrals = max_deferrals
        self.min_defer_s = min_defer_s
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.report = WorkerReport(self.worker_id)
        self._stopping = threading.Event()
        self._in_flight: dict[str, Job] = {}
        self._lock = threading.Lock()

    # --- control --------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop claiming; in-flight jobs finish (or are released after ``grace_s``)."""
        self._stopping.set()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stop()

    def run(self) -> WorkerReport:
        """Run until stopped (or, with ``burst``, until the queue is empty); returns the report."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        # import heavy handler modules (and run warm-ups such as building the shared model
        # client) before taking any job, so a slow start (or a kill during it) does not hold
        # leased jobs hostage: built inside the first jobs, the client cost every runner
        # thread ~0.2-0.6 s of leased time while they queued on its lock
        for target in self.preload:
            module, _, fn = target.partition(":")
            try:
                loaded = importlib.import_module(module)
                if fn:
                    getattr(loaded, fn)()
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"cannot preload {target!r}: {exc}") from None
        now = time.time()
        self.q.register_worker(WorkerInfo(worker_id=self.worker_id, queue=self.queue_name,
                                          pid=os.getpid(), host=socket.gethostname(),
                                          started_at=now, last_heartbeat=now))
        if self.events:
            emit("worker", event="started", worker_id=self.worker_id, queue=self.queue_name,
                 concurrency=self.concurrency)
        runners = [threading.Thread(target=self._runner, name=f"runner-{i}", daemon=True)
                   for i in range(self.concurrency)]
        keeper = threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True)
        for t in runners:
            t.start()
        keeper.start()
        while not self._stopping.is_set():
            self._stopping.wait(0.2)
        deadline = time.monotonic() + self.grace_s
        for t in runners:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            leftovers = list(self._in_flight.values())
        for job in leftovers:   # still running after the grace period: hand back, unharmed
            if self._safe(self.q.release, job.id, self.worker_id, job.attempts):
                self.report.released += 1
        self._safe(self.q.worker_stopped, self.worker_id)
        if self.events:
            emit("worker", event="stopped", worker_id=self.worker_id, queue=self.queue_name,
                 succeeded=self.report.succeeded, dead=self.report.dead,
                 released=self.report.released)
        return self.report

    # --- the loops ----------------------------------------------------------------------------
    def _safe(self, fn: Any, *args: Any) -> Any:
        """Call a queue operation, retrying briefly; a persistent failure is logged, not raised."""
        for attempt in range(5):
            try:
                return fn(*args)
            except Exception as exc:
                if attempt == 4:
                    self._log(f"{fn.__name__} failed: {exc}")
                    return None
                time.sleep(0.1 * 2 ** attempt)
        return None

    def _log(self, message: str) -> None:
        self.report.errors.append(message)
        print(f"[worker {self.worker_id}] {message}", file=sys.stderr, flush=True)

    def _runner(self) -> None:
        idle_since: float | None = None
        while not self._stopping.is_set():
            try:
                job = self.q.claim(self.queue_name, self.worker_id, self.lease_s)
            except Exception as exc:
                self._log(f"claim failed: {exc}")
                self._stopping.wait(0.5)
                continue
            if job is None:
                if self.burst:
                    idle_since = idle_since or time.monotonic()
                    if self._drained(idle_since):
                        self.stop()
                        return
                self._stopping.wait(self.poll_s)
                continue
            idle_since = None
            with self._lock:
                self._in_flight[job.id] = job
            try:
                self._execute(job)
            finally:
                with self._lock:
                    self._in_flight.pop(job.id, None)

    def _drained(self, idle_since: float) -> bool:
        """Burst mode ends when nothing waits or runs anywhere in the queue."""
        if time.monotonic() - idle_since < self.poll_s * 2:
            return False
        with self._lock:
            if self._in_flight:
                return False
        stats = self._safe(self.q.stats, self.queue_name)
        return stats is not None and stats.depth == 0 and stats.running == 0

    def _execute(self, job: Job) -> None:
        started = time.perf_counter()
        ctx = JobContext(job=job, queue=self.q, worker_id=self.worker_id, extras=self.extras)
        outcome, error = "succeeded", None
        try:
            result = resolve(job.kind)(ctx)
        except (CallDeferred, RateLimitDeferred) as exc:
            error = f"{type(exc).__name__}: {exc}"
            if job.deferrals < self.max_deferrals:
                delay = max(self.min_defer_s, exc.retry_after_s) * (1.0 + 0.25 * random.random())
                deferred = self._safe(self.q.defer, job.id, self.worker_id, job.attempts, delay, error)
                outcome = "deferred" if deferred else "lease_lost"
            else:   # the cap: count it as a failed attempt, and say why
                self.report.deferral_cap_hits += 1
                error = f"deferred {job.deferrals} times (cap {self.max_deferrals}); {error}"
                self._log(f"job {job.id}: {error}")
                outcome = self._safe(self.q.fail, job.id, self.worker_id, job.attempts, error, True)
                if self.events:
                    emit("job", queue=job.queue, job_id=job.id, job_kind=job.kind,
                         status="deferral_cap", attempt=job.attempts, worker_id=self.worker_id,
                         error=error)
        except (NonRetryableJobError, ValidationFailed, ContentPolicyViolation) as exc:
            # a refusal is the provider's decision: asking again gets the same answer
            error = f"{type(exc).__name__}: {exc}"
            outcome = self._safe(self.q.fail, job.id, self.worker_id, job.attempts, error, False)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, LabkitError):
                error += " | " + traceback.format_exc(limit=3).replace("\n", " ")[-500:]
            outcome = self._safe(self.q.fail, job.id, self.worker_id, job.attempts, error, True)
        else:
            written = self._safe(self.q.complete, job.id, self.worker_id, job.attempts, result)
            if not written:
                outcome = "duplicate"   # someone else finished it first: our result is dropped
        if outcome == "succeeded":
            self.report.succeeded += 1
        elif outcome == "dead":
            self.report.dead += 1
        elif outcome == "failed":
            self.report.failed += 1
        elif outcome == "deferred":
            self.report.deferred += 1
        if self.events:
            emit("job", queue=job.queue, job_id=job.id, job_kind=job.kind, status=outcome,
                 attempt=job.attempts, worker_id=self.worker_id, error=error,
                 latency_ms=round((time.perf_counter() - started) * 1000, 2),
                 wait_s=round((job.started_at or 0) - job.created_at, 3))

    def _housekeeping(self) -> None:
        monitor = AlertMonitor(self.q) if self.monitor else None
        beat = max(0.05, min(self.lease_s / 3.0, 2.0))
        last_stats = 0.0
        while not self._stopping.is_set() or self._in_flight:
            with self._lock:
                jobs = list(self._in_flight.values())
            for job in jobs:
                ok = self._safe(self.q.heartbeat, job.id, self.worker_id, job.attempts, self.lease_s)
                if ok is False:
                    self.report.leases_lost += 1
            self._safe(self.q.worker_heartbeat, self.worker_id, len(jobs))
            if time.monotonic() - last_stats >= self.stats_interval_s:
                last_stats = time.monotonic()
                self._safe(self.q.sweep)
                stats = self._safe(self.q.stats, self.queue_name)
                if stats is not None:
                    publish_stats(stats, emit_event=self.events)
                    if monitor is not None:
                        self._safe(monitor.evaluate, self.queue_name)
            time.sleep(beat)


def worker_command(url: str, queue: str = "default", concurrency: int = 1, lease_s: float = 30.0,
                   burst: bool = False, grace_s: float = 10.0, monitor: bool = False,
                   events: bool = True, preload: list[str] | None = None) -> list[str]:
    """The argv that runs a worker process (``python -m labkit.cli worker …``)."""
    cmd = [sys.executable, "-m", "labkit.cli", "worker", "--backend", url, "--queue", queue,
           "--concurrency", str(concurrency), "--lease", str(lease_s), "--grace", str(grace_s)]
    if burst:
        cmd.append("--burst")
    if monitor:
        cmd.append("--monitor")
    if not events:
        cmd.append("--no-events")
    for module in preload or []:
        cmd += ["--preload", module]
    return cmd


def spawn_worker(url: str, queue: str = "default", concurrency: int = 1, lease_s: float = 30.0,
                 burst: bool = False, grace_s: float = 10.0, env: dict[str, str] | None = None,
                 monitor: bool = False, events: bool = True, stderr: Any = None,
                 preload: list[str] | None = None) -> subprocess.Popen[bytes]:
    """Start a worker as a real OS process.

    Example:
        >>> proc = spawn_worker("sqlite:///tmp/q.db", burst=True)   # doctest: +SKIP
        >>> proc.wait()                                              # doctest: +SKIP
        0
    """
    return subprocess.Popen(
        worker_command(url, queue, concurrency, lease_s, burst, grace_s, monitor, events, preload),
        env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
        stderr=stderr if stderr is not None else subprocess.DEVNULL)
