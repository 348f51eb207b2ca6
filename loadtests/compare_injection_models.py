"""Compare two classifier weight files inside the full detector, case by case, on every seen set.

Why this exists: a retrained classifier changes verdicts wherever its probability crosses the
detector's floor, and a gain on one corpus can hide new false alarms on another (round 12's retrain
was not shipped for that). The detector is the shipped one (rules, prose guards, noisy-OR); only the
weights behind ``injection._classifier`` are swapped. The rules do not depend on the weights, so each
text's rule pass (``_fire``) is computed once and reused for the second model: the verdicts are
exactly those of ``detect_injection`` with either file in place.

Sets scored: every split corpus (``CORPORA``, with round 14's benign-only ``benign14`` also by channel, language and
package) by half (fit, held-out, crossed) *except fresh10's and benign14's held-out halves*, every seen fresh corpus
whole (``FRESH_CORPORA``), and the lab's 4,554 cases (eval cases, the held-out fixture, ticket notes, KB sections).
``--heldout-aggregate`` adds those two held-out halves as aggregates only (overall, channel, language, package): no id
and no text of them is written anywhere. (Round 15: benign14's held-out half is evaluation data too, hidden like
fresh10's; round 14 printed it by default.)

``--dev`` (round 15) scores only the *dev* part of every fit half (``injection_corpora.in_dev_part``), by set,
channel, language and package, for models trained with ``--fit-part train``: the part the round's choices are made on.

Run: ``PYTHONPATH=$PWD .venv/bin/python loadtests/compare_injection_models.py --old A.npz --new B.npz
--out loadtests/results/x_per_id.txt --json loadtests/results/x.json [--heldout-aggregate] [--timing]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from labkit.controls import injection
from labkit.controls import injection_model as im
from labkit.controls.injection_corpora import CORPORA, FRESH_CORPORA, half, in_dev_part, load_public
from labkit.settings import REPO_ROOT, datasets_dir

HIDDEN_SETS = ("fresh10:heldout", "benign14:heldout")  # evaluation data: aggregates only, and only on request


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def lab_cases() -> list[dict]:
    """The lab's 4,554 cases: 220 eval cases, the 40-case held-out fixture, 2,400 ticket notes, 1,894 KB sections."""
    out: list[dict] = []
    for path, name in ((datasets_dir() / "eval" / "injection_cases.jsonl", "lab:eval"),
                       (REPO_ROOT / "tests" / "fixtures" / "injection_heldout.jsonl", "lab:heldout_fixture")):
        out += [{"id": f"{name}:{r['id']}", "text": r["text"], "y": r["label"] == "malicious", "set": name,
                 "lang": "en", "channel": r.get("location", "unknown")} for r in _jsonl(path)]
    truth = {t["ticket_id"]: t["injection"] for t in _jsonl(datasets_dir() / "tickets" / "ticket_truth.jsonl")}
    out += [{"id": f"lab:ticket:{t['ticket_id']}", "text": t.get("notes") or "", "y": bool(truth.get(t["ticket_id"])),
             "set": "lab:ticket_notes", "lang": "en", "channel": "ticket_note"}
            for t in _jsonl(datasets_dir() / "tickets" / "tickets.jsonl")]
    bad = {d["doc_id"] for d in _jsonl(datasets_dir() / "kb" / "defects.jsonl") if d["defect"] == "injection"}
    out += [{"id": f"lab:kb:{s['section_id']}", "text": s["text"], "y": s["doc_id"] in bad, "set": "lab:kb_sections",
             "lang": "en", "channel": "document"} for s in _jsonl(datasets_dir() / "kb" / "sections.jsonl")]
    return out


