"""``labkit jobs …`` (the queue, its dead letters, alerts, the batch and the chaos drill) and
``labkit worker`` (run queue workers).

Every sub-command takes ``--backend sqlite|redis|URL`` (default: ``LABKIT_JOBS_URL``, else
the SQLite file under ``var/jobs/``). Output is a short human table, or JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from pydantic import ValidationError

# Every module that registers job kinds, imported here so a `labkit worker` process runs any
# of them (kinds are registered with @job_kind, never loaded from a name a user gives).
import labkit.jobs.batch
import labkit.jobs.chaos
import labkit.jobs.handlers
import labkit.service.job_handlers  # noqa: F401  (summarise, analyse_upload)
from labkit.errors import InputError
from labkit.jobs.alerts import AlertMonitor, AlertRules, publish_stats
from labkit.jobs.batch import run_batch
from labkit.jobs.chaos import ChaosConfig, run_chaos
from labkit.jobs.handlers import check_known
from labkit.jobs.queue import open_queue
from labkit.jobs.worker import Worker

BACKEND = click.option("--backend", "backend", default=None, metavar="sqlite|redis|URL",
                       help="Queue backend (default: $LABKIT_JOBS_URL or the SQLite file in var/jobs).")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _queue(backend: str | None) -> Any:
    return open_queue(backend)


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    elif isinstance(data, dict):
        width = max((len(k) for k in data), default=0)
        for k, v in data.items():
            click.echo(f"{k:<{width}}  {v}")
    else:
        click.echo(str(data))


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    def cell(row: dict[str, Any], col: str) -> str:
        value = row.get(col)
        return "" if value is None else str(value)[:60]

    widths = {c: max(len(c), *(len(cell(r, c)) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        click.echo("  ".join(cell(r, c).ljust(widths[c]) for c in columns).rstrip())


@click.group()
def jobs() -> None:
    """Pattern 3: the durable job queue, dead letters, alerts, the batch and the chaos drill."""


@jobs.command()
@click.argument("kind")
@click.option("--payload", default="{}", help="Job payload as a JSON object.")
@click.option("--queue", default="default", show_default=True)
@click.option("--priority", default=0, show_default=True, type=int, help="Higher runs first.")
@click.option("--key", "idempotency_key", default=None, help="Idempotency key: one job per key.")
@click.option("--max-attempts", default=None, type=int)
@click.option("--result-ttl", default=None, type=float, help="Seconds to keep the result.")
@BACKEND
@AS_JSON
def submit(kind: str, payload: str, queue: str, priority: int, idempotency_key: str | None,
           max_attempts: int | None, result_ttl: float | None, backend: str | None,
           as_json: bool) -> None:
    """Queue a job of KIND (a registered job kind: noop, chat, invoice_extract, summarise, ...)."""
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise InputError(f"--payload is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InputError("--payload must be a JSON object")
    check_known(kind)
    job = _queue(backend).submit(kind, body, queue=queue, priority=priority,
                                 idempotency_key=idempotency_key, max_attempts=max_attempts,
                                 result_ttl_s=result_ttl)
    _print(job.summary() if as_json else job.id, as_json)


@jobs.command()
@click.argument("job_id")
@BACKEND
@AS_JSON
def status(job_id: str, backend: str | None, as_json: bool) -> None:
    """Show one job: status, timestamps, attempts, result or last error."""
    job = _queue(backend).get(job_id)
    if as_json:
        _print(job.model_dump(), True)
        return
    data = job.model_dump(exclude={"history", "payload"})
    _print({k: v for k, v in data.items() if v is not None}, False)
    click.echo("history:")
    for a in job.history:
        click.echo(f"  #{a.attempt} {a.worker_id} {a.outcome or 'running'} {a.error or ''}")


@jobs.command("list")
@click.option("--queue", default=None)
@click.option("--status", "status_", default=None, help="queued|running|succeeded|failed|dead|expired")
@click.option("--limit", default=20, show_default=True, type=int)
@BACKEND
@AS_JSON
def list_(queue: str | None, status_: str | None, limit: int, backend: str | None, as_json: bool) -> None:
    """List jobs, newest first."""
    rows = [j.summary() for j in _queue(backend).list_jobs(queue=queue, status=status_, limit=limit)]
    if as_json:
        _print(rows, True)
    else:
        _table(rows, ["id", "queue", "kind", "status", "attempts", "last_error"])


@jobs.command()
@click.option("--queue", default=None, help="One queue (default: every queue).")
@BACKEND
@AS_JSON
def stats(queue: str | None, backend: str | None, as_json: bool) -> None:
    """Queue depth, oldest-job age and counts per status (also published as metrics)."""
    q = _queue(backend)
    rows = []
    for name in ([queue] if queue else q.queues() or ["default"]):
        s = q.stats(name)
        publish_stats(s)
        rows.append(s.model_dump())
    if as_json:
        _print(rows, True)
    else:
        _table(rows, ["queue", "depth", "running", "failed", "succeeded", "dead", "expired",
                      "oldest_age_s", "workers_alive"])


@jobs.group()
def dlq() -> None:
    """The dead-letter queue: inspect and replay."""


@dlq.command("list")
@click.option("--queue", default=None)
@click.option("--limit", default=50, show_default=True, type=int)
@BACKEND
@AS_JSON
def dlq_list(queue: str | None, limit: int, backend: str | None, as_json: bool) -> None:
    """Dead jobs with their reason and last error."""
    rows = [j.summary() for j in _queue(backend).dead_letters(queue=queue, limit=limit)]
    if as_json:
        _print(rows, True)
    else:
        _table(rows, ["id", "queue", "kind", "attempts", "dead_reason", "last_error"])


@dlq.command("replay")
@click.argument("job_ids", nargs=-1)
@click.option("--queue", default=None, help="Replay every dead job of this queue.")
@BACKEND
def dlq_replay(job_ids: tuple[str, ...], queue: str | None, backend: str | None) -> None:
    """Re-queue dead jobs (by id, or all of --queue) with fresh attempts."""
    n = _queue(backend).replay(list(job_ids) or None, queue=queue)
    click.echo(f"replayed {n} job(s)")


@jobs.command()
@BACKEND
@AS_JSON
def sweep(backend: str | None, as_json: bool) -> None:
    """Apply expiry now: result TTLs, stale queued jobs, dead jobs past retention."""
    _print(_queue(backend).sweep(), as_json)


@jobs.command()
@click.option("--queue", default="default", show_default=True)
@click.option("--max-depth", default=1000, show_default=True, type=int)
@click.option("--max-age", default=300.0, show_default=True, type=float, help="SLA, seconds.")
@click.option("--worker-silence", default=30.0, show_default=True, type=float)
@BACKEND
@AS_JSON
def alerts(queue: str, max_depth: int, max_age: float, worker_silence: float,
           backend: str | None, as_json: bool) -> None:
    """Evaluate the queue alert rules once; firing alerts go to telemetry (kind 'alert')."""
    rules = AlertRules(max_depth=max_depth, max_age_s=max_age, worker_silence_s=worker_silence)
    fired = AlertMonitor(_queue(backend), rules).evaluate(queue)
    keep = ("rule", "value", "threshold", "worker_id", "depth", "oldest_age_s")
    rows = [{k: a[k] for k in keep if k in a} for a in fired]
    if as_json:
        _print(rows, True)
    elif not rows:
        click.echo("no alert firing")
    else:
        _table(rows, ["rule", "value", "threshold"])


_CHAOS_OPTIONS = {"jobs": "jobs", "kill_every_s": "kill-every", "latency_s": "latency", "timeout_s": "timeout"}


@jobs.command()
@click.option("--backend", "backend", type=click.Choice(["sqlite", "redis"]), default="sqlite",
              show_default=True)
@click.option("--jobs", "n_jobs", default=500, show_default=True, type=int)
@click.option("--workers", default=3, show_default=True, type=int)
@click.option("--kill-every", default=1.0, show_default=True, type=float, help="Seconds between SIGKILLs.")
@click.option("--concurrency", default=4, show_default=True, type=int, help="Threads per worker.")
@click.option("--error-rate", default=0.1, show_default=True, type=float, help="Provider 5xx rate.")
@click.option("--latency", default=0.02, show_default=True, type=float, help="Provider latency, s.")
@click.option("--redis-url", default=None, help="Redis to use (default: start a private redis-server).")
@click.option("--timeout", default=300.0, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True, type=int)
@AS_JSON
def chaos(backend: str, n_jobs: int, workers: int, kill_every: float, concurrency: int,
          error_rate: float, latency: float, redis_url: str | None, timeout: float, seed: int,
          as_json: bool) -> None:
    """Resilience drill: SIGKILL workers while the provider fails; nothing may be lost."""
    values = {"jobs": n_jobs, "workers": workers, "kill_every_s": kill_every, "concurrency": concurrency,
              "error_rate": error_rate, "latency_s": latency, "timeout_s": timeout}
    try:
        # ChaosConfig holds the bounds (one home); this only turns its error into one line
        config = ChaosConfig(backend=backend, redis_url=redis_url, seed=seed, **values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        option = "--" + _CHAOS_OPTIONS.get(field, field).replace("_", "-")
        raise InputError(f"{option} {values.get(field)!r}: {err['msg'].lower()}") from None
    report = run_chaos(config, progress=not as_json)
    _print(report.model_dump(), as_json)
    if not report.passed:
        click.echo("chaos drill FAILED: " + "; ".join(report.problems), err=True)
        sys.exit(1)


@jobs.command()
@click.option("--limit", default=None, type=int, help="Only the first N invoices.")
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--concurrency", default=4, show_default=True, type=int)
@BACKEND
@AS_JSON
def batch(limit: int | None, workers: int, concurrency: int, backend: str | None, as_json: bool) -> None:
    """The overnight batch: extract every invoice to validated JSON; accuracy vs ground truth."""
    report = run_batch(url=backend, limit=limit, workers=workers, concurrency=concurrency,
                       progress=not as_json)
    _print(report.model_dump(exclude={"per_field"}) if not as_json else report.model_dump(), as_json)


@click.command()
@click.option("--queue", default="default", show_default=True)
@click.option("--concurrency", default=4, show_default=True, type=int, help="Jobs run at once.")
@click.option("--lease", default=30.0, show_default=True, type=float, help="Lease seconds.")
@click.option("--grace", default=10.0, show_default=True, type=float,
              help="On SIGTERM, seconds in-flight jobs get before they are released.")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--monitor", is_flag=True, help="Also evaluate the alert rules.")
@click.option("--no-events", is_flag=True, help="Do not write per-job telemetry events.")
@click.option("--preload", multiple=True, metavar="MODULE",
              help="Import MODULE (or call MODULE:FUNCTION, e.g. a warm-up) before taking jobs.")
@BACKEND
def worker(queue: str, concurrency: int, lease: float, grace: float, burst: bool, monitor: bool,
           no_events: bool, preload: tuple[str, ...], backend: str | None) -> None:
    """Run a queue worker until SIGTERM (graceful) or, with --burst, until the queue is empty."""
    report = Worker(backend, queue=queue, concurrency=concurrency, lease_s=lease, grace_s=grace,
                    burst=burst, monitor=monitor, events=not no_events,
                    preload=list(preload)).run()
    click.echo(f"worker {report.worker_id}: {report.succeeded} succeeded, {report.failed} failed "
               f"attempts, {report.dead} dead, {report.released} released", err=True)
