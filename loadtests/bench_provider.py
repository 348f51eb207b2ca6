"""Benchmark: the mock provider against a trivial FastAPI endpoint, side by side, with Locust.

Starts, one after the other, (a) the mock provider (``labkit provider serve``, no injected
latency, request log on) and (b) a trivial FastAPI app whose ``POST /v1/chat/completions``
returns a canned completion, each as its own uvicorn process; drives each with Locust
(``FastHttpUser``, headless, no wait time) posting the same small chat request; alternates
the two for ``--rounds`` rounds so drift in machine load hits both; then prints requests/s,
p50 and p99 for both and the ratio, and writes JSON to ``var/bench/provider.json``. Beside
Locust's figures for the provider it prints the provider's own handling time per request (its
request log), the server-side view.

Target: the provider reaches at least 0.8 of the trivial endpoint's throughput.

It does not measure the provider under injected latency or faults (those make it slower on
purpose), nor the resilient client (see ``bench_direct.py``).

Usage:
    .venv/bin/python loadtests/bench_provider.py [--seconds 15] [--users 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _locust_runner import free_port, run_locust, summary_row, wait_up, write_result  # noqa: E402

from labkit.settings import var_dir  # noqa: E402

BODY = {"model": "lab-chat", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Labels: billing, technical, account\nMy invoice shows a double charge."}]}

TRIVIAL_APP = '''
from fastapi import FastAPI

app = FastAPI()
CANNED = {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "trivial",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 30, "completion_tokens": 1, "total_tokens": 31}}


@app.post("/v1/chat/completions")
async def chat(body: dict) -> dict:
    return CANNED
'''

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


def _probe(url: str) -> None:
    httpx.post(url + "/v1/chat/completions", json=BODY, headers={"Authorization": "Bearer k"}, timeout=1)


def _start(target: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    if target == "provider":
        cmd = [sys.executable, "-m", "labkit.cli", "provider", "serve", "--port", str(port),
               "--request-log", str(workdir / "provider-requests.jsonl")]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(workdir), "trivial_app:app", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "LABKIT_VAR": str(workdir / "var")})
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc, _probe, timeout=30)
    return proc, url


def _server_times(url: str, clear: bool = False) -> list[float]:
    """The provider's own handling time per request (ms, its request log); ``clear`` empties the log."""
    headers = {"Authorization": "Bearer bench-key"}
    if clear:
        httpx.delete(url + "/lab/requests", headers=headers, timeout=10)
        return []
    time.sleep(0.5)  # the log is written at most 0.2 s behind
    rows = httpx.get(url + "/lab/requests", headers=headers, timeout=60).json()["data"]
    return sorted(r["latency_ms"] for r in rows if r.get("status") == 200 and r.get("latency_ms") is not None)


def _locust(url: str, workdir: Path, name: str, seconds: int, users: int, server_side: bool) -> dict[str, float]:
    if server_side:
        _server_times(url, clear=True)
    row = summary_row(run_locust(workdir / "locustfile.py", url, workdir, name, seconds, users))
    if server_side:  # the server's own view beside Locust's (handler time: no HTTP parsing or socket)
        times = _server_times(url)
        row["server_p50_ms"] = round(times[len(times) // 2], 3) if times else None
        row["server_p99_ms"] = round(times[min(len(times) - 1, int(0.99 * len(times)))], 3) if times else None
    return row


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; returns (and writes) the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-provider-"))
    (workdir / "trivial_app.py").write_text(textwrap.dedent(TRIVIAL_APP))
    (workdir / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
    runs: dict[str, list[dict[str, float]]] = {"provider": [], "trivial": []}
    for rnd in range(args.rounds):
        for target in ("provider", "trivial"):
            proc, url = _start(target, workdir)
            try:
                runs[target].append(_locust(url, workdir, f"{target}-{rnd}", args.seconds, args.users,
                                            server_side=target == "provider"))
            finally:
                proc.terminate()
                proc.wait(timeout=15)
    summary = {}
    for target, rs in runs.items():
        total = sum(r["requests"] for r in rs)
        summary[target] = {
            "rps": round(sum(r["rps"] for r in rs) / len(rs), 1),
            "p50_ms": round(sum(r["p50_ms"] for r in rs) / len(rs), 1),
            "p99_ms": round(sum(r["p99_ms"] for r in rs) / len(rs), 1),
            "requests": total, "failures": sum(r["failures"] for r in rs),
        }
        server = [r["server_p50_ms"] for r in rs if r.get("server_p50_ms") is not None]
        if server:
            summary[target]["server_p50_ms"] = round(sum(server) / len(server), 3)
            summary[target]["server_p99_ms"] = round(sum(r["server_p99_ms"] for r in rs) / len(rs), 3)
    ratio = summary["provider"]["rps"] / summary["trivial"]["rps"] if summary["trivial"]["rps"] else 0.0
    result = {"benchmark": "provider_vs_trivial_fastapi", "seconds": args.seconds, "users": args.users,
              "rounds": args.rounds, "machine": f"{os.cpu_count()} cores, shared, noisy",
              "results": summary, "runs": runs, "throughput_ratio": round(ratio, 3), "target_ratio": 0.8,
              "meets_target": ratio >= 0.8}
    print(f"{'target':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'failures':>9}")
    for target, s in summary.items():
        print(f"{target:<10} {s['rps']:>9.1f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['requests']:>9} {s['failures']:>9}")
    if "server_p50_ms" in summary["provider"]:
        print(f"provider's own handling time (its request log): p50 {summary['provider']['server_p50_ms']} ms, "
              f"p99 {summary['provider']['server_p99_ms']} ms; the rest of Locust's figure is queueing in this "
              f"closed loop, HTTP and the generator")
    print(f"throughput ratio provider/trivial = {ratio:.3f} (target >= 0.8)")
    out = var_dir() / "bench" / "provider.json"
    return write_result(result, out)


if __name__ == "__main__":
    main()
