"""Fault wall: the 16 provider faults of a public catalogue, against `labkit gateway serve`.

Each scenario starts a fresh mock provider (in-process, free port) whose per-model config
faults break the primary model (and, for one scenario, the fallback), and a fresh gateway
(in-process app, free port) with the configuration documented in README's gateway section
(the YAML block is read from README itself, so the wall tests what the README promises; only
``upstream`` is pointed at the wall's provider). The caller is the official ``openai`` SDK
(``max_retries=0``: every rescue is the gateway's). Fresh servers per scenario keep breakers,
cool-downs and fault counters from leaking between scenarios.

Modes: ``pass_through`` and ``retry_safe`` (streamed calls; the gateway's ``streaming.mode``)
and ``plain`` (non-streamed calls; the stream-only faults do not apply there).

Every request's outcome is one of (worst first, as ranked when a scenario sends several):

- ``hang``: no answer and no error within the bound (deadline + 10 s);
- ``truncated_success``: the SDK returned normally, but the text is not the provider's
  complete answer (token count differs from the provider's log of the attempt that
  finished, or no finish reason);
- ``routed_around``: a refusal that should stand (content policy) was answered by another
  model; or a fallback answered without the caller being able to tell (fallback reporting);
- ``declined``: a 200 carrying the gateway's cannot-answer text (every route failed);
- ``clean_error``: the SDK raised an OpenAI-shaped error (HTTP error, or an SSE error event
  after partial text: the caller knows the text is not an answer);
- ``correct_refusal``: content policy only: the provider's 400 (code
  ``content_policy_violation``, its message) passed on, no other model asked, no retry;
- ``rescued``: the complete, correct answer (any route; the fallback scenarios also require
  that the caller can see which model answered).

"Correct outcomes" = rescued + correct_refusal. Timing per request: caller-side time to the
first content byte (TTFT) and total time.

A second part (``--trade``) measures what retry-safe costs on a healthy provider: the same
streamed request through one gateway, alternating the ``X-Labkit-Stream-Mode`` header, with
the provider's realistic latency profile (first token after ~0.35 s, then ~12 ms a token):
caller TTFT and total time per mode.

Usage:
    .venv/bin/python loadtests/bench_faultwall.py [--modes pass_through,retry_safe,plain]
        [--only KEY,KEY] [--trade 30] [--out var/bench/faultwall.json] [--label final]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from labkit.direct.gateway import GatewayConfig  # noqa: E402
from labkit.direct.gateway import serve_in_thread as gateway_thread  # noqa: E402
from labkit.direct.models import CANNOT_ANSWER  # noqa: E402
from labkit.provider.config import ProviderConfig  # noqa: E402
from labkit.provider.server import serve_in_thread as provider_thread  # noqa: E402
from labkit.tokens import count_tokens  # noqa: E402

PRIMARY, FALLBACK = "lab-chat-2026-01", "lab-chat-2026-06"
WARM = "lab-mini-2026-03"  # warm-up model: no scenario breaks it
ASK = [{"role": "user", "content": (
    "Summarise: The finance team closes the books on the third working day of each month. "
    "Invoices above 10,000 EUR need a second approver. Refunds are paid within 14 days. "
    "Travel claims without receipts are returned to the employee.")}]
OUTCOMES = ("hang", "truncated_success", "routed_around", "declined", "clean_error",
            "correct_refusal", "rescued")  # worst first
CORRECT = ("rescued", "correct_refusal")
MODES = ("pass_through", "retry_safe", "plain")


@dataclass(frozen=True)
class Scenario:
    """One catalogue entry: the provider's per-model faults and what a correct outcome is."""

    key: str
    title: str
    faults: dict[str, str]  # model -> fault spec; {slow} is 1.5 x the gateway's ttft_s
    stream_only: bool = False
    expect: str = "answer"  # answer | content_policy
    requests: int = 1
    must_report_fallback: bool = False
    note: str = ""


