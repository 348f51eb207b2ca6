"""The resilience drill: SIGKILL workers on a cadence while the provider fails, then account.

:func:`run_chaos` (``labkit jobs chaos``) starts the mock provider with injected errors and
latency, submits N jobs, runs W real worker processes, every ``kill_every_s`` seconds
SIGKILLs a random one of those with jobs in flight (from the worker registry's heartbeats) and
starts a replacement (never while an earlier replacement is still starting: one worker down at a time), waits until the queue drains, and prints the accounting:

- submitted, succeeded, dead-lettered;
- lost — submitted jobs that ended neither succeeded nor dead-lettered (must be 0);
- executed more than once — allowed under at-least-once delivery (a killed worker's job runs
  again after its lease expires);
- side effects applied more than once — read from the effect ledger (must be 0);
- reconciled — jobs that went dead after their side effect was applied (a worker killed
  between the effect and "complete" on the last attempt) and were turned into succeeded by
  :meth:`JobQueue.reconcile`; counted among the succeeded, reported separately;
- deferrals — times a job was put back unrun because the worker's circuit breaker was open
  ("not now", no attempt spent), and how many jobs hit the deferral cap;
- the machine's 1-minute load average at the start and the end (the drill is timing-sensitive).

Each job (:func:`chaos_call`) makes one model call through the resilient client and then
applies its side effect through the at-most-once guard, so a kill between "effect applied"
and "job completed" is exactly the case the drill exercises.

For the Redis backend it starts a private ``redis-server`` (``appendonly yes``,
``appendfsync always``) unless ``redis_url`` is given. It does not test network partitions
or disk loss.

Example:
    >>> report = run_chaos(ChaosConfig(jobs=50, workers=2, kill_every_s=0.5), progress=False)  # doctest: +SKIP
    >>> report.lost, report.side_effects_applied_more_than_once                             # doctest: +SKIP
    (0, 0)
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from labkit.errors import ConfigError, JobError
from labkit.jobs.handlers import JobContext, answered, job_kind, shared_client
from labkit.jobs.queue import open_queue
from labkit.jobs.worker import spawn_worker
from labkit.serving import free_port, stop_process, stop_processes
from labkit.settings import var_dir

QUEUE = "chaos"


class ChaosConfig(BaseModel):
    """What the drill does."""

    backend: Literal["sqlite", "redis"] = "sqlite"
    jobs: int = Field(500, ge=1)
    workers: int = Field(3, ge=1)
    kill_every_s: float = Field(1.0, gt=0)
    concurrency: int = Field(4, ge=1)
    error_rate: float = Field(0.1, ge=0, le=1)
    latency_s: float = Field(0.02, ge=0)
    lease_s: float = Field(2.0, gt=0)
    kind: str = "chaos_call"             # "effect" runs without a provider (queue-only drill)
    max_attempts: int = Field(10, ge=1)
    redis_url: str | None = None
    timeout_s: float = Field(300.0, gt=0)
    seed: int = 0


class ChaosReport(BaseModel):
    """The drill's accounting."""

    backend: str
    submitted: int
    succeeded: int
    dead_lettered: int
    lost: int
    unfinished: int = 0  # still queued or running when the drill timed out (not lost)
    executed_more_than_once: int
    side_effects_applied: int
    side_effects_applied_more_than_once: int
    reconciled: int = 0
    deferrals: int = 0
    deferral_cap_hits: int = 0  # jobs whose last_error says they hit the deferral cap
    kills: int
    load_avg_1m: tuple[float, float] = (0.0, 0.0)  # at the start and at the end
    seconds: float
    drained: bool
    passed: bool
    problems: list[str] = Field(default_factory=list)


# --- the job the drill runs ---------------------------------------------------------------

