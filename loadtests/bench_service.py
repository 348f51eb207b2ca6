"""Benchmark: the service under load, per pattern, against Little's law.

For each pattern (a Locust user class with no think time) and each user count N, with the
provider answering every model call after a fixed latency L, it measures the service's
throughput and p50/p95/p99 latency, and the service process's CPU. Little's law says a
closed system of N users, each waiting R seconds per request, achieves N / R requests/s; the
*ideal* throughput is N / R1, where R1 is the pattern's own response time measured at one
user (k model calls of L each, plus the pattern's own work), always run first whatever
``--users`` lists. The ratio achieved / ideal
shows how well the service overlaps waiting requests: it should stay >= 0.9 until a CPU
saturates, and the CPU column says which one. At the largest point of the first pattern the
service is profiled with py-spy (``--gil``: samples holding the GIL, top functions by own
time), to say *why* it saturates.

Everything runs on this machine (2 cores, shared): the provider and the service in their own
processes, Locust in a third. Beside Locust's p50/p99 of the pattern's main entry it prints
the service's own (its ``/metrics`` histogram, scraped before and after each point) and flags
a disagreement (client p50 > server p50 + 2 ms, or p99 > 2x). Prints a table and writes JSON
under ``var/bench/``.

    .venv/bin/python loadtests/bench_service.py [--latency 0.2] [--users 1,4,16,64]
        [--patterns direct,rag,agent,gateway,copilot] [--seconds 10]
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from labkit.service.loadcheck import disagreements, route_key, server_latency
from labkit.service.loadrun import (
    _STATS_COLUMNS,
    _read_csv,
    free_port,
    run_locust,
    scrape_metrics,
    service_process,
    wait_http,
)
from labkit.settings import REPO_ROOT, var_dir

MAIN_ENTRY = {
    "direct": "POST /direct/summarise", "rag": "POST /rag/ask", "agent": "POST /agent/runs",
    "gateway": "POST /v1/chat/completions", "copilot": "POST /copilot", "jobs": "POST /jobs",
}
# model calls a request makes (for the N/(k*L) reference; the ideal uses the measured R1)
CALLS = {"direct": 1, "rag": 2, "agent": 2, "gateway": 1, "copilot": 2, "jobs": 0}


def run_plan(users_list: list[int]) -> list[int]:
    """The user counts to run, in order: always 1 first (R1 is measured there), then the rest.

    Example:
        >>> run_plan([4, 16]), run_plan([1, 4, 16])
        ([1, 4, 16], [1, 4, 16])
    """
    return [1] + [u for u in users_list if u != 1]


def littles_law(users: int, rps: float, r1_s: float | None) -> tuple[float | None, float | None]:
    """The ideal throughput ``users / R1`` and the ratio achieved / ideal (None without R1).

    ``r1_s`` must be the mean response time measured at *one* user: at N users the mean
    includes the queueing being judged, and N x that mean gives an ideal N times too small
    (the old code took the first user count's mean x the count, which gave ratios near 4
    for ``--users 4,16``).

    Example:
        >>> littles_law(4, 16.0, 0.2)   # 4 users, R1 = 0.2 s: ideal 20 req/s
        (20.0, 0.8)
    """
    if not r1_s or r1_s <= 0:
        return None, None
    ideal = users / r1_s
    return ideal, rps / ideal


def server_point(before: str | None, after: str | None, entry: str, client: dict[str, Any] | None,
                 entries: list[str]) -> dict[str, Any]:
    """The service's own p50/p99 (ms) for ``entry`` from two /metrics scrapes, and any disagreement with Locust's.

    ``entries``: every client entry of the run; when another one (a streamed variant) shares
    the route, the route's histogram mixes both, so the figures are shown but not compared.
    """
    if before is None or after is None:
        return {"server_p50_ms": None, "server_p99_ms": None, "disagreement": [],
                "server_note": "no /metrics scrape (several service replicas, or none answered)"}
    try:
        server = server_latency(before, after)
    except ValueError as exc:
        return {"server_p50_ms": None, "server_p99_ms": None, "disagreement": [], "server_note": str(exc)}
    route = next((v for k, v in server["routes"].items() if route_key(k) == route_key(entry)), None)
    if route is None:
        return {"server_p50_ms": None, "server_p99_ms": None, "disagreement": [], "server_note": "route not seen"}
    shared = sum(route_key(e) == route_key(entry) for e in entries) > 1
    return {"server_p50_ms": route["p50_ms"], "server_p99_ms": route["p99_ms"],
            "server_note": "route shared with a streamed entry: not compared" if shared else None,
            "disagreement": [] if shared else disagreements(client or {}, route, name=entry)}


class CpuSampler:
    """Average CPU% (100 = one core) of a process and its children while running."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _procs(self) -> list[psutil.Process]:
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return []

    def _run(self) -> None:
        procs = self._procs()
        for p in procs:
            p.cpu_percent(None)
        while not self._stop.wait(0.5):
            total = 0.0
            for p in procs:
                try:
                    total += p.cpu_percent(None)
                except psutil.Error:
                    pass
            self.samples.append(total)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float:
        # drop the first and last samples (ramp-up, shutdown)
        core = self.samples[2:-1] or self.samples
        return sum(core) / len(core) if core else 0.0


