"""Benchmark: what the resilient client and the gateway add on top of the bare openai SDK.

One run, same mock provider (``labkit provider serve``, no injected latency, own process):

1. Sequential calls, interleaved round-robin so machine noise hits every mode alike:
   ``sdk`` (the bare ``openai`` SDK, ``chat.completions.create``), ``client`` (the resilient
   client in process, default controls: PII redaction, telemetry, ledger, breaker, retry;
   cache misses only), ``client_create`` (the same client sending through the SDK's
   ``create`` instead of its low-level ``post``: the cost of the SDK's params transform),
   ``client_lean`` (without redaction and telemetry, to attribute the cost),
   ``gateway`` (the bare SDK against the gateway in its own process, started as ``labkit gateway
   serve`` starts it (``build_server``), default config: the lean httpx transport) and
   ``gateway_sdk`` (the same with ``transport: sdk``; ``--no-sdk-gateway`` drops it). p50 and p99
   per call for each.
2. **Paced** run, the one the gateway target is about: ``--users`` (default 50)
   concurrent users with think time (constant pacing: each user starts one iteration every
   ``1/--rate`` seconds, default 1 req/s, at a random phase), so the offered load (50 req/s
   per target) is far below what either path can serve and latency is service time, not
   queueing. In every iteration a user calls the provider directly *and* through the gateway
   (random order), so both paths see the same moment of a noisy machine. Raw float-ms times:
   p50, p95, p99 per target and the p50 difference; server CPU per request from ``/proc``.
   Measured twice: by a thread-per-user ``httpx`` generator (the figure of record: its own
   error is well under the 2 ms being judged) and by Locust ``FastHttpUser`` on
   ``labkit.service.loadcheck.PacedSchedule`` at a random phase (``constant_pacing`` paid the
   ``on_start`` phase back at once, so the users fired in bursts; see RESULTS).
3. **Saturated** Locust run (no think time, closed loop, alternated per target for
   ``--rounds``, the order rotated each round so no target always runs first or after the same
   neighbour; round 16 found two runs of one code apart by 1.3 % and 8.4 % in a fixed order): reported as throughput (req/s) and server CPU per request from ``/proc``.
   Its p50 is ``users / throughput`` (queueing), not the latency a target adds.

``relay_floor`` (``loadtests/relay_floor.py``; ``--no-floor`` drops it) is the same hop with no
control at all: same uvicorn settings, same lean transport called the same way (inline on the
event loop since round 4; ``relay_floor.py --thread``: a worker thread per request). The gateway
minus the floor is what the controls cost; the floor is what any relay built this way costs.

``--baseline-ref REF`` also serves the gateway of the whole ``labkit`` package as it was at git REF
(``git archive``; same client, same provider) as target ``gateway_before`` in runs 2 and 3:
before/after in one run, including changes to the controls it calls (PII, budget, telemetry).

**Every gateway is started the same way** (round 17, :func:`serve_gateway`): the same launcher
(``GATEWAY_MAIN``: ``build_server``, what ``labkit gateway serve`` calls), its own copy of ``labkit``
(this worktree's or REF's), its own var folder, the same environment, the same collector tuning
(``build_server``'s) and the same warm-up (a short saturated run per target before the measured rounds).
Before round 17 the current gateway ran as the CLI in the provider's folder and the baseline as a script
in a folder of its own, so a gap between them could be the launch. ``--baseline-ref .`` is the fairness
test (an A/A run: this tree as both; the per-round CPU ratios should centre on 1.0). ``--cli`` adds the
documented command (``labkit gateway serve``) as target ``gateway_cli`` (``--cli shared``: in the
provider's folder, as before round 17): the user's path, measured beside the launcher's.

Targets, each a comparison inside one run: the in-process client adds at most 10% to the bare
SDK's p50; each gateway adds at most 1.0 ms p50 to a sequential call (run 1) and 2 ms p50 at 50
paced users (run 2), and serves at least 0.5x the provider's saturated throughput (run 3); the
load average at the start and the end is printed beside them. ``--profile`` prints where the
client's time goes.

Prints tables and writes ``var/bench/gateway.json``.

Usage:
    .venv/bin/python loadtests/bench_gateway.py [--calls 300] [--users 50] [--rate 1] [--paced-seconds 60]
        [--seconds 15] [--rounds 2] [--baseline-ref HEAD|.] [--cli [own|shared]] [--warmup-seconds 3]
        [--no-provider-audit] [--profile] [--skip-locust]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _locust_runner import (  # noqa: E402
    free_port,
    labkit_at,
    probe_models,
    process_cpu_seconds,
    run_locust,
    summary_row,
    wait_up,
    write_result,
)

BODY = {"model": "lab-chat-2026-01", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Labels: billing, technical, account\nMy invoice shows a double charge."}]}

def _counted(body: dict) -> dict:
    """``body`` with ``#N#`` at the end of the user turn, replaced by a counter per request."""
    user = body["messages"][1]
    return {**body, "messages": [body["messages"][0], {**user, "content": user["content"] + " (#N#)"}]}


