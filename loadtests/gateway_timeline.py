"""Where a served sequential request's time goes: timestamps along the gateway's path, beside the floor's.

``bench_gateway.py`` gives the gateway's added p50 end to end; ``gateway_inprocess.py`` times its Python
with the upstream answered at once. This script times each step of real served requests: the mock
provider, the gateway of this tree, the relay floor (``relay_floor.py``: the same hop without
controls) and, with ``--baseline-ref``, the gateway of ``labkit`` at that ref, each in its own
process, every server instrumented by ``_timeline_stamps.py`` (monkeypatched wrappers that record
CLOCK_MONOTONIC at each step). One caller makes ``--calls`` sequential calls to each target,
interleaved round-robin; it is the official SDK (``--caller sdk``, as ``bench_gateway.py``'s
sequential part: its own work between calls leaves the servers' caches cold) or ``http.client``
(``--caller http``: back-to-back calls). ``--gap-ms`` sleeps between calls.

``--variant NAME`` (repeatable) adds a gateway of this tree with one thing switched off, to test a
hypothesis in the same run: ``writers-off`` (the telemetry and ledger writer threads never wake
during the run), ``record-off`` (the deferred telemetry after the answer is skipped), ``pii-off``
(no redaction), ``one-write`` (uvicorn writes each answer's head and body in one ``write``; the
ASGI path only), ``asgi-front`` (uvicorn's own protocol instead of the short path of
``labkit.direct.front``: the gateway's front before round 13). They are experiments, not configurations: ``record-off`` drops telemetry.

Prints, per target, the p50 added to the provider's own p50 and the p50 of each step (steps of a
request run one after another on this 2-core machine, so the step p50s add up to roughly the
whole); writes the JSON to ``--out``.

Usage:
    .venv/bin/python loadtests/gateway_timeline.py [--calls 600] [--caller sdk|http] [--gap-ms 0]
        [--baseline-ref REF] [--variant writers-off ...] [--out var/bench/gateway_timeline.json]
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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))

from _locust_runner import free_port, labkit_at, probe_models, process_cpu_seconds, wait_up, write_result  # noqa: E402

MODEL = "lab-chat-2026-01"
SYSTEM = "You are a helpful assistant."
TURN = "Labels: billing, technical, account\nMy invoice shows a double charge. ({tag}{n:06d})"

# the child servers: argv[1] the labkit tree, argv[2] the upstream URL, argv[3] the port, argv[4] the variant
GATEWAY_MAIN = r"""
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[5])
variant = sys.argv[4]
from labkit.telemetry import writer
if variant == "writers-off":
    writer.DEFAULT_INTERVAL_S = 3600.0  # read when the writers are built: they never wake in a run
import labkit.direct.gateway as gateway
assert sys.modules["labkit"].__file__.startswith(sys.argv[1]), "the gateway must import its own labkit"
if variant == "record-off":
    gateway._record = lambda work: None
    async def _nothing(self): return None
    gateway._RecordAfter.__call__ = _nothing
if variant == "one-write":
    from uvicorn.protocols.http import httptools_impl
    original = httptools_impl.RequestResponseCycle.send
    class _Held:  # the head is held and written with the body's first write
        def __init__(self, real, head=None): self.real, self.head = real, head
        def write(self, data):
            if self.head is None: self.head = data
            else: self.real.write(self.head + data); self.head = b""
        def __getattr__(self, name): return getattr(self.real, name)
    async def send(self, message):
        head = getattr(self, "_held_head", None)
        if message["type"] == "http.response.start" or head:
            real, held = self.transport, _Held(self.transport, head)
            self.transport = held
            try: await original(self, message)
            finally: self.transport = real
            self._held_head = held.head if message["type"] == "http.response.start" else None
            return
        await original(self, message)
    httptools_impl.RequestResponseCycle.send = send
if variant == "asgi-front":  # uvicorn's own protocol: every request through the ASGI call (before round 13)
    gateway._server_settings = lambda front: dict(gateway._UVICORN_SETTINGS)
import _timeline_stamps
_timeline_stamps.instrument_gateway()
config = gateway.GatewayConfig.load(None, upstream=sys.argv[2], api_key="bench-key",
                                    redact_pii=None if variant != "pii-off" else False)