SCENARIOS: list[Scenario] = [
    Scenario("rate_limit_retry_after", "429 with Retry-After",
             {PRIMARY: "status=429;retry_after=1;times=1"}, note="retried after the demanded 1 s"),
    Scenario("rate_limit_no_header", "429 without Retry-After", {PRIMARY: "status=429"},
             note="backoff retries, then the fallback"),
    Scenario("server_error_once", "500 then 200", {PRIMARY: "status=500;times=1"}),
    Scenario("unavailable", "persistent 503", {PRIMARY: "status=503"}),
    Scenario("tcp_reset", "TCP reset", {PRIMARY: "reset"}),
    Scenario("no_response", "no response (hang)", {PRIMARY: "hang"}),
    Scenario("slow_first_token", "slow first token (over ttft_s)", {PRIMARY: "ttft={slow}"}),
    Scenario("stream_cut", "stream cut after 3 chunks", {PRIMARY: "cut=3"}, stream_only=True),
    Scenario("stream_stall", "stream stall after 3 chunks", {PRIMARY: "stall=3"}, stream_only=True),
    Scenario("malformed_chunk", "malformed chunk (3rd)", {PRIMARY: "malformed=3"}, stream_only=True),
    Scenario("no_done", "stream without [DONE]", {PRIMARY: "no_done"}, stream_only=True),
    Scenario("context_length", "context length exceeded", {PRIMARY: "context_length"},
             note="correct: the context fallback (lab-large) answers"),
    Scenario("content_policy", "content-policy rejection", {PRIMARY: "content_policy"},
             expect="content_policy", note="correct: the provider's 400 passed on, no other model"),
    Scenario("cut_then_no_prefill", "stream cut, fallback refuses prefill",
             {PRIMARY: "cut=3", FALLBACK: "no_prefill"}, stream_only=True,
             note="the fallback 400s any request ending in an assistant turn"),
    Scenario("flapping", "flapping provider (503 at 50%, 10 requests)",
             {PRIMARY: "error_rate=503:0.5"}, requests=10),
    Scenario("fallback_reporting", "fallback reporting", {PRIMARY: "status=503"},
             must_report_fallback=True, note="rescued only if the caller can see the fallback answered"),
]


def documented_config() -> dict[str, Any]:
    """The YAML block of README's gateway section, as a mapping."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**Gateway.**"):text.index("<!-- END direct -->")]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    if block is None:
        raise SystemExit("README's gateway section has no ```yaml block")
    data: dict[str, Any] = yaml.safe_load(block.group(1))
    return data


def gateway_config(upstream: str, mode: str | None, timeouts: dict[str, float] | None) -> GatewayConfig:
    data = documented_config()
    data["upstream"] = upstream
    if timeouts:
        data["timeouts"] = {**data.get("timeouts", {}), **timeouts}
    if mode in ("pass_through", "retry_safe"):
        if "streaming" in GatewayConfig.model_fields:
            data["streaming"] = {**data.get("streaming", {}), "mode": mode}
        elif mode == "retry_safe":
            raise SystemExit("this gateway has no streaming mode setting (retry_safe unavailable)")
    return GatewayConfig.load(None, **data)


@dataclass
class Outcome:
    """One request's result at the caller."""

    outcome: str
    seconds: float
    ttft_s: float | None = None
    model: str | None = None
    reported_fallback: bool | None = None
    partial_chars: int = 0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _finished_attempt(log: list[dict[str, Any]], served: str | None) -> dict[str, Any] | None:
    done = [e for e in log if e["endpoint"] == "chat" and e["status"] == 200 and not e.get("error")
            and (served is None or e["model_served"] == served)]
    return done[-1] if done else None