LOCUSTFILE = f'''
import json
import os
import random
import sys
import time

import gevent
from locust import FastHttpUser, events, task

sys.path.insert(0, {str(REPO)!r})
from labkit.service.loadcheck import PacedSchedule

# every request a new user turn (a counter at "#N#"), so no cache or memo sees a repeat;
# the system prompt repeats, as in real traffic
HEAD, TAIL = json.dumps({json.dumps(_counted(BODY))!s}).split("#N#")
SEQ = iter(range(10**9))


def body():
    return HEAD + str(next(SEQ)) + TAIL
HEADERS = {{"Authorization": "Bearer bench-key", "Content-Type": "application/json"}}
# paced mode: TARGETS = "name=url,name=url"; every iteration calls each target once
TARGETS = [t.split("=", 1) for t in os.environ.get("BENCH_TARGETS", "").split(",") if t]
PACING = float(os.environ.get("BENCH_PACING_S", "0"))
WARMUP = float(os.environ.get("BENCH_WARMUP_S", "0"))
OUT = os.environ.get("BENCH_TIMES_OUT")
TIMES = {{}}
STARTED = [time.monotonic()]


@events.test_start.add_listener
def _started(**_):
    STARTED[0] = time.monotonic()


@events.request.add_listener
def _record(name, response_time, exception, **_):
    # raw float ms (Locust's own percentiles are rounded), after the warm-up
    if exception is None and time.monotonic() - STARTED[0] >= WARMUP:
        TIMES.setdefault(name, []).append(response_time)


@events.quitting.add_listener
def _dump(environment, **_):
    if OUT:
        with open(OUT, "w") as fh:
            json.dump(TIMES, fh)


class ChatUser(FastHttpUser):
    _schedule = None

    def on_start(self):
        # independent users: a random phase each, or all 50 would fire in the same instant
        # every second (Locust starts them together) and measure a burst's queue instead.
        # Locust's constant_pacing counts on_start as part of the first iteration and so pays
        # the phase back at once (the users fire together after all): an absolute schedule
        # keeps it (labkit.service.loadcheck.PacedSchedule, as in loadtests/locustfile.py)
        if PACING:
            self._schedule = PacedSchedule(PACING)
            gevent.sleep(self._schedule.start_delay)

    def wait_time(self):
        return self._schedule.next_wait() if self._schedule else 0.0

    @task
    def chat(self):
        if not TARGETS:  # saturated mode: the host given on the command line
            self.client.post("/v1/chat/completions", data=body(), headers=HEADERS, name="chat")
            return
        for name, url in random.sample(TARGETS, len(TARGETS)):
            self.client.post(url + "/v1/chat/completions", data=body(), headers=HEADERS, name=name)
'''


def _serve(argv: list[str], var: Path, cwd: Path = REPO, env: dict[str, str] | None = None
           ) -> tuple[subprocess.Popen, str]:
    """Start ``argv`` (which ends in ``--port``; the port is appended) with ``LABKIT_VAR=var``; wait until it answers."""
    port = free_port()
    proc = subprocess.Popen([*argv, str(port)], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**(env if env is not None else os.environ), "LABKIT_VAR": str(var)})
    url = f"http://127.0.0.1:{port}"
    wait_up(url, proc, probe_models, timeout=90)
    return proc, url


