"""Pattern 3's machinery: a durable job queue (SQLite or Redis), workers, alerts and drills.

The public surface is small: :func:`open_queue` gives a :class:`JobQueue`; workers run with
:class:`labkit.jobs.worker.Worker` (or ``labkit worker``); ``labkit.patterns.jobs`` composes
these into the pattern the notebooks use.
"""

from labkit.jobs.models import Job, QueueStats, RetryPolicy, WorkerInfo
from labkit.jobs.queue import JobQueue, open_queue

__all__ = ["Job", "JobQueue", "QueueStats", "RetryPolicy", "WorkerInfo", "open_queue"]
