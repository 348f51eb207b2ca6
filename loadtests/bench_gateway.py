"""Benchmark: what the resilient client and the gateway add on top of the bare openai SDK.

One run, same mock provider (``labkit provider serve``, no injected latency, own process):

1. Sequential calls, interleaved round-robin so machine noise hits every mode alike:
   ``sdk`` (the bare ``openai`` SDK, ``chat.completions.create``), ``client`` (the resilient
   client in process, default controls: PII redaction, telemetry, ledger, breaker, retry;
   cache misses only), ``client_create`` (the same client sending through the SDK's
   ``create`` instead of its low-level ``post``: the cost of the SDK's params transform),
   ``client_lean`` (without redaction and telemetry, to attribute the cost) and
   ``gateway`` (the bare SDK against ``labkit gateway serve`` in its own process).
   p50 and p99 per call for each.
2. Locust (``FastHttpUser``, headless, no wait) with ``--users`` (default 50) against the
   provider directly and against the gateway, alternated for ``--rounds``: p50, p99, req/s.

Targets: the in-process client adds at most 10% to the bare SDK's p50; the gateway adds at
most 2 ms p50 at 50 concurrent users. ``--profile`` prints where the client's time goes.

Prints a table and writes ``var/bench/gateway.json``.

Usage:
    .venv/bin/python loadtests/bench_gateway.py [--calls 300] [--seconds 15] [--users 50] [--rounds 2] [--profile]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BODY = {"model": "lab-chat-2026-01", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Labels: billing, technical, account\nMy invoice shows a double charge."}]}

LOCUSTFILE = f'''
import json
from locust import FastHttpUser, constant, task

BODY = json.dumps({json.dumps(BODY)!s})
HEADERS = {{"Authorization": "Bearer bench-key", "Content-Type": "application/json"}}


class ChatUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def chat(self):
        self.client.post("/v1/chat/completions", data=BODY, headers=HEADERS)
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url + "/v1/models", headers={"Authorization": "Bearer k"}, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _serve(args: list[str], workdir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "labkit.cli", *args, "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "LABKIT_VAR": str(workdir / "var")})
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, proc)
    return proc, url


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sequential(provider_url: str, gateway_url: str, calls: int, profile: bool) -> dict[str, dict[str, float]]:
    """Interleaved sequential calls per mode; returns p50/p99/mean in ms."""
    import openai

    from labkit.patterns.direct import ClientConfig, ResilientClient

    sdk = openai.OpenAI(base_url=provider_url + "/v1", api_key="bench-key", max_retries=0)
    via_gateway = openai.OpenAI(base_url=gateway_url + "/v1", api_key="bench-key", max_retries=0)
    client = ResilientClient(ClientConfig(base_url=provider_url + "/v1", api_key="bench-key"))
    lean = ResilientClient(ClientConfig(base_url=provider_url + "/v1", api_key="bench-key", telemetry=False))
    via_create = ResilientClient(ClientConfig(base_url=provider_url + "/v1", api_key="bench-key",
                                              sdk_fast_path=False))

    def msgs(i: int, mode: str) -> list[dict]:
        # unique per call so no mode ever hits a cache; same length for every mode
        return [BODY["messages"][0], {"role": "user", "content": BODY["messages"][1]["content"] + f" ({mode[:2]}{i:05d})"}]

    modes = {
        "sdk": lambda i: sdk.chat.completions.create(model=BODY["model"], messages=msgs(i, "sd"), temperature=0),
        "client": lambda i: client.chat(msgs(i, "cl"), model=BODY["model"], temperature=0),
        "client_create": lambda i: via_create.chat(msgs(i, "cc"), model=BODY["model"], temperature=0),
        "client_lean": lambda i: lean.chat(msgs(i, "le"), model=BODY["model"], temperature=0, redact_pii=False),
        "gateway": lambda i: via_gateway.chat.completions.create(model=BODY["model"], messages=msgs(i, "gw"),
                                                                 temperature=0),
    }
    for fn in modes.values():  # warm connections and imports
        for i in range(10):
            fn(10**6 + i)
    times: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, float] = {m: 0.0 for m in modes}
    for i in range(calls):
        for mode, fn in modes.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            times[mode].append((time.perf_counter() - t0) * 1000)
            cpu[mode] += time.process_time() - c0
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for i in range(200):
            client.chat(msgs(2 * 10**6 + i, "pr"), model=BODY["model"], temperature=0)
        prof.disable()
        print("\nwhere the resilient client's time goes (200 calls, cumulative):")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    # CPU time of *this* process per call: far steadier than wall time on a shared machine
    # (for "gateway" it is only the SDK side; the gateway's own CPU is measured under Locust)
    return {m: {"p50_ms": round(statistics.median(v), 3), "p99_ms": round(_pct(v, 0.99), 3),
                "mean_ms": round(statistics.fmean(v), 3), "cpu_ms_per_call": round(cpu[m] / len(v) * 1000, 3),
                "calls": len(v)} for m, v in times.items()}


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (Linux), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _locust(url: str, workdir: Path, name: str, seconds: int, users: int) -> dict[str, float]:
    prefix = workdir / name
    cmd = [sys.executable, "-m", "locust", "-f", str(workdir / "locustfile.py"), "--headless", "--host", url,
           "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary",
           "--loglevel", "WARNING"]
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False, timeout=seconds + 90)
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no stats: {done.stderr.strip().splitlines()[-1:]}")
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = {r["Name"]: r for r in csv.DictReader(fh)}
    row = rows.get("Aggregated") or next(iter(rows.values()))
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"]), "p99_ms": float(row["99%"])}


def main(argv: list[str] | None = None) -> dict:
    """Run both parts of the benchmark; returns (and writes) the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300, help="sequential calls per mode")
    ap.add_argument("--seconds", type=int, default=15, help="seconds per Locust run")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--skip-locust", action="store_true")
    args = ap.parse_args(argv)

    from labkit.settings import var_dir

    out = var_dir() / "bench" / "gateway.json"
    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    os.environ["LABKIT_VAR"] = str(workdir / "var")  # the bench's telemetry and ledger stay out of var/
    (workdir / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
    procs: list[subprocess.Popen] = []
    try:
        provider, provider_url = _serve(["provider", "serve"], workdir)
        procs.append(provider)
        gateway, gateway_url = _serve(["gateway", "serve", "--upstream", provider_url + "/v1",
                                       "--api-key", "bench-key"], workdir)
        procs.append(gateway)
        seq = sequential(provider_url, gateway_url, args.calls, args.profile)
        load: dict[str, list[dict[str, float]]] = {"provider": [], "gateway": []}
        if not args.skip_locust:
            for rnd in range(args.rounds):
                for target, url in (("provider", provider_url), ("gateway", gateway_url)):
                    before = {p.pid: _cpu_seconds(p.pid) for p in procs}
                    run = _locust(url, workdir, f"{target}-{rnd}", args.seconds, args.users)
                    # server CPU per request: where the gateway's time goes under load
                    run["provider_cpu_ms_per_req"] = round(
                        (_cpu_seconds(provider.pid) - before[provider.pid]) / max(1, run["requests"]) * 1000, 3)
                    run["gateway_cpu_ms_per_req"] = round(
                        (_cpu_seconds(gateway.pid) - before[gateway.pid]) / max(1, run["requests"]) * 1000, 3)
                    load[target].append(run)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)

    sdk_p50 = seq["sdk"]["p50_ms"]
    client_overhead = (seq["client"]["p50_ms"] - sdk_p50) / sdk_p50 if sdk_p50 else 0.0
    print(f"\nsequential calls ({args.calls} per mode, interleaved)")
    print(f"{'mode':<12} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'cpu ms':>8}  vs sdk p50")
    for mode, s in seq.items():
        print(f"{mode:<12} {s['p50_ms']:>8.3f} {s['p99_ms']:>8.3f} {s['mean_ms']:>8.3f} "
              f"{s['cpu_ms_per_call']:>8.3f}  {(s['p50_ms'] - sdk_p50) / sdk_p50 * 100:+.1f}%")
    summary: dict[str, dict[str, float]] = {}
    for target, runs in load.items():
        if runs:
            summary[target] = {k: round(sum(r[k] for r in runs) / len(runs), 2)
                               for k in ("rps", "p50_ms", "p99_ms", "provider_cpu_ms_per_req",
                                         "gateway_cpu_ms_per_req")}
            summary[target]["requests"] = sum(r["requests"] for r in runs)
            summary[target]["failures"] = sum(r["failures"] for r in runs)
    gateway_added = None
    if summary:
        print(f"\nLocust, {args.users} users, {args.seconds}s x {args.rounds} rounds")
        print(f"{'target':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'failures':>9} "
              f"{'prov cpu/req':>13} {'gw cpu/req':>11}")
        for target, s in summary.items():
            print(f"{target:<10} {s['rps']:>9.1f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} "
                  f"{s['requests']:>9} {s['failures']:>9} {s['provider_cpu_ms_per_req']:>11.3f}ms "
                  f"{s['gateway_cpu_ms_per_req']:>9.3f}ms")
        gateway_added = round(summary["gateway"]["p50_ms"] - summary["provider"]["p50_ms"], 2)
        print(f"gateway adds {gateway_added} ms p50 at {args.users} users (target <= 2 ms)")
    print(f"client adds {client_overhead * 100:.1f}% to the bare SDK p50 (target <= 10%); "
          f"CPU per call {seq['client']['cpu_ms_per_call']:.3f} ms vs {seq['sdk']['cpu_ms_per_call']:.3f} ms")
    result = {"benchmark": "gateway", "machine": f"{os.cpu_count()} cores, shared, noisy",
              "calls": args.calls, "users": args.users, "seconds": args.seconds, "rounds": args.rounds,
              "sequential": seq, "locust": summary, "locust_runs": load,
              "client_overhead_p50": round(client_overhead, 4), "client_target": 0.10,
              "client_meets_target": client_overhead <= 0.10,
              "gateway_added_p50_ms": gateway_added, "gateway_target_ms": 2.0,
              "gateway_meets_target": None if gateway_added is None else gateway_added <= 2.0,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
