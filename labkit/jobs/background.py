"""The jobs pattern's public face: :class:`BackgroundJobs` submits work and follows it.

The application queues the task and does not wait; workers (threads here, or ``labkit
worker`` processes) run it and store the result with an expiry. This class is the small
facade the notebooks, the CLI and the service use over :func:`~labkit.jobs.queue.open_queue`,
the workers and the alert rules. It does not run handlers itself.

Example:
    >>> import tempfile, os
    >>> jobs = BackgroundJobs("sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db"))
    >>> job_id = jobs.submit("noop", {"n": 1})
    >>> jobs.run_workers(workers=1, burst=True, in_process=True)
    >>> jobs.wait(job_id).status, jobs.result(job_id)
    ('succeeded', {'ok': True})
"""

from __future__ import annotations

import time
from typing import Any

from labkit.errors import JobError
from labkit.jobs.alerts import AlertMonitor, AlertRules
from labkit.jobs.models import TERMINAL, Job, QueueStats
from labkit.jobs.queue import open_queue
from labkit.jobs.worker import Worker, spawn_worker


class BackgroundJobs:
    """Submit background AI jobs, follow them, and watch the queue."""

    def __init__(self, url: str | None = None, queue: str = "default") -> None:
        self.q = open_queue(url)
        self.queue = queue

    def submit(self, kind: str, payload: dict[str, Any] | None = None, **options: Any) -> str:
        """Queue a job and return its id at once (the caller does not wait for the model)."""
        options.setdefault("queue", self.queue)
        return self.q.submit(kind, payload, **options).id

    def status(self, job_id: str) -> Job:
        """The job's status, timestamps and attempt history."""
        return self.q.get(job_id)

    def result(self, job_id: str) -> Any:
        """The job's result (JobNotFound while unfinished, after expiry, or if it died)."""
        return self.q.result(job_id)

    def wait(self, job_id: str, timeout_s: float = 60.0, poll_s: float = 0.05) -> Job:
        """Poll until the job is finished (succeeded, dead or expired); JobError on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.q.get(job_id)
            if job.status in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise JobError(f"job {job_id} still {job.status} after {timeout_s:g}s")
            time.sleep(poll_s)

    def stats(self) -> QueueStats:
        """Depth, oldest-job age and counts per status."""
        return self.q.stats(self.queue)

    def dead_letters(self, limit: int = 100) -> list[Job]:
        """The dead-letter queue of this queue."""
        return self.q.dead_letters(self.queue, limit=limit)

    def replay(self, job_ids: list[str] | None = None) -> int:
        """Re-queue dead jobs (the given ones, or all of this queue)."""
        return self.q.replay(job_ids, queue=None if job_ids else self.queue)

    def alerts(self, rules: AlertRules | None = None) -> list[dict[str, Any]]:
        """Evaluate the alert rules once; firing alerts are also written to telemetry."""
        return AlertMonitor(self.q, rules).evaluate(self.queue)

    def run_workers(self, workers: int = 1, concurrency: int = 4, burst: bool = True,
                    in_process: bool = False, timeout_s: float = 600.0) -> None:
        """Run workers until the queue drains: threads here, or real worker processes."""
        if in_process:
            Worker(self.q.url, queue=self.queue, concurrency=concurrency * workers,
                   burst=burst, poll_s=0.01).run()
            return
        procs = [spawn_worker(self.q.url, queue=self.queue, concurrency=concurrency, burst=burst)
                 for _ in range(workers)]
        for p in procs:
            p.wait(timeout=timeout_s)
