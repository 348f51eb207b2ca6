"""The gateway's whole request path in process, its upstream answered at once: CPU and time per request.

``bench_gateway.py`` measures the gateway over sockets against a provider, where the hop, uvicorn and
the provider share two cores with the load generator; ``gateway_attribution.py --cold`` times the
resilient client alone. This script times what lies between: the gateway's own ASGI front
(``GatewayFront``), its chat handler, the client's controls, the lean transport and the deferred
telemetry, with the upstream exchange (``UpstreamPool.request``) answering at once, so only the
gateway's Python is measured. Per mode (PII redaction off, on):

- **CPU per request**: process CPU seconds (the event loop's and the writer threads') over 6 chunks
  of ``--n``/6 requests, each chunk followed by a 60 ms pause in which the writers write; the median
  chunk and the fastest. CPU time counts only this process, so other processes' load moves it less
  than wall time (they still cost it cache misses);
- **warm and cold wall time to the last byte** (p50): a request right after the previous one, and
  one right after touching a 32 MB buffer (the caches cold, as a sequential request finds them).

``--baseline-ref REF`` runs the same measurement on ``labkit`` as at git REF (``git archive``) in
alternating child processes (``--repeats`` each, order swapped every repeat), so drift on a shared
machine hits both alike; the report gives each figure's median over the repeats and the ratio.

Usage:
    .venv/bin/python loadtests/gateway_inprocess.py [--n 3000] [--cold 200] [--pii both|on|off]
        [--baseline-ref REF --repeats 4] [--turn "Please ask Marta about ticket {tag}{n:05d}."] [--history 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))

from _locust_runner import labkit_at, write_result  # noqa: E402

SYSTEM = "You are a helpful assistant."
TURN = "Labels: billing, technical, account\nMy invoice shows a double charge. ({tag}{n:05d})"
# --history: earlier turns of a chat, resent unchanged on every request before the new turn (invented texts,
# with a name, an e-mail and a phone number in them, as a support chat has)
HISTORY = [
    {"role": "user", "content": "Hello, this is Ingrid Solberg from the Bergen office. Our March invoice looks wrong."},
    {"role": "assistant", "content": "Thanks, Ingrid. Could you send the invoice number and a contact e-mail?"},
    {"role": "user", "content": "Invoice 2026-0331, and you can reach me at ingrid.solberg@example.org or +47 55 12 34 56."},
    {"role": "assistant", "content": "Thank you. I see a second charge on 2026-0331; I will ask billing to check it."},
]


def measure(n: int, cold_calls: int, pii: bool, turn: str = TURN, history: int = 0) -> dict[str, float]:
    """One mode's figures for the ``labkit`` on ``sys.path`` (see the module docstring)."""
    import orjson

    from labkit.direct import gateway, upstream
    from labkit.direct.gateway import GatewayConfig, GatewayFront, create_app

    answer = orjson.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "lab-chat-2026-01",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing",
                                                                "refusal": None},
                                        "logprobs": None, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 30, "completion_tokens": 2, "total_tokens": 32}})
    answer_headers = [(b"date", b"Mon, 07 Dec 2026 02:00:00 GMT"), (b"server", b"uvicorn"),
                      (b"content-length", str(len(answer)).encode()), (b"content-type", b"application/json")]

    async def instant(self: Any, method: bytes, target: bytes, body: bytes, headers: Any, connect_s: float,
                      read_s: float) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return 200, answer_headers, answer

    upstream.UpstreamPool.request = instant  # type: ignore[method-assign]
    app = create_app(GatewayConfig(upstream="http://127.0.0.1:9/v1", api_key="k", redact_pii=pii),
                     background_writes=True)
    # the collector as a serving gateway process sets it (round 16's name; older refs froze and raised the
    # young threshold in _freeze_startup_heap alone)
    (getattr(gateway, "tune_collector_for_serving", None) or gateway._freeze_startup_heap)()
    front = GatewayFront(app)
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Bearer bench-key"),
               (b"content-type", b"application/json"), (b"accept", b"application/json")]
    last = [0.0]

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            last[0] = time.perf_counter()
        elif message["status"] != 200:
            raise RuntimeError(f"HTTP {message['status']}")

    def body(i: int, tag: str) -> bytes:  # unique per call: no cache hit, no memo of a clean text
        return orjson.dumps({"model": "lab-chat-2026-01", "temperature": 0, "messages": [
            {"role": "system", "content": SYSTEM}, *HISTORY[:history],
            {"role": "user", "content": turn.format(tag=tag, n=i % 100000)}]})

    async def one(raw: bytes) -> None:
        messages = [{"type": "http.request", "body": raw, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions", "headers": headers}
        await front(scope, receive, send)

    buffer = bytearray(32 * 1024 * 1024)

    async def run() -> dict[str, float]:
        tag = "p" if pii else "n"
        for i in range(500):  # imports, connections, caches, the response cache filling
            await one(body(i, "w" + tag))
        await asyncio.sleep(0.2)
        raws = [body(10000 + i, tag) for i in range(n)]
        chunk = max(1, n // 6)
        per_request = []
        for j in range(6):
            c0 = time.process_time()
            for raw in raws[j * chunk:(j + 1) * chunk]:
                await one(raw)
            await asyncio.sleep(0.06)  # the writer threads' turn: their CPU counts too
            per_request.append((time.process_time() - c0) / chunk * 1e6)
        app.state.shutdown()
        warm, cold = [], []
        for i in range(cold_calls):
            raw = body(50000 + i, tag)
            t0 = time.perf_counter()
            await one(raw)
            warm.append((last[0] - t0) * 1e6)
            raw = body(60000 + i, tag)
            buffer[::64] = bytes(len(buffer) // 64)  # one byte per cache line of a buffer larger than the caches
            t0 = time.perf_counter()
            await one(raw)
            cold.append((last[0] - t0) * 1e6)
        return {"cpu_us_per_req": round(statistics.median(per_request), 1),
                "cpu_us_per_req_fastest_chunk": round(min(per_request), 1),
                "warm_p50_us": round(statistics.median(warm), 1), "cold_p50_us": round(statistics.median(cold), 1)}

    return asyncio.run(run())


def _child(tree: Path, args: argparse.Namespace, mode: str) -> dict[str, Any]:
    """This script run once, importing ``labkit`` from ``tree``; its JSON line."""
    env = {**os.environ, "PYTHONPATH": str(tree), "LABKIT_VAR": tempfile.mkdtemp(prefix="gateway-inprocess-")}
    out = subprocess.run([sys.executable, __file__, "--child", "--n", str(args.n), "--cold", str(args.cold),
                          "--pii", mode, "--turn", args.turn, "--history", str(args.history)], env=env, capture_output=True, text=True, check=True, timeout=1200)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure here (``--child``), or alternate this tree with ``--baseline-ref`` and report both."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000, help="requests timed for CPU per mode")
    ap.add_argument("--cold", type=int, default=200, help="warm and cold requests timed per mode")
    ap.add_argument("--pii", choices=["both", "on", "off"], default="both")
    ap.add_argument("--baseline-ref", default=None, metavar="REF", help="also measure labkit as at git REF")
    ap.add_argument("--repeats", type=int, default=4, help="alternated runs per tree")
    ap.add_argument("--turn", default=TURN, help="the user turn, with {tag} and {n} to make each one new "
                    "(default: bench_gateway.py's turn)")
    ap.add_argument("--history", type=int, default=0, choices=range(len(HISTORY) + 1),
                    help="earlier chat turns resent before the new turn on every request (0-4)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    modes = [False, True] if args.pii == "both" else [args.pii == "on"]
    if args.child:
        row = {("pii" if pii else "no_pii"): measure(args.n, args.cold, pii, args.turn, args.history) for pii in modes}
        print(json.dumps(row))
        return row
    trees = {"current": REPO}
    work = Path(tempfile.mkdtemp(prefix="gateway-inprocess-trees-"))
    if args.baseline_ref:
        trees["before"] = labkit_at(args.baseline_ref, work / "before")
    load_start = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for k in range(args.repeats if args.baseline_ref else 1):
        order = list(trees) if k % 2 == 0 else list(reversed(trees))
        for name in order:
            runs[name].append(_child(trees[name], args, args.pii))
    load_end = os.getloadavg()
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for name, rows in runs.items():
        summary[name] = {mode: {key: round(statistics.median(r[mode][key] for r in rows), 1) for key in rows[0][mode]}
                         for mode in rows[0]}
    for mode in summary["current"]:
        for key, value in summary["current"][mode].items():
            line = f"  {mode:7s} {key:30s} current {value:8.1f}"
            if "before" in summary:
                before = summary["before"][mode][key]
                line += f"   before {before:8.1f}   ratio {value / before:.3f}"
            print(line)
    print(f"load average: {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (2 cores)")
    from labkit.settings import var_dir

    result = {"benchmark": "gateway_inprocess", "baseline_ref": args.baseline_ref, "turn": args.turn, "history": args.history, "n": args.n, "cold": args.cold,
              "repeats": args.repeats, "load_average_start": load_start, "load_average": load_end,
              "summary": summary, "runs": runs}
    return write_result(result, var_dir() / "bench" / "gateway_inprocess.json")


if __name__ == "__main__":
    main()