def one_request(gw_url: str, key: str, stream: bool, bound_s: float,
                headers: dict[str, str] | None = None) -> Outcome:
    """Send ASK once through the gateway with the SDK; the caller-side facts."""
    sdk = openai.OpenAI(base_url=gw_url, api_key=key, max_retries=0,
                        timeout=openai.Timeout(bound_s, connect=5.0))
    t0 = time.perf_counter()
    text, ttft, model, finish, fb_header = "", None, None, None, ""
    try:
        if stream:
            raw = sdk.chat.completions.with_raw_response.create(
                model=PRIMARY, messages=ASK, stream=True, stream_options={"include_usage": True},
                extra_headers=headers)
            fb_header = raw.headers.get("x-labkit-fallback", "")
            for chunk in raw.parse():
                model = chunk.model or model
                for choice in chunk.choices:
                    if choice.delta.content:
                        ttft = ttft if ttft is not None else time.perf_counter() - t0
                        text += choice.delta.content
                    finish = choice.finish_reason or finish
                if time.perf_counter() - t0 > bound_s:
                    raise TimeoutError("bound exceeded while streaming")
        else:
            raw = sdk.chat.completions.with_raw_response.create(model=PRIMARY, messages=ASK,
                                                                extra_headers=headers)
            fb_header = raw.headers.get("x-labkit-fallback", "")
            r = raw.parse()
            model, text = r.model, r.choices[0].message.content or ""
            finish = r.choices[0].finish_reason
            ttft = time.perf_counter() - t0
    except (openai.APITimeoutError, TimeoutError) as exc:
        return Outcome("hang", time.perf_counter() - t0, ttft, partial_chars=len(text), error=str(exc)[:160])
    except openai.APIStatusError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        err = body.get("error", body) if isinstance(body, dict) else {}
        return Outcome("clean_error", time.perf_counter() - t0, ttft, partial_chars=len(text),
                       error=f"{exc.status_code} {getattr(exc, 'code', None) or ''}: {exc.message[:160]}",
                       detail={"status": exc.status_code, "code": getattr(exc, "code", None),
                               "message": (err or {}).get("message") if isinstance(err, dict) else None})
    except openai.APIError as exc:  # an SSE error event, or a broken connection mid-stream
        return Outcome("clean_error", time.perf_counter() - t0, ttft, partial_chars=len(text),
                       error=f"{type(exc).__name__}: {str(exc)[:160]}")
    seconds = time.perf_counter() - t0
    if seconds > bound_s:
        return Outcome("hang", seconds, ttft, model, partial_chars=len(text), error="over the bound")
    out = Outcome("rescued", seconds, ttft, model, partial_chars=len(text),
                  reported_fallback=bool(fb_header) or (model is not None and model != PRIMARY),
                  detail={"finish": finish, "text": text, "fallback_header": fb_header})
    return out


def judge(sc: Scenario, out: Outcome, log: list[dict[str, Any]]) -> Outcome:
    """Turn a caller-side success or error into the scenario's outcome class."""
    chat = [e for e in log if e["endpoint"] == "chat"]
    if sc.expect == "content_policy":
        if out.outcome == "rescued":
            out.outcome = "routed_around"
        elif out.outcome == "clean_error":
            asked = {e["model_served"] for e in chat}
            if (out.detail.get("status") == 400 and out.detail.get("code") == "content_policy_violation"
                    and asked == {PRIMARY} and len(chat) == 1):
                out.outcome = "correct_refusal"
        return out
    if out.outcome != "rescued":
        return out
    text = out.detail.pop("text", "")
    if text.strip() == CANNOT_ANSWER:
        out.outcome = "declined"
        return out
    done = _finished_attempt(chat, out.model)
    complete = (done is not None and count_tokens(text) == done.get("tokens_out")
                and out.detail.get("finish") in ("stop", "length"))
    if not complete:
        out.outcome = "truncated_success"
        out.detail["provider_tokens_out"] = done.get("tokens_out") if done else None
        out.detail["caller_tokens"] = count_tokens(text)
    elif sc.must_report_fallback and not out.reported_fallback:
        out.outcome = "routed_around"
    return out


