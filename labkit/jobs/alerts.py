"""Queue metrics and alert rules: the operational visibility Pattern 3 lives or dies by.

Metrics: :func:`publish_stats` sets Prometheus gauges per queue (depth, oldest-job age,
running, dead, live workers) and writes a ``queue`` telemetry event, so both a Prometheus
scrape and the DuckDB telemetry views can see a backlog build.

Alert rules (:class:`AlertRules`), evaluated by :class:`AlertMonitor` against a fresh
:class:`~labkit.jobs.models.QueueStats`:

- ``queue_depth``    depth over ``max_depth`` — the early signal: after a provider slowdown
  jobs pile up long before any of them is old, so this fires before users feel the delay;
- ``job_age_sla``    the oldest waiting job is older than ``max_age_s`` (the service level);
- ``dlq_growth``     the dead-letter queue grew by ``dlq_growth`` or more since the last check;
- ``worker_silent``  a worker that did not stop gracefully has not heartbeated for
  ``worker_silence_s`` (crashed, hung or partitioned).

An alert fires once when its condition becomes true (``state="firing"``) and once when it
clears (``state="resolved"``), as ``emit("alert", …)`` events — not on every evaluation, so
a long incident does not flood the channel. Delivery (pager, chat) is out of scope: whatever
reads the alert telemetry does that.

Example:
    >>> from labkit.jobs.models import QueueStats
    >>> stats = QueueStats(queue="q", depth=5000, queued=5000, running=4, failed=0,
    ...                    succeeded=0, dead=0, expired=0, oldest_age_s=3.0)
    >>> [a["rule"] for a in check_rules(stats, AlertRules(max_depth=1000))]
    ['queue_depth']
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import REGISTRY, Gauge
from pydantic import BaseModel

from labkit.jobs.models import QueueStats, WorkerInfo
from labkit.jobs.queue import JobQueue
from labkit.telemetry.events import emit


def _gauge(name: str, doc: str) -> Gauge:
    """A labelled gauge, reused if this module is imported twice (doctest, reload)."""
    try:
        return Gauge(name, doc, ["queue"])
    except ValueError:
        return REGISTRY._names_to_collectors[name]  # type: ignore[return-value]


QUEUE_DEPTH = _gauge("labkit_queue_depth", "Jobs waiting to run (queued + awaiting retry)")
QUEUE_OLDEST_AGE = _gauge("labkit_queue_oldest_age_seconds", "Age of the oldest waiting job")
QUEUE_RUNNING = _gauge("labkit_queue_running", "Jobs being run by a worker")
QUEUE_DEAD = _gauge("labkit_queue_dead", "Jobs in the dead-letter queue")
QUEUE_WORKERS = _gauge("labkit_queue_workers_alive", "Workers heartbeating")


class AlertRules(BaseModel):
    """Thresholds for the queue alert rules (per queue)."""

    max_depth: int = 1000
    max_age_s: float = 300.0
    dlq_growth: int = 1
    worker_silence_s: float = 30.0


def publish_stats(stats: QueueStats, emit_event: bool = True) -> None:
    """Set the Prometheus gauges for one queue and (optionally) write a ``queue`` event."""
    QUEUE_DEPTH.labels(stats.queue).set(stats.depth)
    QUEUE_OLDEST_AGE.labels(stats.queue).set(stats.oldest_age_s)
    QUEUE_RUNNING.labels(stats.queue).set(stats.running)
    QUEUE_DEAD.labels(stats.queue).set(stats.dead)
    QUEUE_WORKERS.labels(stats.queue).set(stats.workers_alive)
    if emit_event:
        emit("queue", **stats.model_dump())


def check_rules(stats: QueueStats, rules: AlertRules, previous_dead: int | None = None,
                workers: list[WorkerInfo] | None = None, now: float | None = None) -> list[dict[str, Any]]:
    """The alert conditions true right now (pure: no state, no events)."""
    now = time.time() if now is None else now
    out: list[dict[str, Any]] = []
    if stats.depth > rules.max_depth:
        out.append({"rule": "queue_depth", "value": stats.depth, "threshold": rules.max_depth})
    if stats.oldest_age_s > rules.max_age_s:
        out.append({"rule": "job_age_sla", "value": round(stats.oldest_age_s, 3),
                    "threshold": rules.max_age_s})
    if previous_dead is not None and stats.dead - previous_dead >= rules.dlq_growth:
        out.append({"rule": "dlq_growth", "value": stats.dead - previous_dead,
                    "threshold": rules.dlq_growth, "dead": stats.dead})
    for w in workers or []:
        silent = now - w.last_heartbeat
        if w.stopped_at is None and silent > rules.worker_silence_s:
            out.append({"rule": "worker_silent", "worker_id": w.worker_id, "pid": w.pid,
                        "value": round(silent, 3), "threshold": rules.worker_silence_s})
    return out


class AlertMonitor:
    """Evaluates the rules over time, emitting ``alert`` events on firing and on resolving.

    Example:
        >>> import tempfile, os
        >>> from labkit.jobs.queue import open_queue
        >>> os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
        >>> q = open_queue("sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db"))
        >>> for _ in range(3): _ = q.submit("noop")
        >>> [a["rule"] for a in AlertMonitor(q, AlertRules(max_depth=2)).evaluate()]
        ['queue_depth']
    """

    def __init__(self, queue: JobQueue, rules: AlertRules | None = None) -> None:
        self.q = queue
        self.rules = rules or AlertRules()
        self._dead: dict[str, int] = {}
        self._firing: dict[tuple[str, ...], dict[str, Any]] = {}

    def evaluate(self, queue: str = "default") -> list[dict[str, Any]]:
        """Check one queue; returns the alerts that started firing in this evaluation."""
        stats = self.q.stats(queue)
        publish_stats(stats, emit_event=False)
        # the queue's clock, so worker silence is judged on the same time as the heartbeats
        current = check_rules(stats, self.rules, self._dead.get(queue), self.q.workers(queue),
                              now=self.q.now())
        self._dead[queue] = stats.dead
        now_keys = {}
        for alert in current:
            key = (queue, alert["rule"], str(alert.get("worker_id", "")))
            now_keys[key] = alert
        fired = []
        for key, alert in now_keys.items():
            if key not in self._firing:
                fired.append(emit("alert", source="jobs", queue=queue, state="firing",
                                  depth=stats.depth, oldest_age_s=stats.oldest_age_s, **alert))
        for firing in list(self._firing):
            if firing[0] == queue and firing not in now_keys:
                emit("alert", source="jobs", queue=queue, state="resolved", rule=firing[1],
                     worker_id=firing[2] or None)
                del self._firing[firing]
        # DLQ growth is an event, not a state: it never stays "firing"
        self._firing.update({k: v for k, v in now_keys.items() if k[1] != "dlq_growth"})
        return fired
