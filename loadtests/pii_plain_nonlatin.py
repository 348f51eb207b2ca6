"""Over-redaction on ordinary non-Latin business text: how much of it the PII detector hides.

The set (``datasets/eval/pii_plain_nonlatin.tsv``, written by hand in round 14 before any change of that
round): 70 texts with no personal data in zh, ja, ko, ar, hi, ru, th, he, fa, el (7 each: five one-line
business sentences, one with numbers, and two multi-line e-mails or status notes with a greeting, a list
and a team sign-off). One line per text, ``<lang>\\t<text>``, ``\\n`` for a line break.

Every finding on it is a false one. Reported: texts flagged, and letters inside findings over all letters
(per sentence, and the same sentences joined as one message per language), with the findings listed.

Run: ``PYTHONPATH=. .venv/bin/python loadtests/pii_plain_nonlatin.py [out.json]``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any

from labkit.controls import pii
from labkit.settings import datasets_dir


def _letters(s: str) -> int:
    return sum(ch.isalpha() for ch in s)


def measure() -> dict[str, Any]:
    rows = [line.rstrip("\n").split("\t") for line in
            (datasets_dir() / "eval" / "pii_plain_nonlatin.tsv").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [(lang, text.replace("\\n", "\n")) for lang, text in rows]
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"texts": 0, "flagged": 0, "letters": 0, "letters_redacted": 0,
                                                          "findings": []})

    def score(key: str, text: str) -> None:
        found = pii.detect(text)
        p = per[key]
        p["texts"] += 1
        p["flagged"] += bool(found)
        p["letters"] += _letters(text)
        p["letters_redacted"] += sum(_letters(f.text) for f in found)
        p["findings"] += [(f.type, f.text) for f in found]

    for lang, text in rows:
        score(lang, text)
    for lang in dict.fromkeys(lang for lang, _ in rows):  # one message per language: context across lines
        score(lang + "+joined", "\n".join(t for lg, t in rows if lg == lang))
    keys = ("texts", "flagged", "letters", "letters_redacted")
    return {"sentences": {k: sum(p[k] for lg, p in per.items() if "+" not in lg) for k in keys},
            "joined": {k: sum(p[k] for lg, p in per.items() if "+" in lg) for k in keys},
            "per_language": dict(per)}


if __name__ == "__main__":
    result = measure()
    print(json.dumps({"sentences": result["sentences"], "joined": result["joined"]}))
    for lang, p in result["per_language"].items():
        print(f"{lang:10} {p['flagged']}/{p['texts']} flagged, {p['letters_redacted']}/{p['letters']} letters: {p['findings']}")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1)