@contextlib.contextmanager
def wall_servers(sc: Scenario, mode: str, timeouts: dict[str, float] | None) -> Iterator[tuple[Any, Any, GatewayConfig]]:
    cfg = gateway_config("http://127.0.0.1:9/v1", mode, timeouts)
    slow = 1.5 * cfg.timeouts.ttft_s
    faults = {m: spec.format(slow=f"{slow:g}") for m, spec in sc.faults.items()}
    pconf = ProviderConfig.parse({"faults": faults, "hallucination_rate": 0.0, "injection_obedience": 0.0,
                                  "max_hang_s": 120.0})
    with provider_thread(pconf) as provider:
        cfg = gateway_config(provider.base_url, mode, timeouts)
        with gateway_thread(cfg) as gw:
            warm_up(gw.base_url, next(iter(cfg.keys), "wall-key"))
            provider.clear_log()
            yield provider, gw, cfg


def warm_up(gw_url: str, key: str) -> None:
    """One plain and one streamed call on a model no scenario breaks: a fresh gateway's first
    call opens its ledger, telemetry files and connections (~0.1-2 s on a busy machine), which
    would otherwise be counted against the scenario's first request."""
    sdk = openai.OpenAI(base_url=gw_url, api_key=key, max_retries=0, timeout=30)
    sdk.chat.completions.create(model=WARM, messages=ASK)
    for _ in sdk.chat.completions.create(model=WARM, messages=ASK, stream=True):
        pass


def run_scenario(sc: Scenario, mode: str, timeouts: dict[str, float] | None = None) -> dict[str, Any]:
    """Run one scenario in one mode on fresh servers; its worst outcome and every request's."""
    if mode == "plain" and sc.stream_only:
        return {"scenario": sc.key, "mode": mode, "outcome": "n/a", "requests": []}
    with wall_servers(sc, mode, timeouts) as (provider, gw, cfg):
        key = next(iter(cfg.keys), "wall-key")
        bound = cfg.timeouts.deadline_s + 10.0
        outs = []
        for _ in range(sc.requests):
            before = len(provider.request_log())
            out = one_request(gw.base_url, key, stream=mode != "plain", bound_s=bound)
            time.sleep(0.05)  # let the provider finish logging a cut/aborted attempt
            outs.append(judge(sc, out, provider.request_log()[before:]))
        log = provider.request_log()
    worst = min((o.outcome for o in outs), key=OUTCOMES.index)
    return {"scenario": sc.key, "title": sc.title, "mode": mode, "outcome": worst,
            "counts": {k: sum(o.outcome == k for o in outs) for k in OUTCOMES if any(o.outcome == k for o in outs)},
            "ttft_s": _median([o.ttft_s for o in outs if o.ttft_s is not None and o.outcome in CORRECT]),
            "seconds": _median([o.seconds for o in outs]),
            "models": sorted({o.model for o in outs if o.model}),
            "provider_attempts": [(e["model_served"], e["status"], e.get("error") or e.get("fault")) for e in log
                                  if e["endpoint"] == "chat"][:12],
            "requests": [{k: v for k, v in o.__dict__.items() if k != "detail"} | {"detail": o.detail}
                         for o in outs]}


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def run_wall(modes: list[str], only: list[str] | None = None,
             timeouts: dict[str, float] | None = None, verbose: bool = True) -> list[dict[str, Any]]:
    """Every scenario in every mode (fresh servers each); the rows."""
    rows = []
    for sc in SCENARIOS:
        if only and sc.key not in only:
            continue
        for mode in modes:
            row = run_scenario(sc, mode, timeouts)
            rows.append(row)
            if verbose:
                print(f"  {sc.key:24} {mode:13} {row['outcome']:18} "
                      f"{row.get('seconds') or 0:6.2f}s  {row.get('models', '')}", flush=True)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per mode: how many scenarios ended in each outcome class (n/a excluded)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["outcome"] == "n/a":
            continue
        by = out.setdefault(r["mode"], {k: 0 for k in OUTCOMES})
        by[r["outcome"]] += 1
    return out


