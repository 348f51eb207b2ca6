"""The RAG workshop's evaluation set: held-out questions only, and a KB slice that holds what they need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit.errors import InputError
from labkit.rag.evaluate import half_of, load_questions
from labkit.rag.workshop import NATURAL_QUESTIONS, held_out_sample, kb_slice, near_miss_docs
from labkit.settings import datasets_dir


def test_the_sample_comes_from_the_test_half_only_seeded_and_sorted() -> None:
    a = held_out_sample(20, seed=3)
    assert [q.qid for q in a] == sorted(q.qid for q in a)
    assert all(half_of(q.qid) == "test" for q in a)
    assert [q.qid for q in a] == [q.qid for q in held_out_sample(20, seed=3)]
    assert [q.qid for q in a] != [q.qid for q in held_out_sample(20, seed=4)]


def test_asking_for_more_than_the_half_returns_the_whole_half() -> None:
    every = load_questions(datasets_dir() / NATURAL_QUESTIONS)
    half = [q.qid for q in every if half_of(q.qid) == "test"]
    assert [q.qid for q in held_out_sample(10_000)] == sorted(half)


def test_a_sample_needs_a_question() -> None:
    with pytest.raises(InputError, match="at least one question"):
        held_out_sample(0)


def test_near_miss_documents_come_from_the_file(tmp_path: Path) -> None:
    rows = [{"qid": "X1", "question": "What is the PrismSense refund window?", "answerable": False,
             "relevant": [], "near_miss_of": {"doc_id": "DOC-0016"}},
            {"qid": "X2", "question": "Who signs contracts?", "answerable": True,
             "relevant": [{"doc_id": "DOC-0001"}], "near_miss_of": {"doc_id": "DOC-0099"}}]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    # only unanswerable questions name a near miss worth ingesting
    assert near_miss_docs(load_questions(path), path=path) == {"DOC-0016"}


def test_the_slice_holds_every_needed_document_and_the_distractors(lab_db: Path) -> None:
    from labkit.data.catalogue import ensure_loaded

    ensure_loaded()
    sample = held_out_sample(12, seed=0)
    needed = {r.doc_id for q in sample for r in q.relevant} | near_miss_docs(sample) | {"DOC-0006"}
    ids = kb_slice(sample, distractors=5, seed=0, include=["DOC-0006"])
    assert ids == sorted(set(ids)) and needed <= set(ids)
    assert len(ids) == len(needed) + 5
    assert ids == kb_slice(sample, distractors=5, seed=0, include=["DOC-0006"])
    assert kb_slice(sample, distractors=0, seed=0, include=["DOC-0006"]) == sorted(needed)


def test_the_slice_rejects_bad_input(lab_db: Path) -> None:
    from labkit.data.catalogue import ensure_loaded

    ensure_loaded()
    with pytest.raises(InputError, match="DOC-9999"):
        kb_slice([], include=["DOC-9999"])
    with pytest.raises(InputError, match="distractors must be >= 0"):
        kb_slice([], distractors=-1)
