"""List every error of the PII detector on one SEEN hand-written set, for reading by hand.

Why: the bench (``bench_safety.py --pii-<set>``) gives scores and at most 400 error rows; to group the
misses by cause (the reading a round does after a blind set becomes seen) one needs every error with
its context: per type each gold span missed exactly (and whether some prediction overlaps it, with
what type and text), each predicted span that is not gold (a boundary error when it overlaps a gold
span of its type, a type confusion when it overlaps one of another type, a false alarm otherwise),
each look-alike negative flagged and by which finding, and, through the gateway, each value that
reached the provider and each of those the provider's audit did not see.

The set is named on the command line (``fresh15``); sets still blind are refused before any file is
opened (:data:`BLIND`). The listing is for reading: never paste its texts into docs verbatim.

    PYTHONPATH=$PWD python loadtests/pii_miss_classes.py fresh15 [--no-gateway] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BLIND: frozenset[str] = frozenset({"fresh18", "fresh19"})
"""Hand-written sets still blind: this script refuses them (the lead scores them)."""

Span = tuple[int, int, str]


def _ctx(text: str, start: int, end: int, width: int = 60) -> str:
    """The value in brackets with ``width`` characters either side, newlines shown as ``⏎``."""
    s = text[max(0, start - width):start] + "[" + text[start:end] + "]" + text[end:end + width]
    return s.replace("\n", "⏎")


def _rows(case: dict[str, Any], spans: set[Span], against: set[Span], kinds: tuple[str, str, str],
          other_key: str) -> list[dict[str, Any]]:
    """One row per span of ``spans`` not in ``against`` exactly, with the spans of ``against`` that
    overlap it (under ``other_key``) and its kind: ``kinds[0]`` when one of them has its type, ``kinds[1]``
    when only other types overlap, ``kinds[2]`` when nothing does. Serves both directions of
    :func:`case_errors` (gold against predicted, predicted against gold)."""
    text = case["text"]
    rows = []
    for x in sorted(spans - against):
        over = [y for y in sorted(against) if y[0] < x[1] and x[0] < y[1]]
        kind = kinds[0] if any(y[2] == x[2] for y in over) else (kinds[1] if over else kinds[2])
        rows.append({"id": case["id"], "locale": case["locale"], "style": case.get("style"), "type": x[2],
                     "value": text[x[0]:x[1]], "kind": kind,
                     other_key: [{"type": y[2], "text": text[y[0]:y[1]]} for y in over],
                     "context": _ctx(text, x[0], x[1])})
    return rows


def case_errors(case: dict[str, Any], found: list[Span]) -> dict[str, list[dict[str, Any]]]:
    """The errors of one case: ``missed`` gold spans (not predicted exactly) and ``false`` predicted
    spans (not gold exactly), each with its overlap status, the same matching as ``pii.evaluate``."""
    gold = {(s["start"], s["end"], s["type"]) for s in case["spans"]}
    pred = set(found)
    return {"missed": _rows(case, gold, pred, ("overlap", "other_type", "none"), "predicted"),
            "false": _rows(case, pred, gold, ("boundary", "other_type", "false_alarm"), "gold")}


def errors(cases: list[dict[str, Any]], detect: Callable[[str], list[Span]]) -> dict[str, Any]:
    """Every error on ``cases`` grouped by type; negatives (locale ``neg``) listed with their findings."""
    by_type: dict[str, dict[str, list]] = {}
    negatives = []
    for case in cases:
        found = detect(case["text"])
        if case["locale"] == "neg":
            if found:
                negatives.append({"id": case["id"], "style": case.get("style"), "lang": case.get("lang"),
                                  "findings": [{"type": t, "text": case["text"][a:b],
                                                "context": _ctx(case["text"], a, b)} for a, b, t in found]})
            continue
        errs = case_errors(case, found)
        for key in ("missed", "false"):
            for row in errs[key]:
                by_type.setdefault(row["type"], {"missed": [], "false": []})[key].append(row)
    return {"by_type": dict(sorted(by_type.items())), "negatives": negatives}


def leak_rows(case: dict[str, Any], prompt: str, audit: Callable[[str], list]) -> list[dict[str, Any]]:
    """The case's values that still stand in ``prompt`` (what the provider logged), each with whether the
    provider's ``audit`` of that prompt overlaps it (the same rules as ``pii_public.gateway_leak``)."""
    from labkit.controls.pii_public import value_leaked

    spans = audit(prompt)
    rows = []
    for s in case["spans"]:
        value = case["text"][s["start"]:s["end"]]
        if not value_leaked(value, case["text"], prompt):
            continue
        pos = prompt.find(value)
        rows.append({"id": case["id"], "locale": case["locale"], "style": case.get("style"), "type": s["type"],
                     "value": value, "audited": any(a[1] < pos + len(value) and pos < a[2] for a in spans),
                     "context": _ctx(prompt, pos, pos + len(value))})
    return rows