def trade(n: int, timeouts: dict[str, float] | None = None) -> dict[str, Any]:
    """Healthy provider, realistic latency: caller TTFT and total per streaming mode (alternating)."""
    pconf = ProviderConfig.parse({"latency": "realistic", "hallucination_rate": 0.0, "seed": 7})
    times: dict[str, dict[str, list[float]]] = {m: {"ttft": [], "total": []} for m in ("pass-through", "retry-safe")}
    with provider_thread(pconf) as provider:
        cfg = gateway_config(provider.base_url, "pass_through", timeouts)
        key = next(iter(cfg.keys), "wall-key")
        with gateway_thread(cfg) as gw:
            warm_up(gw.base_url, key)
            for i in range(n * 2):
                mode = ("pass-through", "retry-safe")[(i + i // 2) % 2]  # ABBA order
                out = one_request(gw.base_url, key, stream=True, bound_s=60,
                                  headers={"X-Labkit-Stream-Mode": mode})
                if out.outcome == "rescued" and out.ttft_s is not None:
                    times[mode]["ttft"].append(out.ttft_s * 1000)
                    times[mode]["total"].append(out.seconds * 1000)
    res: dict[str, Any] = {}
    for mode, t in times.items():
        res[mode] = {"n": len(t["ttft"]), "ttft_p50_ms": _median(t["ttft"]), "total_p50_ms": _median(t["total"]),
                     "ttft_p90_ms": round(statistics.quantiles(t["ttft"], n=10)[-1], 1) if len(t["ttft"]) > 2 else None}
    return res


def print_table(rows: list[dict[str, Any]], modes: list[str]) -> None:
    by = {(r["scenario"], r["mode"]): r for r in rows}
    print("\n| # | scenario | " + " | ".join(modes) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in modes) + " |")
    for i, sc in enumerate(SCENARIOS, 1):
        if not any((sc.key, m) in by for m in modes):
            continue
        cells = []
        for m in modes:
            r = by.get((sc.key, m))
            cells.append("-" if r is None else r["outcome"])
        print(f"| {i} | {sc.title} | " + " | ".join(cells) + " |")
    print()
    for mode, counts in summary(rows).items():
        correct = counts["rescued"] + counts["correct_refusal"]
        print(f"{mode:13} correct {correct}/{sum(counts.values())}: " +
              ", ".join(f"{k} {v}" for k, v in counts.items() if v))


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modes", default="pass_through,retry_safe,plain")
    ap.add_argument("--only", default="", help="comma-separated scenario keys")
    ap.add_argument("--trade", type=int, default=30, help="requests per mode in the TTFT trade (0: skip)")
    ap.add_argument("--label", default="run")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise SystemExit(f"unknown mode(s) {bad}; use {', '.join(MODES)}")
    # the gateway's telemetry, ledger and review queue go to a scratch folder, not var/
    os.environ["LABKIT_VAR"] = tempfile.mkdtemp(prefix="faultwall-")
    started = time.time()
    rows = run_wall(modes, [k for k in args.only.split(",") if k] or None)
    print_table(rows, modes)
    result: dict[str, Any] = {"label": args.label, "started": started, "modes": modes,
                              "summary": summary(rows), "rows": rows}
    if args.trade and "streaming" in GatewayConfig.model_fields:
        result["trade"] = trade(args.trade)
        print("\nTTFT trade (healthy provider, realistic latency):")
        for mode, t in result["trade"].items():
            print(f"  {mode:13} n={t['n']} TTFT p50 {t['ttft_p50_ms']} ms (p90 {t['ttft_p90_ms']}), "
                  f"total p50 {t['total_p50_ms']} ms")
    out = Path(args.out) if args.out else REPO / "var" / "bench" / f"faultwall-{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
