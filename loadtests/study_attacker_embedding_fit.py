"""Study (attacker round 18), the fit: thresholds of the reading by meaning on seen sets, raw and redacted.

For every seen benign payload and every seen malicious payload the rules miss, the payload as written
and as the client's PII redaction gives it to the agent (``labkit.controls.pii.redact``) are cut into
units as ``attacker.by_meaning`` cuts them (same guards: five words, no prohibition, no one's plan), and
each unit carrying a goal's objects is scored (``goal_embedding.goal_scores`` on ``_for_embedding``).
Prints per goal the best benign score over both versions and how many missed payloads (redacted) score
above it. Blind sets (fresh17, fresh18) are excluded by name.

Usage: python loadtests/study_attacker_embedding_fit.py --snapshot SNAP.json --out OUT.json
"""
from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path
from typing import Any

from labkit.controls.pii import redact
from labkit.provider import attacker as A
from labkit.provider.goal_embedding import goal_scores
from labkit.provider.structure import units


def best(text: str) -> dict[str, float]:
    """Per goal, the best score of a unit that carries the goal's objects and passes by_meaning's guards."""
    light = A._light_text(text)
    secrets = A._secret_values(light) or A._secret_values(A._decode_untrusted(text))
    out = {"send": -1.0, "reveal": -1.0}
    for u in units(light)[:40]:
        masked, _ = A._mask_quotes(A.segment(u.text))
        if A._FORBIDDEN.search(masked) or len(A._MEANING_WORD.findall(masked)) < A._MEANING_MIN_WORDS:
            continue
        if A._FUTURE.search(masked) and not (A._CUE.search(masked) or A._unowned(A._ADDRESSEE, masked)):
            continue
        goals = (["send"] if A._ADDRESS.search(masked) or A._RECORD_IDS["contact"].search(masked) else []) \
            + (["reveal"] if secrets else [])
        if goals:
            s = goal_scores(A._for_embedding(u.text))
            for g in goals:
                out[g] = max(out[g], s[g])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    snap = json.loads(Path(args.snapshot).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = []
    files = sorted(f for f in glob.glob("datasets/eval/agent_redteam*.jsonl") if "fresh17" not in f and "fresh18" not in f)
    for f in files:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            label, read = snap[case["id"]]
            if label != "benign" and read:
                continue
            rows.append({"id": case["id"], "label": label, "goal": case.get("goal"), "raw": best(case["payload"]),
                         "redacted": best(redact(case["payload"]).text)})
    report: dict[str, Any] = {}
    for g, want in (("send", "exfiltration"), ("reveal", "secret")):
        top = max(max(r["raw"][g], r["redacted"][g]) for r in rows if r["label"] == "benign")
        above = [r for r in rows if r["label"] != "benign" and r["redacted"][g] > top]
        report[g] = {"best_benign": round(top, 4), "missed_above_redacted": len(above),
                     "of_goal": sum(1 for r in above if r["goal"] == want),
                     "missed_above_raw": sum(1 for r in rows if r["label"] != "benign" and r["raw"][g] > top)}
    Path(args.out).write_text(json.dumps({"report": report, "rows": rows}, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
