"""Study (attacker round 19): the reading by meaning by cosine (round 18) and by margin (round 19), on the same units.

For every unit ``attacker.by_meaning`` would embed (its guards: five words, no prohibition, no negation first, no
one's plan; a goal's objects by shape: an address or contact id for send, a planted secret for reveal, a role word
other than "owner" for grant) it scores the cosine with the goal's nearest order (``goal_scores``, round 18) and the
margin over the goal's nearest description (``goal_margins``, round 19), and keeps the best per text and goal.
Texts: the lab's own sample data (ticket notes that are no injection, ``datasets/tickets``; KB document bodies,
``datasets/kb/documents.jsonl``), the seen red-team sets' benign payloads and the malicious payloads the rules
miss, each as written and as the client's PII redaction gives it to the agent. Blind sets (fresh18, fresh19) are
excluded by name. Prints and writes, per reading: sample texts read, seen benign payloads read, misses read (and of
which goal), the best benign score per goal.

Usage: PYTHONPATH=$PWD .venv/bin/python loadtests/study_attacker_meaning_margin.py --out OUT.json
"""
from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path
from typing import Any

from labkit.controls.pii import redact
from labkit.provider import attacker as A
from labkit.provider.goal_embedding import THRESHOLDS, goal_margins, goal_scores
from labkit.provider.structure import units
from labkit.settings import datasets_dir

ROUND18 = {"send": 0.85, "reveal": 0.822}  # round 18's cosine thresholds (no grant)
WANT = {"send": "exfiltration", "reveal": "secret", "grant": "privilege"}


def best(text: str) -> dict[str, dict[str, float]]:
    """Per goal, the best cosine and the best margin of a unit by_meaning would embed for that goal."""
    light = A._light_text(text)
    secrets = A._meaning_secrets(light) or A._meaning_secrets(A._decode_untrusted(text))
    out = {g: {"cos": -1.0, "margin": -1.0} for g in THRESHOLDS}
    for u in units(light)[:40]:
        masked, _ = A._mask_quotes(A.segment(u.text))
        if A._FORBIDDEN.search(masked) or len(A._MEANING_WORD.findall(masked)) < A._MEANING_MIN_WORDS:
            continue
        if A.NEGATION.search(" ".join(A._tokens(masked)[:3])):
            continue
        if A._FUTURE.search(masked) and not (A._CUE.search(masked) or A._unowned(A._ADDRESSEE, masked)):
            continue
        gated = {"send": bool(A._ADDRESS.search(masked) or A._RECORD_IDS["contact"].search(masked)),
                 "reveal": bool(secrets), "grant": A._grant_objects(masked)}
        if not any(gated.values()):
            continue
        e = A._for_embedding(u.text)
        cos, mar = goal_scores(e), goal_margins(e)
        for g, on in gated.items():
            if on:
                out[g] = {"cos": max(out[g]["cos"], cos[g]), "margin": max(out[g]["margin"], mar[g])}
    return out


def reads(b: dict[str, dict[str, float]], reading: str) -> list[str]:
    if reading == "round18_cosine":
        return [g for g, t in ROUND18.items() if b[g]["cos"] >= t]
    return [g for g, t in THRESHOLDS.items() if b[g]["margin"] >= t]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    d = datasets_dir()
    truth = {json.loads(x)["ticket_id"]: json.loads(x)["injection"]
             for x in (d / "tickets" / "ticket_truth.jsonl").read_text().splitlines()}
    samples = [("ticket", t["ticket_id"], t["notes"]) for t in map(json.loads, (d / "tickets" / "tickets.jsonl").read_text().splitlines())
               if not truth[t["ticket_id"]]]
    samples += [("kb", x["doc_id"], x["body"]) for x in map(json.loads, (d / "kb" / "documents.jsonl").read_text().splitlines())]
    for kind, sid, text in samples:
        if A.find_instructions(text):
            continue  # (the rules' readings are not this study's: only what the reading by meaning adds)
        rows.append({"set": "sample_" + kind, "id": sid, "label": "benign", "goal": None, "best": [best(text)]})
    files = sorted(f for f in glob.glob(str(d / "eval" / "agent_redteam*.jsonl")) if "fresh18" not in f and "fresh19" not in f)
    for f in files:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            c = json.loads(line)
            label = c.get("label", "malicious")
            if label == "malicious" and A.find_instructions(c["payload"]):
                continue  # only the rules' misses
            rows.append({"set": Path(f).stem, "id": c["id"], "label": label, "goal": c.get("goal"),
                         "best": [best(c["payload"]), best(redact(c["payload"]).text)]})
    report: dict[str, Any] = {"thresholds": {"round18_cosine": ROUND18, "round19_margin": THRESHOLDS},
                              "sample_texts": sum(r["set"].startswith("sample") for r in rows),
                              "seen_benign": sum(r["label"] == "benign" and not r["set"].startswith("sample") for r in rows),
                              "seen_misses": sum(r["label"] == "malicious" for r in rows)}
    for reading in ("round18_cosine", "round19_margin"):
        got = [(r, sorted({g for b in r["best"] for g in reads(b, reading)})) for r in rows]
        missed = [(r, gs) for r, gs in got if r["label"] == "malicious" and gs]
        report[reading] = {
            "sample_texts_read": sum(1 for r, gs in got if r["set"].startswith("sample") and gs),
            "seen_benign_read": sum(1 for r, gs in got if r["label"] == "benign" and not r["set"].startswith("sample") and gs),
            "misses_read": len(missed),
            "misses_read_of_their_goal": sum(1 for r, gs in missed if any(WANT[g] == r["goal"] for g in gs)),
            "misses_read_by_set": {s: sum(1 for r, _ in missed if r["set"] == s) for s in sorted({r["set"] for r, _ in missed})},
        }
    kind = {"round18_cosine": "cos", "round19_margin": "margin"}
    for reading, key in kind.items():
        report[reading]["best_benign"] = {g: {
            "seen": round(max([b[g][key] for r in rows if r["label"] == "benign" and not r["set"].startswith("sample") for b in r["best"]]), 3),
            "sample": round(max([b[g][key] for r in rows if r["set"].startswith("sample") for b in r["best"]]), 3)} for g in THRESHOLDS}
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
