"""Function calls per gateway request, per git ref (round 16): a count that load does not move.

On a shared 2-core machine a 4-7 % CPU difference between two gateways is within one run's noise;
the number of Python function calls a request makes is not. Per target (a git ref, ``.`` for this
worktree, ``git archive``d like ``--baseline-ref`` elsewhere) one child process builds the gateway as
``gateway_inprocess.py`` does (the upstream answered at once, the collector tuned as a serving process
tunes it), warms it with 500 requests, then runs ``--n`` requests (``bench_gateway.py``'s body, a new
user turn each) under ``cProfile``, and reports calls per request (total and per function), the
profiler's own time per function (inflated by the profiler: read as shares, not as latency) and the
garbage collections per request (``gc.get_stats()``).

Usage: .venv/bin/python loadtests/gateway_callcount.py 13ae252 e768364 main . [--n 2000] [--pii on|off]
        [--top 25] [--out var/bench/gateway_callcount.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))

from _locust_runner import labkit_at  # noqa: E402

TURN = "Labels: billing, technical, account\nMy invoice shows a double charge. ({n})"


def child(n: int, pii: bool, handshake: bool = False) -> dict[str, Any]:
    """In this process (``labkit`` from ``PYTHONPATH``): calls and collections per request."""
    import asyncio
    import cProfile
    import gc
    import pstats

    import orjson

    from labkit.direct import gateway, upstream

    answer = orjson.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "lab-chat-2026-01",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32}})
    answer_headers = [(b"content-length", str(len(answer)).encode()), (b"content-type", b"application/json")]

    async def instant(self: Any, *args: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return 200, answer_headers, answer

    upstream.UpstreamPool.request = instant  # type: ignore[method-assign]
    app = gateway.create_app(gateway.GatewayConfig(upstream="http://127.0.0.1:9/v1", api_key="k", redact_pii=pii),
                             background_writes=True)
    (getattr(gateway, "tune_collector_for_serving", None) or gateway._freeze_startup_heap)()
    front = gateway.GatewayFront(app)
    headers = [(b"host", b"x"), (b"authorization", b"Bearer bench-key"), (b"content-type", b"application/json")]

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"HTTP {message['status']}")

    async def one(i: int) -> None:
        raw = orjson.dumps({"model": "lab-chat-2026-01", "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": TURN.format(n=i)}]})
        messages = [{"type": "http.request", "body": raw, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        await front({"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers}, receive, send)

    async def run() -> dict[str, Any]:
        for i in range(500):
            await one(i)
        await asyncio.sleep(0.2)
        before = [s["collections"] for s in gc.get_stats()]
        if handshake:  # --instructions: the parent switches callgrind's counting on and off around the loop
            print("ready", flush=True)
            sys.stdin.readline()
            for i in range(n):
                await one(10_000 + i)
            print("done", flush=True)
            sys.stdin.readline()
            app.state.shutdown()
            return {}
        prof = cProfile.Profile()
        prof.enable()
        for i in range(n):
            await one(10_000 + i)
        await asyncio.sleep(0.1)
        prof.disable()
        after = [s["collections"] for s in gc.get_stats()]
        app.state.shutdown()
        stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
        funcs = {f"{Path(f).name}:{line}:{name}": (nc / n, tt / n * 1e6)
                 for (f, line, name), (_cc, nc, tt, _ct, _callers) in stats.items()}
        return {"calls_per_request": sum(v[0] for v in funcs.values()),
                "gc_per_request": [(a - b) / n for a, b in zip(after, before, strict=True)],
                "threshold": gc.get_threshold(), "functions": funcs}

    return asyncio.run(run())


def _instructions_of(tree: Path, args: argparse.Namespace, var: Path) -> float:
    """Instructions per request of one tree: callgrind counts only between the child's "ready" and "done"."""
    out_file = var / "callgrind.out"
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "LABKIT_VAR": str(var)}
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out_file}",
                             sys.executable, __file__, "--child", "--handshake", "--n", str(args.n), "--pii", args.pii],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin and proc.stdout
    while (line := proc.stdout.readline()) and line.strip() != "ready":
        pass
    subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    while (line := proc.stdout.readline()) and line.strip() != "done":
        pass
    subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True, capture_output=True)
    proc.stdin.write("end\n")
    proc.stdin.flush()
    proc.wait(timeout=600)
    totals = [ln for ln in out_file.read_text().splitlines() if ln.startswith(("summary:", "totals:"))]
    return int(totals[-1].split()[1]) / args.n


def instructions(args: argparse.Namespace) -> None:
    """Per target, machine instructions per request (callgrind's Ir; independent of the machine's load)."""
    work = Path(tempfile.mkdtemp(prefix="gw-instr-"))
    rows: dict[str, float] = {}
    for i, target in enumerate(args.targets):
        tree = REPO if target == "." else labkit_at(target, work / f"t{i}")
        rows[target] = _instructions_of(tree, args, work / f"var{i}")
        print(f"{target:>10}: {rows[target]:12,.0f} instructions/request (pii {args.pii}, n {args.n})", flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"n": args.n, "pii": args.pii, "instructions_per_request": rows}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=["."])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pii", choices=["on", "off"], default="on")
    ap.add_argument("--top", type=int, default=25, help="functions listed whose calls or time differ most")
    ap.add_argument("--out", default=None)
    ap.add_argument("--instructions", action="store_true",
                    help="count machine instructions per request under valgrind's callgrind instead (slow; no profile)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--handshake", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.n, args.pii == "on", args.handshake)), flush=True)
        return
    if args.instructions:
        instructions(args)
        return
    work = Path(tempfile.mkdtemp(prefix="gw-callcount-"))
    results: dict[str, Any] = {}
    for i, target in enumerate(args.targets):
        tree = REPO if target == "." else labkit_at(target, work / f"t{i}")
        env = {**os.environ, "PYTHONPATH": str(tree), "LABKIT_VAR": str(work / f"var{i}")}
        out = subprocess.run([sys.executable, __file__, "--child", "--n", str(args.n), "--pii", args.pii],
                             env=env, capture_output=True, text=True, check=True, timeout=1800)
        results[target] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[target]
        print(f"{target:>10}: {r['calls_per_request']:8.1f} calls/request, profiled time "
              f"{sum(v[1] for v in r['functions'].values()):7.1f} us/request, gc per request "
              f"{[round(x, 4) for x in r['gc_per_request']]} (threshold {r['threshold']})", flush=True)
    # the functions whose calls per request differ most between the first target and each other one
    first = args.targets[0]
    for target in args.targets[1:]:
        a, b = results[first]["functions"], results[target]["functions"]
        keys = set(a) | set(b)
        diff = sorted(keys, key=lambda k: -abs(b.get(k, (0, 0))[1] - a.get(k, (0, 0))[1]))[:args.top]
        print(f"\n{first} -> {target}: functions by profiled-time difference (calls/req, us/req)")
        for k in diff:
            ca, ta = a.get(k, (0.0, 0.0))
            cb, tb = b.get(k, (0.0, 0.0))
            print(f"  {k[:70]:70s} calls {ca:7.2f} -> {cb:7.2f}   us {ta:7.2f} -> {tb:7.2f}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"n": args.n, "pii": args.pii, "results": results}))


if __name__ == "__main__":
    main()
