"""Saturated A/B of the gateway between git refs (round 16): the mock provider and one gateway per target, each in
its own process, the ``labkit`` package of each target extracted with ``git archive`` (``.`` = this worktree);
50 keep-alive connections from one uvloop generator (raw HTTP/1.1, ``bench_gateway.py``'s body with a new user
turn each request, so no memo sees a repeat); alternating rounds of ``--seconds`` (order rotated every round);
per round the gateway's req/s and its process CPU per request. At exit every gateway writes its collector's
counts (``gc.get_stats()``, threshold) so young/middle/full collections per request can be compared too.

A target is ``REF`` or ``REF:VARIANT[,VARIANT]`` with variants applied in the gateway process after start-up:
``gen0=N`` (young-generation threshold N), ``nopii`` (PII redaction off), ``cli`` (started as ``python -m labkit.cli
gateway serve``, the way ``bench_gateway.py`` starts its current gateway, instead of ``build_server`` in ``python -c``,
the way it starts the baseline; no GC counts then).

Usage: .venv/bin/python loadtests/gateway_refs_saturated_ab.py 13ae252 e768364 main . [--rounds 6]
        [--seconds 10] [--out var/bench/gateway_refs_ab.json]
"""
# ruff: noqa: E402, E701, E702, E741, RUF015  (a measurement script, kept short like gateway_front_saturated_ab.py)
import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests")); sys.path.insert(0, str(REPO))
from _locust_runner import free_port, labkit_at, probe_models, process_cpu_seconds, wait_up

PY = sys.executable
# the gateway as `labkit gateway serve` runs it (build_server), then the target's variants; at exit its GC counts
GW = r'''
import atexit, gc, json, sys
sys.path.insert(0, sys.argv[1])
import labkit.direct.gateway as gateway
assert sys.modules["labkit"].__file__.startswith(sys.argv[1]), "each target must import its own labkit"
variants = dict(v.partition("=")[::2] for v in sys.argv[4].split(",") if v)
config = gateway.GatewayConfig.load(None, upstream=sys.argv[2], api_key="bench-key")
if "nopii" in variants:
    import dataclasses; config = dataclasses.replace(config, redact_pii=False)
_, server = gateway.build_server(config, "127.0.0.1", int(sys.argv[3]))
if "gen0" in variants:
    t = gc.get_threshold(); gc.set_threshold(int(variants["gen0"]), t[1], t[2])
import time
spent = [0.0, 0.0, 0.0]; started = [0.0]
def timed(phase, info):  # CPU seconds inside each generation's collections (the collecting thread's clock)
    if phase == "start": started[0] = time.thread_time()
    else: spent[info["generation"]] += time.thread_time() - started[0]
gc.callbacks.append(timed)
def dump():
    with open(sys.argv[5], "w") as fh:
        json.dump({"stats": gc.get_stats(), "threshold": gc.get_threshold(), "cpu_s_in_collections": spent}, fh)
atexit.register(dump)
server.run()
'''


def body(seq: int) -> bytes:
    text = json.dumps({"model": "lab-chat-2026-01", "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": f"Labels: billing, technical, account\nMy invoice shows a double charge. ({seq})"}]}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer bench-key\r\n"
            b"content-type: application/json\r\ncontent-length: " + str(len(text)).encode() + b"\r\n\r\n" + text)


SEQ = [0]


async def conn(port: int, stop: float, counter: list[int]) -> None:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    while time.perf_counter() < stop:
        SEQ[0] += 1; w.write(body(SEQ[0]))
        head = await r.readuntil(b"\r\n\r\n")
        n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
        await r.readexactly(n); counter[0] += 1
    w.close()


