"""Check that a speed change to the PII detector changes no verdict: every finding, on every seen text.

Why: issue 17's PII work is pure speed (gates, cheaper pre-screens) while another round changes the
rules; a gate may only save time, never a finding. ``snap`` runs ``labkit.controls.pii.detect`` (of the
``labkit`` on ``PYTHONPATH``) on every text the lab has that is not blind, and on three variants of each
(lower-cased, upper-cased, sentence-cased: the gates read letter case), and writes each text's findings
``(type, start, end)``, each text scanned with ``detect``'s memo empty and then once more, which must give the
same findings from the memo; ``compare`` says whether two snapshots agree, text by text, and lists any that
differ. The texts:

- every seen PII set as its builders make it (``pii_sets_compare.cases``: fresh1-fresh13 and the public
  Presidio templates, both halves) and the lab's ``pii_cases.jsonl``;
- every other committed eval file's texts (``bench_pii_cost.texts``: the natural questions, red-team
  payloads and requests, the hand-written sets that are no longer blind), the blind files left out by
  name before any is opened (``bench_pii_cost.DEFAULT_EXCLUDE``), and the seen fresh14 sets by name;
- the gateway bench's turn, with and without its tag.

Usage (the code before a change from a ``git archive`` of it; the texts always from this tree):

    PYTHONPATH=/tmp/before python loadtests/pii_verdicts_same.py snap /tmp/before.json
    PYTHONPATH=$PWD       python loadtests/pii_verdicts_same.py snap /tmp/after.json
    python loadtests/pii_verdicts_same.py compare /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "loadtests"))


# seen sets the cost bench's default exclusion still covers (named here one by one; the blind sets of the
# day, fresh15 and fresh16, are never named or opened)
SEEN_EXTRA = ("pii_handwritten_fresh14.jsonl", "agent_redteam_fresh14.jsonl")


def _sentence_case(text: str) -> str:
    return ". ".join(part[:1].upper() + part[1:].lower() for part in text.split(". "))


def texts() -> list[str]:
    """Every seen text and its case variants, distinct, in a fixed order (the texts of this tree)."""
    import bench_pii_cost
    import pii_sets_compare

    from labkit.settings import datasets_dir

    base: dict[str, None] = {bench_pii_cost.GATEWAY_TURN: None,
                             "Labels: billing, technical, account\nMy invoice shows a double charge.": None}
    for cases in pii_sets_compare.cases().values():
        for case in cases:
            base.setdefault(case["text"], None)
    with open(datasets_dir() / "eval" / "pii_cases.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                base.setdefault(json.loads(line)["text"], None)
    for text in bench_pii_cost.texts():  # the blind files are excluded by name there
        base.setdefault(text, None)
    # fresh14 is scored and seen now (PII round 17), though the cost bench still leaves it out by default
    for name in SEEN_EXTRA:
        with open(datasets_dir() / "eval" / name, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    for key in bench_pii_cost._FIELDS:
                        if isinstance(row.get(key), str) and row[key].strip():
                            base.setdefault(row[key], None)
    out: dict[str, None] = {}
    for text in base:
        for variant in (text, text.lower(), text.upper(), _sentence_case(text)):
            out.setdefault(variant, None)
    return list(out)


def snap(path: Path) -> int:
    """Write ``{text: findings}`` for every text to ``path``; returns how many texts."""
    from labkit.controls import pii  # the detector of whichever labkit is on the path

    result: dict[str, object] = {}
    memo_differs = []
    for text in texts():
        pii._CLEAN.clear()  # every text scanned cold, never answered from detect's memo
        try:
            found = pii.detect(text)
            result[text] = [[f.type, f.start, f.end] for f in found]
        except Exception as exc:  # RedactionFailed: a verdict too (fail closed), compared like the others
            result[text] = f"error: {type(exc).__name__}"
            continue
        if pii.detect(text) != found:  # the second time from the memo (where the code has one): the same
            memo_differs.append(text)
    path.write_text(json.dumps({"labkit": pii.__file__, "findings": result, "memo_differs": memo_differs},
                               ensure_ascii=False), encoding="utf-8")
    if memo_differs:
        print(f"the memo's answer differs from the scan on {len(memo_differs)} texts")
    return len(result)


def compare(a: Path, b: Path) -> tuple[list[str], list[str]]:
    """The texts both snapshots scanned whose findings differ, and the texts only one of them has (a few
    Faker-built cases are not the same text on every run, as ``pii_sets_compare`` notes: not a verdict)."""
    fa = json.loads(a.read_text(encoding="utf-8"))["findings"]
    fb = json.loads(b.read_text(encoding="utf-8"))["findings"]
    return [t for t in fa.keys() & fb.keys() if fa[t] != fb[t]], sorted(fa.keys() ^ fb.keys())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snap")
    s.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "snap":
        print(f"{snap(args.out)} texts scanned -> {args.out}")
        return 0
    differ, unshared = compare(args.a, args.b)
    total = len(json.loads(args.a.read_text(encoding="utf-8"))["findings"])
    print(f"{total} texts; {len(unshared)} in only one snapshot (texts that differ between runs); "
          f"findings differ on {len(differ)} of the texts both scanned")
    for text in differ[:20]:
        print("  ", repr(text[:160]))
    return 1 if differ else 0

if __name__ == "__main__":
    raise SystemExit(main())