def gateway_leaks(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each non-negative text through a gateway to an in-process provider (as the bench does) and
    return :func:`leak_rows` for each."""
    import os
    import tempfile

    import openai

    from labkit.direct.gateway import GatewayConfig, serve_in_thread
    from labkit.provider.requestlog import pii_audit
    from labkit.provider.server import serve_in_thread as provider_thread

    os.environ.setdefault("LABKIT_VAR", tempfile.mkdtemp(prefix="pii-miss-"))
    rows: list[dict[str, Any]] = []
    with provider_thread() as prov, serve_in_thread(GatewayConfig.load(None, upstream=prov.base_url)) as gw:
        client = openai.OpenAI(base_url=gw.base_url, api_key="pii-eval", max_retries=2)
        for case in (c for c in cases if c["locale"] != "neg"):
            before = len(prov.request_log())
            client.chat.completions.create(model="lab-chat-2026-01", temperature=0,
                                           messages=[{"role": "user", "content": case["text"]}])
            new = [e for e in prov.request_log()[before:] if e.get("endpoint") == "chat"]
            rows += leak_rows(case, "\n".join(e.get("prompt_text") or "" for e in new), pii_audit)
    return rows


def summary(err: dict[str, Any], leaks: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Counts: per type missed (by overlap kind) and false (by kind); negatives flagged; leaks by type."""
    out: dict[str, Any] = {"by_type": {}}
    for t, e in err["by_type"].items():
        out["by_type"][t] = {
            "missed": {k: sum(r["kind"] == k for r in e["missed"]) for k in ("overlap", "other_type", "none")},
            "false": {k: sum(r["kind"] == k for r in e["false"]) for k in ("boundary", "other_type", "false_alarm")}}
    out["negatives_flagged"] = len(err["negatives"])
    if leaks is not None:
        out["leaked"] = {t: sum(r["type"] == t for r in leaks) for t in sorted({r["type"] for r in leaks})}
        out["leaked_not_audited"] = {t: sum(r["type"] == t and not r["audited"] for r in leaks)
                                     for t in sorted({r["type"] for r in leaks})}
    return out


def _print(err: dict[str, Any], leaks: list[dict[str, Any]] | None) -> None:
    for t, e in err["by_type"].items():
        print(f"\n=== {t}: {len(e['missed'])} gold missed (exact), {len(e['false'])} false spans")
        for r in e["missed"]:
            pred = "; ".join(f"{p['type']}:{p['text']!r}" for p in r["predicted"])
            print(f"  MISS {r['kind']:<10} {r['id']} {r['locale']:<6} {r['style'] or '':<10} {r['value']!r}"
                  f"{'  <- ' + pred if pred else ''}\n      {r['context']}")
        for r in e["false"]:
            gold = "; ".join(f"{g['type']}:{g['text']!r}" for g in r["gold"])
            print(f"  FALSE {r['kind']:<11} {r['id']} {r['locale']:<6} {r['style'] or '':<10} {r['value']!r}"
                  f"{'  gold ' + gold if gold else ''}\n      {r['context']}")
    print(f"\n=== negatives flagged: {len(err['negatives'])}")
    for n in err["negatives"]:
        for f in n["findings"]:
            print(f"  NEG {n['id']} {n['style']} {n['lang']} {f['type']}:{f['text']!r}\n      {f['context']}")
    if leaks is not None:
        print(f"\n=== values that reached the provider: {len(leaks)} ({sum(not r['audited'] for r in leaks)} unaudited)")
        for r in leaks:
            print(f"  LEAK {'audited' if r['audited'] else 'UNSEEN '} {r['id']} {r['locale']:<6} {r['type']:<8}"
                  f" {r['value']!r}\n      {r['context']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("set", help="a seen hand-written set, e.g. fresh15")
    ap.add_argument("--no-gateway", action="store_true", help="skip the gateway leak listing")
    ap.add_argument("--out", help="also write the listing as JSON here")
    args = ap.parse_args(argv)
    if args.set in BLIND:
        print(f"{args.set} is blind: refused (nothing opened)", file=sys.stderr)
        return 2
    from labkit.controls import pii, pii_public

    cases = pii_public.build_handwritten_cases(args.set)
    err = errors(cases, lambda text: [(f.start, f.end, f.type) for f in pii.detect(text)])
    leaks = None if args.no_gateway else gateway_leaks(cases)
    _print(err, leaks)
    counts = summary(err, leaks)
    print("\n" + json.dumps(counts, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps({"set": args.set, "summary": counts, "errors": err, "leaks": leaks},
                                             indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
