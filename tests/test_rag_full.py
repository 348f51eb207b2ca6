"""The RAG pattern on the FULL sample knowledge base: one ingest, then the quality bars the
lab's evaluation set must keep meeting with the committed abstention thresholds."""

from __future__ import annotations

from labkit.direct import ClientConfig, ResilientClient
from labkit.rag import RagPipeline
from labkit.rag.evaluate import evaluate, leakage, load_questions, split_questions
from labkit.settings import datasets_dir


def test_full_corpus_quality_and_no_leaks(provider):
    pipe = RagPipeline(ResilientClient(ClientConfig(base_url=provider.base_url, api_key="lab-key")))
    try:
        first = pipe.ingest(progress=False)
        assert first.strategies["section"].chunks > 1000
        again = pipe.ingest(progress=False)
        assert all(s.embedded == 0 and s.deleted == 0 for s in again.strategies.values())
        stats = pipe.index.stats()
        assert all(v["dense"] == v["lexical"] for v in stats.values())

        questions = load_questions(datasets_dir() / "eval" / "retrieval_questions.jsonl")
        cal, test = split_questions(questions)
        assert cal and test and not {q.qid for q in cal} & {q.qid for q in test}
        report = evaluate(pipe.index, test, thresholds=pipe.retriever.thresholds,
                          chunkings=("section",), strategies=("hybrid",), check_leakage=False)
        hybrid = report.config("section", "hybrid")
        # retrieval on the held-out half (weights were fitted on the other half)
        assert hybrid.metrics["ndcg@10"] >= 0.80
        assert hybrid.metrics["recall@5"] >= 0.90
        assert hybrid.metrics["hit@5"] >= 0.95
        # abstention held out: measured 1.00 correct / 0.02 false on this half (RESULTS.md),
        # with the unknown-term rule; the 90% / 5% target
        assert hybrid.correct_abstention >= 0.90 and hybrid.false_abstention <= 0.05
        # on the half the thresholds were fitted on, the calibration contract holds
        fitted = evaluate(pipe.index, cal, thresholds=pipe.retriever.thresholds,
                          chunkings=("section",), strategies=("hybrid",), check_leakage=False)
        assert fitted.config("section", "hybrid").false_abstention <= 0.05
        # every role asked a sample of every kind of question: nothing it may not see
        sample = [q for i, q in enumerate(questions) if i % 10 == 0]
        leaks = leakage(pipe.index, sample, chunkings=("section",))
        assert leaks["leaks"] == 0 and leaks["superseded_returned"] == 0 and leaks["checked"] > 3000
    finally:
        pipe.close()
