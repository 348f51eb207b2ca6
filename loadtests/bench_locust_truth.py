"""Benchmark: how far Locust's paced latency is from the truth, and why, one cause at a time.

Same target for every generator: the mock provider (``labkit provider serve``, no injected
latency) in its own process, pinned to CPU 0 when the machine has two or more (``taskset``
semantics via ``sched_setaffinity``; ``--no-pin-server`` leaves it free, and the rows that pin
a generator then run unpinned). Same offered load: ``--users`` (50) users, each starting
one request every ``--period`` (1 s) = 50 req/s, for ``--seconds``; the first seconds are
not measured (users starting, connections opening). Each row is one generator setup:

- ``reference``: an independent generator, one thread + ``httpx.Client`` per user in its own
  process, random start phase, absolute schedule (the instrument the others are judged by;
  ``reference_pinned``: the same pinned away from the server);
- ``locust burst``: Locust ``FastHttpUser`` + ``constant_pacing``, all users spawned at once
  (``-r`` = users): they fire in the same instant every period;
- ``locust on_start phase``: the same plus a random ``gevent.sleep`` in ``on_start`` (what
  ``bench_gateway.py`` did): ``constant_pacing`` counts ``on_start`` in the first iteration
  and pays the phase back at the first wait, so the users fall into step again;
- ``locust spawn 15 s``: ``constant_pacing``, users spawned over 15 s (measured after);
- ``locust lab pacing``: the lab's fix, :class:`labkit.service.loadcheck.PacedSchedule`
  (random start phase, absolute schedule); unpinned, with ``--processes 2``, pinned away from
  the server (the other CPUs) and co-located with it (its CPU) to isolate placement;
- ``locust lab pacing + busy generator``: a greenlet burning CPU in the Locust process
  (``--burn`` duty and slice) to isolate the generator's own CPU and gevent scheduling.

For every row: p50/p95/p99 from the raw float-ms times (Locust's CSV rounds to whole ms), the
Locust CSV's own p50/p99, the provider's own handling time from its request log (server
side), the generator's CPU as a share of one core, and each p50/p99 as a ratio to the
reference's. Rows run in rounds, alternated, so machine noise hits them alike; the load
average is recorded before and after each row. Prints a table, writes
``var/bench/locust_truth.json``.

    .venv/bin/python loadtests/bench_locust_truth.py [--seconds 15] [--rounds 2] [--only ref,lab_pinned]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _locust_runner import free_port, run_locust, wait_up, write_result  # noqa: E402

BODY = {"model": "lab-chat", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Labels: billing, technical, account\nMy invoice shows a double charge."}]}
HEADERS = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}

LOCUSTFILE = f'''
import glob, json, os, random, time

import gevent
from locust import FastHttpUser, constant_pacing, events, task

from labkit.service.loadcheck import PacedSchedule

BODY = json.dumps({json.dumps(BODY)!s})
HEADERS = {HEADERS!r}
MODE = os.environ["BENCH_MODE"]            # pacing | onstart | lab
PERIOD = float(os.environ["BENCH_PERIOD"])
WARMUP = float(os.environ["BENCH_WARMUP_S"])
BURN = os.environ.get("BENCH_BURN", "")    # "duty,slice_s": a greenlet keeps the process busy
OUT = os.environ["BENCH_TIMES_OUT"]
TIMES = []
MARK = {{}}


@events.test_start.add_listener
def _started(**_):
    MARK["t0"] = time.monotonic()
    if BURN:
        duty, slice_s = (float(x) for x in BURN.split(","))

        def burn():
            while True:
                end = time.perf_counter() + slice_s
                while time.perf_counter() < end:
                    pass
                gevent.sleep(slice_s * (1 - duty) / duty)

        gevent.spawn(burn)


@events.request.add_listener
def _record(response_time, exception, **_):
    now = time.monotonic()
    if exception is None and "t0" in MARK and now - MARK["t0"] >= WARMUP:
        if "cpu0" not in MARK:  # the generator's CPU over the measured window only
            MARK["cpu0"], MARK["wall0"] = time.process_time(), now
        TIMES.append(response_time)


@events.quitting.add_listener
def _dump(environment, **_):
    if TIMES:
        cpu = time.process_time() - MARK["cpu0"]
        wall = time.monotonic() - MARK["wall0"]
        with open(f"{{OUT}}.{{os.getpid()}}", "w") as fh:
            json.dump({{"times": TIMES, "cpu_s": cpu, "wall_s": wall}}, fh)


class ChatUser(FastHttpUser):
    if MODE == "lab":
        def wait_time(self):
            return self.schedule.next_wait()
    else:
        wait_time = constant_pacing(PERIOD)

    def on_start(self):
        if MODE == "onstart":
            gevent.sleep(random.uniform(0, PERIOD))
        elif MODE == "lab":
            self.schedule = PacedSchedule(PERIOD)
            gevent.sleep(self.schedule.start_delay)

    @task
    def chat(self):
        self.client.post("/v1/chat/completions", data=BODY, headers=HEADERS, name="chat")
'''

REFERENCE = """
import json, random, sys, threading, time
import httpx
url, users, period, seconds, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
body, headers = sys.argv[6].encode(), json.loads(sys.argv[7])
times, lock, mark = [], threading.Lock(), {}
ready = threading.Barrier(users + 1, action=lambda: mark.setdefault("t0", time.monotonic()))