# Every gateway the bench serves (the current tree's, the baseline's, the SDK-transport one) is started by
# this one script through ``build_server`` (what ``labkit gateway serve`` calls): argv = its labkit copy's
# root, the upstream, a config file or "", "--port", the port. Before round 17 the current gateway was
# started by the CLI in the provider's var folder and the baseline by a script like this in a folder of its
# own: two launches, and an A/A run of that bench put one code 8-25 % apart in CPU per saturated request.
GATEWAY_MAIN = """
import sys
sys.path.insert(0, sys.argv[1])
from labkit.direct.gateway import GatewayConfig, build_server
assert sys.modules["labkit"].__file__.startswith(sys.argv[1]), "each gateway must import its own labkit copy"
config = GatewayConfig.load(sys.argv[3] or None, upstream=sys.argv[2], api_key="bench-key")
app, server = build_server(config, "127.0.0.1", int(sys.argv[5]))
try:
    server.run()
finally:  # as the CLI does (older refs may have no shutdown: nothing to write then)
    getattr(app.state, "shutdown", lambda: None)()
"""


class GatewayLaunch(NamedTuple):
    """How one gateway process is started: the command (without the port), its working folder and its env."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    var: Path


def gateway_launch(root: Path, upstream: str, var: Path, config: Path | None = None, *,
                   cli: bool = False) -> GatewayLaunch:
    """The one way the bench starts a gateway: ``root``'s ``labkit`` (a copy, see :func:`gateway_source`),
    its own ``var`` folder, the bench's environment with only ``LABKIT_VAR`` and ``PYTHONPATH`` set.

    ``cli=True`` runs the documented ``labkit gateway serve`` instead of ``GATEWAY_MAIN`` (target
    ``gateway_cli``: the user's path, everything else the same), to show the two launches cost alike.
    """
    env = {**os.environ, "LABKIT_VAR": str(var), "PYTHONPATH": str(root)}
    if cli:
        argv = [sys.executable, "-m", "labkit.cli", "gateway", "serve", "--upstream", upstream,
                "--api-key", "bench-key", *(["--config", str(config)] if config else []), "--port"]
    else:
        argv = [sys.executable, "-c", GATEWAY_MAIN, str(root), upstream, str(config or ""), "--port"]
    return GatewayLaunch(argv, root, env, var)


def gateway_source(ref: str | None, dest: Path) -> Path:
    """A copy of the ``labkit`` package under ``dest``: this worktree's as it is (``ref`` None or ``"."``,
    uncommitted changes included) or as at git ``ref``. Every gateway runs from such a copy, so none
    starts with compiled files another lacks or from another disk."""
    if ref in (None, "."):
        shutil.copytree(REPO / "labkit", dest / "labkit", ignore=shutil.ignore_patterns("__pycache__"))
        return dest
    return labkit_at(ref, dest)


def serve_gateway(name: str, ref: str | None, provider_url: str, workdir: Path, config: Path | None = None,
                  *, cli: bool = False, var: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start target ``name``'s gateway (labkit at ``ref``, None: this worktree) in its own folder
    ``workdir/var-NAME`` (``var`` overrides it: only ``--cli-var shared`` does, to reproduce the old bench)."""
    launch = gateway_launch(gateway_source(ref, workdir / f"src-{name}"), provider_url + "/v1",
                            var or workdir / f"var-{name}", config, cli=cli)
    return _serve(launch.argv, launch.var, launch.cwd, launch.env)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sequential(provider_url: str, gateways: dict[str, str], calls: int, profile: bool) -> dict[str, dict[str, float]]:
    """Interleaved sequential calls per mode; returns p50/p99/mean in ms."""
    import openai

    from labkit.direct import ClientConfig, ResilientClient

    sdk = openai.OpenAI(base_url=provider_url + "/v1", api_key="bench-key", max_retries=0)
    via = {name: openai.OpenAI(base_url=url + "/v1", api_key="bench-key", max_retries=0)
           for name, url in gateways.items()}
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
    }
    for name, gw in via.items():  # the bare SDK calling each gateway
        modes[name] = (lambda i, gw=gw, tag=name[-2:]: gw.chat.completions.create(
            model=BODY["model"], messages=msgs(i, "g" + tag), temperature=0))
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


def _run_locust(url: str, workdir: Path, name: str, seconds: int, users: int,
                env: dict[str, str]) -> tuple[dict[str, str], dict[str, list[float]]]:
    """One headless Locust run; its aggregated CSV row and the raw response times per name."""
    times_out = workdir / f"{name}_times.json"
    rows = run_locust(workdir / "locustfile.py", url, workdir, name, seconds, users,
                      extra_args=["--stop-timeout", "5"], env={**env, "BENCH_TIMES_OUT": str(times_out)},
                      grace_s=90, require=[times_out])
    return rows, json.loads(times_out.read_text())


