"""Snapshot ``pii.detect`` on every seen PII set, and compare two snapshots per set (PII round 16).

Why: a round must lose no gold span on the sets it did not aim at and gain no false one; the benches
score one set at a time. ``snap`` writes every finding of every case of fresh1..fresh16 and the public
set (Presidio templates, both halves) to a JSON file; ``compare`` scores two such files per set
(span-exact P / R for NAME, ADDRESS and the claimed types, negatives with a finding), counts gold spans
lost and gained, and lists new false spans; a case whose text differs between the two snapshots (some
Faker-built cases are not the same on every run) is left out of both and named. Run ``snap`` once with the code before a change
(``PYTHONPATH`` at a checkout of it) and once after; the cases are built from the current tree.

    python loadtests/pii_sets_compare.py snap /tmp/before.json
    python loadtests/pii_sets_compare.py compare /tmp/before.json /tmp/after.json [--show]
    python loadtests/pii_sets_compare.py compare A B --save loadtests/results/pii_sets_roundN.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

SETS = ("fresh17", "fresh16", "fresh15", "fresh14", "fresh13", "fresh12", "fresh11", "fresh10", "fresh1", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7",
        "fresh8", "fresh9", "public")
CLAIMED = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")
Span = tuple[str, int, int]


def cases() -> dict[str, list[dict[str, Any]]]:
    """The cases of every seen set (built from the current tree's builders)."""
    from labkit.controls import pii_public as pub  # lazy: builds Faker sets (seconds), only when asked

    out: dict[str, list[dict[str, Any]]] = {}
    for name in SETS:
        if name == "public":
            out[name] = pub.build_cases()
        elif name == "fresh1":
            out[name] = pub.build_fresh_cases()
        else:
            out[name] = getattr(pub, f"build_{name}_cases")()
    return out


def snap(path: Path) -> None:
    """Write every finding of ``pii.detect`` per case id and set to ``path``."""
    from labkit.controls import pii  # lazy: the detector of whichever labkit is on the path

    # the case's text and gold spans are stored with its findings: some Faker-built sets are not the
    # same texts on every day (fresh3), so two snapshots are compared on the cases of the first
    res = {name: {c["id"]: {"text": c["text"], "spans": c["spans"], "locale": c["locale"],
                            "found": [(f.type, f.start, f.end) for f in pii.detect(c["text"])]} for c in lst}
           for name, lst in cases().items()}
    path.write_text(json.dumps(res), encoding="utf-8")


def _pr(tp: Counter[str], fp: Counter[str], fn: Counter[str], types: tuple[str, ...]) -> list[float | int]:
    t, f, n = (sum(c[x] for x in types) for c in (tp, fp, fn))
    return [round(t / (t + f), 3) if t + f else 1.0, round(t / (t + n), 3) if t + n else 1.0, t, f, n]


def score(lst: list[dict[str, Any]], found: dict[str, list[list[Any]]]) -> dict[str, Any]:
    """Span-exact P, R, tp, fp, fn for NAME, ADDRESS, DOB, PHONE and the claimed types; negatives flagged."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    flagged = negatives = 0
    for c in lst:
        gold = {(sp["type"], sp["start"], sp["end"]) for sp in c["spans"]}
        got = {(x[0], x[1], x[2]) for x in found.get(c["id"], [])}
        for g in gold:
            (tp if g in got else fn)[g[0]] += 1
        for g in got - gold:
            fp[g[0]] += 1
        if c["locale"] == "neg":
            negatives += 1
            flagged += bool(got)
    return {"NAME": _pr(tp, fp, fn, ("NAME",)), "ADDRESS": _pr(tp, fp, fn, ("ADDRESS",)),
            "claimed": _pr(tp, fp, fn, CLAIMED), "DOB": _pr(tp, fp, fn, ("DOB",)),
            "PHONE": _pr(tp, fp, fn, ("PHONE",)), "neg": f"{flagged}/{negatives}"}


def compare(before: Path, after: Path, show: bool) -> dict[str, Any]:
    """Per set: scores before and after, gold spans lost and gained, new false spans (printed)."""
    a = json.loads(before.read_text(encoding="utf-8"))
    b = json.loads(after.read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for name in SETS:
        if name not in a or name not in b:
            continue
        lst = [{"id": cid, **row} for cid, row in a[name].items()]
        differ = [c["id"] for c in lst if b[name].get(c["id"], {}).get("text") != c["text"]]
        if differ:
            print(f"{name}: {len(differ)} cases differ in text between the snapshots (left out): {differ}")
            lst = [c for c in lst if c["id"] not in differ]
        lost: list[tuple[str, str, str]] = []
        new_fp: list[tuple[str, str, str]] = []
        gained = 0
        for c in lst:
            gold = {(sp["type"], sp["start"], sp["end"]) for sp in c["spans"]}
            ga = {(x[0], x[1], x[2]) for x in a[name][c["id"]]["found"]}
            gb = {(x[0], x[1], x[2]) for x in b[name][c["id"]]["found"]}
            lost += [(c["id"], x[0], c["text"][x[1]:x[2]]) for x in (gold & ga) - gb]
            gained += len((gold & gb) - ga)
            new_fp += [(c["id"], x[0], c["text"][x[1]:x[2]]) for x in (gb - ga) - gold]
        sa = score(lst, {cid: row["found"] for cid, row in a[name].items()})
        sb = score(lst, {cid: row["found"] for cid, row in b[name].items()})
        out[name] = {"before": sa, "after": sb, "gold_lost": len(lost), "gold_gained": gained,
                     "new_false_spans": len(new_fp), "cases_left_out": differ}
        print(f"{name:8} NAME {sa['NAME'][:2]}->{sb['NAME'][:2]} ADDRESS {sa['ADDRESS'][:2]}->{sb['ADDRESS'][:2]} "
              f"claimed {sa['claimed'][:2]}->{sb['claimed'][:2]} neg {sa['neg']}->{sb['neg']} "
              f"lost {len(lost)} gained {gained} new false {len(new_fp)}")
        for row in (lost + new_fp) if show else []:
            print("   ", row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snap")
    s.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--show", action="store_true", help="list lost gold spans and new false spans")
    c.add_argument("--save", type=Path, help="write the per-set scores to this JSON file")
    c.add_argument("--method", default="", help="a sentence on what before and after are (stored with --save)")
    args = ap.parse_args()
    if args.cmd == "snap":
        snap(args.out)
        return
    result = compare(args.before, args.after, args.show)
    if args.save:
        args.save.write_text(json.dumps({"method": args.method, "sets": result}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