def public_cases(heldout_aggregate: bool) -> list[dict]:
    out: list[dict] = []
    for name in [*CORPORA, *FRESH_CORPORA]:
        for c in load_public(name):
            h = half(c)
            if f"{name}:{h}" in HIDDEN_SETS and not heldout_aggregate:
                continue  # never scored unless asked, and then only counted
            sub = c.source.split(" ")[0].split(":", 1)[-1] if name == "fresh10" else ""
            sub = c.source.split(" ")[0] if name == "benign14" else sub  # chatterbot-corpus, ...:ham, ...:spam
            out.append({"id": c.id, "text": c.text, "y": c.label == "malicious", "set": f"{name}:{h}",
                        "lang": c.lang, "channel": c.location, "sub": sub})
    return out


def dev_cases() -> list[dict]:
    """Round 15: the dev part of every split corpus's fit half, the part the round's choices are measured on."""
    out: list[dict] = []
    for name in CORPORA:
        for c in load_public(name):
            if half(c) == "fit" and in_dev_part(c):
                sub = c.source.split(" ")[0].split(":", 1)[-1] if name == "fresh10" else ""
                sub = c.source.split(" ")[0] if name == "benign14" else sub
                out.append({"id": c.id, "text": c.text, "y": c.label == "malicious", "set": f"{name}:dev",
                            "lang": c.lang, "channel": c.location, "sub": sub})
    return out


def _cached_fire() -> Callable:
    """``_fire`` memoised on the top-level call: the rules run once per text, whichever weights follow."""
    real = injection._fire
    memo: dict[str, tuple[str, dict, list]] = {}

    def fire(text: str, hits: dict, evidence: list, depth: int = 0) -> str:
        if depth:
            return real(text, hits, evidence, depth)
        if text not in memo:
            h: dict[str, float] = {}
            e: list[str] = []
            memo[text] = (real(text, h, e), h, e)
        read, h, e = memo[text]
        hits.update(h)
        evidence.extend(e)
        return read
    return fire


def verdicts(cases: list[dict], model: im.Model) -> list[bool]:
    injection._classifier = model.probability  # the detector reads its weights through this one name
    return [injection.detect_injection(c["text"]).flagged for c in cases]


def _rate(pairs: list[tuple[bool, bool]]) -> dict:
    mal = [f for y, f in pairs if y]
    ben = [f for y, f in pairs if not y]
    return {"attacks": len(mal), "benign": len(ben), "caught": sum(mal), "false_alarms": sum(ben),
            "recall": round(sum(mal) / len(mal), 3) if mal else None, "fpr": round(sum(ben) / len(ben), 3) if ben else None}


def summarise(cases: list[dict], old: list[bool], new: list[bool], key: Callable[[dict], str]) -> dict:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[key(c)].append(i)
    return {g: {"before": _rate([(cases[i]["y"], old[i]) for i in idx]), "after": _rate([(cases[i]["y"], new[i]) for i in idx])}
            for g, idx in sorted(groups.items())}


def timing(old: im.Model, new: im.Model, rounds: int = 3) -> dict:
    """CPU time of ``detect_injection`` per call, each model, best of 3, 150 in-the-wild user turns and 150 AgentDojo tool outputs."""
    injection._fire = real_fire
    wild = [c.text for c in load_public("inthewild") if c.location == "user_input"][:150]
    tools = [c.text for c in load_public("agentdojo") if c.location == "tool_output"][:150]
    out: dict[str, list] = defaultdict(list)
    for _ in range(rounds):
        for label, model in (("before", old), ("after", new)):
            injection._classifier = model.probability
            for name, texts in (("user_turn", wild), ("tool_output", tools)):
                best = min(_cpu(texts) for _ in range(3))
                out[f"{name}_{label}_us"].append(round(best / len(texts) * 1e6))
    return dict(out)


def _cpu(texts: list[str]) -> float:
    t0 = time.process_time()
    for t in texts:
        injection.detect_injection(t)
    return time.process_time() - t0


