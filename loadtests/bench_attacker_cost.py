"""The mock attacker's cost per request, on the provider's request path.

Two figures: ``has_injection`` on the gateway bench's request (the prompt ``bench_gateway.py`` sends:
no untrusted text, the common case), and ``find_instructions`` per payload of a red-team case file
(default ``agent_redteam_fresh10.jsonl``, each payload once per pass, a fresh string each pass). Best
of three passes after a warm-up pass, in microseconds and milliseconds. The machine is shared: compare
two versions by alternating them in fresh processes, e.g.

    for r in /work/main /tmp/wt-x /work/main /tmp/wt-x; do PYTHONPATH=$r .venv/bin/python \\
        loadtests/bench_attacker_cost.py --label $r; done

Round 12's figures are in ``loadtests/RESULTS.md`` ("Agent attacker, round 12").

(round 18) A third figure where the code has it: the reading by meaning (``attacker.by_meaning``) per
payload the rules do not read (what the obedient mock adds on those), its embedding cache cleared each
pass, and the first call's model load. Versions without it report only the first two.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from labkit.provider.attacker import find_instructions, has_injection
from labkit.provider.behaviour import _parse
from labkit.settings import datasets_dir

# the gateway bench's request body (loadtests/bench_gateway.py BODY), a counter in the user turn
BODY = {"model": "lab-chat-2026-01", "messages": [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Labels: billing, technical, account\nMy invoice shows a double charge. (#N#)"}]}


def bench_prompt_us(n: int) -> float:
    """Mean microseconds of ``has_injection`` on ``n`` bench requests (each a new user turn)."""
    start = time.perf_counter()
    for i in range(n):
        body = json.loads(json.dumps(BODY).replace("#N#", str(i)))
        has_injection(_parse(body))
    return (time.perf_counter() - start) / n * 1e6


def payload_ms(payloads: list[str], tag: str) -> float:
    """Mean milliseconds of ``find_instructions`` per payload (``tag`` makes every string new)."""
    start = time.perf_counter()
    for p in payloads:
        find_instructions(p + tag)
    return (time.perf_counter() - start) / len(payloads) * 1e3


def meaning_ms(payloads: list[str], tag: str) -> float:
    """(round 18) Mean milliseconds of ``by_meaning`` per payload, the embedding cache cleared first."""
    import labkit.provider.goal_embedding as ge  # type: ignore[import-not-found]
    from labkit.provider.attacker import by_meaning  # type: ignore[attr-defined]

    # round 18's tree caches goal_scores, round 19's goal_margins and _scores, later ones _scores alone
    for name in ("goal_scores", "goal_margins", "_scores"):
        if hasattr(getattr(ge, name, None), "cache_clear"):
            getattr(ge, name).cache_clear()
    start = time.perf_counter()
    for p in payloads:
        by_meaning(p + tag)
    return (time.perf_counter() - start) / len(payloads) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=str(datasets_dir() / "eval" / "agent_redteam_fresh10.jsonl"))
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    payloads = [json.loads(line)["payload"] for line in Path(args.cases).read_text(encoding="utf-8").splitlines()
                if line.strip()]
    bench_prompt_us(200)
    payload_ms(payloads, " ")  # warm-up: tables loaded, patterns compiled
    out = {"label": args.label, "cases": Path(args.cases).name, "payloads": len(payloads),
           "bench_prompt_has_injection_us": round(min(bench_prompt_us(2000) for _ in range(3)), 1),
           "payload_find_instructions_ms": round(min(payload_ms(payloads, " " * (k + 2)) for k in range(3)), 3)}
    try:
        from labkit.provider.attacker import by_meaning  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        print(json.dumps(out))
        return
    unread = [p for p in payloads if not find_instructions(p)]
    start = time.perf_counter()
    meaning_ms(unread[:1], " ")  # the model's load, once per process
    out["meaning_first_call_ms"] = round((time.perf_counter() - start) * 1e3, 1)
    out["meaning_payloads"] = len(unread)
    out["payload_by_meaning_ms"] = round(min(meaning_ms(unread, " " * (k + 2)) for k in range(3)), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
