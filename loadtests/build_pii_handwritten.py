"""Build a hand-written PII check (fresh10, fresh11, ...) from its marked source.

Reads ``datasets/eval/pii_handwritten_<set>_marked.txt`` (texts written by hand, each value inside
``[[CODE|value]]``), computes every span's offsets from the markers, validates the set (offsets,
overlaps, Luhn, mod 97, national-id check digits: ``pii_public.check_cases``) and writes
``datasets/eval/pii_handwritten_<set>.jsonl``. Prints the counts by type, language and style.
The sets are listed in ``pii_public.HANDWRITTEN``.

    PYTHONPATH=. python loadtests/build_pii_handwritten.py fresh11
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from labkit.controls import pii_public as pub
from labkit.settings import datasets_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set", choices=sorted(pub.HANDWRITTEN), help="which hand-written set to build")
    name = ap.parse_args(argv).set
    jsonl, marked = pub.HANDWRITTEN[name]
    cases = pub.parse_marked((datasets_dir() / marked).read_text(encoding="utf-8"), name)
    problems = pub.check_cases(cases)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    out = datasets_dir() / jsonl
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    positives = [c for c in cases if c["locale"] != "neg"]
    print(f"wrote {out}: {len(positives)} texts with PII, {len(cases) - len(positives)} negatives")
    print("types:", dict(Counter(s["type"] for c in cases for s in c["spans"]).most_common()))
    print("languages (texts with PII):", dict(Counter(c["lang"] for c in positives).most_common()))
    print("languages (negatives):", dict(Counter(c["lang"] for c in cases if c["locale"] == "neg").most_common()))
    print("locales:", dict(Counter(c["locale"] for c in positives).most_common()))
    print("styles:", dict(Counter(c["style"] for c in cases).most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