def user():
    client = httpx.Client(base_url=url, timeout=30)  # built before the start: ~10 ms CPU each
    ready.wait()
    due = time.monotonic() + random.uniform(0, period)  # random start phase
    while True:
        time.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() - mark["t0"] >= seconds:
            return
        t0 = time.perf_counter()
        ok = client.post("/v1/chat/completions", content=body, headers=headers).status_code == 200
        took = (time.perf_counter() - t0) * 1000
        now = time.monotonic()
        if ok and now - mark["t0"] >= warmup:
            with lock:
                if "cpu0" not in mark:
                    mark["cpu0"], mark["wall0"] = time.process_time(), now
                times.append(took)
        due += period
        if due < now:
            due += ((now - due) // period + 1) * period


threads = [threading.Thread(target=user) for _ in range(users)]
for t in threads:
    t.start()
ready.wait()
for t in threads:
    t.join()
print(json.dumps({"times": times, "cpu_s": time.process_time() - mark["cpu0"],
                  "wall_s": time.monotonic() - mark["wall0"]}))
"""

# name -> how the generator runs; "cpus": None = unpinned, "server" = the server's CPU, "other"
SETUPS: dict[str, dict[str, Any]] = {
    "reference": {"kind": "reference", "cpus": None, "label": "independent: httpx thread per user, own process"},
    "burst": {"kind": "locust", "mode": "pacing", "cpus": None, "label": "locust constant_pacing, spawned at once"},
    "onstart": {"kind": "locust", "mode": "onstart", "cpus": None,
                "label": "locust constant_pacing + random sleep in on_start"},
    "spawn15": {"kind": "locust", "mode": "pacing", "cpus": None, "spawn_s": 15.0,
                "label": "locust constant_pacing, spawned over 15 s"},
    "lab": {"kind": "locust", "mode": "lab", "cpus": None, "label": "locust lab pacing (random phase)"},
    "lab_processes": {"kind": "locust", "mode": "lab", "cpus": None, "processes": 2,
                      "label": "locust lab pacing, --processes 2"},
    "lab_busy": {"kind": "locust", "mode": "lab", "cpus": None, "burn": True,
                 "label": "locust lab pacing, generator kept busy (--burn)"},
    "reference_pinned": {"kind": "reference", "cpus": "other",
                         "label": "independent generator pinned away from the server"},
    "lab_pinned": {"kind": "locust", "mode": "lab", "cpus": "other",
                   "label": "locust lab pacing, pinned away from the server"},
    "lab_colocated": {"kind": "locust", "mode": "lab", "cpus": "server",
                      "label": "locust lab pacing, pinned onto the server's CPU"},
}


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _stats(times: list[float]) -> dict[str, float]:
    return {"n": len(times), "p50_ms": round(statistics.median(times), 3), "p95_ms": round(_pct(times, 0.95), 3),
            "p99_ms": round(_pct(times, 0.99), 3)}


def _cpus(spec: str | None, server_cpus: set[int] | None) -> set[int] | None:
    if spec is None or server_cpus is None:
        return None
    every = os.sched_getaffinity(0)
    return set(server_cpus) if spec == "server" else (every - server_cpus or every)


def _preexec(cpus: set[int] | None):
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat (Linux)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _provider_log(url: str, clear: bool = False) -> list[float]:
    """The provider's own handling times (ms) from its request log; ``clear`` empties it."""
    if clear:
        httpx.delete(url + "/lab/requests", headers=HEADERS, timeout=5)
        return []
    time.sleep(0.5)  # the log is written in batches at most 0.2 s behind
    rows = httpx.get(url + "/lab/requests", headers=HEADERS, timeout=30).json()["data"]
    return [r["latency_ms"] for r in rows if r.get("status") == 200 and r.get("latency_ms") is not None]


def run_setup(name: str, setup: dict[str, Any], url: str, workdir: Path, args: argparse.Namespace,
              server_cpus: set[int] | None, run_no: int) -> dict[str, Any]:
    """One generator setup against the provider; raw-time statistics and the generator's CPU."""
    cpus = _cpus(setup.get("cpus"), server_cpus)
    spawn_s = float(setup.get("spawn_s", 0.0))
    warmup = spawn_s + 2 * args.period
    seconds = round(warmup + args.seconds)
    load0 = os.getloadavg()[0]
    busy0, total0 = _cpu_ticks()
    _provider_log(url, clear=True)
    csv_p50 = csv_p99 = None
    if setup["kind"] == "reference":
        done = subprocess.run([sys.executable, "-c", REFERENCE, url, str(args.users), str(args.period), str(seconds),
                               str(warmup), json.dumps(BODY), json.dumps(HEADERS)], capture_output=True, text=True,
                              check=False, timeout=seconds + 120, preexec_fn=_preexec(cpus))
        if done.returncode != 0:
            raise RuntimeError(f"reference generator failed: {done.stderr.strip().splitlines()[-1:]}")
        parts = [json.loads(done.stdout.strip().splitlines()[-1])]
    else:
        out = workdir / f"{name}-{run_no}"
        env = {"BENCH_MODE": setup["mode"], "BENCH_PERIOD": str(args.period), "BENCH_WARMUP_S": str(warmup),
               "BENCH_TIMES_OUT": str(out), "BENCH_BURN": args.burn if setup.get("burn") else ""}
        extra = ["--stop-timeout", "2"]
        if setup.get("processes"):
            extra += ["--processes", str(setup["processes"])]
        rows = run_locust(workdir / "locustfile.py", url, workdir, f"{name}-{run_no}", seconds, args.users,
                          spawn_rate=(args.users / spawn_s) if spawn_s else None, extra_args=extra, env=env,
                          grace_s=60, cpus=cpus)
        row = rows.get("Aggregated") or next(iter(rows.values()))
        csv_p50, csv_p99 = float(row["50%"]), float(row["99%"])
        parts = [json.loads(Path(p).read_text()) for p in glob.glob(f"{out}.*")]
        if not parts:
            raise RuntimeError(f"{name}: locust recorded no times")
    times = [t for p in parts for t in p["times"]]
    busy1, total1 = _cpu_ticks()
    server = _provider_log(url)
    cpu_share = max(p["cpu_s"] / max(p["wall_s"], 1e-9) for p in parts)
    return {"setup": name, "run": run_no, **_stats(times), "csv_p50_ms": csv_p50, "csv_p99_ms": csv_p99,
            "rps": round(len(times) / max(p["wall_s"] for p in parts), 1),
            "server_p50_ms": round(statistics.median(server), 3) if server else None,
            "server_p99_ms": round(_pct(server, 0.99), 3) if server else None,
            "generator_cpu_share": round(cpu_share, 3), "generator_processes": len(parts),
            "cpus": sorted(cpus) if cpus else None, "load_before": round(load0, 2),
            "machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3),
            "load_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every setup for ``--rounds`` rounds; returns (and writes) the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--period", type=float, default=1.0, help="seconds between one user's requests")
    ap.add_argument("--seconds", type=int, default=15, help="measured seconds per row")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--burn", default="0.5,0.005", help="busy-generator row: CPU duty and slice (s)")
    ap.add_argument("--only", default="", help="comma-separated setups (default: all)")
    ap.add_argument("--tag", default="")
    ap.add_argument("--no-pin-server", action="store_true", help="leave the provider on any CPU")
    args = ap.parse_args(argv)
    names = [n for n in (args.only.split(",") if args.only else SETUPS) if n]
    unknown = set(names) - set(SETUPS)
    if unknown:
        ap.error(f"unknown setups {sorted(unknown)}; choose from {sorted(SETUPS)}")
    if "reference" not in names:
        names.insert(0, "reference")  # every ratio is to the reference of the same run

    from labkit.settings import var_dir

    workdir = Path(tempfile.mkdtemp(prefix="bench-locust-truth-"))
    (workdir / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
    every = os.sched_getaffinity(0)
    server_cpus = {min(every)} if len(every) >= 2 and not args.no_pin_server else None
    port = free_port()
    provider = subprocess.Popen([sys.executable, "-m", "labkit.cli", "provider", "serve", "--port", str(port)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "LABKIT_VAR": str(workdir / "var")},
                                preexec_fn=_preexec(server_cpus))
    url = f"http://127.0.0.1:{port}"
    runs: list[dict[str, Any]] = []
    try:
        wait_up(url, provider, lambda u: httpx.get(u + "/v1/models", headers=HEADERS, timeout=1), timeout=60)
        for rnd in range(args.rounds):
            for name in names:
                run = run_setup(name, SETUPS[name], url, workdir, args, server_cpus, rnd)
                runs.append(run)
                print(f"round {rnd} {name:<17} p50 {run['p50_ms']:7.2f} p99 {run['p99_ms']:7.2f} "
                      f"server p50 {run['server_p50_ms']} gen cpu {run['generator_cpu_share']:.0%} "
                      f"load {run['load_before']}->{run['load_after']}", flush=True)
    finally:
        provider.terminate()
        provider.wait(timeout=15)

    table: dict[str, dict[str, Any]] = {}
    for name in names:
        rs = [r for r in runs if r["setup"] == name]
        agg = {k: round(statistics.fmean(r[k] for r in rs), 3) for k in
               ("p50_ms", "p95_ms", "p99_ms", "rps", "generator_cpu_share")}
        for k in ("csv_p50_ms", "csv_p99_ms", "server_p50_ms", "server_p99_ms"):
            vals = [r[k] for r in rs if r[k] is not None]
            agg[k] = round(statistics.fmean(vals), 3) if vals else None
        agg["load"] = f"{min(r['load_before'] for r in rs):.1f}-{max(r['load_after'] for r in rs):.1f}"
        agg["machine_busy"] = round(statistics.fmean(r["machine_busy"] for r in rs), 3)
        table[name] = agg
    ref = table["reference"]
    for agg in table.values():
        agg["p50_minus_ref_ms"] = round(agg["p50_ms"] - ref["p50_ms"], 3)
        agg["p99_ratio_to_ref"] = round(agg["p99_ms"] / ref["p99_ms"], 2) if ref["p99_ms"] else None
        agg["meets_target"] = agg["p50_minus_ref_ms"] <= 1.0 and (agg["p99_ratio_to_ref"] or 0) <= 2.0

    print(f"\n{args.users} users x 1 request / {args.period:g} s, {args.seconds} s measured x {args.rounds} rounds "
          f"(means of rounds); server pinned to CPU {sorted(server_cpus) if server_cpus else 'any'}")
    print(f"{'setup':<17} {'p50':>7} {'p95':>7} {'p99':>7} {'csv50':>6} {'csv99':>6} {'srv50':>6} {'srv99':>6} "
          f"{'gen cpu':>7} {'p50-ref':>8} {'p99/ref':>7} {'ok':>3} {'load':>9} {'busy':>5}")
    for name, a in table.items():
        print(f"{name:<17} {a['p50_ms']:7.2f} {a['p95_ms']:7.2f} {a['p99_ms']:7.2f} {_num(a['csv_p50_ms'], 0):>6} "
              f"{_num(a['csv_p99_ms'], 0):>6} {_num(a['server_p50_ms'], 2):>6} {_num(a['server_p99_ms'], 2):>6} "
              f"{a['generator_cpu_share']:7.1%} {a['p50_minus_ref_ms']:+8.2f} {a['p99_ratio_to_ref'] or 0:7.2f} "
              f"{'yes' if a['meets_target'] else 'no':>3} {a['load']:>9} {a['machine_busy']:5.0%}")
    result = {"benchmark": "locust_truth", "users": args.users, "period_s": args.period, "seconds": args.seconds,
              "rounds": args.rounds, "burn": args.burn, "machine": f"{os.cpu_count()} cores, shared",
              "server_cpus": sorted(server_cpus) if server_cpus else None,
              "setups": {n: SETUPS[n]["label"] for n in names}, "table": table, "runs": runs}
    out = var_dir() / "bench" / f"locust_truth{args.tag}.json"
    return write_result(result, out)


if __name__ == "__main__":
    main()
