"""What the RAG workshop notebook evaluates on: held-out questions and the slice of the KB they need.

Ingesting the whole knowledge base takes minutes on two cores, longer than a workshop cell
should run, so ``notebooks/pattern2_rag.ipynb`` ingests a slice: the documents its sample of
questions is about, the documents its unanswerable questions are near misses of (so a near
miss meets the document it nearly matches), the documents its walkthrough shows, and a seeded
handful of unrelated distractors. The sample comes from the **test** half of a questions file
only (:func:`labkit.rag.evaluate.half_of`): abstention thresholds and fusion weights were fitted
on the calibration half, so scoring them there would flatter them.

A slice has fewer distractors than the whole KB, so retrieval on it is easier: its figures are
an upper bound for the full index, never a headline. It does not ingest or evaluate anything
itself (:class:`~labkit.rag.pipeline.RagPipeline` does).

Example:
    >>> qs = held_out_sample(8, seed=0)
    >>> all(half_of(q.qid) == "test" for q in qs), len(qs)
    (True, 8)
    >>> ids = kb_slice(qs, distractors=3, seed=0, include=["DOC-0006"])
    >>> "DOC-0006" in ids and all(r.doc_id in ids for q in qs for r in q.relevant)
    True
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from labkit.errors import InputError
from labkit.rag.evaluate import Question, half_of, load_questions
from labkit.rag.index import document_ids
from labkit.settings import datasets_dir

NATURAL_QUESTIONS = "eval/natural_questions.jsonl"


def held_out_sample(n: int, *, seed: int = 0, path: str | Path | None = None) -> list[Question]:
    """``n`` questions drawn (seeded) from the test half of ``path`` (default: the natural set), by id.

    ``n`` larger than the test half returns the whole half.
    """
    if n <= 0:
        raise InputError(f"the sample needs at least one question, got n={n}")
    source = Path(path) if path is not None else datasets_dir() / NATURAL_QUESTIONS
    test = [q for q in load_questions(source) if half_of(q.qid) == "test"]
    picked = test if n >= len(test) else random.Random(seed).sample(test, n)
    return sorted(picked, key=lambda q: q.qid)


def near_miss_docs(questions: Sequence[Question], *, path: str | Path | None = None) -> set[str]:
    """Documents the unanswerable ``questions`` nearly match (their ``near_miss_of`` in the file)."""
    source = Path(path) if path is not None else datasets_dir() / NATURAL_QUESTIONS
    wanted = {q.qid for q in questions if not q.answerable}
    found: set[str] = set()
    with source.open() as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            near = row.get("near_miss_of") or {}
            if row.get("qid") in wanted and near.get("doc_id"):
                found.add(str(near["doc_id"]))
    return found


def kb_slice(questions: Sequence[Question], *, distractors: int = 15, seed: int = 0,
             include: Sequence[str] = (), path: str | Path | None = None) -> list[str]:
    """Sorted document ids to ingest: relevant and near-miss documents, ``include``, distractors.

    Distractors are drawn (seeded) from the documents nothing else asked for.
    """
    if distractors < 0:
        raise InputError(f"distractors must be >= 0, got {distractors}")
    needed = {r.doc_id for q in questions for r in q.relevant}
    needed |= near_miss_docs(questions, path=path) | set(include)
    every = document_ids()
    unknown = sorted(needed - set(every))
    if unknown:
        raise InputError(f"not in the knowledge base: {', '.join(unknown[:5])}")
    others = [d for d in every if d not in needed]
    extra = random.Random(seed + 1).sample(others, min(distractors, len(others)))
    return sorted(needed | set(extra))
