"""Test-half figures and per-question misses of RAG on the natural question set (issue 14).

``labkit rag eval --questions datasets/eval/natural_questions.jsonl --json`` reports the whole
file and drops the per-question rows. This script keeps to the held-out half: it splits the
file with the repository's own ``split_questions()`` (hash of the qid), runs the repository's
``evaluate()`` on the test half only (retrieval and abstention for every chunking x strategy,
no leakage sweep: the CLI run has it), then asks every test-half question end to end through
``RagPipeline.ask`` as section/hybrid, k=5, with the question's first role, to count usable
answers: answered, and a grade-2 labelled section cited. It writes the figures, a per-kind and
per-style count of misses (no tuning happens here) and the per-question rows as JSON.

It needs the mock provider (``OPENAI_BASE_URL``/``OPENAI_API_KEY``) and ingests the knowledge
base into ``LABKIT_VAR`` if that was not done. It does not calibrate anything or change the
committed thresholds.

    OPENAI_BASE_URL=http://127.0.0.1:8100/v1 OPENAI_API_KEY=lab-key \\
        .venv/bin/python loadtests/rag_natural_first_run.py --out loadtests/results/rag_natural_first_run_test_half.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labkit.rag import RagPipeline  # noqa: E402 - after the sys.path line, so the script runs from a checkout
from labkit.rag.evaluate import load_questions, split_questions  # noqa: E402

CITATION = re.compile(r"^(?P<section>[A-Z]+-\d+#s\d+)@v(?P<version>\d+)")
HEADLINE = ("recall@5", "ndcg@10", "mrr")


def _cited_sections(citations: list[Any]) -> set[tuple[str, int]]:
    out = set()
    for c in citations:
        chunk_id = c if isinstance(c, str) else (c.get("chunk_id") if isinstance(c, dict) else getattr(c, "chunk_id", ""))
        m = CITATION.match(chunk_id or "")
        if m:
            out.add((m["section"], int(m["version"])))
    return out


def _reason_class(reason: str | None) -> str:
    """Why the pipeline abstained, coarsely: enough to count causes, not to tune on."""
    text = (reason or "").lower()
    if "no visible chunk mentions" in text:
        return "unknown term"
    if "evidence too weak" in text:
        return "weak evidence"
    if not text:
        return "none"
    return text.split(":")[0][:60]


def run(questions_path: Path, out: Path) -> dict[str, Any]:
    raw = {row["qid"]: row for row in map(json.loads, questions_path.read_text(encoding="utf-8").splitlines())}
    questions = load_questions(questions_path)
    calibration, test = split_questions(questions)
    pipe = RagPipeline.from_env()
    try:
        pipe.ensure_ingested()
        t0 = time.perf_counter()
        report = pipe.evaluate(test, answer_limit=0, check_leakage=False)
        asked = {}
        for q in test:
            asked[q.qid] = pipe.ask(q.question, role=q.roles[0], strategy="hybrid", chunking="section", k=5)
        seconds = time.perf_counter() - t0
    finally:
        pipe.close()

    configs = {f"{c.chunking}/{c.strategy}": {**{m: round(c.metrics[m], 4) for m in HEADLINE},
                                              "correct_abstention": round(c.correct_abstention, 4),
                                              "false_abstention": round(c.false_abstention, 4),
                                              "answerable": c.answerable, "unanswerable": c.unanswerable}
               for c in report.configs}
    main = next(c for c in report.configs if c.chunking == "section" and c.strategy == "hybrid")
    rows = []
    for pq in main.per_question:
        q = raw[pq["qid"]]
        a = asked[pq["qid"]]
        grade2 = {(r["section_id"], r["version"]) for r in q["relevant"] if r["grade"] == 2}
        cited = _cited_sections(a.citations)
        answered = a.status == "answered"
        row = {"qid": q["qid"], "kind": q["kind"], "style": q["style"], "role": q["roles"][0],
               "near_miss": (q["near_miss_of"] or {}).get("axis"), "answerable": q["answerable"],
               "abstain": pq["abstain"], "status": a.status, "reason": a.reason,
               "reason_class": _reason_class(a.reason) if not answered else None,
               "cited": sorted(f"{s}@v{v}" for s, v in cited)}
        if q["answerable"]:
            row.update({m: round(pq[m], 4) for m in HEADLINE})
            row["usable"] = answered and bool(cited & grade2)
            docs = {s.split("#")[0] for s, _ in grade2}
            row["usable_all_docs"] = answered and docs <= {s.split("#")[0] for s, _ in cited & grade2}
        rows.append(row)

    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    near = [r for r in unanswerable if r["near_miss"]]

    def misses(key: str) -> dict[str, dict[str, int]]:
        table: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            t = table[r[key]]
            t["questions"] += 1
            if r["answerable"]:
                t["answerable"] += 1
                t["not_in_top5"] += r["recall@5"] == 0
                t["partly_in_top5"] += 0 < r["recall@5"] < 1
                t["false_abstention"] += r["abstain"]
                t["not_usable"] += not r["usable"]
            else:
                t["unanswerable"] += 1
                t["answered_unanswerable"] += not r["abstain"]
                t["answered_near_miss"] += bool(r["near_miss"]) and not r["abstain"]
        return {k: dict(v) for k, v in sorted(table.items())}

    false_abst = [r for r in answerable if r["abstain"]]
    summary = {
        "recall@5": configs["section/hybrid"]["recall@5"],
        "ndcg@10": configs["section/hybrid"]["ndcg@10"],
        "mrr": configs["section/hybrid"]["mrr"],
        "correct_abstention": configs["section/hybrid"]["correct_abstention"],
        "correct_abstention_near_misses": round(sum(r["abstain"] for r in near) / len(near), 4) if near else None,
        "false_abstention": configs["section/hybrid"]["false_abstention"],
        "usable_answers": sum(r["usable"] for r in answerable),
        "usable_answers_all_docs_cited": sum(r["usable_all_docs"] for r in answerable),
        "answerable": len(answerable),
        "usable_share": round(sum(r["usable"] for r in answerable) / len(answerable), 4),
        "false_abstentions_with_a_grade2_section_ranked_first": sum(r["mrr"] == 1 for r in false_abst),
        "false_abstention_causes": dict(Counter(r["reason_class"] for r in false_abst)),
        "end_to_end_status_answerable": dict(Counter(r["status"] for r in answerable)),
        "end_to_end_status_unanswerable": dict(Counter(r["status"] for r in unanswerable)),
    }
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=False, capture_output=True, text=True).stdout.strip()
    result = {
        "what": "RAG on the natural question set, held-out test half (split_questions), before any tuning",
        "questions_file": str(questions_path.relative_to(ROOT) if questions_path.is_relative_to(ROOT) else questions_path),
        "questions_sha256": hashlib.sha256(questions_path.read_bytes()).hexdigest(),
        "commit": commit,
        "split": {"calibration": len(calibration), "test": len(test),
                  "test_kinds": dict(Counter(q.kind for q in test))},
        "seconds": round(seconds, 1),
        "section_hybrid": summary,
        "configs": configs,
        "misses_by_kind": misses("kind"),
        "misses_by_style": misses("style"),
        "per_question": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT / "datasets" / "eval" / "natural_questions.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "loadtests" / "results" / "rag_natural_first_run_test_half.json")
    args = ap.parse_args()
    result = run(args.questions.resolve(), args.out)
    print(json.dumps({k: result[k] for k in ("split", "section_hybrid", "configs")}, indent=2))


if __name__ == "__main__":
    main()
