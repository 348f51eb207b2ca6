"""Saturated A/B of the gateway's front (round 13): the mock provider and two gateways of this tree, one on the
short path (``labkit.direct.front``), one on uvicorn's own protocol, each in its own process; 50 keep-alive
connections from one uvloop generator (raw HTTP/1.1, a new user turn each request), alternating 10 s rounds
(order flipped every round); per round the gateway's req/s and its process CPU per request.

Usage: .venv/bin/python loadtests/gateway_front_saturated_ab.py [ROUNDS (default 6)] [OUT.json]
"""
# ruff: noqa: E402, E701, E702, E741, RUF015  (a throwaway-style measurement script, kept short)
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests")); sys.path.insert(0, str(REPO))
from _locust_runner import free_port, probe_models, process_cpu_seconds, wait_up

PY = sys.executable
GW = r'''
import sys; sys.path.insert(0, sys.argv[4])
import labkit.direct.gateway as gateway
if sys.argv[3] == "asgi": gateway._server_settings = lambda front: dict(gateway._UVICORN_SETTINGS)
config = gateway.GatewayConfig.load(None, upstream=sys.argv[1], api_key="bench-key")
_, server = gateway.build_server(config, "127.0.0.1", int(sys.argv[2])); server.run()
'''
env = {**os.environ, "LABKIT_VAR": tempfile.mkdtemp(prefix="front-ab-"), "PYTHONPATH": str(REPO)}
pp = free_port(); prov = subprocess.Popen([PY, "-m", "labkit.cli", "provider", "serve", "--port", str(pp)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_up(f"http://127.0.0.1:{pp}", prov, probe_models, timeout=60)
gws = {}
for mode in ("short", "asgi"):
    port = free_port()
    p = subprocess.Popen([PY, "-c", GW, f"http://127.0.0.1:{pp}/v1", str(port), mode, str(REPO)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(f"http://127.0.0.1:{port}", p, probe_models, timeout=60); gws[mode] = (p, port)
SEQ = [0]
def req():
    SEQ[0] += 1
    body = json.dumps({"model": "lab-chat-2026-01", "messages": [{"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": f"Labels: billing, technical\nMy invoice shows a double charge. ({SEQ[0]})"}]}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer bench-key\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
async def conn(port, stop, counter):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    while time.perf_counter() < stop:
        w.write(req())
        head = await r.readuntil(b"\r\n\r\n")
        n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
        await r.readexactly(n); counter[0] += 1
    w.close()
async def run(port, secs):
    c = [0]; stop = time.perf_counter() + secs
    await asyncio.gather(*(conn(port, stop, c) for _ in range(50))); return c[0]
res = {m: [] for m in gws}
try:
    for rnd in range(int(sys.argv[1]) if len(sys.argv) > 1 else 6):
        for mode, (p, port) in (list(gws.items()) if rnd % 2 == 0 else list(gws.items())[::-1]):
            cpu0 = process_cpu_seconds(p.pid); n = uvloop.run(run(port, 10.0)); cpu = process_cpu_seconds(p.pid) - cpu0
            res[mode].append((n / 10.0, cpu / n * 1e3)); print(mode, round(n / 10.0), "req/s", round(cpu / n * 1e3, 3), "ms cpu/req", flush=True)
finally:
    for p, _ in gws.values(): p.terminate()
    prov.terminate()
for m, v in res.items():
    print(m, "median req/s", round(statistics.median(x[0] for x in v)), "median cpu/req ms", round(statistics.median(x[1] for x in v), 3))
if len(sys.argv) > 2:
    Path(sys.argv[2]).write_text(json.dumps({"load_average": os.getloadavg(), "rounds": res}))
