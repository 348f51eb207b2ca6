"""Evaluation of retrieval and answering on labelled questions, per strategy and chunking.

For each chunking (``fixed``, ``section``) and retriever (``dense``, ``lexical``, ``hybrid``)
it measures, on the questions of a JSON-lines file in the documented format
(``datasets/README.md``: ``qid, question, roles, relevant[{doc_id, section_id, grade}],
answerable, kind, answer``):

- retrieval quality on answerable questions: precision@k, recall@k, MRR, nDCG@k (graded)
  and hit rate, judged on distinct sections;
- abstention quality: correct abstentions on unanswerable questions, false abstentions on
  answerable ones (with the calibrated thresholds);
- permission leakage: every question asked as every role, every candidate either store
  returns checked against the roles and status in the source tables (not the index's own
  copy), so a leak in ingestion is caught too;
- retrieval latency percentiles; and, end to end for one configuration, citation validity,
  flagged answers, final abstention quality and latency percentiles.

Results come as a pydantic :class:`EvalReport` (``--json`` in the CLI), pandas DataFrames
(:func:`frames`) and matplotlib figures (:func:`plot`) for the notebooks.

Example:
    >>> qs = load_questions("datasets/eval/retrieval_questions.jsonl")  # doctest: +SKIP
    >>> report = evaluate(index, qs, client=client)                     # doctest: +SKIP
    >>> frames(report)["retrieval"].loc[("section", "hybrid"), "recall@5"]  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from labkit.data.access import ROLES, caller_roles
from labkit.data.catalogue import connect, ensure_loaded
from labkit.errors import InputError
from labkit.rag.abstention import TARGET_CORRECT
from labkit.rag.answer import DEFAULT_CHAT_MODEL, answer
from labkit.rag.index import RagIndex
from labkit.rag.metrics import all_metrics
from labkit.rag.retrieve import (
    RETRIEVERS,
    CalibrationPoint,
    Evidence,
    Fusion,
    Retriever,
    Thresholds,
    answerable_first,
    calibrate,
    calibrate_model,
    decide,
    fuse,
    save_thresholds,
)

KS = (1, 3, 5, 10)


class Relevant(BaseModel):
    """A labelled relevant section of a question."""

    doc_id: str
    section_id: str | None = None
    grade: int = 1


class Question(BaseModel):
    """One labelled question (the documented JSON-lines format)."""

    qid: str
    question: str
    roles: list[str] = Field(default_factory=lambda: ["employee"])
    relevant: list[Relevant] = Field(default_factory=list)
    answerable: bool = True
    kind: str = "single"
    answer: str | None = None

    def labels(self) -> dict[str, int]:
        """unit -> grade; the unit is the section id (or the doc id when no section is named)."""
        out: dict[str, int] = {}
        for r in self.relevant:
            unit = r.section_id or r.doc_id
            out[unit] = max(out.get(unit, 0), r.grade)
        return out


def load_questions(path: str | Path) -> list[Question]:
    """Read a questions file; a bad line is reported with its line number, nothing half-read."""
    target = Path(path)
    if not target.exists():
        raise InputError(f"{target}: no such questions file")
    questions: list[Question] = []
    with target.open() as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                q = Question(**json.loads(line))
            except (ValueError, TypeError, ValidationError) as exc:
                first = str(exc).splitlines()[0]
                raise InputError(f"{target}:{n}: not a valid question ({first})") from exc
            if not q.question.strip():
                raise InputError(f"{target}:{n}: empty question text")
            for role in q.roles:
                caller_roles(role)  # UnknownRole with the role's name
            questions.append(q)
    if not questions:
        raise InputError(f"{target}: no questions")
    return questions


def half_of(qid: str) -> str:
    """``"calibration"`` or ``"test"``: a fixed hash of the question id, so the split is the
    same on every run and machine and a question never moves between halves.

    Example:
        >>> half_of("Q0001") in ("calibration", "test")
        True
    """
    return "calibration" if blake2b(qid.encode(), digest_size=8).digest()[0] % 2 == 0 else "test"


def split_questions(questions: Sequence[Question]) -> tuple[list[Question], list[Question]]:
    """(calibration half, test half): thresholds and weights are fitted on the first only."""
    cal = [q for q in questions if half_of(q.qid) == "calibration"]
    test = [q for q in questions if half_of(q.qid) == "test"]
    return cal, test


def _units(hits: Sequence[Any], labels: dict[str, int]) -> list[str]:
    # judge on sections: a chunk stands for every section its text spans (a fixed window
    # often crosses a heading); a doc-level label matches any section of the document
    units: list[str] = []
    for h in hits:
        for sid in (h.covers or [h.section_id]):
            units.append(sid if sid in labels or h.doc_id not in labels else h.doc_id)
    return units


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean of ``values`` (milliseconds), rounded."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0, "n": 0}
    arr = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 2), "p95": round(float(np.percentile(arr, 95)), 2),
            "p99": round(float(np.percentile(arr, 99)), 2), "mean": round(float(arr.mean()), 2), "n": len(values)}


class ConfigResult(BaseModel):
    """Results of one (chunking, strategy)."""

    chunking: str
    strategy: str
    metrics: dict[str, float]
    answerable: int
    unanswerable: int
    correct_abstention: float
    false_abstention: float
    latency_ms: dict[str, float]
    per_question: list[dict[str, Any]] = Field(default_factory=list)


class EndToEnd(BaseModel):
    """End-to-end answering results for one configuration."""

    chunking: str
    strategy: str
    questions: int
    answered: int
    citation_validity: float = Field(description="share of answered replies whose citations are all valid")
    invalid_citations: int
    flagged: int
    correct_abstention: float
    false_abstention: float
    latency_ms: dict[str, float]
    answerable: int = 0
    usable: int = Field(0, description="answerable questions answered with a top-grade labelled section cited")
    stale_citations: int = Field(0, description="citations of a superseded version (must be 0)")
    per_question: list[dict[str, Any]] = Field(default_factory=list)


class EvalReport(BaseModel):
    """The whole evaluation."""

    questions: int
    configs: list[ConfigResult]
    leakage: dict[str, Any]
    end_to_end: EndToEnd | None = None
    thresholds: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def config(self, chunking: str, strategy: str) -> ConfigResult:
        """The result of one configuration."""
        for c in self.configs:
            if c.chunking == chunking and c.strategy == strategy:
                return c
        raise KeyError(f"{chunking}/{strategy}")


def _truth(index: RagIndex) -> dict[tuple[str, int], tuple[set[str], str]]:
    """(doc_id, version) -> (roles, status) from the source tables, not from the index."""
    try:
        ensure_loaded()
        con = connect(read_only=True)
        try:
            rows = con.execute("SELECT doc_id, version, roles, status FROM kb_documents").fetchall()
        finally:
            con.close()
        return {(r[0], int(r[1])): (set(r[2] or []), r[3]) for r in rows}
    except Exception:
        # no catalogue (e.g. hand-made corpus in a test): fall back to the chunk table
        cur = index.lexical._cursor()
        rows = cur.execute("SELECT DISTINCT doc_id, version, roles, status FROM rag_chunks").fetchall()
        return {(r[0], int(r[1])): (set(r[2] or []), r[3]) for r in rows}


def leakage(index: RagIndex, questions: Sequence[Question], *, chunkings: Sequence[str] | None = None,
            roles: Sequence[str] = ROLES, depth: int = 10,
            truth: dict[tuple[str, int], tuple[set[str], str]] | None = None) -> dict[str, Any]:
    """Ask every question as every role; count candidates the role may not see (must be 0).

    Both raw rankings (dense and lexical, which hybrid fuses) and the final rows are checked,
    so every path a chunk could take to a caller is covered.
    """
    truth = truth if truth is not None else _truth(index)
    retriever = Retriever(index, thresholds={})
    checked = leaks = superseded = 0
    examples: list[dict[str, Any]] = []
    meta_cache: dict[str, dict[str, Any]] = {}
    for chunking in chunkings or index.strategies:
        cur = index.lexical._cursor()
        for cid, did, ver in cur.execute("SELECT chunk_id, doc_id, version FROM rag_chunks WHERE idx = ?", [chunking]).fetchall():
            meta_cache[f"{chunking}|{cid}"] = {"doc_id": did, "version": int(ver)}
        vectors = index.embed([retriever.normalised(q.question, chunking).text for q in questions])
        for q, vec in zip(questions, vectors):
            for role in roles:
                held = set(caller_roles(role))
                dense, lexical = retriever.raw(q.question, sorted(held), chunking=chunking, depth=depth, vector=vec)
                ids = {i for i, _ in dense} | {i for i, _ in lexical}
                for cid in ids:
                    meta = meta_cache.get(f"{chunking}|{cid}")
                    checked += 1
                    if meta is None:
                        leaks += 1
                        examples.append({"qid": q.qid, "role": role, "chunk_id": cid, "why": "unknown chunk"})
                        continue
                    doc_roles, status = truth.get((meta["doc_id"], meta["version"]), (set(), "missing"))
                    if not (doc_roles & held):
                        leaks += 1
                        if len(examples) < 20:
                            examples.append({"qid": q.qid, "role": role, "chunk_id": cid, "why": "role"})
                    if status != "current":
                        superseded += 1
                        if len(examples) < 20:
                            examples.append({"qid": q.qid, "role": role, "chunk_id": cid, "why": "superseded"})
    return {"checked": checked, "leaks": leaks, "superseded_returned": superseded,
            "roles": list(roles), "questions": len(questions), "examples": examples}


def run_config(retriever: Retriever, questions: Sequence[Question], chunking: str, strategy: str,
               *, k: int = 10) -> ConfigResult:
    """Retrieval metrics, abstention and latency of one (chunking, strategy)."""
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    for q in questions:
        res = retriever.retrieve(q.question, q.roles, strategy=strategy, chunking=chunking, k=k)
        latencies.append(res.latency_ms)
        labels = q.labels()
        row: dict[str, Any] = {"qid": q.qid, "kind": q.kind, "answerable": q.answerable, "abstain": res.abstain,
                               "best_dense": res.evidence.best_dense, "best_lexical": res.evidence.best_lexical,
                               "coverage": res.evidence.coverage}
        if q.answerable and labels:
            row.update(all_metrics(_units(res.hits, labels), labels, KS))
        rows.append(row)
    scored = [r for r in rows if "mrr" in r]
    metric_names = [m for m in (scored[0] if scored else {}) if m.startswith(("precision", "recall", "ndcg", "hit", "mrr"))]
    metrics = {m: round(float(np.mean([r[m] for r in scored])), 4) for m in metric_names}
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    return ConfigResult(
        chunking=chunking, strategy=strategy, metrics=metrics, answerable=len(ans), unanswerable=len(una),
        correct_abstention=round(sum(r["abstain"] for r in una) / len(una), 4) if una else 1.0,
        false_abstention=round(sum(r["abstain"] for r in ans) / len(ans), 4) if ans else 0.0,
        latency_ms=percentiles(latencies), per_question=rows)


#: the fusions calibrate_fusion tries: RRF with a dense weight and a document-context weight
#: (lexical 1), and z-score fusion with a lexical weight (dense 1)
FUSION_GRID: list[Fusion] = (
    [Fusion(method="rrf", dense=wd, lexical=1.0, doc=wdoc)
     for wd in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0) for wdoc in (0.0, 0.5, 1.0)]
    + [Fusion(method="zscore", dense=1.0, lexical=wl, doc=0.0) for wl in (0.3, 0.5, 0.7, 1.0, 1.5)])
#: the single retrievers, scored beside the fusions (the bar hybrid has to clear)
SINGLES = ("dense", "lexical")


class FusionTable(BaseModel):
    """nDCG@10 and recall@5 of every candidate fusion (and of each single retriever) on
    every named question set, for one chunking: what fusion calibration chooses from."""

    chunking: str
    settings: list[Fusion]
    sets: list[str]
    ndcg: dict[str, list[float]] = Field(description="set -> nDCG@10 per setting, then dense, lexical")
    recall: dict[str, list[float]] = Field(description="set -> recall@5 per setting, then dense, lexical")

    def choose(self, sets: Sequence[str] | None = None) -> int:
        """Index of the setting with the best mean nDCG@10 over ``sets`` (each set counts the
        same, whatever its size), then recall@5; ties go to the later setting of the grid (more
        dense weight for RRF, as before round 4b)."""
        use = list(sets or self.sets)

        def key(n: int) -> tuple[float, float, int]:
            return (round(float(np.mean([self.ndcg[s][n] for s in use])), 6),
                    round(float(np.mean([self.recall[s][n] for s in use])), 6), n)
        return max(range(len(self.settings)), key=key)

    def leave_one_set_out(self) -> dict[str, dict[str, Any]]:
        """Per held-out set: the setting chosen on all the other sets and its nDCG@10 and
        recall@5 on the held-out one, beside dense and lexical alone there."""
        out: dict[str, dict[str, Any]] = {}
        n = len(self.settings)
        for held in self.sets:
            pick = self.choose([x for x in self.sets if x != held])
            out[held] = {"chosen": self.settings[pick].model_dump(), "ndcg@10": self.ndcg[held][pick],
                         "recall@5": self.recall[held][pick], "dense_ndcg@10": self.ndcg[held][n],
                         "lexical_ndcg@10": self.ndcg[held][n + 1]}
        return out


def fusion_table(index: RagIndex, question_sets: dict[str, Sequence[Question]], chunking: str = "section",
                 grid: Sequence[Fusion] | None = None) -> FusionTable:
    """Score every fusion of ``grid`` (default :data:`FUSION_GRID`) and each single retriever
    on every set of ``question_sets`` (answerable labelled questions only). The two raw
    rankings are computed once per question and only the fusion is repeated, followed by the
    same answerable-first ordering retrieval applies (:func:`labkit.rag.retrieve.answerable_first`),
    so the choice is made on the ranking users get."""
    settings = list(grid or FUSION_GRID)
    retriever = Retriever(index, thresholds={})
    cur = index.lexical._cursor()
    covers = {cid: (list(cov) if cov else [sid], did) for cid, sid, did, cov in cur.execute(
        "SELECT chunk_id, section_id, doc_id, covers FROM rag_chunks WHERE idx = ?", [chunking]).fetchall()}
    ndcg: dict[str, list[float]] = {}
    recall: dict[str, list[float]] = {}
    for name, questions in question_sets.items():
        scored = [q for q in questions if q.answerable and q.labels()]
        if not scored:
            raise InputError(f"question set {name!r} has no answerable labelled questions")
        vectors = index.embed([retriever.normalised(q.question, chunking).text for q in scored])
        sums = np.zeros((len(settings) + len(SINGLES), 2))
        for q, v in zip(scored, vectors):
            roles = caller_roles(q.roles)
            dense, lexical = retriever.raw(q.question, roles, chunking=chunking, vector=v)
            pool = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical]))
            rows = index.lexical.fetch(chunking, pool, roles)
            _, infos, fits = retriever.judge(retriever.normalised(q.question, chunking), chunking, rows)
            labels = q.labels()
            rankings = [fuse(f, dense, lexical) for f in settings] + [list(dense), list(lexical)]
            for n, ranked in enumerate(rankings):
                units: list[str] = []
                for cid, _ in answerable_first(ranked, infos, fits)[:10]:
                    sids, did = covers.get(cid, ([cid], ""))
                    units += [sid if sid in labels or did not in labels else did for sid in sids]
                m = all_metrics(units, labels, (5, 10))
                sums[n] += (m["ndcg@10"], m["recall@5"])
        ndcg[name] = [round(float(x), 4) for x in sums[:, 0] / len(scored)]
        recall[name] = [round(float(x), 4) for x in sums[:, 1] / len(scored)]
    return FusionTable(chunking=chunking, settings=settings, sets=list(question_sets), ndcg=ndcg, recall=recall)


def calibrate_fusion(index: RagIndex, questions: Sequence[Question] | dict[str, Sequence[Question]], *,
                     chunkings: Sequence[str] | None = None) -> dict[str, Fusion]:
    """The hybrid fusion per chunking (method and weights, from :data:`FUSION_GRID`) with the
    best mean nDCG@10 (then recall@5) over the question sets. ``questions`` is one set (the
    calibration half) or several named ones, each counting the same: round 4b fits on every
    seen set, and :meth:`FusionTable.leave_one_set_out` says how that choice holds on a set
    it did not see.
    """
    sets = questions if isinstance(questions, dict) else {"questions": questions}
    out: dict[str, Fusion] = {}
    for chunking in chunkings or index.strategies:
        table = fusion_table(index, sets, chunking)
        out[chunking] = table.settings[table.choose()]
    return out


def question_vocabulary_of(index: RagIndex, questions: Sequence[Question]) -> set[str]:
    """Terms that the answerable ``questions`` use but no visible chunk contains (asking words
    such as "many", "long"): calibration's first pass, so its second pass does not count them
    as unknown (they also leave the question's concepts, hence its coverage)."""
    probe = Retriever(index, thresholds={}, question_vocabulary=())
    vocab: set[str] = set()
    for chunking in index.strategies:
        for q in questions:
            if q.answerable:
                vocab |= set(probe.retrieve(q.question, q.roles, strategy="lexical", chunking=chunking, k=1)
                             .evidence.unknown_terms)
    return vocab


def _evidence(retriever: Retriever, questions: Sequence[Question], chunking: str) -> list[Evidence]:
    return [retriever.retrieve(q.question, q.roles, strategy="hybrid", chunking=chunking, k=1).evidence
            for q in questions]


def calibration_points(retriever: Retriever, questions: Sequence[Question], chunking: str) -> list[CalibrationPoint]:
    """Each question's raw evidence (best cosine, best BM25, coverage, the entity rule's verdict)."""
    return [CalibrationPoint(answerable=q.answerable, best_dense=ev.best_dense, best_lexical=ev.best_lexical,
                             coverage=ev.coverage, unknown=len(ev.unknown_terms),
                             decided=bool(ev.missing) or (ev.best_dense is None and ev.best_lexical is None),
                             stated=bool(ev.stated))
            for q, ev in zip(questions, _evidence(retriever, questions, chunking))]


class AbstentionFold(BaseModel):
    """One held-out set of :func:`abstention_leave_one_set_out`: its rates at each target."""

    held_out: str
    questions: int
    correct_abstention: dict[str, float]  # target (as "0.93") -> share of its unanswerables abstained on
    false_abstention: dict[str, float]    # target -> share of its answerables abstained on


def abstention_leave_one_set_out(index: RagIndex, sets: dict[str, Sequence[Question]], targets: Sequence[float], *,
                                 chunking: str = "section", strategy: str = "hybrid") -> list[AbstentionFold]:
    """How the abstention fit holds on a set it did not see, for each candidate ``target``.

    For each named set in turn: learn the question vocabulary and fit the combined score
    (:func:`calibrate_model`) on all the other sets, then abstain on the held-out set's
    questions exactly as the retriever would (the entity rule's verdicts included) and count.
    Round 5 chooses :data:`~labkit.rag.abstention.TARGET_CORRECT` from this table
    (``loadtests/bench_rag.py --fit-abstention``), on seen sets only.
    """
    folds: list[AbstentionFold] = []
    for name, held in sets.items():
        fitting = [q for other, qs in sets.items() if other != name for q in qs]
        retriever = Retriever(index, thresholds={}, question_vocabulary=sorted(question_vocabulary_of(index, fitting)))
        fit_points = calibration_points(retriever, fitting, chunking)
        held_evidence = _evidence(retriever, held, chunking)
        answerable = np.array([q.answerable for q in held])
        correct: dict[str, float] = {}
        false: dict[str, float] = {}
        for target in targets:
            th, _ = calibrate_model(fit_points, strategy, target=target)
            # the retriever's own decision (entity rule, stated identifiers, the score's cut)
            abstain = np.array([decide(ev, strategy, th)[0] for ev in held_evidence])
            key = f"{target:.2f}"
            correct[key] = round(float(abstain[~answerable].mean()), 4) if (~answerable).any() else 1.0
            false[key] = round(float(abstain[answerable].mean()), 4) if answerable.any() else 0.0
        folds.append(AbstentionFold(held_out=name, questions=len(held), correct_abstention=correct,
                                    false_abstention=false))
    return folds


def calibrate_all(index: RagIndex, questions: Sequence[Question], *, save: bool = False,
                  max_false_abstention: float = 0.05, fusion: dict[str, Fusion] | None = None,
                  note: str = "", objective: str = "balanced", use_unknown: bool = False,
                  method: str = "model", target: float = TARGET_CORRECT) -> dict[str, Thresholds]:
    """Calibrate abstention for every (chunking, strategy) on ``questions``.

    ``method="model"`` (the default since round 4) fits the combined score of
    :mod:`labkit.rag.abstention` with the cut that abstains on ``target`` of the unanswerable
    questions (:func:`labkit.rag.retrieve.calibrate_model`); ``method="grid"`` searches the
    round 3 hard thresholds (:func:`labkit.rag.retrieve.calibrate`, ``max_false_abstention``,
    ``objective``, ``use_unknown``), kept for comparison.

    Give it the calibration half (:func:`split_questions`) so the test half stays unseen.
    With ``save``, the thresholds (and ``fusion`` weights, if given) go to the committed file.
    """
    if method not in ("model", "grid"):
        raise InputError(f"unknown calibration method {method!r}; choose model or grid")
    vocab = question_vocabulary_of(index, questions)
    retriever = Retriever(index, thresholds={}, question_vocabulary=sorted(vocab))
    out: dict[str, Thresholds] = {}
    for chunking in index.strategies:
        points = calibration_points(retriever, questions, chunking)
        for strategy in RETRIEVERS:
            if method == "model":
                out[f"{chunking}/{strategy}"], _ = calibrate_model(points, strategy, target=target)
            else:
                out[f"{chunking}/{strategy}"], _ = calibrate(points, strategy, max_false_abstention=max_false_abstention,
                                                             objective=objective, use_unknown=use_unknown)
    if save:
        save_thresholds(out, fusion=fusion, question_vocabulary=sorted(vocab), note=note or f"calibrated on {len(questions)} labelled questions, "
                                                         f"false abstention <= {max_false_abstention:.0%}")
    return out


def end_to_end(retriever: Retriever, client: Any, questions: Sequence[Question], *, chunking: str = "section",
               strategy: str = "hybrid", k: int = 5, model: str | None = None) -> EndToEnd:
    """Answer every question through the model and validate: citations, flags, abstention, latency."""
    answered = invalid = flagged = 0
    valid_replies = 0
    latencies: list[float] = []
    abst_ans = abst_una = n_ans = n_una = 0
    usable = stale = 0
    rows: list[dict[str, Any]] = []
    for q in questions:
        t0 = time.perf_counter()
        res = retriever.retrieve(q.question, q.roles, strategy=strategy, chunking=chunking, k=k)
        a = answer(res, client, model=model or DEFAULT_CHAT_MODEL, started=t0)
        latencies.append(a.total_ms)
        status = {h.chunk_id: h.status for h in a.hits}
        stale += sum(1 for c in a.citations if status.get(c, "current") != "current")
        labels = q.labels()
        top = max(labels.values(), default=0)
        cited = {c.split("@", 1)[0] for c in a.citations}
        ok = q.answerable and a.status == "answered" and bool(cited & {u for u, g in labels.items() if g == top})
        usable += ok
        rows.append({"qid": q.qid, "answerable": q.answerable, "status": a.status, "usable": ok,
                     "reason": a.reason[:200], "citations": a.citations})
        if a.model_reply is not None and not a.model_reply.startswith("I cannot answer"):
            valid_replies += 0 if a.invalid_citations else 1
            invalid += len(a.invalid_citations)
        answered += a.status == "answered"
        flagged += a.flagged
        if q.answerable:
            n_ans += 1
            abst_ans += a.status == "abstained"
        else:
            n_una += 1
            abst_una += a.status == "abstained"
    replies = sum(1 for _ in questions)  # denominator below uses model replies that claimed an answer
    del replies
    claimed = max(1, answered + flagged)
    return EndToEnd(chunking=chunking, strategy=strategy, questions=len(questions), answered=answered,
                    citation_validity=round(valid_replies / claimed, 4), invalid_citations=invalid, flagged=flagged,
                    correct_abstention=round(abst_una / n_una, 4) if n_una else 1.0,
                    false_abstention=round(abst_ans / n_ans, 4) if n_ans else 0.0,
                    latency_ms=percentiles(latencies), answerable=n_ans, usable=usable, stale_citations=stale,
                    per_question=rows)


def evaluate(index: RagIndex, questions: Sequence[Question], *, client: Any = None,
             strategies: Sequence[str] = RETRIEVERS, chunkings: Sequence[str] | None = None,
             thresholds: dict[str, Thresholds] | None = None, check_leakage: bool = True,
             e2e_limit: int | None = None, progress: bool = False,
             truth: dict[tuple[str, int], tuple[set[str], str]] | None = None) -> EvalReport:
    """The whole evaluation; ``client`` enables the end-to-end part (section / hybrid).

    ``truth`` ((doc_id, version) -> (roles, status)) is what leakage is checked against;
    by default the ``kb_documents`` table.
    """
    retriever = Retriever(index, thresholds=thresholds)
    configs: list[ConfigResult] = []
    chunkings = list(chunkings or index.strategies)
    for chunking in chunkings:
        for strategy in strategies:
            configs.append(run_config(retriever, questions, chunking, strategy))
    leak = (leakage(index, questions, chunkings=chunkings, truth=truth) if check_leakage
            else {"checked": 0, "leaks": 0})
    e2e = None
    if client is not None:
        subset = list(questions)[: e2e_limit] if e2e_limit else list(questions)
        e2e = end_to_end(retriever, client, subset, chunking="section" if "section" in chunkings else chunkings[0])
    return EvalReport(questions=len(questions), configs=configs, leakage=leak, end_to_end=e2e,
                      thresholds={k: v.model_dump() for k, v in retriever.thresholds.items()})


def frames(report: EvalReport) -> dict[str, Any]:
    """pandas DataFrames for notebooks: ``retrieval`` (metrics), ``abstention``, ``latency``."""
    import pandas as pd

    idx = pd.MultiIndex.from_tuples([(c.chunking, c.strategy) for c in report.configs], names=["chunking", "strategy"])
    retrieval = pd.DataFrame([c.metrics for c in report.configs], index=idx)
    abstention = pd.DataFrame([{"correct_abstention": c.correct_abstention, "false_abstention": c.false_abstention,
                                "answerable": c.answerable, "unanswerable": c.unanswerable} for c in report.configs], index=idx)
    latency = pd.DataFrame([c.latency_ms for c in report.configs], index=idx)
    return {"retrieval": retrieval, "abstention": abstention, "latency": latency}


def plot(report: EvalReport, metrics: Sequence[str] = ("recall@5", "ndcg@10", "mrr", "precision@5")) -> Any:
    """A matplotlib figure: the chosen metrics per (chunking, strategy), one bar group each."""
    import matplotlib

    matplotlib.use(matplotlib.get_backend() or "Agg")
    import matplotlib.pyplot as plt

    table = frames(report)["retrieval"]
    fig, ax = plt.subplots(figsize=(8, 4))
    names = [f"{c}/{s}" for c, s in table.index]
    width = 0.8 / max(1, len(metrics))
    for i, m in enumerate(metrics):
        if m in table.columns:
            ax.bar([x + i * width for x in range(len(names))], table[m].values, width, label=m)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(names))], names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title("Retrieval quality per chunking / strategy")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def summary_table(report: EvalReport) -> str:
    """A plain-text table of the headline numbers (for the CLI and the benchmark)."""
    lines = [f"{'config':<18}{'P@5':>7}{'R@5':>7}{'MRR':>7}{'nDCG@10':>9}{'hit@5':>7}{'abst+':>7}{'abst-':>7}{'p50ms':>8}{'p95ms':>8}"]
    for c in report.configs:
        m = c.metrics
        lines.append(f"{c.chunking + '/' + c.strategy:<18}{m.get('precision@5', 0):>7.3f}{m.get('recall@5', 0):>7.3f}"
                     f"{m.get('mrr', 0):>7.3f}{m.get('ndcg@10', 0):>9.3f}{m.get('hit@5', 0):>7.3f}"
                     f"{c.correct_abstention:>7.2f}{c.false_abstention:>7.2f}{c.latency_ms['p50']:>8.1f}{c.latency_ms['p95']:>8.1f}")
    lk = report.leakage
    lines.append(f"permission leakage: {lk.get('leaks', 0)} leaks, {lk.get('superseded_returned', 0)} superseded "
                 f"in {lk.get('checked', 0)} checked candidates")
    if report.end_to_end:
        e = report.end_to_end
        lines.append(f"end to end ({e.chunking}/{e.strategy}, {e.questions} q): answered {e.answered}, "
                     f"citation validity {e.citation_validity:.3f}, flagged {e.flagged}, "
                     f"abstention +{e.correct_abstention:.2f}/-{e.false_abstention:.2f}, "
                     f"p50 {e.latency_ms['p50']:.1f} ms, p95 {e.latency_ms['p95']:.1f} ms")
    return "\n".join(lines)
