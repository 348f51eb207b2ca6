"""Machine instructions per request of a *served* gateway process (round 17): a figure load does not move.

``gateway_callcount.py --instructions`` counts the gateway's request path in process (the upstream
answered at once, the HTTP front called directly). This counts the whole served process instead, started
exactly as ``bench_gateway.py`` starts its gateways (``gateway_launch``: the same command, its own
``labkit`` copy and var folder) but under valgrind's callgrind: the real HTTP front (uvicorn's protocol and
the short path), the real upstream exchange with the mock provider, the writer threads. Counting is
switched on only while ``--n`` requests run (after ``--warm`` requests and start-up), from ``--conns``
keep-alive connections of one asyncio generator (``bench_gateway``'s body, a new user turn each request).

A target is ``REF`` (``.`` = this worktree) with optional suffixes: ``:cli`` (started as ``labkit gateway
serve``, the documented command), ``:shared`` (its ``LABKIT_VAR`` is the provider's folder, where the
provider writes its request log: how the bench ran its current gateway before round 17) and ``:nopii``
(``redact_pii: false``: the rest of the path without the PII detector); several as ``REF:cli,shared``.

What a count misses: the kernel's work (system calls are one instruction each here; the bench reports
kernel CPU per request separately) and the cost of a cache miss. Two runs of one code differ by a little
(hash seeds, the writer's batch sizes, how many requests an event-loop turn finds ready): run each target
twice to see that spread.

Usage: .venv/bin/python loadtests/gateway_served_instructions.py . .:cli,shared 66617a5 [--n 600] [--conns 16] [--syscalls]
        [--repeat 2] [--out loadtests/results/gateway_served_instructions.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))
sys.path.insert(0, str(REPO))

from _locust_runner import free_port, probe_models, wait_up  # noqa: E402
from bench_gateway import BODY, gateway_launch, gateway_source  # noqa: E402


def _request(seq: int) -> bytes:
    user = BODY["messages"][1]
    text = json.dumps({**BODY, "messages": [BODY["messages"][0], {**user, "content": f"{user['content']} ({seq})"}]})
    raw = text.encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer bench-key\r\n"
            b"content-type: application/json\r\ncontent-length: " + str(len(raw)).encode() + b"\r\n\r\n" + raw)


async def _drive(port: int, n: int, conns: int, first: int) -> None:
    """``n`` requests over ``conns`` keep-alive connections; each answer read whole; any non-200 fails."""
    seq = iter(range(first, first + n))

    async def conn() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in seq:
            writer.write(_request(i))
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"gateway answered {head.splitlines()[0]!r}")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(conn() for _ in range(conns)))


def _split(target: str) -> tuple[str, list[str]]:
    ref, *flags = target.split(":")
    return ref, [f for part in flags for f in part.split(",") if f]


def count(target: str, root: Path, provider: tuple[str, Path], work: Path, n: int, warm: int,
          conns: int, syscalls: bool = False) -> dict[str, Any]:
    """Instructions per request of one served gateway (callgrind's total over the counted requests / n);
    with ``syscalls``, system calls per request instead (``strace -c -f`` attached for the counted requests)."""
    _, flags = _split(target)
    provider_url, provider_var = provider
    tag = target.replace(":", "_").replace(",", "_").replace(".", "worktree").replace("/", "_")
    var = provider_var if "shared" in flags else work / f"var-{tag}-{time.monotonic_ns()}"
    config = None
    if "nopii" in flags:  # the rest of the path without the PII detector (not the bench's default)
        config = work / "nopii.yaml"
        config.write_text("redact_pii: false\n")
    launch = gateway_launch(root, provider_url + "/v1", var, config, cli="cli" in flags)
    out_file = work / f"{'strace' if syscalls else 'callgrind'}-{tag}-{time.monotonic_ns()}.out"
    port = free_port()
    wrap = [] if syscalls else ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}"]
    proc = subprocess.Popen([*wrap, *launch.argv, str(port)], cwd=launch.cwd, env={**launch.env, "LABKIT_VAR": str(var)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tracer = None
    try:
        wait_up(f"http://127.0.0.1:{port}", proc, probe_models, timeout=900)
        asyncio.run(_drive(port, warm, conns, 0))
        if syscalls:
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(out_file), "-p", str(proc.pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2.0)  # attached to every thread before the counted requests start
        else:
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True)
        t0 = time.monotonic()
        asyncio.run(_drive(port, n, conns, 10**6))
        wall = time.monotonic() - t0
        if tracer is not None:
            time.sleep(0.5)  # the writer threads write what the last requests queued
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=60)
        else:
            subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True, capture_output=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if syscalls:  # strace -c's table: "% time seconds usecs/call calls errors syscall"
        calls: dict[str, float] = {}
        for line in out_file.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                calls[parts[-1]] = int(parts[3]) / n
        return {"syscalls_per_request": round(sum(calls.values()), 2),
                "by_call": {k: round(v, 3) for k, v in sorted(calls.items(), key=lambda kv: -kv[1])},
                "wall_s": round(wall, 1)}
    totals = [ln for ln in out_file.read_text().splitlines() if ln.startswith(("summary:", "totals:"))]
    return {"instructions_per_request": int(totals[-1].split()[1]) / n, "wall_s": round(wall, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="+", help="REF or REF:cli / REF:shared / REF:nopii / REF:cli,shared ('.' = this worktree)")
    ap.add_argument("--n", type=int, default=600, help="requests counted per target")
    ap.add_argument("--warm", type=int, default=300, help="requests before counting starts")
    ap.add_argument("--conns", type=int, default=16, help="keep-alive connections")
    ap.add_argument("--repeat", type=int, default=1, help="runs per target (alternated), to see the spread")
    ap.add_argument("--syscalls", action="store_true",
                    help="system calls per request (strace -c) instead of instructions; the gateway runs natively")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gw-served-instr-"))
    provider_var = work / "var-provider"
    port = free_port()
    provider = subprocess.Popen([sys.executable, "-m", "labkit.cli", "provider", "serve", "--port", str(port)],
                                cwd=REPO, env={**os.environ, "LABKIT_VAR": str(provider_var), "PYTHONPATH": str(REPO)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows: dict[str, list[float]] = {t: [] for t in args.targets}
    detail: dict[str, list[dict[str, Any]]] = {t: [] for t in args.targets}
    figure = "syscalls_per_request" if args.syscalls else "instructions_per_request"
    # each target's labkit copied once, now: every count of a target measures the same tree
    roots = {t: gateway_source(_split(t)[0], work / f"src{i}") for i, t in enumerate(args.targets)}
    try:
        wait_up(f"http://127.0.0.1:{port}", provider, probe_models, timeout=90)
        for rep in range(args.repeat):
            for target in args.targets if rep % 2 == 0 else args.targets[::-1]:
                got = count(target, roots[target], (f"http://127.0.0.1:{port}", provider_var), work, args.n,
                            args.warm, args.conns, args.syscalls)
                rows[target].append(got[figure])
                detail[target].append(got)
                print(f"{target:>22}: {got[figure]:12,.2f} {figure.replace('_', ' ')} "
                      f"(n {args.n}, {args.conns} connections, {got['wall_s']} s)"
                      + (f" {dict(list(got['by_call'].items())[:8])}" if args.syscalls else ""), flush=True)
    finally:
        provider.terminate()
        provider.wait(timeout=30)
    summary = {t: {"runs": v, "median": statistics.median(v), "detail": detail[t]} for t, v in rows.items() if v}
    first = args.targets[0]
    for target, s in summary.items():
        print(f"{target:>22}: median {s['median']:12,.2f}  ({s['median'] / summary[first]['median']:.3f}x {first})")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"figure": figure, "n": args.n, "warm": args.warm, "conns": args.conns,
                                              "load_average": os.getloadavg(), "targets": summary}, indent=1))


if __name__ == "__main__":
    main()