PACED_CLIENT = """
import json, random, sys, threading, time
import httpx
targets = json.loads(sys.argv[1])
users, rate, seconds, warmup = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
head, tail = sys.argv[6].encode().split(b"#N#")  # a new user turn per request (a counter)
seq = iter(range(10**9))
headers = {"Authorization": "Bearer bench-key", "Content-Type": "application/json"}
times = {name: [] for name in targets}
failures = {name: 0 for name in targets}
sent = {name: 0 for name in targets}  # warm-up included: what the servers' CPU was spent on
T0 = [0.0]
ready = threading.Barrier(users + 1, action=lambda: T0.__setitem__(0, time.monotonic()))


def user():
    # clients first (each builds an SSL context: ~10 ms of CPU), then everyone starts together
    clients = {name: httpx.Client(base_url=url, timeout=30) for name, url in targets.items()}
    ready.wait()
    time.sleep(random.uniform(0, 1 / rate))  # independent users: a random phase each
    due = time.monotonic()
    while time.monotonic() - T0[0] < seconds:
        for name in random.sample(list(targets), len(targets)):
            t0 = time.perf_counter()
            try:
                ok = clients[name].post("/v1/chat/completions", content=head + str(next(seq)).encode() + tail,
                                        headers=headers).status_code == 200
            except httpx.HTTPError:
                ok = False
            took = (time.perf_counter() - t0) * 1000
            sent[name] += 1
            if time.monotonic() - T0[0] >= warmup:
                if ok:
                    times[name].append(took)
                else:
                    failures[name] += 1
        due += 1 / rate  # constant pacing: the next iteration starts on schedule
        time.sleep(max(0.0, due - time.monotonic()))


threads = [threading.Thread(target=user) for _ in range(users)]
for t in threads:
    t.start()
ready.wait()
for t in threads:
    t.join()
print(json.dumps({"times": times, "failures": failures, "sent": sent}))
"""


