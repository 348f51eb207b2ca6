"""Benchmark the job queue: no-op throughput per backend, and end-to-end vs the ideal C/L.

1. Queue overhead: N no-op jobs drained by 1, 2 and 4 worker processes (one runner thread
   each, so the number is the queue's, not the GIL's), on SQLite and on Redis. Throughput is
   N / (last finish - first start), so process start-up is not counted.
2. End-to-end: ``chat`` jobs through the resilient client against the mock provider with a
   fixed injected latency L, with C jobs in flight in total (workers x threads). The ideal is
   C / L jobs per second; we report the measured share of it.

Prints a table and writes ``var/bench/jobs.json``. Run: ``.venv/bin/python loadtests/bench_jobs.py``
(``--quick`` for a smaller run). Machines are shared and noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from labkit.jobs import open_queue
from labkit.jobs.chaos import start_redis
from labkit.jobs.worker import spawn_worker
from labkit.settings import var_dir


def _drain(url: str, queue: str, n: int, workers: int, concurrency: int, env: dict[str, str] | None = None,
           preload: list[str] | None = None, timeout_s: float = 600,
           submit: list[dict[str, object]] | None = None) -> dict[str, float]:
    """Run ``workers`` processes until ``n`` jobs are done; jobs/s over first start..last finish.

    With ``submit``, the jobs are queued only once every worker has registered (registration
    comes after its preload), so one process starting later than another is not counted as
    lost throughput; otherwise they must already be queued and the workers run in burst mode.
    """
    q = open_queue(url)
    procs = [spawn_worker(url, queue=queue, concurrency=concurrency, burst=submit is None,
                          events=False, env=env, preload=preload) for _ in range(workers)]
    deadline = time.monotonic() + timeout_s
    try:
        if submit is not None:
            while len([w for w in q.workers(queue) if w.stopped_at is None]) < workers:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError("benchmark workers did not start")
                time.sleep(0.05)
            q.submit_many(submit)
        while time.monotonic() < deadline:
            s = q.stats(queue)
            if s.succeeded + s.dead >= n:
                break
            time.sleep(0.1)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    jobs = q.list_jobs(queue=queue, status="succeeded", limit=n + 10)
    first = min(j.started_at for j in jobs)
    last = max(j.finished_at for j in jobs)
    return {"jobs": len(jobs), "seconds": round(last - first, 3),
            "jobs_per_s": round(len(jobs) / (last - first), 1) if last > first else 0.0}


def bench_noop(backends: dict[str, str], n: int) -> list[dict[str, object]]:
    rows = []
    for name, base in backends.items():
        for workers in (1, 2, 4):
            queue = f"noop{workers}"
            url = base.format(ns=uuid.uuid4().hex[:8])
            q = open_queue(url)
            q.submit_many([{"kind": "noop", "queue": queue} for _ in range(n)])
            out = _drain(url, queue, n, workers, concurrency=1)
            rows.append({"bench": "noop", "backend": name, "workers": workers, **out})
            print(f"noop      {name:<15} workers={workers}  {out['jobs_per_s']:>8.1f} jobs/s", flush=True)
    return rows


def bench_e2e(base: str, latency_s: float, workers: int, threads: int, rounds: int,
              preload: str = "labkit.jobs.handlers:warm_client", after_ready: bool = True
              ) -> dict[str, object]:
    from labkit.provider.config import ProviderConfig
    from labkit.provider.server import serve_in_thread

    c = workers * threads
    n = c * rounds
    url = base.format(ns=uuid.uuid4().hex[:8])
    q = open_queue(url)
    with serve_in_thread(ProviderConfig.parse({"faults": {"*": f"latency={latency_s}"}})) as running:
        specs: list[dict[str, object]] = [{"kind": "chat", "queue": "e2e", "payload": {"messages": [
            {"role": "user", "content": f"Summarise: invoice {i} was received and filed."}]}}
            for i in range(n)]
        if not after_ready:
            q.submit_many(specs)
        out = _drain(url, "e2e", n, workers, concurrency=threads,
                     env={"OPENAI_BASE_URL": running.base_url}, preload=[preload],
                     submit=specs if after_ready else None)
    ideal = c / latency_s
    row = {"bench": "e2e", "latency_s": latency_s, "concurrency": c, "workers": workers,
           "preload": preload, "submitted": "after workers ready" if after_ready else "before start",
           "threads": threads, **out, "ideal_per_s": round(ideal, 1),
           "share_of_ideal": round(out["jobs_per_s"] / ideal, 3)}
    print(f"e2e       L={latency_s}s C={c:<3} {out['jobs_per_s']:>8.1f} jobs/s  ideal {ideal:.1f}  "
          f"-> {row['share_of_ideal']:.1%}  ({preload}; submitted {row['submitted']})", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument("--e2e-only", type=float, default=None, metavar="L",
                        help="only the end-to-end row at latency L (2 x 8 threads), REPEAT times")
    parser.add_argument("--repeat", type=int, default=1, help="with --e2e-only: runs to make")
    parser.add_argument("--ab", action="store_true",
                        help="with --e2e-only: alternate the old set-up (import only, jobs queued "
                             "before the workers start) with the current one, in the same conditions")
    args = parser.parse_args()
    if args.e2e_only is not None:
        # a before/after of one row needs several runs in the same conditions, not the full table
        tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
        try:
            setups = [("labkit.jobs.handlers:warm_client", True)]
            if args.ab:
                setups = [("labkit.direct", False), ("labkit.jobs.handlers:warm_client", False),
                          ("labkit.jobs.handlers:warm_client", True)]
            shares: dict[tuple[str, bool], list[float]] = {s: [] for s in setups}
            for _ in range(args.repeat):
                for preload, after_ready in setups:
                    shares[(preload, after_ready)].append(bench_e2e(
                        f"sqlite:///{tmp}/{{ns}}.db", args.e2e_only, 2, 8,
                        rounds=10 if args.quick else 20, preload=preload,
                        after_ready=after_ready)["share_of_ideal"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for (preload, after_ready), got in shares.items():
            got.sort()
            print(f"{preload:<34} submitted {'after ready' if after_ready else 'before start':<12} "
                  f"share of ideal {got} median {got[len(got) // 2]:.1%}")
        print(f"load average {os.getloadavg()}")
        return
    n = 1000 if args.quick else 3000
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    os.environ.setdefault("LABKIT_VAR", str(var_dir()))
    backends = {"sqlite": f"sqlite:///{tmp}/{{ns}}.db"}
    redis_procs = []
    if shutil.which("redis-server"):
        # fsync on every write (no acknowledged job lost even on power loss) vs once a second
        for fsync in ("always", "everysec"):
            proc, redis_url = start_redis(tmp / f"redis-{fsync}", fsync=fsync)
            redis_procs.append(proc)
            backends[f"redis/{fsync}"] = redis_url + "?ns={ns}"
    else:
        print("redis-server not found: Redis rows skipped")
    try:
        rows = bench_noop(backends, n)
        for latency, workers, threads in ((0.2, 2, 8), (0.5, 2, 8), (1.0, 2, 16)):
            rows.append(bench_e2e(backends["sqlite"], latency, workers, threads,
                                  rounds=10 if args.quick else 20))
    finally:
        for proc in redis_procs:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    out_dir = var_dir() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "jobs.json"
    out.write_text(json.dumps({"machine": "2 cores, shared, noisy", "noop_jobs": n, "rows": rows}, indent=2))
    print("\n| bench | backend / L | workers x threads | jobs/s | ideal | share |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["bench"] == "noop":
            print(f"| no-op | {r['backend']} | {r['workers']} x 1 | {r['jobs_per_s']} | | |")
        else:
            print(f"| e2e | L={r['latency_s']}s | {r['workers']} x {r['threads']} (C={r['concurrency']}) | "
                  f"{r['jobs_per_s']} | {r['ideal_per_s']} | {r['share_of_ideal']:.0%} |")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
