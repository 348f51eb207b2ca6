"""Where the gateway's overhead goes: the same gateway with controls switched off, beside the bare hop.

``bench_gateway.py`` measures the targets (the gateway against the provider, and the relay floor).
This script answers the next question, which control costs what, by serving side by side, against
one mock provider:

- ``gateway``: ``labkit gateway serve`` with its default config;
- ``no_pii``: the same with ``redact_pii: false``;
- ``no_pii_telemetry``: also ``telemetry: false`` (no events, no metrics observers);
- ``relay_floor``: ``loadtests/relay_floor.py``, the hop with no control at all.

Two measurements, each a comparison inside one run:

1. **Sequential** (``--calls`` rounds): the official SDK calls the provider directly and each target
   in turn, round-robin, so machine noise hits every target alike; p50 per target and the p50 added
   to the direct call. Latency here includes what the caller waits for only (events are recorded
   after the answer).
2. **Server CPU per request** under a closed loop of ``--users`` ``http.client`` users (cheap, so
   the generator takes little of the 2 cores), ``--rounds`` × ``--seconds`` per target, alternated;
   CPU from ``/proc/<pid>/stat``. CPU per request is far steadier than throughput on a shared machine.

3. **Warm against cold caches, in process** (``--cold``): the resilient client's request path (the
   gateway's ``client.chat`` with an instant transport: no I/O, telemetry deferred and not run),
   timed right after the previous call (warm) and right after touching a 32 MB buffer (cold: the
   state a sequential request finds the caches in on a machine that ran the caller and the
   provider in between), with and without PII redaction.

The difference between two neighbours is what that control costs: ``gateway - no_pii`` is PII
redaction of the new user turn, ``no_pii - no_pii_telemetry`` the telemetry, ``no_pii_telemetry -
relay_floor`` the rest of the client's control flow (admission, deadline, breaker, limiter, cache
key, budget, billing, headers). ``--no-provider-audit`` serves the provider without its PII audit.

Usage:
    .venv/bin/python loadtests/gateway_attribution.py [--calls 400] [--users 4] [--seconds 8] [--rounds 3]
        [--no-provider-audit] [--cold]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))

from _locust_runner import free_port, probe_models, process_cpu_seconds, wait_up, write_result  # noqa: E402

VARIANTS = {"gateway": "{}\n", "no_pii": "redact_pii: false\n",
            "no_pii_telemetry": "redact_pii: false\ntelemetry: false\n"}
SYSTEM = "You are a helpful assistant."
TURN = "Labels: billing, technical, account\nMy invoice shows a double charge. ({tag}{n:05d})"


def _serve(argv: list[str], work: Path, var: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([*argv, "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "LABKIT_VAR": str(work / var)})
    wait_up(f"http://127.0.0.1:{port}", proc, probe_models, timeout=90)
    return proc, port


def _messages(tag: str, n: int) -> list[dict[str, str]]:
    # unique per call (no cache hit, no "clean text" memo), the same length for every target
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TURN.format(tag=tag, n=n % 100000)}]


def sequential(ports: dict[str, int], calls: int) -> dict[str, dict[str, float]]:
    """p50 per target (the bare SDK calling it) and the p50 it adds to calling the provider directly."""
    import openai

    clients = {name: openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="bench-key", max_retries=0)
               for name, port in ports.items()}
    for name, client in clients.items():  # connections and imports warm
        for i in range(20):
            client.chat.completions.create(model="lab-chat-2026-01", temperature=0,
                                           messages=_messages("w" + name[:2], 90000 + i))
    times: dict[str, list[float]] = {name: [] for name in clients}
    for i in range(calls):
        for name, client in clients.items():
            t0 = time.perf_counter()
            client.chat.completions.create(model="lab-chat-2026-01", temperature=0, messages=_messages(name[:2], i))
            times[name].append((time.perf_counter() - t0) * 1000)
    direct = statistics.median(times["provider"])
    return {name: {"p50_ms": round(statistics.median(v), 3), "added_p50_ms": round(statistics.median(v) - direct, 3)}
            for name, v in times.items()}


def _closed_loop(port: int, seconds: float, users: int, tag: str) -> int:
    done = [0]
    stop = time.monotonic() + seconds

    def user(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        i = 0
        while time.monotonic() < stop:
            i += 1
            body = json.dumps({"model": "lab-chat-2026-01", "temperature": 0, "messages": _messages(f"{tag}{k}", i)})
            conn.request("POST", "/v1/chat/completions", body,
                         {"Authorization": "Bearer bench-key", "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{tag}: HTTP {response.status}")
            done[0] += 1

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0]


def server_cpu(procs: dict[str, subprocess.Popen], ports: dict[str, int], provider: subprocess.Popen,
               users: int, seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    """Server CPU per request (the target's, and the provider's behind it) under a closed loop."""
    for name, port in ports.items():
        _closed_loop(port, 2, users, "w" + name[:2])
    totals = {name: [0.0, 0, 0.0] for name in ports}
    for rnd in range(rounds):
        for name, port in ports.items():  # alternated, so drift hits every target alike
            cpu0, prov0 = process_cpu_seconds(procs[name].pid), process_cpu_seconds(provider.pid)
            n = _closed_loop(port, seconds, users, f"{name[:2]}{rnd}")
            totals[name][0] += process_cpu_seconds(procs[name].pid) - cpu0
            totals[name][1] += n
            totals[name][2] += process_cpu_seconds(provider.pid) - prov0
    return {name: {"req_per_s": round(n / (seconds * rounds)), "cpu_ms_per_req": round(cpu / n * 1000, 3),
                   "provider_cpu_ms_per_req": round(prov / n * 1000, 3)}
            for name, (cpu, n, prov) in totals.items()}


def cold_and_warm(calls: int = 300) -> dict[str, dict[str, float]]:
    """p50 of the client's request path in process, warm and with cold caches, PII off and on (us)."""
    import orjson

    from labkit.controls.pii import warm_up
    from labkit.direct import ClientConfig, ResilientClient
    from labkit.direct.transport import Reply

    answer = orjson.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "lab-chat-2026-01",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32}})

    class Instant:  # the provider's answer at once: only the client's own work is timed
        name = "lean"

        def chat(self, body: dict, timeout: object, headers: object) -> Reply:
            return Reply(200, {"content-type": "application/json"}, orjson.loads(answer), answer)

        def close(self) -> None:
            pass

    warm_up()
    client = ResilientClient(ClientConfig(base_url="http://127.0.0.1:9/v1", api_key="k", transport="lean"),
                             transport=Instant())  # type: ignore[arg-type]
    buffer = bytearray(32 * 1024 * 1024)

    def evict() -> None:  # touch one byte per cache line of a buffer larger than the caches
        buffer[::64] = bytes(len(buffer) // 64)

    def call(n: int, pii: bool) -> float:
        t0 = time.perf_counter()
        client.chat(_messages("cw", n), "lab-chat-2026-01", pattern="direct", key="k", temperature=0,
                    redact_pii=pii, deferred=[])
        return (time.perf_counter() - t0) * 1e6

    for n in range(300):
        call(n, True)
    out = {}
    for pii in (False, True):
        warm = [call(10000 + 1000 * pii + n, pii) for n in range(calls)]
        cold = []
        for n in range(calls // 2):
            evict()
            cold.append(call(20000 + 1000 * pii + n, pii))
        out["with_pii" if pii else "without_pii"] = {"warm_p50_us": round(statistics.median(warm), 1),
                                                     "cold_p50_us": round(statistics.median(cold), 1)}
    return out


def main(argv: list[str] | None = None) -> dict:
    """Serve the targets, measure both ways, print and write ``var/bench/gateway_attribution.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=400, help="sequential rounds (one call per target each)")
    ap.add_argument("--users", type=int, default=4, help="closed-loop users for the CPU measurement")
    ap.add_argument("--seconds", type=float, default=8, help="seconds per target per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-provider-audit", action="store_true", help="serve the provider without its PII audit")
    ap.add_argument("--cold", action="store_true", help="also time the client's request path warm and cold, in process")
    args = ap.parse_args(argv)
    from labkit.settings import var_dir

    work = Path(tempfile.mkdtemp(prefix="gateway-attribution-"))
    py = sys.executable
    load_start = os.getloadavg()
    procs: dict[str, subprocess.Popen] = {}
    try:
        provider, provider_port = _serve([py, "-m", "labkit.cli", "provider", "serve",
                                          *(["--no-pii-audit"] if args.no_provider_audit else [])], work, "var")
        procs["provider"] = provider
        upstream = f"http://127.0.0.1:{provider_port}/v1"
        ports = {}
        for name, yaml in VARIANTS.items():
            config = work / f"{name}.yaml"
            config.write_text(yaml)
            procs[name], ports[name] = _serve([py, "-m", "labkit.cli", "gateway", "serve", "--upstream", upstream,
                                               "--api-key", "bench-key", "--config", str(config)], work, "var-" + name)
        procs["relay_floor"], ports["relay_floor"] = _serve(
            [py, str(REPO / "loadtests" / "relay_floor.py"), upstream, "bench-key"], work, "var-floor")
        seq = sequential({"provider": provider_port, **ports}, args.calls)
        cpu = server_cpu(procs, ports, provider, args.users, args.seconds, args.rounds)
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=10)
    load_end = os.getloadavg()
    print(f"sequential ({args.calls} interleaved calls per target; the bare SDK): added p50 vs the provider")
    for name, row in seq.items():
        print(f"  {name:18s} p50 {row['p50_ms']:7.3f} ms  added {row['added_p50_ms']:+.3f} ms")
    print(f"server CPU per request ({args.users} closed-loop users, {args.rounds} x {args.seconds:g} s per target)")
    for name, row in cpu.items():
        print(f"  {name:18s} {row['req_per_s']:6d} req/s  {row['cpu_ms_per_req']:.3f} ms  "
              f"(provider behind it {row['provider_cpu_ms_per_req']:.3f} ms)")
    shares = {"pii": ("gateway", "no_pii"), "telemetry": ("no_pii", "no_pii_telemetry"),
              "client_control_flow": ("no_pii_telemetry", "relay_floor")}
    attribution = {part: {"sequential_ms": round(seq[a]["p50_ms"] - seq[b]["p50_ms"], 3),
                          "cpu_ms_per_req": round(cpu[a]["cpu_ms_per_req"] - cpu[b]["cpu_ms_per_req"], 3)}
                   for part, (a, b) in shares.items()}
    for part, row in attribution.items():
        print(f"  {part:20s} sequential {row['sequential_ms']:+.3f} ms, CPU {row['cpu_ms_per_req']:+.3f} ms/req")
    cold = cold_and_warm() if args.cold else None
    for name, row in (cold or {}).items():
        print(f"  client request path {name}: warm p50 {row['warm_p50_us']} us, cold caches {row['cold_p50_us']} us")
    print(f"load average: {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (2 cores)")
    result = {"benchmark": "gateway_attribution", "load_average_start": load_start, "load_average": load_end,
              "provider_pii_audit": not args.no_provider_audit, "calls": args.calls, "users": args.users,
              "seconds": args.seconds, "rounds": args.rounds, "sequential": seq, "server_cpu": cpu,
              "attribution": attribution, "client_warm_cold": cold}
    return write_result(result, var_dir() / "bench" / "gateway_attribution.json")


if __name__ == "__main__":
    main()