async def run(port: int, secs: float, users: int) -> int:
    c = [0]; stop = time.perf_counter() + secs
    await asyncio.gather(*(conn(port, stop, c) for _ in range(users))); return c[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="+", help="git refs, '.' for this worktree; REF:gen0=700 or REF:nopii for variants")
    ap.add_argument("--rounds", type=int, default=6); ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--users", type=int, default=50); ap.add_argument("--out", default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gw-refs-ab-"))
    env = {**os.environ, "LABKIT_VAR": str(work / "var"), "PYTHONPATH": str(REPO)}
    pp = free_port()
    prov = subprocess.Popen([PY, "-m", "labkit.cli", "provider", "serve", "--port", str(pp)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gws: dict[str, tuple[subprocess.Popen, int, Path]] = {}
    try:
        wait_up(f"http://127.0.0.1:{pp}", prov, probe_models, timeout=60)
        for i, target in enumerate(args.targets):
            ref, _, variants = target.partition(":")
            # each target its own copy of the package (the worktree's too, so all start alike)
            src = REPO if ref == "." else labkit_at(ref, work / f"t{i}")
            if ref == ".":
                src = work / f"t{i}"; shutil.copytree(REPO / "labkit", src / "labkit")
            port = free_port()
            argv = ([PY, "-m", "labkit.cli", "gateway", "serve", "--upstream", f"http://127.0.0.1:{pp}/v1",
                     "--api-key", "bench-key", "--port", str(port)] if variants == "cli" else
                    [PY, "-c", GW, str(src), f"http://127.0.0.1:{pp}/v1", str(port), variants, str(work / f"gc{i}.json")])
            p = subprocess.Popen(argv, env={**env, "LABKIT_VAR": str(work / f"var{i}"), "PYTHONPATH": str(src)},
                                 cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_up(f"http://127.0.0.1:{port}", p, probe_models, timeout=90); gws[target] = (p, port, work / f"gc{i}.json")
        res: dict[str, list[tuple[float, float]]] = {t: [] for t in gws}
        names = list(gws)
        uvloop.run(run(gws[names[0]][1], 3.0, args.users))  # a warm-up round (not kept) for each
        for t in names[1:]: uvloop.run(run(gws[t][1], 3.0, args.users))
        for rnd in range(args.rounds):
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            if rnd % 2: order = order[::-1]
            for t in order:
                p, port, _ = gws[t]
                cpu0 = process_cpu_seconds(p.pid); n = uvloop.run(run(port, args.seconds, args.users))
                cpu = process_cpu_seconds(p.pid) - cpu0
                res[t].append((n / args.seconds, cpu / n * 1e3))
                print(f"round {rnd} {t:>24} {n / args.seconds:7.0f} req/s {cpu / n * 1e3:6.3f} ms cpu/req "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        for p, _, _ in gws.values(): p.send_signal(signal.SIGINT)
        for p, _, _ in gws.values():
            try: p.wait(timeout=10)
            except subprocess.TimeoutExpired: p.kill()
        prov.terminate()
    total = SEQ[0]
    summary = {}
    for t, v in res.items():
        gcinfo = json.loads(gws[t][2].read_text()) if gws[t][2].exists() else None
        summary[t] = {"median_rps": statistics.median(x[0] for x in v), "median_cpu_ms": statistics.median(x[1] for x in v),
                      "rounds": v, "gc": gcinfo}
        served = sum(x[0] * args.seconds for x in v)  # requests in the timed rounds (the warm-up's few are not counted)
        print(f"{t:>24} median {summary[t]['median_rps']:7.0f} req/s {summary[t]['median_cpu_ms']:.3f} ms cpu/req "
              f"gc collections {[s['collections'] for s in gcinfo['stats']] if gcinfo else '?'}"
              + (f" gc cpu per request {[round(x / served * 1e6, 2) for x in gcinfo['cpu_s_in_collections']]} us"
                 if gcinfo and "cpu_s_in_collections" in gcinfo else ""))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"load_average": os.getloadavg(), "requests": total, "targets": summary}, indent=1))


if __name__ == "__main__":
    main()