_, server = gateway.build_server(config, "127.0.0.1", int(sys.argv[3]))
server.run()
"""

FLOOR_MAIN = r"""
import sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[5])
import relay_floor, uvicorn, _timeline_stamps
from labkit.direct.gateway import _UVICORN_SETTINGS
app = _timeline_stamps.instrument_app(relay_floor.make_app(sys.argv[2], "bench-key"))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), **_UVICORN_SETTINGS)
"""

# (name, from stamp, to stamp): the steps of a request in order; a step missing from a target
# (the floor has no controls) is left out of its report
STEPS = [
    ("front: bytes in -> ASGI call", "bytes_in", "asgi_in"),
    ("body read", "asgi_in", "handler_in"),
    ("admit (key, headers, JSON)", "handler_in", "inline_in"),
    ("into the greenlet, to _start", "inline_in", "start_in"),
    ("_start before PII", "start_in", "pii_in"),
    ("PII redaction", "pii_in", "pii_out"),
    ("_start after PII", "pii_out", "start_out"),
    ("to the cache key", "start_out", "key_in"),
    ("cache key", "key_in", "key_out"),
    ("cache get, budget, to the route", "key_out", "route_in"),
    ("route to transport", "route_in", "transport_in"),
    ("transport to the write", "transport_in", "upstream_write"),
    ("upstream write (the provider may run inside it)", "upstream_write", "upstream_written"),
    ("provider's answer arrives", "upstream_written", "upstream_bytes_in"),
    ("answer read", "upstream_bytes_in", "upstream_answer"),
    ("answer parsed, transport returns", "upstream_answer", "transport_out"),
    ("route ends (attempt, breaker)", "transport_out", "bill_in"),
    ("billing", "bill_in", "bill_out"),
    ("call ends (cache put, events queued, greenlet back)", "bill_out", "inline_out"),
    ("handler builds the answer", "inline_out", "head_send"),
    ("the floor: ASGI call to the upstream write", "asgi_in", "upstream_write"),
    ("the floor: the answer to the head send", "upstream_answer", "head_send"),
    ("head write (the caller may run inside it)", "head_send", "body_send"),
    ("body write", "body_send", "body_sent"),
    ("after the last byte (deferred telemetry)", "body_sent", "asgi_out"),
]
GROUPS = [("front", "bytes_in", "asgi_in"), ("before the upstream write", "asgi_in", "upstream_write"),
          ("upstream exchange", "upstream_write", "upstream_answer"),
          ("after the answer, to the head", "upstream_answer", "head_send"),
          ("answer writes", "head_send", "body_sent"), ("after the last byte", "body_sent", "asgi_out")]


def _p50_us(records: list[dict[str, int]], start: str, end: str) -> float | None:
    values = [r[end] - r[start] for r in records if start in r and end in r]
    return round(statistics.median(values) / 1000, 1) if values else None


def _caller(kind: str, targets: dict[str, int], turn: str = TURN) -> Callable[[str, int], None]:
    if kind == "sdk":
        import openai

        sdks = {n: openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="bench-key", max_retries=0)
                for n, port in targets.items()}

        def sdk_call(name: str, i: int) -> None:
            sdks[name].chat.completions.create(model=MODEL, temperature=0, messages=[
                {"role": "system", "content": SYSTEM}, {"role": "user", "content": turn.format(tag=name[:2], n=i)}])

        return sdk_call
    conns = {n: http.client.HTTPConnection("127.0.0.1", port) for n, port in targets.items()}
    headers = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}

    def http_call(name: str, i: int) -> None:
        body = json.dumps({"model": MODEL, "temperature": 0, "messages": [
            {"role": "system", "content": SYSTEM}, {"role": "user", "content": turn.format(tag=name[:2], n=i)}]})
        conns[name].request("POST", "/v1/chat/completions", body, headers)
        response = conns[name].getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{name} answered {response.status}")

    return http_call


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=600, help="sequential calls per target")
    ap.add_argument("--caller", choices=["sdk", "http"], default="sdk")
    ap.add_argument("--gap-ms", type=float, default=0.0, help="sleep between calls")
    ap.add_argument("--baseline-ref", default=None, metavar="REF", help="also the gateway of labkit at git REF")
    ap.add_argument("--variant", action="append", default=[],
                    choices=["writers-off", "record-off", "pii-off", "one-write", "asgi-front"])
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--turn", default=TURN, help="the user turn, with {tag} and {n} (default: the bench's turn)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="gateway-timeline-"))
    procs: list[subprocess.Popen[bytes]] = []
    stamps: dict[str, Path] = {}

    def serve(name: str, argv: list[str]) -> int:
        port = free_port()
        stamps[name] = workdir / f"{name}.stamps.json"
        proc = subprocess.Popen([*argv[:5], str(port), *argv[5:]], cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                env={**os.environ, "LABKIT_VAR": str(workdir / name), "STAMPS_OUT": str(stamps[name])})
        procs.append(proc)
        wait_up(f"http://127.0.0.1:{port}", proc, probe_models, timeout=120)
        return port

    py, loadtests = sys.executable, str(REPO / "loadtests")
    load_start = os.getloadavg()
    try:
        provider_port = free_port()
        provider = subprocess.Popen([py, "-m", "labkit.cli", "provider", "serve", "--port", str(provider_port)],
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env={**os.environ, "LABKIT_VAR": str(workdir / "provider")})
        procs.append(provider)
        wait_up(f"http://127.0.0.1:{provider_port}", provider, probe_models, timeout=60)
        upstream = f"http://127.0.0.1:{provider_port}/v1"
        ports = {"provider": provider_port}
        pids = {"provider": provider.pid}
        ports["gateway"] = serve("gateway", [py, "-c", GATEWAY_MAIN, str(REPO), upstream, "this", loadtests])
        if args.baseline_ref:
            before = labkit_at(args.baseline_ref, workdir / "before")
            ports["gateway_before"] = serve("gateway_before", [py, "-c", GATEWAY_MAIN, str(before), upstream,
                                                               "this", loadtests])
        for variant in args.variant:
            ports[f"gateway_{variant}"] = serve(f"gateway_{variant}", [py, "-c", GATEWAY_MAIN, str(REPO), upstream,
                                                                       variant, loadtests])
        if not args.no_floor:
            ports["relay_floor"] = serve("relay_floor", [py, "-c", FLOOR_MAIN, str(REPO), upstream, "floor",
                                                         loadtests])
        pids.update({n: p.pid for n, p in zip([n for n in ports if n != "provider"], procs[1:])})
        call = _caller(args.caller, ports, args.turn)
        for name in ports:  # connections, imports, first-use caches
            for i in range(30):
                call(name, 10**5 + i)
        times: dict[str, list[float]] = {n: [] for n in ports}
        cpu0 = {n: process_cpu_seconds(pid) for n, pid in pids.items()}
        for i in range(args.calls):
            for name in ports:
                t0 = time.perf_counter()
                call(name, i)
                times[name].append((time.perf_counter() - t0) * 1000)
                if args.gap_ms:
                    time.sleep(args.gap_ms / 1000)
        cpu = {n: (process_cpu_seconds(pid) - cpu0[n]) / args.calls * 1e6 for n, pid in pids.items()}
        records: dict[str, list[dict[str, int]]] = {}
        for name, port in ports.items():
            if name == "provider":
                continue
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", "/__stamps")
            conn.getresponse().read()
            records[name] = json.loads(stamps[name].read_text())[-args.calls:]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)
    load_end = os.getloadavg()

    base = statistics.median(times["provider"])
    result: dict[str, Any] = {"benchmark": "gateway_timeline", "caller": args.caller, "turn": args.turn,
                              "calls": args.calls,
                              "gap_ms": args.gap_ms, "baseline_ref": args.baseline_ref,
                              "load_average_start": load_start, "load_average": load_end, "targets": {}}
    print(f"{args.calls} sequential calls per target, caller {args.caller}, gap {args.gap_ms:g} ms; "
          f"load {load_start[0]:.2f} -> {load_end[0]:.2f} (2 cores)")
    for name, values in times.items():
        row: dict[str, Any] = {"p50_ms": round(statistics.median(values), 3),
                               "added_p50_ms": round(statistics.median(values) - base, 3),
                               "p90_ms": round(sorted(values)[int(0.9 * len(values))], 3),
                               "server_cpu_us_per_call": round(cpu[name], 1)}
        if name in records:
            controls = "handler_in" in records[name][0]  # the floor has no steps between these
            row["steps_p50_us"] = {s: v for s, a, b in STEPS
                                   if not (controls and s.startswith("the floor:"))
                                   and (v := _p50_us(records[name], a, b)) is not None}
            row["groups_p50_us"] = {g: _p50_us(records[name], a, b) for g, a, b in GROUPS}
        result["targets"][name] = row
        print(f"\n{name}: p50 {row['p50_ms']:.3f} ms, added {row['added_p50_ms']:+.3f} ms, "
              f"p90 {row['p90_ms']:.3f} ms, server CPU {row['server_cpu_us_per_call']:.0f} us a call "
              f"(coarse: clock ticks)")
        for step, value in row.get("steps_p50_us", {}).items():
            print(f"    {step:<55} {value:>7.1f} us")
        for group, value in row.get("groups_p50_us", {}).items():
            print(f"  = {group:<53} {value if value is not None else float('nan'):>7.1f} us")
    out = Path(args.out) if args.out else REPO / "var" / "bench" / "gateway_timeline.json"
    return write_result(result, out)


if __name__ == "__main__":
    main()
