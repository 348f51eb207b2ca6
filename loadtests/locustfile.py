"""Locust load test of the lab service: one user class per pattern, plus the copilot and gateway.

Run it through ``labkit loadtest --profile smoke|rollout|stress`` (which starts the provider and
the service, sets the provider's latency for the run, writes CSV + HTML under
``var/loadtests/<run>/`` and loads the results into DuckDB), or by hand::

    LABKIT_LOAD_PROFILE=smoke locust -f loadtests/locustfile.py --headless \\
        -H http://127.0.0.1:8080 -u 6 -r 6 -t 20s --csv var/loadtests/manual/stats

Configuration (environment, so master and workers agree; or ``--labkit-profile``):

- ``LABKIT_LOAD_PROFILE``: profile name or YAML path (weights, think time, stages, SLO budgets);
- ``LABKIT_WEIGHT_<KIND>`` (e.g. ``LABKIT_WEIGHT_RAG=5``, 0 disables) and
  ``LABKIT_THINK_TIME=min,max`` override the profile;
- ``LABKIT_KEY_<ROLE>`` overrides an API key (default: the demo keys ``lab-key-<role>``);
- ``LABKIT_PACING=SECONDS`` (or the profile's ``pacing``): each user starts one iteration every
  SECONDS on an absolute schedule (instead of a think time), at a random start phase.

Every user starts at a random phase (a random sleep in ``on_start``, up to one pacing period
or the longest think time): users spawned in one batch would otherwise fire in the same
instant and the run would measure the burst's queue, not the service
(``loadtests/RESULTS.md``, "Locust you can trust"). Paced users use
:class:`labkit.service.loadcheck.PacedSchedule`, not Locust's ``constant_pacing``, which
counts ``on_start`` as part of the first iteration and so pays the phase back at once.

Each Locust process writes its own CPU time over the run to ``generator-<pid>.json`` in the
run folder; ``labkit loadtest`` warns when a process was near saturation.

Streamed responses are recorded twice: the full latency under ``POST <path> (stream)`` and
the time to first token as its own entry, request type ``TTFT``. A job's submit-to-result
time is the entry ``JOB end-to-end``.

The SLO gate runs in ``events.quitting`` (on the master in distributed mode): the failure
ratio and the p95 of every entry against the profile's budgets; any violation sets the exit
code to 1 and is written to ``slo.json`` next to the CSV files.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any, ClassVar

import gevent
from locust import FastHttpUser, LoadTestShape, between, events, task
from locust.runners import WorkerRunner
from locust.stats import StatsEntry

from labkit.service.loadcheck import PacedSchedule
from labkit.service.loadprofile import USER_KINDS, evaluate_slo, load_profile
from labkit.settings import datasets_dir

PROFILE = load_profile(os.environ.get("LABKIT_LOAD_PROFILE", "smoke"))


def _weight(kind: str) -> int:
    raw = os.environ.get(f"LABKIT_WEIGHT_{kind.upper()}")
    return int(raw) if raw is not None else int(PROFILE.weights.get(kind, 0))


def _think() -> tuple[float, float]:
    raw = os.environ.get("LABKIT_THINK_TIME")
    if raw:
        lo, hi = (float(x) for x in raw.split(","))
        return lo, hi
    return PROFILE.think_time


def _pacing() -> float | None:
    raw = os.environ.get("LABKIT_PACING")
    value = float(raw) if raw else PROFILE.pacing
    return value if value else None


PACING = _pacing()

# Every input gets a random reference by default, so the resilient client's cache cannot
# answer repeats and the run measures the model path; LABKIT_LOAD_UNIQUE=0 sends the fixed
# texts (then the cache answers most requests, which is worth measuring too).
UNIQUE = os.environ.get("LABKIT_LOAD_UNIQUE", "1") != "0"


def _vary(text: str) -> str:
    return f"{text} Ref {random.randrange(10**9)}." if UNIQUE else text


def _key(role: str) -> str:
    return os.environ.get(f"LABKIT_KEY_{role.upper()}", f"lab-key-{role}")


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_key(role)}"}


# --- request payloads ---------------------------------------------------------------------

TEXTS = [
    "Customer reports that invoices for March were sent twice. The billing team confirmed a "
    "duplicate run on 3 March. Credit notes were issued and the customer was informed by phone.",
    "The VPN client disconnects every ten minutes on the new laptops. Engineering traced it to "
    "an aggressive power-saving setting in the network driver and pushed a configuration fix.",
    "A relationship manager asked for the renewal terms of the enterprise plan. Legal approved "
    "a two-year term with a five percent discount and a ninety-day termination notice.",
]
LABELS = ["billing", "technical", "account", "complaint", "other"]


def _questions() -> dict[str, list[str]]:
    """Answerable questions per role from the RAG evaluation set (fallback: generic ones)."""
    by_role: dict[str, list[str]] = {}
    path = datasets_dir() / "eval" / "retrieval_questions.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("answerable"):
                for role in row.get("roles") or ["employee"]:
                    by_role.setdefault(role, []).append(row["question"])
    if not by_role:
        by_role["employee"] = ["How many days of annual leave do employees get?",
                               "What is the expense policy for travel?"]
    return by_role


QUESTIONS = _questions()


def _pick_role_question() -> tuple[str, str]:
    role = random.choice(sorted(QUESTIONS))
    return role, random.choice(QUESTIONS[role])


def _sse_kind(event: bytes) -> str:
    """'token' for an event carrying text (ours or OpenAI's), 'error', or 'other'."""
    if not event.startswith(b"data: ") or event == b"data: [DONE]":
        return "other"
    try:
        data = json.loads(event[6:])
    except ValueError:
        return "error"
    if "error" in data:
        return "error"
    if data.get("delta"):
        return "token"
    for choice in data.get("choices") or []:
        if (choice.get("delta") or {}).get("content"):
            return "token"
    return "other"


# --- user classes -------------------------------------------------------------------------

class LabUser(FastHttpUser):
    """Common plumbing: a random start phase, think time or pacing, streaming with TTFT."""

    abstract = True
    network_timeout = 60.0
    connection_timeout = 10.0
    _think_time = staticmethod(between(*_think()))
    _schedule: PacedSchedule | None = None

    def on_start(self) -> None:
        # a random start phase, so users spawned together do not fire together
        if PACING:
            self._schedule = PacedSchedule(PACING)
            delay = self._schedule.start_delay
        else:
            delay = random.uniform(0.0, _think()[1])
        if delay > 0:
            gevent.sleep(delay)

    def wait_time(self) -> float:
        return self._schedule.next_wait() if self._schedule else self._think_time(self)

    def stream(self, path: str, body: dict[str, Any], role: str) -> None:
        """POST a streamed request; record TTFT and full latency as two entries."""
        name = f"{path} (stream)"
        start = time.perf_counter()
        ttft_ms: float | None = None
        size = 0
        with self.client.post(path, json=body, headers=_auth(role), stream=True, name=name,
                              catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return
            try:
                # geventhttpclient's read(n) waits for n bytes, so until the first token has
                # been seen we read byte by byte (TTFT is taken when the event completes, not
                # when a buffer fills); after that, large reads keep the load generator cheap
                buffer = b""
                raw = resp._response
                while True:
                    chunk = raw.read(1 if ttft_ms is None else 4096)
                    if not chunk:
                        break
                    size += len(chunk)
                    buffer += chunk
                    while b"\n\n" in buffer:
                        event, buffer = buffer.split(b"\n\n", 1)
                        kind = _sse_kind(event)
                        if kind == "token" and ttft_ms is None:
                            ttft_ms = (time.perf_counter() - start) * 1000
                        elif kind == "error":
                            resp.failure(f"stream reported an error: {event[:200]!r}")
            except Exception as exc:  # a broken stream is a failed request, not a crash
                resp.failure(f"stream broke: {type(exc).__name__}")
                return
            total_ms = (time.perf_counter() - start) * 1000
            resp.request_meta["response_time"] = total_ms
            resp.request_meta["response_length"] = size
            if ttft_ms is None:
                resp.failure("stream carried no data")
                return
        self.environment.events.request.fire(
            request_type="TTFT", name=name, response_time=ttft_ms, response_length=0,
            exception=None, context={}, response=None)


class DirectUser(LabUser):
    """Pattern 1: synchronous summarise and classify, some of them streamed."""

    weight = _weight("direct")

    @task(3)
    def summarise(self) -> None:
        self.client.post("/direct/summarise", json={"text": _vary(random.choice(TEXTS))},
                         headers=_auth("employee"))

    @task(2)
    def classify(self) -> None:
        self.client.post("/direct/classify", json={"text": _vary(random.choice(TEXTS)), "labels": LABELS},
                         headers=_auth("support_agent"))

    @task(2)
    def summarise_streamed(self) -> None:
        self.stream("/direct/summarise", {"text": _vary(random.choice(TEXTS)), "stream": True}, "employee")


class RagUser(LabUser):
    """Pattern 2: policy questions from the evaluation set, asked with the right role's key."""

    weight = _weight("rag")

    @task
    def ask(self) -> None:
        role, question = _pick_role_question()
        with self.client.post("/rag/ask", json={"question": _vary(question)}, headers=_auth(role),
                              catch_response=True) as resp:
            if resp.status_code == 200 and "answer" not in (resp.json() or {}):
                resp.failure("no answer field")


class JobsUser(LabUser):
    """Pattern 3: submit a job, poll it, fetch the result; submit-to-result is its own entry."""

    weight = _weight("jobs")
    poll_interval = 0.25
    max_wait_s = 60.0

    @task
    def submit_and_wait(self) -> None:
        start = time.perf_counter()
        resp = self.client.post("/jobs", json={"kind": "summarise", "payload": {"text": _vary(random.choice(TEXTS))}},
                                headers=_auth("finance"))
        if resp.status_code not in (200, 201, 202):
            return
        job_id = resp.json()["job_id"]
        status = "queued"
        while time.perf_counter() - start < self.max_wait_s:
            r = self.client.get(f"/jobs/{job_id}", headers=_auth("finance"), name="/jobs/{id}")
            if r.status_code != 200:
                return
            status = r.json()["status"]
            if status in ("succeeded", "failed", "dead", "expired"):
                break
            time.sleep(self.poll_interval)
        if status == "succeeded":
            self.client.get(f"/jobs/{job_id}/result", headers=_auth("finance"), name="/jobs/{id}/result")
        self.environment.events.request.fire(
            request_type="JOB", name="end-to-end", response_time=(time.perf_counter() - start) * 1000,
            response_length=0, context={}, response=None,
            exception=None if status == "succeeded" else RuntimeError(f"job ended {status}"))


class AgentUser(LabUser):
    """Pattern 4: read-only agent runs (look up an account, list a ticket)."""

    weight = _weight("agent")
    requests: ClassVar[list[str]] = [
        "Look up account ACC-00042 and summarise its recent tickets.",
        "What is the status of ticket TCK-000123?",
        "Find the contacts for account ACC-00007.",
    ]

    @task
    def agent_run(self) -> None:
        self.client.post("/agent/runs", json={"request": _vary(random.choice(self.requests)), "mode": "read-only"},
                         headers=_auth("support_agent"))


class CopilotUser(LabUser):
    """The patterns together: policy answer + async file analysis + a ticket via approval."""

    weight = _weight("copilot")

    @task
    def copilot(self) -> None:
        self.client.post("/copilot", json={
            "question": random.choice(QUESTIONS.get("support_agent") or QUESTIONS.get("employee")
                                      or ["What is the refund policy?"]),
            "attachment": {"filename": "customer-note.txt", "text": _vary(random.choice(TEXTS))},
            "action": {"type": "create_ticket", "account_id": "ACC-00042",
                       "subject": "Follow-up from copilot"},
        }, headers=_auth("support_agent"))


class GatewayUser(LabUser):
    """The OpenAI-compatible gateway, streamed (TTFT) and not."""

    weight = _weight("gateway")

    @task(2)
    def stream_chat(self) -> None:
        self.stream("/v1/chat/completions", {
            "model": "lab-chat", "stream": True,
            "messages": [{"role": "user", "content": "Summarise: " + _vary(random.choice(TEXTS))}]}, "employee")

    @task(1)
    def chat(self) -> None:
        self.client.post("/v1/chat/completions", json={
            "model": "lab-mini", "messages": [{"role": "user", "content": "Labels: a, b\nClassify: " + _vary("hi")}]},
            headers=_auth("employee"))


CLASSES: dict[str, type[LabUser]] = {
    "direct": DirectUser, "rag": RagUser, "jobs": JobsUser, "agent": AgentUser,
    "copilot": CopilotUser, "gateway": GatewayUser,
}
assert set(CLASSES) == set(USER_KINDS)


if PROFILE.stages:
    class RolloutShape(LoadTestShape):
        """The profile's rollout stages: users and the user classes in play per phase."""

        def tick(self) -> tuple[int, float, list[type[LabUser]]] | None:
            run_time = self.get_run_time()
            for stage in PROFILE.stages:
                if run_time < stage.duration:
                    classes = [CLASSES[c] for c in stage.classes if CLASSES[c].weight > 0]
                    return stage.users, stage.spawn_rate, classes
            return None


# --- the SLO gate ----------------------------------------------------------------------------

def _percentiles(entry: Any) -> dict[str, Any]:
    return {f"p{q}_ms": entry.get_response_time_percentile(q / 100) if entry.num_requests else None
            for q in (50, 95, 99)}


def slo_rows(environment: Any) -> list[dict[str, Any]]:
    """Per-entry rows (name = 'METHOD name') from Locust's live stats, plus the aggregate."""
    rows = []
    for entry in environment.stats.entries.values():
        rows.append({"name": f"{entry.method} {entry.name}", "requests": entry.num_requests,
                     "failures": entry.num_failures, **_percentiles(entry)})
    total = environment.stats.total
    rows.append({"name": "Aggregated", "requests": total.num_requests, "failures": total.num_failures,
                 **_percentiles(total)})
    return rows


def http_total(environment: Any) -> dict[str, Any]:
    """All real HTTP requests together (no TTFT or job entries): what the server's histogram saw."""
    total = StatsEntry(environment.stats, "HTTP", "", use_response_times_cache=False)
    for entry in environment.stats.entries.values():
        if entry.method not in ("TTFT", "JOB"):
            total.extend(entry)
    return {"requests": total.num_requests, "failures": total.num_failures, **_percentiles(total)}


# --- the generator's own CPU ---------------------------------------------------------------

_CPU_START: dict[str, float] = {}


@events.test_start.add_listener
def _cpu_start(**_: Any) -> None:
    _CPU_START.update(cpu=time.process_time(), wall=time.monotonic())


@events.quitting.add_listener
def _cpu_report(environment: Any, **_: Any) -> None:
    out_dir = os.environ.get("LABKIT_LOADTEST_DIR")
    if not out_dir or not _CPU_START:
        return
    role = type(environment.runner).__name__.removesuffix("Runner").lower()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    Path(out_dir, f"generator-{os.getpid()}.json").write_text(json.dumps({
        "role": role, "cpu_s": time.process_time() - _CPU_START["cpu"],
        "wall_s": time.monotonic() - _CPU_START["wall"]}))


@events.quitting.add_listener
def slo_gate(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return  # the master holds the aggregated stats and decides
    rows = slo_rows(environment)
    violations = evaluate_slo(rows, PROFILE.slo)
    total = environment.stats.total
    verdict = {
        "profile": PROFILE.name, "passed": not violations and total.num_requests > 0,
        "requests": total.num_requests, "failures": total.num_failures,
        "violations": violations, "rows": rows, "client_http": http_total(environment),
        "budgets": {**PROFILE.slo.p95_ms, "*": PROFILE.slo.default_p95_ms},
        "max_failure_ratio": PROFILE.slo.max_failure_ratio,
    }
    if total.num_requests == 0:
        verdict["violations"].append({"name": "Aggregated", "reason": "no requests were made"})
    out_dir = os.environ.get("LABKIT_LOADTEST_DIR")
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        Path(out_dir, "slo.json").write_text(json.dumps(verdict, indent=2))
    for v in verdict["violations"]:
        print(f"SLO violated: {v['name']}: {v['reason']}")
    print(f"SLO gate: {'PASS' if verdict['passed'] else 'FAIL'} "
          f"({total.num_requests} requests, {total.num_failures} failures, profile {PROFILE.name})")
    environment.process_exit_code = 0 if verdict["passed"] else 1