def _paced_threads(targets: dict[str, str], seconds: int, users: int, rate: float,
                   pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Like :func:`_paced` with one thread + ``httpx.Client`` per user in a separate process.

    Why not only Locust: on this machine Locust's paced runs reported the provider itself at
    p50 10-100 ms while the provider's own log says 0.1 ms per request and this generator sees
    ~2 ms; a ms-sized target needs an instrument whose own error is well under 2 ms.
    """
    warmup = 2 / rate
    before = {n: process_cpu_seconds(pid) for n, pid in pids.items()}
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PACED_CLIENT, json.dumps(targets), str(users), str(rate),
                           str(seconds), str(warmup), json.dumps(_counted(BODY))], capture_output=True, text=True,
                          check=False, timeout=seconds + 120)
    elapsed = time.monotonic() - t0
    if done.returncode != 0:
        raise RuntimeError(f"paced client failed: {done.stderr.strip().splitlines()[-1:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    times = data["times"]
    cpu = {n: process_cpu_seconds(pid) - before[n] for n, pid in pids.items()}
    out: dict[str, dict[str, float]] = {}
    for name in targets:
        v = times[name]
        if not v:
            raise RuntimeError(f"paced run: no successful requests to {name}")
        served = sum(data["sent"].values()) if name == "provider" else data["sent"][name]
        out[name] = {"requests": len(v), "failures": data["failures"][name],
                     "rps": round(len(v) / (seconds - warmup), 1),
                     "p50_ms": round(statistics.median(v), 2), "p95_ms": round(_pct(v, 0.95), 2),
                     "p99_ms": round(_pct(v, 0.99), 2), "mean_ms": round(statistics.fmean(v), 2),
                     "server_cpu_ms_per_req": round(cpu[name] / served * 1000, 3),
                     "server_cpu_util": round(cpu[name] / elapsed, 3)}
    return out


def _saturated(url: str, workdir: Path, name: str, seconds: int, users: int) -> dict[str, float]:
    rows, _ = _run_locust(url, workdir, name, seconds, users, {"BENCH_TARGETS": "", "BENCH_PACING_S": "0"})
    return summary_row(rows)


def _paced(targets: dict[str, str], workdir: Path, seconds: int, users: int, rate: float,
           pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Every user calls every target once per ``1/rate`` s; raw percentiles and CPU per request."""
    # the first 2 pacing periods (users starting, connections opening) are not measured
    env = {"BENCH_TARGETS": ",".join(f"{n}={u}" for n, u in targets.items()), "BENCH_PACING_S": str(1 / rate),
           "BENCH_WARMUP_S": str(2 / rate)}
    before = {n: process_cpu_seconds(pid) for n, pid in pids.items()}
    t0 = time.monotonic()
    rows, times = _run_locust(next(iter(targets.values())), workdir, "paced", seconds, users, env)
    elapsed = time.monotonic() - t0
    cpu = {n: process_cpu_seconds(pid) - before[n] for n, pid in pids.items()}
    out: dict[str, dict[str, float]] = {}
    for name in targets:
        v = times.get(name, [])
        if not v:
            raise RuntimeError(f"paced run: no successful requests to {name}")
        row = rows.get(name, {})
        out[name] = {"requests": len(v), "failures": int(row.get("Failure Count", 0) or 0),
                     "rps": round(len(v) / (seconds - 2 / rate), 1),
                     "p50_ms": round(statistics.median(v), 2), "p95_ms": round(_pct(v, 0.95), 2),
                     "p99_ms": round(_pct(v, 0.99), 2), "mean_ms": round(statistics.fmean(v), 2)}
        if name in cpu:  # the server process behind this target; the provider serves every target
            counts = {n: int(r.get("Request Count", 0) or 0) for n, r in rows.items() if n in targets}
            served = sum(counts.values()) if name == "provider" else counts.get(name, len(v))
            out[name]["server_cpu_ms_per_req"] = round(cpu[name] / served * 1000, 3)
            out[name]["server_cpu_util"] = round(cpu[name] / elapsed, 3)  # cores busy, of 2
    return out



def _cpu_split(pid: int) -> tuple[float, float]:
    """User and kernel CPU seconds a process has used so far (``/proc/<pid>/stat``, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def paired_ratios(runs: list[dict[str, float]], others: list[dict[str, float]]) -> dict[str, Any]:
    """Round by round, ``runs``' CPU per saturated request and req/s over ``others``' (one gateway against
    another), and their medians: the bench's fairness figure (an A/A run centres on 1.0).

    Example:
        >>> paired_ratios([{"gateway_cpu_ms_per_req": 0.4, "rps": 800}], [{"gateway_cpu_ms_per_req": 0.5, "rps": 640}])
        {'cpu_per_req_ratio_by_round': [0.8], 'rps_ratio_by_round': [1.25], 'cpu_per_req_ratio_median': 0.8, 'rps_ratio_median': 1.25}
    """
    cpu = [round(a["gateway_cpu_ms_per_req"] / b["gateway_cpu_ms_per_req"], 3)
           for a, b in zip(runs, others, strict=True) if b["gateway_cpu_ms_per_req"]]
    rps = [round(a["rps"] / b["rps"], 3) for a, b in zip(runs, others, strict=True) if b["rps"]]
    return {"cpu_per_req_ratio_by_round": cpu, "rps_ratio_by_round": rps,
            "cpu_per_req_ratio_median": round(statistics.median(cpu), 3) if cpu else None,
            "rps_ratio_median": round(statistics.median(rps), 3) if rps else None}


def round_order(targets: dict[str, str], rnd: int) -> list[tuple[str, str]]:
    """The saturated runs' order in round ``rnd``: the targets rotated by ``rnd`` places, so over as many
    rounds as targets each one runs once in every position (a fixed order gave one target the same
    moment of a warming or cooling machine every round)."""
    items = list(targets.items())
    k = rnd % len(items) if items else 0
    return items[k:] + items[:k]

def main(argv: list[str] | None = None) -> dict:
    """Run the three parts of the benchmark; returns (and writes) the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300, help="sequential calls per mode")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--rate", type=float, default=1.0, help="paced run: requests/s per user per target")
    ap.add_argument("--paced-seconds", type=int, default=45, help="length of each paced run")
    ap.add_argument("--seconds", type=int, default=15, help="seconds per saturated Locust run")
    ap.add_argument("--rounds", type=int, default=2, help="saturated runs per target")
    ap.add_argument("--baseline-ref", default=None, metavar="REF",
                    help="also serve the labkit package's gateway as at git REF (target gateway_before), started "
                         "exactly as the current one; '.' = this worktree (an A/A run: the bench's fairness test)")
    ap.add_argument("--cli", nargs="?", const="own", choices=("own", "shared"), default=None,
                    help="also serve the current gateway as `labkit gateway serve` (target gateway_cli) in a "
                         "folder of its own; 'shared': in the provider's and the bench's folder, as before round 17")
    ap.add_argument("--warmup-seconds", type=int, default=3,
                    help="a saturated run per target before the measured rounds, not kept (0: none)")
    ap.add_argument("--no-sdk-gateway", action="store_true",
                    help="do not also serve the gateway with `transport: sdk` (target gateway_sdk)")
    ap.add_argument("--no-floor", action="store_true",
                    help="do not serve loadtests/relay_floor.py (target relay_floor: the hop without controls)")
    ap.add_argument("--no-provider-audit", action="store_true",
                    help="serve the mock provider without its request-log PII audit (~50 us of CPU a request, "
                         "a quarter to a third of its own cost; a real provider runs none): the ratios then compare the "
                         "gateway with a provider that does only a provider's work")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--skip-locust", action="store_true", help="sequential part only")
    ap.add_argument("--skip-paced-locust", action="store_true", help="no Locust repeat of the paced run")
    args = ap.parse_args(argv)

    from labkit.settings import var_dir

    load_start = os.getloadavg()

    out = var_dir() / "bench" / "gateway.json"
    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    os.environ["LABKIT_VAR"] = str(workdir / "var")  # the bench's telemetry and ledger stay out of var/
    (workdir / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
    procs: list[subprocess.Popen] = []
    paced: dict[str, dict[str, float]] = {}
    paced_locust: dict[str, dict[str, float]] = {}
    load: dict[str, list[dict[str, float]]] = {}
    try:
        # the provider writes its request log under the bench's own folder (the in-process clients' telemetry
        # and ledger); every gateway has a folder of its own (serve_gateway)
        provider, provider_url = _serve([sys.executable, "-m", "labkit.cli", "provider", "serve",
                                         *(["--no-pii-audit"] if args.no_provider_audit else []), "--port"],
                                        workdir / "var")
        procs.append(provider)
        targets = {"provider": provider_url}
        pids = {"provider": provider.pid}

        def add(name: str, served: tuple[subprocess.Popen, str]) -> None:
            procs.append(served[0])
            targets[name], pids[name] = served[1], served[0].pid

        add("gateway", serve_gateway("gateway", None, provider_url, workdir))
        if not args.no_sdk_gateway:  # the same gateway forwarding through the official SDK
            sdk_config = workdir / "gateway-sdk.yaml"
            sdk_config.write_text("transport: sdk\n")
            add("gateway_sdk", serve_gateway("gateway_sdk", None, provider_url, workdir, sdk_config))
        if args.cli:  # the user's path: `labkit gateway serve`, the rest as for "gateway"
            add("gateway_cli", serve_gateway("gateway_cli", None, provider_url, workdir, cli=True,
                                             var=workdir / "var" if args.cli == "shared" else None))
        if not args.no_floor:  # the same hop without any control: the floor under the overhead
            add("relay_floor", _serve([sys.executable, str(REPO / "loadtests" / "relay_floor.py"),
                                       provider_url + "/v1", "bench-key", "--port"], workdir / "var-floor"))
        if args.baseline_ref:  # launched exactly as "gateway" (an A/A run: --baseline-ref .)
            add("gateway_before", serve_gateway("gateway_before", args.baseline_ref, provider_url, workdir))
        seq = sequential(provider_url, {n: u for n, u in targets.items() if n != "provider"}, args.calls,
                         args.profile)
        if not args.skip_locust:
            paced = _paced_threads(targets, args.paced_seconds, args.users, args.rate, pids)
            if not args.skip_paced_locust:
                paced_locust = _paced(targets, workdir, args.paced_seconds, args.users, args.rate, pids)
            load = {t: [] for t in targets}
            for target, url in targets.items():  # one short saturated run each, not kept: every target warm alike
                if args.warmup_seconds:
                    _run_locust(url, workdir, f"{target}-warmup", args.warmup_seconds, args.users,
                                {"BENCH_TARGETS": "", "BENCH_PACING_S": "0"})
            for rnd in range(args.rounds):
                for target, url in round_order(targets, rnd):
                    cpu0 = {n: _cpu_split(pid) for n, pid in pids.items()}
                    run = _saturated(url, workdir, f"{target}-{rnd}", args.seconds, args.users)
                    n = max(1, run["requests"])
                    # server CPU per request: the provider's, and that of the gateway in the path; the gateway's
                    # also split into user and kernel time (a difference in the kernel's share is I/O, not Python)
                    prov = _cpu_split(provider.pid)
                    run["provider_cpu_ms_per_req"] = round((sum(prov) - sum(cpu0["provider"])) / n * 1000, 3)
                    gw = _cpu_split(pids[target])
                    run["gateway_cpu_ms_per_req"] = 0.0 if target == "provider" else round(
                        (sum(gw) - sum(cpu0[target])) / n * 1000, 3)
                    run["gateway_sys_ms_per_req"] = 0.0 if target == "provider" else round(
                        (gw[1] - cpu0[target][1]) / n * 1000, 3)
                    run["load_average"] = round(os.getloadavg()[0], 2)
                    load[target].append(run)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)

    sdk_p50 = seq["sdk"]["p50_ms"]
    client_overhead = (seq["client"]["p50_ms"] - sdk_p50) / sdk_p50 if sdk_p50 else 0.0
    print(f"\nsequential calls ({args.calls} per mode, interleaved)")
    print(f"{'mode':<14} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'cpu ms':>8}  vs sdk p50")
    for mode, s in seq.items():
        print(f"{mode:<14} {s['p50_ms']:>8.3f} {s['p99_ms']:>8.3f} {s['mean_ms']:>8.3f} "
              f"{s['cpu_ms_per_call']:>8.3f}  {(s['p50_ms'] - sdk_p50) / sdk_p50 * 100:+.1f}%")

    gateway_added = None
    for label, table in (("PACED (the target's run; thread per user, httpx)", paced),
                         ("PACED, same load from Locust (FastHttpUser, PacedSchedule at a random phase)", paced_locust)):
        if not table:
            continue
        print(f"\n{label}: {args.users} users x {args.rate:g} req/s per target, {args.paced_seconds}s "
              f"(first {2 / args.rate:g}s not measured), targets interleaved per user iteration")
        print(f"{'target':<15} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'requests':>9} "
              f"{'failures':>9} {'srv cpu/req':>12} {'srv cores':>10}")
        for target, s in table.items():
            print(f"{target:<15} {s['rps']:>7.1f} {s['p50_ms']:>8.2f} {s['p95_ms']:>8.2f} {s['p99_ms']:>8.2f} "
                  f"{s['requests']:>9} {s['failures']:>9} {s.get('server_cpu_ms_per_req', 0):>10.3f}ms "
                  f"{s.get('server_cpu_util', 0):>10.3f}")
        for target in table:
            if target != "provider":
                print(f"{target} adds {table[target]['p50_ms'] - table['provider']['p50_ms']:.2f} ms p50 "
                      f"({table[target]['p95_ms'] - table['provider']['p95_ms']:.2f} ms p95) at "
                      f"{args.users} users (target <= 2 ms p50)")
    if paced:
        gateway_added = round(paced["gateway"]["p50_ms"] - paced["provider"]["p50_ms"], 2)

    summary: dict[str, dict[str, float]] = {}
    for target, runs in load.items():
        if runs:
            summary[target] = {k: round(sum(r[k] for r in runs) / len(runs), 3)
                               for k in ("rps", "p50_ms", "p99_ms", "provider_cpu_ms_per_req",
                                         "gateway_cpu_ms_per_req", "gateway_sys_ms_per_req")}
            summary[target]["requests"] = sum(r["requests"] for r in runs)
            summary[target]["failures"] = sum(r["failures"] for r in runs)
    if summary:
        print(f"\nSATURATED (throughput, not latency): {args.users} users, no think time, "
              f"{args.seconds}s x {args.rounds} rounds; p50 here is queueing (users / req/s)")
        print(f"{'target':<15} {'req/s':>9} {'requests':>9} {'failures':>9} {'gw cpu/req':>11} "
              f"{'of it kernel':>13} {'prov cpu/req':>13} {'(p50 ms)':>9}")
        for target, s in summary.items():
            print(f"{target:<15} {s['rps']:>9.1f} {s['requests']:>9} {s['failures']:>9} "
                  f"{s['gateway_cpu_ms_per_req']:>9.3f}ms {s['gateway_sys_ms_per_req']:>11.3f}ms "
                  f"{s['provider_cpu_ms_per_req']:>11.3f}ms {s['p50_ms']:>9.1f}")
    print(f"\nclient adds {client_overhead * 100:.1f}% to the bare SDK p50 (target <= 10%); "
          f"CPU per call {seq['client']['cpu_ms_per_call']:.3f} ms vs {seq['sdk']['cpu_ms_per_call']:.3f} ms")
    # the gateway targets, each a comparison inside this one run
    targets_met: dict[str, dict[str, float | bool | None]] = {}
    for name in (n for n in seq if n.startswith("gateway")):
        seq_added = round(seq[name]["p50_ms"] - sdk_p50, 3)
        paced_added = round(paced[name]["p50_ms"] - paced["provider"]["p50_ms"], 2) if name in paced else None
        ratio = (round(summary[name]["rps"] / summary["provider"]["rps"], 3)
                 if name in summary and summary.get("provider", {}).get("rps") else None)
        row: dict[str, float | bool | None] = {
            "sequential_added_p50_ms": seq_added, "sequential_met": seq_added <= 1.0,
            "paced_added_p50_ms": paced_added, "paced_met": None if paced_added is None else paced_added <= 2.0,
            "saturated_rps_ratio": ratio, "saturated_met": None if ratio is None else ratio >= 0.5}
        targets_met[name] = row
        print(f"{name}: sequential +{row['sequential_added_p50_ms']} ms p50 over the bare SDK to the provider "
              f"(target <= 1.0: {row['sequential_met']}); paced +{row['paced_added_p50_ms']} ms p50 "
              f"(target <= 2: {row['paced_met']}); saturated throughput {row['saturated_rps_ratio']}x the "
              f"provider's (target >= 0.5: {row['saturated_met']})")
    if "relay_floor" in seq:  # how much of the overhead is the hop, how much the controls
        floor_seq = round(seq["relay_floor"]["p50_ms"] - sdk_p50, 3)
        floor_paced = (round(paced["relay_floor"]["p50_ms"] - paced["provider"]["p50_ms"], 2)
                       if "relay_floor" in paced else None)
        targets_met["relay_floor"] = {"sequential_added_p50_ms": floor_seq, "paced_added_p50_ms": floor_paced,
                                      "saturated_rps_ratio": (round(summary["relay_floor"]["rps"] / summary["provider"]["rps"], 3)
                                                              if "relay_floor" in summary and summary.get("provider", {}).get("rps") else None)}
        print(f"relay_floor (the same hop, no controls): sequential +{floor_seq} ms p50, paced +{floor_paced} ms, "
              f"saturated {targets_met['relay_floor']['saturated_rps_ratio']}x; the gateway's controls add "
              f"{round(seq['gateway']['p50_ms'] - seq['relay_floor']['p50_ms'], 3)} ms p50 sequential")
    # the fairness check: per round, the current gateway's CPU per saturated request over the baseline's
    # (rotated order, so each ratio pairs two runs a round apart at most); an A/A run should centre on 1.0
    pairs = {}
    for other in ("gateway_before", "gateway_cli"):
        if load.get(other) and load.get("gateway"):
            pairs[other] = paired_ratios(load["gateway"], load[other])
            print(f"gateway / {other}, saturated, by round: CPU per request "
                  f"{pairs[other]['cpu_per_req_ratio_by_round']} (median {pairs[other]['cpu_per_req_ratio_median']}), "
                  f"req/s {pairs[other]['rps_ratio_by_round']} (median {pairs[other]['rps_ratio_median']})")
    load_end = os.getloadavg()
    if args.no_provider_audit:
        print("the provider ran without its PII audit (--no-provider-audit): every ratio is against its lean self")
    print(f"load average: {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (2 cores)")
    result = {"benchmark": "gateway", "machine": f"{os.cpu_count()} cores, shared, noisy",
              "load_average": load_end, "load_average_start": load_start, "targets": targets_met,
              "calls": args.calls, "users": args.users,
              "rate_per_user": args.rate, "paced_seconds": args.paced_seconds, "seconds": args.seconds,
              "rounds": args.rounds, "baseline_ref": args.baseline_ref, "provider_pii_audit": not args.no_provider_audit,
              "sequential": seq, "paced": paced, "paced_locust": paced_locust, "saturated": summary, "saturated_runs": load,
              "saturated_pairs": pairs, "launch": "every gateway by GATEWAY_MAIN (build_server) from its own labkit copy, "
              "its own var folder" + (f"; gateway_cli by `labkit gateway serve`, var {args.cli}" if args.cli else ""),
              "client_overhead_p50": round(client_overhead, 4), "client_target": 0.10,
              "client_meets_target": client_overhead <= 0.10,
              "gateway_added_p50_ms": gateway_added, "gateway_target_ms": 2.0,
              "gateway_meets_target": None if gateway_added is None else gateway_added <= 2.0}
    return write_result(result, out)


if __name__ == "__main__":
    main()
