"""Pattern 3, Event-driven / async AI: the application queues the task and does not wait.

The source document's third pattern moves AI work out of the user's request: the task goes
on a queue, a background worker calls the model and saves the result, and the user (or the
next system) picks it up later. Its main risk is operational visibility — long queues,
crashed workers and badly handled retries go unnoticed until users ask where their results
are — so the required controls are all here, each in one place under ``labkit/jobs/``:

==============================  ======================================================================
control                         where
==============================  ======================================================================
durable queue, two backends     ``base.py``, ``queue.py``, ``sqlite_backend.py``, ``redis_backend.py``
leases + heartbeats             ``claim``/``heartbeat`` in the backends, ``worker.py``
max retries, backoff + jitter   ``models.py`` (RetryPolicy), ``fail`` in the backends
dead-letter queue + replay      ``dead_letters``/``replay`` in the backends, ``labkit jobs dlq``
result expiry vs retention      ``sweep`` in the backends (run by every worker)
status tracking + history       ``Job.status``/``Job.history``
queue-size metrics + alerts     ``alerts.py`` (Prometheus gauges, ``alert`` events)
side effects at most once       ``JobQueue.apply_effect`` (the effect ledger)
==============================  ======================================================================

The public face is :class:`BackgroundJobs` (:mod:`~labkit.jobs.background`): submit, follow,
wait, replay, alerts, run workers. Job kinds are registered with ``@job_kind("name")``
(:mod:`~labkit.jobs.handlers`). Every model call a job makes goes through the resilient
client (:mod:`labkit.direct`).
"""

from labkit.jobs.alerts import AlertRules
from labkit.jobs.background import BackgroundJobs
from labkit.jobs.base import JobQueue
from labkit.jobs.handlers import JobContext, job_kind
from labkit.jobs.models import Job, QueueStats, RetryPolicy, WorkerInfo
from labkit.jobs.queue import open_queue
from labkit.jobs.worker import Worker

__all__ = ["AlertRules", "BackgroundJobs", "Job", "JobContext", "JobQueue", "QueueStats", "RetryPolicy", "Worker",
           "WorkerInfo", "job_kind", "open_queue"]