def top_frames(raw: Path, n: int = 12) -> list[tuple[str, float]]:
    """Own-time share per function from py-spy's collapsed stacks (``--format raw``)."""
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        own[leaf] += int(count)
        total += int(count)
    return [(frame, c / total) for frame, c in own.most_common(n)] if total else []


CATEGORIES = [  # first match wins, checked from the leaf towards the root of each stack
    ("duckdb (BM25, data)", ("duckdb",)),
    ("chroma (vectors)", ("chromadb",)),
    ("labkit rag/agent/controls", ("labkit/rag", "labkit/agent", "labkit/controls", "labkit/tokens")),
    ("labkit client + telemetry", ("labkit/patterns/direct", "labkit/telemetry")),
    ("openai SDK + httpx (outgoing)", ("openai/", "httpx", "httpcore")),
    ("pydantic", ("pydantic",)),
    ("fastapi/starlette/uvicorn (incoming)", ("fastapi/", "starlette/", "uvicorn/", "h11/", "httptools")),
    ("thread hand-off (anyio, threading, queue)", ("anyio/", "threading.py", "queue.py", "concurrent/")),
]


def by_category(raw: Path) -> list[tuple[str, float]]:
    """Share of GIL-holding samples per layer, attributing each sample to its leaf-most layer."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        label = "other"
        for frame in reversed(stack.split(";")):
            hit = next((name for name, keys in CATEGORIES if any(k in frame for k in keys)), None)
            if hit:
                label = hit
                break
        counts[label] += int(count)
    return [(k, v / total) for k, v in counts.most_common()] if total else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.2, help="provider latency L per model call (s)")
    ap.add_argument("--users", default="1,4,16,64")
    ap.add_argument("--patterns", default="direct,rag,agent,gateway,copilot")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--service-workers", type=int, default=1, help="uvicorn processes of the service")
    ap.add_argument("--tag", default="", help="suffix of the JSON file name")
    args = ap.parse_args()
    users_list = [int(u) for u in args.users.split(",")]
    patterns = args.patterns.split(",")
    out_dir = var_dir() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)

    from labkit.data.catalogue import ensure_loaded

    ensure_loaded()
    port = free_port()
    provider = subprocess.Popen(
        [sys.executable, "-m", "labkit.cli", "provider", "serve", "--port", str(port),
         "--fault", f"*=latency={args.latency}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(REPO_ROOT))
    provider_url = f"http://127.0.0.1:{port}/v1"
    service_proc: list[subprocess.Popen] = []
    rows: list[dict[str, Any]] = []
    profile: dict[str, list[tuple[str, float]]] = {}
    layers: dict[str, list[tuple[str, float]]] = {}
    try:
        wait_http(provider_url + "/models", timeout=60, proc=provider)
        with service_process(provider_url, workers=args.service_workers, embedded_workers=2,
                             on_start=service_proc.append) as url:
            svc_pid = service_proc[0].pid
            for pattern in patterns:
                r1 = None
                for users in run_plan(users_list):
                    run_dir = out_dir / "service_runs" / f"{pattern}-{users}"
                    env = {f"LABKIT_WEIGHT_{k.upper()}": "1" if k == pattern else "0" for k in MAIN_ENTRY}
                    env["LABKIT_THINK_TIME"] = "0,0"
                    spy = None
                    if not args.no_profile and users == users_list[-1]:
                        raw = out_dir / f"service_pyspy_{pattern}.txt"
                        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                                str(svc_pid), "--duration", str(max(3, args.seconds - 4)),
                                                "--rate", "50", "--gil", "--format", "raw", "--output", str(raw),
                                                "--nonblocking"],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    psutil.cpu_percent(None)
                    # the service's own histogram: with several replicas a scrape reaches one of them
                    before = scrape_metrics(url) if args.service_workers == 1 else None
                    with CpuSampler(svc_pid) as cpu, CpuSampler(provider.pid) as pcpu:
                        # spawn everyone within ~0.1 s: a slow ramp would count as lost throughput
                        run_locust("stress", url, run_dir, users=users, spawn_rate=max(10 * users, 50),
                                   run_time=f"{args.seconds}s", extra_env=env)
                    machine_cpu = psutil.cpu_percent(None) * psutil.cpu_count()
                    after = scrape_metrics(url) if args.service_workers == 1 else None
                    if spy is not None:
                        spy.wait(timeout=60)
                        raw = out_dir / f"service_pyspy_{pattern}.txt"
                        if raw.exists():
                            profile[pattern] = top_frames(raw)
                            layers[pattern] = by_category(raw)
                    stats = _read_csv(run_dir / "stats_stats.csv", _STATS_COLUMNS)
                    real = [s for s in stats if s["name"] != "Aggregated" and s["type"] not in ("TTFT", "JOB")]
                    rps = sum(s["rps"] or 0 for s in real)
                    fails = sum(s["failures"] or 0 for s in real)
                    reqs = sum(s["requests"] or 0 for s in real)
                    main_row = next((s for s in stats if f"{s['type']} {s['name']}" == MAIN_ENTRY[pattern]), None)
                    mean_s = (sum((s["avg_ms"] or 0) * (s["requests"] or 0) for s in real) / reqs / 1000) if reqs else None
                    if users == 1 and mean_s:
                        r1 = mean_s  # one user, no queue: R1 = the mean response time
                    ideal, ratio = littles_law(users, rps, r1)
                    row = {"pattern": pattern, "users": users, "latency_s": args.latency,
                           "rps": round(rps, 2), "ideal_rps": round(ideal, 2) if ideal else None,
                           "ratio": round(ratio, 3) if ratio is not None else None,
                           "requested": users in users_list,
                           "model_ideal_rps": round(users / (CALLS[pattern] * args.latency), 2) if CALLS[pattern] else None,
                           "p50_ms": main_row and main_row["p50_ms"], "p95_ms": main_row and main_row["p95_ms"],
                           "p99_ms": main_row and main_row["p99_ms"], "failures": fails, "requests": reqs,
                           "service_cpu_pct": round(cpu.mean, 1), "provider_cpu_pct": round(pcpu.mean, 1),
                           "machine_cpu_pct": round(machine_cpu, 1), "r1_s": round(r1, 4) if r1 else None,
                           **server_point(before, after, MAIN_ENTRY[pattern], main_row,
                                          [f"{s['type']} {s['name']}" for s in real])}
                    rows.append(row)
                    print(f"{pattern:8} users={users:3} rps={row['rps']:7.2f} ideal={row['ideal_rps'] or 0:7.2f} "
                          f"ratio={row['ratio'] or 0:5.2f} p50={row['p50_ms'] or 0:6.0f} p95={row['p95_ms'] or 0:6.0f} "
                          f"p99={row['p99_ms'] or 0:6.0f} fail={fails:.0f} cpu svc={row['service_cpu_pct']:5.1f}% "
                          f"prov={row['provider_cpu_pct']:5.1f}% all={row['machine_cpu_pct']:5.1f}% "
                          f"server p50={row['server_p50_ms']} p99={row['server_p99_ms']}", flush=True)
                    for flag in row["disagreement"]:
                        print(f"  DISAGREEMENT: {flag}", flush=True)
    finally:
        provider.terminate()
        provider.wait(timeout=20)

    print()
    print(f"{'pattern':8} {'users':>5} {'rps':>8} {'ideal':>8} {'ratio':>6} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'svc%':>6} {'prov%':>6} {'all%':>6} {'srv p50':>8} {'srv p99':>8}")
    for r in rows:
        print(f"{r['pattern']:8} {r['users']:5} {r['rps']:8.2f} {r['ideal_rps'] or 0:8.2f} {r['ratio'] or 0:6.2f} "
              f"{r['p50_ms'] or 0:7.0f} {r['p95_ms'] or 0:7.0f} {r['p99_ms'] or 0:7.0f} {r['service_cpu_pct']:6.1f} "
              f"{r['provider_cpu_pct']:6.1f} {r['machine_cpu_pct']:6.1f} {r['server_p50_ms'] or 0:8.1f} "
              f"{r['server_p99_ms'] or 0:8.1f}{'  DISAGREE' if r['disagreement'] else ''}")
    for pattern, shares in layers.items():
        print(f"\npy-spy --gil, service process, {pattern} at {users_list[-1]} users, by layer:")
        for name, share in shares:
            print(f"  {share:6.1%}  {name}")
        print("  top functions (own time): " + "; ".join(f"{f} {v:.0%}" for f, v in profile[pattern][:5]))
    result = {"machine": "2 cores, shared, noisy", "latency_s": args.latency, "seconds": args.seconds,
              "service_workers": args.service_workers, "rows": rows, "profile_top": profile,
              "profile_layers": layers, "ts": time.time()}
    path = out_dir / f"service{args.tag}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