real_fire = injection._fire


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--new", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="per-id file: every seen case whose verdict changed")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--heldout-aggregate", action="store_true", help="also count fresh10's held-out half (aggregates only)")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--dev", action="store_true", help="score only the dev part of every fit half (round 15), nothing else")
    args = ap.parse_args()
    old_m, new_m = im.Model(args.old), im.Model(args.new)
    cases = dev_cases() if args.dev else public_cases(args.heldout_aggregate) + lab_cases()
    t0 = time.time()
    injection._fire = _cached_fire()
    old = verdicts(cases, old_m)
    new = verdicts(cases, new_m)
    injection._fire = real_fire
    print(f"{len(cases)} cases scored twice in {time.time() - t0:.0f} s")
    hidden = [i for i, c in enumerate(cases) if c["set"] in HIDDEN_SETS]
    shown = [i for i, c in enumerate(cases) if c["set"] not in HIDDEN_SETS]
    sc = [cases[i] for i in shown]
    so, sn = [old[i] for i in shown], [new[i] for i in shown]
    report: dict = {"old": str(args.old), "new": str(args.new), "sets": summarise(sc, so, sn, lambda c: c["set"])}
    f10_part = "dev" if args.dev else "fit"
    f10 = [i for i, c in enumerate(sc) if c["set"] == f"fresh10:{f10_part}"]
    for k in ("channel", "lang", "sub"):
        report[f"fresh10_{f10_part}_by_{k}"] = summarise([sc[i] for i in f10], [so[i] for i in f10], [sn[i] for i in f10],
                                                        lambda c, k=k: c[k])
    for h in ("dev",) if args.dev else ("fit",):  # round 14's public benign set: false alarms by channel, language and package
        b14 = [i for i, c in enumerate(sc) if c["set"] == f"benign14:{h}"]
        for k in ("channel", "lang", "sub"):
            report[f"benign14_{h}_by_{k}"] = summarise([sc[i] for i in b14], [so[i] for i in b14], [sn[i] for i in b14],
                                                       lambda c, k=k: c[k])
    changed = [(c, o, n) for c, o, n in zip(sc, so, sn) if o != n]
    report["changed"] = {"total": len(changed), "gained_attacks": sum(1 for c, o, n in changed if c["y"] and n),
                         "lost_attacks": sum(1 for c, o, n in changed if c["y"] and o),
                         "new_false_alarms": sum(1 for c, o, n in changed if not c["y"] and n),
                         "removed_false_alarms": sum(1 for c, o, n in changed if not c["y"] and o)}
    for name in HIDDEN_SETS:  # the held-out halves of fresh10 and benign14: counted, never listed
        idx = [i for i in hidden if cases[i]["set"] == name]
        if not idx:
            continue
        hc = [cases[i] for i in idx]
        ho, hn = [old[i] for i in idx], [new[i] for i in idx]
        report[name.replace(":", "_")] = {"overall": summarise(hc, ho, hn, lambda c: "all")["all"],
                                          "by_channel": summarise(hc, ho, hn, lambda c: c["channel"]),
                                          "by_lang": summarise(hc, ho, hn, lambda c: c["lang"]),
                                          "by_package": summarise(hc, ho, hn, lambda c: c["sub"])}
    if args.timing:
        report["timing_cpu_us_best_of_3"] = timing(old_m, new_m)
    for s, v in report["sets"].items():
        b, a = v["before"], v["after"]
        print(f"{s:<22} A {a['attacks']:>6} B {a['benign']:>5}  recall {b['recall']} -> {a['recall']}  fpr {b['fpr']} -> {a['fpr']}"
              f"  (false alarms {b['false_alarms']} -> {a['false_alarms']})")
    print("changed:", report["changed"])
    if args.out:
        with args.out.open("w", encoding="utf-8") as fh:
            fh.write(f"# every seen case whose verdict changed, {args.old} -> {args.new}; tab-separated: id, label, set, "
                     "flagged before, flagged after. The held-out halves of fresh10 and benign14 are never listed.\n")
            for c, o, n in changed:
                fh.write(f"{c['id']}\t{'malicious' if c['y'] else 'benign'}\t{c['set']}\t{o}\t{n}\n")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
