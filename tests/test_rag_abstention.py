"""Abstention as one combined score (issue 14, round 4): the logistic model, its operating point,
the fitted file, and the stated-identifier rule. Each test fails on the round 3 code (two hard
thresholds, no model; a code-only question abstained on a low similarity).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from labkit.errors import InputError
from labkit.provider.embeddings import embed_text
from labkit.rag.abstention import TARGET_CORRECT, AbstentionModel, choose_cut, features, fit_model
from labkit.rag.chunking import DocumentIn, SectionIn
from labkit.rag.dense import persistent_client
from labkit.rag.index import RagIndex
from labkit.rag.retrieve import (
    THRESHOLDS_PATH,
    CalibrationPoint,
    Evidence,
    Retriever,
    Thresholds,
    calibrate_model,
    decide,
    load_thresholds,
)


def _points(rng: np.random.Generator) -> list[CalibrationPoint]:
    # answerable: high similarity OR high BM25 (one strong side is enough); unanswerable: both low
    pts = [CalibrationPoint(answerable=True, best_dense=float(d), best_lexical=float(lx), coverage=float(c))
           for d, lx, c in zip(rng.uniform(0.55, 0.9, 60), rng.uniform(6, 30, 60), rng.uniform(0.5, 1.0, 60))]
    pts += [CalibrationPoint(answerable=False, best_dense=float(d), best_lexical=float(lx), coverage=float(c))
            for d, lx, c in zip(rng.uniform(0.2, 0.6, 30), rng.uniform(0, 10, 30), rng.uniform(0.0, 0.6, 30))]
    return pts


def test_fit_model_learns_that_each_signal_raises_the_score():
    rng = np.random.default_rng(7)
    pts = _points(rng)
    names = ("dense", "lexical", "coverage")
    X = np.array([[features("hybrid", p.best_dense, p.best_lexical, p.coverage)[f] for f in names] for p in pts])
    m = fit_model(X, np.array([p.answerable for p in pts]), names)
    assert all(c > 0 for c in m.coef)
    weak = m.probability({"dense": 0.3, "lexical": np.log1p(2.0), "coverage": 0.2})
    strong = m.probability({"dense": 0.8, "lexical": np.log1p(25.0), "coverage": 1.0})
    assert weak < 0.2 < 0.8 < strong
    # deterministic: the same data gives the same model
    assert fit_model(X, np.array([p.answerable for p in pts]), names) == m
    with pytest.raises(InputError):
        fit_model(X, np.ones(len(X), dtype=bool), names)


def test_choose_cut_keeps_the_target_correct_abstention_and_abstains_least():
    prob = np.array([0.95, 0.9, 0.6, 0.45, 0.4, 0.3, 0.1, 0.05])
    ans = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    cut, rates = choose_cut(prob, ans, target=0.75)
    # three of four unanswerable (0.05, 0.1, 0.3) must fall below; halfway to the next (0.4)
    assert cut == pytest.approx(0.35) and rates == {"correct_abstention": 0.75, "false_abstention": 0.0}
    # a question another rule abstains on (here the 0.4 one) counts toward the target: the
    # cut only needs two more of the others
    decided = np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype=bool)
    cut2, rates2 = choose_cut(prob, ans, decided, target=0.75)
    assert cut2 == pytest.approx(0.2) and rates2["correct_abstention"] == 0.75
    # all of them: the cut passes 0.4, halfway to the answerable 0.45
    cut3, rates3 = choose_cut(prob, ans, target=1.0)
    assert cut3 == pytest.approx(0.425) and rates3 == {"correct_abstention": 1.0, "false_abstention": 0.0}


def test_calibrate_model_then_decide_combines_the_evidence():
    th, rates = calibrate_model(_points(np.random.default_rng(3)), "hybrid", target=0.95)
    assert th.model is not None and th.model.features == ["dense", "lexical", "coverage"]
    assert rates["correct_abstention"] >= 0.95 and th.model.fitted == rates
    # both sides weak: abstain, and the reason says why
    abstain, reason = decide(Evidence(best_dense=0.3, best_lexical=2.0, coverage=0.2), "hybrid", th)
    assert abstain and "P(answerable)" in reason and "similarity 0.300" in reason
    # a strong similarity makes up for a weak BM25 (a two-word query, a paraphrase)
    assert decide(Evidence(best_dense=0.85, best_lexical=7.0, coverage=1.0), "hybrid", th) == (False, "")
    # round trip through the thresholds file format
    again = Thresholds(**json.loads(json.dumps(th.model_dump())))
    assert again.model == th.model
    dense_th, _ = calibrate_model(_points(np.random.default_rng(3)), "dense")
    assert dense_th.model is not None and dense_th.model.features == ["dense"]


def test_committed_thresholds_are_fitted_models_with_the_documented_procedure():
    th = load_thresholds()
    for key in ("section/hybrid", "section/dense", "section/lexical", "fixed/hybrid"):
        m = th[key].model
        assert isinstance(m, AbstentionModel), key
        assert m.fitted["correct_abstention"] >= TARGET_CORRECT and 0.0 < m.cut < 1.0
    note = json.loads(THRESHOLDS_PATH.read_text())["note"]
    assert "calibration halves" in note and "logistic" in note and f"{TARGET_CORRECT:.0%}" in note
    assert "leave-one-set-out" in note  # the target was chosen on held-out seen sets (round 5)


class HashEmbedder:
    def embed(self, texts: list[str], **_: object) -> list[list[float]]:
        return [list(embed_text(t)) for t in texts]


@pytest.fixture(scope="module")
def code_index(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("codes")
    sections = [("Purpose and scope", "This document, HarborLink Troubleshooting Guide, describes HarborLink errors."),
                ("Error HL-4466", "Error HL-4466 means the upload exceeded the file size limit. Split the file."),
                ("Error HL-4522", "Error HL-4522 means the session token expired. Sign in again.")]
    doc = DocumentIn(doc_id="DOC-0001", version=1, title="HarborLink Troubleshooting Guide", roles=["employee"],
                     sections=[SectionIn(section_id=f"DOC-0001#s{i}", ordinal=i, heading=h, text=t)
                               for i, (h, t) in enumerate(sections, start=1)])
    idx = RagIndex(HashEmbedder(), chroma=persistent_client(tmp / "chroma"), lexical_path=tmp / "bm25.duckdb",
                   strategies=("section",), embed_model="lab-embed-2026-01")
    idx.ingest([doc], progress=False)
    yield idx
    idx.close()


def test_an_identifier_a_chunk_states_is_enough_evidence(code_index):
    # thresholds no real evidence can pass: only the identifier rule can answer
    strict = {"section/hybrid": Thresholds(dense=0.999, lexical=1e6, rule="any")}
    r = Retriever(code_index, thresholds=strict, fusion={}, question_vocabulary=())
    res = r.retrieve("HL-4466", "employee", k=3)
    assert not res.abstain and res.evidence.stated == ["HL-4466"]
    assert res.hits[0].section_id == "DOC-0001#s2"
    # an identifier no chunk states still abstains (the entity rule), whatever the scores
    res = r.retrieve("HL-9999 meaning", "employee", k=3)
    assert res.abstain and res.evidence.stated == [] and "HL-9999" in res.evidence.missing


@pytest.fixture(scope="module")
def policy_index(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("policies")
    facts = {
        "DOC-0001": ("Travel Policy", [("Hotels", "Hotel stays are booked through the travel desk up to 180 EUR a night."),
                                       ("Trains", "Train journeys over four hours may be booked in first class.")]),
        "DOC-0002": ("Expense Policy", [("Receipts", "Receipts are uploaded within 30 days of the expense."),
                                        ("Meals", "Client dinners are reimbursed up to 60 EUR per person.")]),
        "DOC-0003": ("Laptop Policy", [("Refresh", "Laptops are replaced every three years by IT."),
                                       ("Loss", "A lost laptop is reported to the service desk within 24 hours.")]),
    }
    docs = [DocumentIn(doc_id=d, version=1, title=title, roles=["employee"],
                       sections=[SectionIn(section_id=f"{d}#s{i}", ordinal=i, heading=h, text=t)
                                 for i, (h, t) in enumerate(secs, start=1)])
            for d, (title, secs) in facts.items()]
    idx = RagIndex(HashEmbedder(), chroma=persistent_client(tmp / "chroma"), lexical_path=tmp / "bm25.duckdb",
                   strategies=("section",), embed_model="lab-embed-2026-01")
    idx.ingest(docs, progress=False)
    yield idx
    idx.close()


def _set(prefix: str, answerable: list[tuple[str, str]], unanswerable: list[str]) -> list:
    from labkit.rag.evaluate import Question, Relevant

    qs = [Question(qid=f"{prefix}{n}", question=q, relevant=[Relevant(doc_id=s.split("#")[0], section_id=s, grade=2)])
          for n, (q, s) in enumerate(answerable)]
    return qs + [Question(qid=f"{prefix}u{n}", question=q, answerable=False) for n, q in enumerate(unanswerable)]


def test_abstention_leave_one_set_out_scores_each_set_with_a_fit_that_never_saw_it(policy_index, monkeypatch):
    import labkit.rag.evaluate as evaluate
    from labkit.rag.evaluate import abstention_leave_one_set_out, calibration_points, question_vocabulary_of

    # which questions each fold learned its vocabulary and its score from
    fitted_on: list[set[str]] = []
    real_vocab, real_points = evaluate.question_vocabulary_of, evaluate.calibration_points
    monkeypatch.setattr(evaluate, "question_vocabulary_of",
                        lambda index, qs: fitted_on.append({q.qid for q in qs}) or real_vocab(index, qs))
    monkeypatch.setattr(evaluate, "calibration_points",
                        lambda r, qs, chunking: fitted_on.append({q.qid for q in qs}) or real_points(r, qs, chunking))

    sets = {
        "a": _set("a", [("hotel night limit", "DOC-0001#s2"), ("how long to upload receipts", "DOC-0002#s1"),
                        ("when is my laptop replaced", "DOC-0003#s1")],
                  ["parental leave weeks", "office parking rules"]),
        "b": _set("b", [("first class train journeys", "DOC-0001#s2"), ("client dinner reimbursement", "DOC-0002#s2"),
                        ("lost laptop report", "DOC-0003#s2")],
                  ["gym membership discount", "pension contribution rate"]),
        "c": _set("c", [("hotel booking travel desk", "DOC-0001#s1"), ("receipts within days", "DOC-0002#s1"),
                        ("laptops replaced every years", "DOC-0003#s1")],
                  ["canteen opening hours", "bike to work scheme"]),
    }
    targets = (0.5, 1.0)
    folds = abstention_leave_one_set_out(policy_index, sets, targets)
    assert [f.held_out for f in folds] == ["a", "b", "c"] and [f.questions for f in folds] == [5, 5, 5]
    # two fits per fold (vocabulary, then the score), each on exactly the other two sets
    assert len(fitted_on) == 6
    for n, name in enumerate(sets):
        others = {q.qid for other, qs in sets.items() if other != name for q in qs}
        assert fitted_on[2 * n] == fitted_on[2 * n + 1] == others
    monkeypatch.undo()
    for fold in folds:
        held = sets[fold.held_out]
        others = [q for name, qs in sets.items() if name != fold.held_out for q in qs]
        # the same numbers as a retriever whose thresholds were fitted on the other sets only
        vocab = sorted(question_vocabulary_of(policy_index, others))
        probe = Retriever(policy_index, thresholds={}, fusion={}, question_vocabulary=vocab)
        for target in targets:
            th, _ = calibrate_model(calibration_points(probe, others, "section"), "hybrid", target=target)
            r = Retriever(policy_index, thresholds={"section/hybrid": th}, fusion={}, question_vocabulary=vocab)
            abstain = {q.qid: r.retrieve(q.question, q.roles, strategy="hybrid", chunking="section", k=1).abstain
                       for q in held}
            una = [q.qid for q in held if not q.answerable]
            ans = [q.qid for q in held if q.answerable]
            assert fold.correct_abstention[f"{target:.2f}"] == round(sum(abstain[u] for u in una) / len(una), 4)
            assert fold.false_abstention[f"{target:.2f}"] == round(sum(abstain[a] for a in ans) / len(ans), 4)
        # a higher target never abstains on fewer questions
        assert fold.correct_abstention["1.00"] >= fold.correct_abstention["0.50"]
        assert fold.false_abstention["1.00"] >= fold.false_abstention["0.50"]


def test_saving_thresholds_keeps_the_fusion_note_while_the_fusion_is_unchanged(tmp_path):
    # round 5's abstention refit dropped the fusion's provenance note (bench_rag --fit-fusion)
    from labkit.rag.retrieve import Fusion, save_thresholds

    path = tmp_path / "thresholds.json"
    fusion = {"section": Fusion(method="zscore", dense=1.0, lexical=0.7, doc=0.0)}
    save_thresholds({}, path, fusion=fusion)
    raw = json.loads(path.read_text())
    raw["fusion_note"] = "chosen by --fit-fusion, leave-one-set-out"
    path.write_text(json.dumps(raw))
    save_thresholds({}, path, fusion=fusion, note="refit")
    assert json.loads(path.read_text())["fusion_note"] == "chosen by --fit-fusion, leave-one-set-out"
    # a different fusion is a new choice: the old note no longer describes it
    save_thresholds({}, path, fusion={"section": Fusion(method="rrf", dense=1.0, lexical=1.0, doc=0.0)})
    assert "fusion_note" not in json.loads(path.read_text())