@job_kind("chaos_call")
def chaos_call(ctx: JobContext) -> dict[str, Any]:
    """One model call through the resilient client, then the job's side effect (at most once)."""
    n = ctx.payload.get("n", 0)
    messages = [{"role": "user", "content": f"Summarise: ticket batch {n} was triaged overnight."}]
    # an open breaker answers "not now" (CallDeferred): the job waits without spending an attempt
    r = answered(shared_client().chat(messages, model="lab-mini-2026-03", pattern="jobs", use_cache=False))
    if r.status == "cannot_answer":
        raise JobError("no model answered; retry later")
    applied = ctx.apply_effect({"n": n, "model": r.model_served})
    return {"applied": applied, "model": r.model_served}


# --- a private redis-server ---------------------------------------------------------------

def start_redis(workdir: Path, port: int | None = None, timeout_s: float = 10.0,
                fsync: str = "always") -> tuple[subprocess.Popen[bytes], str]:
    """Start a durable redis-server (AOF, ``appendfsync`` = ``fsync``); returns (process, url).

    ``always`` (the default) loses no acknowledged write even on a machine crash;
    ``everysec`` can lose the last second on a machine crash (not on a Redis crash).

    Example:
        >>> proc, url = start_redis(Path("/tmp/r"))     # doctest: +SKIP
        >>> url.startswith("redis://127.0.0.1:")         # doctest: +SKIP
        True
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise ConfigError("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--appendfsync", fsync, "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    proc.kill()
    raise ConfigError(f"redis-server did not start on port {port}")


# --- the drill ----------------------------------------------------------------------------

def _busy_victim(q: Any, procs: list[subprocess.Popen[bytes]], rng: random.Random) -> int | None:
    """The index of a random worker process whose last heartbeat reported jobs in flight.

    A kill is meant to land on work in flight (that is what leases must recover). A worker
    still starting (imports, the PII lists: seconds on a busy machine) holds nothing; killing
    it tested nothing, and on a quiet machine whole runs ended with no in-flight job killed.
    None when no worker reports work yet, or while a replacement is still starting (it registers
    only after its warm-up): the caller tries again on its next tick. So at most one worker is
    down at a time, however slowly replacements start on a busy machine; without that rule a
    cadence shorter than the start-up time killed each replacement's successor before it had
    done any work, and the queue stopped draining (CI: 306 of 1,500 jobs in 150 s).
    """
    live = [w for w in q.workers(QUEUE) if w.stopped_at is None]
    registered = {w.pid for w in live}
    if any(p.pid not in registered for p in procs):
        return None
    busy = {w.pid for w in live if w.in_flight > 0}
    candidates = [i for i, p in enumerate(procs) if p.pid in busy]
    return rng.choice(candidates) if candidates else None


def run_chaos(config: ChaosConfig, progress: bool = True) -> ChaosReport:
    """Run the drill (see module docstring) and return its accounting."""
    rng = random.Random(config.seed)
    load_start = os.getloadavg()[0]
    run_dir = var_dir() / "jobs" / f"chaos-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    opts = f"retry_base=0.1&retry_max=1&jitter=0.5&max_attempts={config.max_attempts}"
    with ExitStack() as stack:
        if config.backend == "sqlite":
            url = f"sqlite:///{run_dir / 'queue.db'}?{opts}"
        else:
            base = config.redis_url
            if base is None:
                proc, base = start_redis(run_dir / "redis")
                stack.callback(stop_process, proc)
            url = f"{base}?ns=chaos{uuid.uuid4().hex[:8]}&{opts}"
        env: dict[str, str] = {"LABKIT_VAR": str(var_dir())}
        if config.kind == "chaos_call":
            # lazy: the drill's own mock provider (fastapi, uvicorn); worker processes import this module
            from labkit.provider.config import ProviderConfig

            # lazy: as above
            from labkit.provider.server import serve_in_thread

            fault = f"error_rate=503:{config.error_rate};latency={config.latency_s}"
            running = stack.enter_context(serve_in_thread(ProviderConfig.parse(
                {"faults": {"*": fault}, "seed": config.seed})))
            env["OPENAI_BASE_URL"] = running.base_url
        q = open_queue(url)
        stack.callback(q.close)
        t0 = time.perf_counter()
        q.submit_many([{"kind": config.kind, "queue": QUEUE, "payload": {"n": i},
                        "idempotency_key": f"chaos:{i}"} for i in range(config.jobs)])
        log = (run_dir / "workers.log").open("ab")
        stack.callback(log.close)

        def spawn() -> subprocess.Popen[bytes]:
            return spawn_worker(url, queue=QUEUE, concurrency=config.concurrency,
                                lease_s=config.lease_s, grace_s=2.0, env=env, events=False,
                                stderr=log, preload=["labkit.jobs.chaos", "labkit.jobs.handlers:warm_client"]
                                if config.kind == "chaos_call" else None)

        procs = [spawn() for _ in range(config.workers)]
        stack.callback(stop_processes, procs)
        kills, drained, done_at_last_kill = 0, False, -1
        next_kill = time.monotonic() + config.kill_every_s
        deadline = time.monotonic() + config.timeout_s
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = stack.enter_context(tqdm(total=config.jobs, desc=f"chaos/{config.backend}", unit="job"))
        while time.monotonic() < deadline:
            s = q.stats(QUEUE)
            if bar is not None:
                bar.n = s.succeeded + s.dead
                bar.set_postfix(kills=kills, running=s.running)
                bar.refresh()
            if s.depth == 0 and s.running == 0:
                drained = True
                break
            # Never kill twice without progress in between: on a loaded machine a replacement
            # worker can take longer to start than the cadence, and killing it before it has
            # finished a job would starve the run instead of testing recovery.
            victim = (_busy_victim(q, procs, rng)
                      if time.monotonic() >= next_kill and s.succeeded + s.dead > done_at_last_kill else None)
            if victim is not None:
                done_at_last_kill = s.succeeded + s.dead
                procs[victim].send_signal(signal.SIGKILL)   # no goodbye: leases must recover it
                procs[victim].wait()
                procs[victim] = spawn()
                kills += 1
                next_kill += config.kill_every_s
            time.sleep(0.05)
        seconds = time.perf_counter() - t0
        stop_processes(procs)  # signal all, then reap each (SIGKILL after 10 s)
        q.reconcile()   # a job that died after its effect, since the workers' last sweep
        final = q.stats(QUEUE)
        counts = {"succeeded": final.succeeded, "dead": final.dead}
        unfinished = final.depth + final.running
        executions = q.execution_counts()
        effects = q.effect_counts()
        jobs = q.list_jobs(queue=QUEUE, limit=config.jobs + 10)
        reconciled = sum(1 for j in jobs if isinstance(j.result, dict) and j.result.get("reconciled"))
        deferrals = sum(j.deferrals for j in jobs)
        cap_hits = sum(1 for j in jobs if any("(cap " in (a.error or "") for a in j.history))
    lost = config.jobs - counts["succeeded"] - counts["dead"] - unfinished
    problems = []
    if lost:
        problems.append(f"{lost} job(s) lost (neither succeeded nor dead-lettered)")
    if effects["duplicates"]:
        problems.append(f"{effects['duplicates']} side effect(s) applied more than once")
    if not drained:
        problems.append(f"queue did not drain within {config.timeout_s:g}s ({unfinished} job(s) unfinished)")
    return ChaosReport(
        backend=config.backend, submitted=config.jobs, succeeded=counts["succeeded"],
        dead_lettered=counts["dead"], lost=lost, unfinished=unfinished,
        executed_more_than_once=executions["executed_more_than_once"],
        side_effects_applied=effects["applied"],
        side_effects_applied_more_than_once=effects["duplicates"], kills=kills,
        reconciled=reconciled, deferrals=deferrals, deferral_cap_hits=cap_hits,
        load_avg_1m=(round(load_start, 2), round(os.getloadavg()[0], 2)),
        seconds=round(seconds, 2), drained=drained, passed=not problems, problems=problems)
