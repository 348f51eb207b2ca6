"""RAG building blocks on small hand-made documents: chunking, BM25, Chroma, re-ingestion,
metrics, fusion and abstention calibration. No provider needed: vectors come from the
provider's own hashing embedder, called in-process."""

from __future__ import annotations

import math

import pytest

from labkit.data.access import caller_roles
from labkit.errors import InputError, UnknownRole
from labkit.provider.embeddings import embed_text
from labkit.rag.chunking import DocumentIn, SectionIn, chunk_document, split_fixed
from labkit.rag.dense import persistent_client
from labkit.rag.index import RagIndex
from labkit.rag.lexical import LexicalIndex, analyze
from labkit.rag.metrics import all_metrics, ndcg_at_k
from labkit.rag.retrieve import CalibrationPoint, Retriever, Thresholds, calibrate, rrf
from labkit.tokens import count_tokens


class HashEmbedder:
    """The provider's embedding function, called in-process (same vectors as /v1/embeddings)."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def embed(self, texts: list[str], **_: object) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return [list(embed_text(t)) for t in texts]


def doc(doc_id: str, version: int, title: str, sections: list[tuple[str, str]], *, roles=("employee",),
        status: str = "current") -> DocumentIn:
    return DocumentIn(
        doc_id=doc_id, version=version, title=title, status=status, roles=list(roles),
        updated_at=f"2026-0{version}-01T00:00:00",
        sections=[SectionIn(section_id=f"{doc_id}#s{i}", ordinal=i, heading=h, text=t)
                  for i, (h, t) in enumerate(sections, start=1)])


CORPUS = [
    doc("DOC-0001", 1, "Travel policy", [
        ("Booking flights", "Economy class is required for flights under six hours. Book through the travel portal."),
        ("Hotels", "Hotel rates are capped at 180 euros per night in capital cities.")]),
    doc("DOC-0002", 1, "Salary bands", [
        ("Engineering bands", "Senior engineers are paid between 90000 and 120000 per year."),
        ("Review cycle", "Salary reviews happen every April.")], roles=("hr",)),
    doc("DOC-0003", 1, "Password policy", [
        ("Rotation", "Passwords must be rotated every 90 days."),
        ("Length", "Passwords need at least 12 characters.")], status="superseded"),
    doc("DOC-0003", 2, "Password policy", [
        ("Rotation", "Passwords are rotated only after a suspected compromise."),
        ("Length", "Passwords need at least 14 characters.")]),
]


@pytest.fixture
def index(tmp_path):
    idx = RagIndex(HashEmbedder(), chroma=persistent_client(tmp_path / "chroma"),
                   lexical_path=tmp_path / "bm25.duckdb")
    idx.ingest(CORPUS, progress=False)
    yield idx
    idx.close()


def test_fixed_windows_respect_size_and_overlap():
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    windows = split_fixed(text, size=40, overlap=12)
    assert len(windows) > 3
    assert all(count_tokens(w) <= 40 for w in windows)
    # consecutive windows share their boundary sentence(s)
    for a, b in zip(windows, windows[1:]):
        assert a.split(". ")[-1].rstrip(".") in b
    with pytest.raises(InputError):
        split_fixed(text, size=10, overlap=10)


def test_section_chunks_carry_metadata_and_stable_ids():
    chunks = chunk_document(CORPUS[1], "section")
    assert [c.chunk_id for c in chunks] == ["DOC-0002#s1@v1:c0", "DOC-0002#s2@v1:c0"]
    c = chunks[0]
    assert (c.doc_id, c.version, c.section_id, c.status, c.roles) == ("DOC-0002", 1, "DOC-0002#s1", "current", ["hr"])
    assert c.updated_at.startswith("2026-01-01")
    assert "Salary bands" in c.text and "Engineering bands" in c.text
    assert [x.chunk_id for x in chunk_document(CORPUS[1], "section")] == [x.chunk_id for x in chunks]
    fixed = chunk_document(CORPUS[0], "fixed", size=20, overlap=0)
    assert {x.section_id for x in fixed} == {"DOC-0001#s1", "DOC-0001#s2"}
    assert len({x.chunk_id for x in fixed}) == len(fixed)
    # a window crossing a heading says so: it stands for both sections in the evaluation
    spanning = chunk_document(CORPUS[0], "fixed", size=30, overlap=8)
    assert any(x.covers == ["DOC-0001#s1", "DOC-0001#s2"] for x in spanning)
    assert all(x.covers[0] == x.section_id for x in spanning)


def test_bm25_matches_the_fts_formula():
    lex = LexicalIndex(":memory:")
    chunks = [c for d in CORPUS for c in chunk_document(d, "section")]
    lex.upsert("section", chunks)
    hits = lex.search("section", "hotel rates per night", ["employee"], 5)
    assert hits[0][0] == "DOC-0001#s2@v1:c0"
    # recompute the winner's score by hand over the visible current chunks
    visible = [c for c in chunks if c.status == "current" and "employee" in c.roles]
    n = len(visible)
    lengths = {c.chunk_id: len(analyze(c.text)) for c in visible}
    avgdl = sum(lengths.values()) / n
    target = next(c for c in visible if c.chunk_id == hits[0][0])
    expected = 0.0
    for term in set(analyze("hotel rates per night")):
        df = sum(1 for c in visible if term in analyze(c.text))
        tf = analyze(target.text).count(term)
        if df and tf:
            idf = math.log((n - df + 0.5) / (df + 0.5) + 1)
            expected += idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * lengths[target.chunk_id] / avgdl))
    assert hits[0][1] == pytest.approx(expected, rel=1e-9)


def test_role_filter_is_inside_both_queries(index):
    r = Retriever(index, thresholds={})
    for strategy in ("dense", "lexical", "hybrid"):
        employee = r.retrieve("salary of senior engineers", "employee", strategy=strategy, k=10)
        assert all(h.doc_id != "DOC-0002" for h in employee.hits), strategy
        hr = r.retrieve("salary of senior engineers", "hr", strategy=strategy, k=10)
        assert hr.hits[0].doc_id == "DOC-0002", strategy
    # the stores themselves never return the restricted chunk to a caller without the role
    vec = index.embed(["salary of senior engineers"])[0]
    assert all(not i.startswith("DOC-0002") for i, _ in index.dense["section"].search(vec, ["employee"], 50))
    assert all(not i.startswith("DOC-0002") for i, _ in index.lexical.search("section", "salary senior engineers", ["employee"], 50))
    # and the row fetch refuses it even when asked by id
    assert index.lexical.fetch("section", ["DOC-0002#s1@v1:c0"], ["employee"]) == {}


def test_superseded_versions_are_excluded_by_default(index):
    r = Retriever(index, thresholds={})
    for strategy in ("dense", "lexical", "hybrid"):
        res = r.retrieve("how often are passwords rotated", "employee", strategy=strategy, k=10)
        assert res.hits and all(h.version == 2 for h in res.hits if h.doc_id == "DOC-0003"), strategy
        old = r.retrieve("how often are passwords rotated", "employee", strategy=strategy, k=10, include_superseded=True)
        assert any(h.version == 1 for h in old.hits), strategy


def test_incremental_reingestion_updates_without_duplicates(index):
    emb = index.embedder
    before = index.stats()
    again = index.ingest(CORPUS, progress=False)
    assert all(s.unchanged == s.chunks and s.embedded == 0 for s in again.strategies.values())
    assert index.stats() == before
    # a new version supersedes v2; v2 becomes superseded (metadata only, no re-embedding)
    v2_old = CORPUS[3].model_copy(update={"status": "superseded"})
    v3 = doc("DOC-0003", 3, "Password policy", [
        ("Rotation", "Passwords are never rotated on a schedule."),
        ("Length", "Passwords need at least 16 characters.")])
    texts_before = emb.texts
    rep = index.ingest([CORPUS[2], v2_old, v3], progress=False)
    sec = rep.strategies["section"]
    assert sec.metadata_only == 2 and sec.added == 2 and sec.deleted == 0
    assert emb.texts - texts_before == sum(s.added + s.reembedded for s in rep.strategies.values())
    # a text edit in place replaces the chunk (same id), a removed section is deleted
    v3_edit = doc("DOC-0003", 3, "Password policy", [("Rotation", "Passwords rotate yearly.")])
    rep = index.ingest([CORPUS[2], v2_old, v3_edit], progress=False)
    assert rep.strategies["section"].reembedded == 1 and rep.strategies["section"].deleted == 1
    stats = index.stats()
    assert stats["section"]["dense"] == stats["section"]["lexical"]
    ids = list(index.lexical.entries("section"))
    assert len(ids) == len(set(ids))
    r = Retriever(index, thresholds={})
    res = r.retrieve("how often are passwords rotated", "employee", strategy="hybrid", k=10)
    assert {h.version for h in res.hits if h.doc_id == "DOC-0003"} == {3}
    assert any("yearly" in h.text for h in res.hits)


def test_bad_input_is_refused_cleanly(index):
    r = Retriever(index, thresholds={})
    with pytest.raises(InputError, match="empty"):
        r.retrieve("   ", "employee")
    with pytest.raises(UnknownRole, match="unknown role 'pirate'"):
        r.retrieve("hotel rates", "pirate")
    with pytest.raises(InputError, match="too long"):
        r.retrieve("hotel " * 2000, "employee")
    with pytest.raises(InputError, match="strategy"):
        r.retrieve("hotel rates", "employee", strategy="magic")
    assert caller_roles("hr") == ["employee", "hr"]


def test_metrics_on_a_known_ranking():
    labels = {"A": 3, "B": 1}
    m = all_metrics(["X", "A", "A", "B", "Y"], labels, ks=(1, 3))
    assert m["mrr"] == 0.5 and m["hit@1"] == 0.0 and m["hit@3"] == 1.0
    assert m["precision@3"] == pytest.approx(2 / 3) and m["recall@3"] == 1.0
    ideal = 7 + 1 / math.log2(3)
    assert m["ndcg@3"] == pytest.approx((7 / math.log2(3) + 1 / 2) / ideal)
    assert ndcg_at_k(["A", "B"], labels, 2) == 1.0


def test_rrf_and_calibration():
    fused = rrf([["a", "b", "c"], ["c", "a"]])
    assert [i for i, _ in fused] == ["a", "c", "b"]
    pts = [CalibrationPoint(answerable=True, best_dense=0.6 + i / 100, best_lexical=5 + i) for i in range(20)]
    pts += [CalibrationPoint(answerable=False, best_dense=0.2 + i / 100, best_lexical=1 + i / 10) for i in range(10)]
    th, rates = calibrate(pts, "hybrid")
    assert rates == {"correct_abstention": 1.0, "false_abstention": 0.0}
    th_d, _ = calibrate(pts, "dense")
    assert 0.29 < th_d.dense < 0.6
    assert isinstance(th, Thresholds)


def test_abstention_uses_raw_evidence(index):
    r = Retriever(index, thresholds={"section/hybrid": Thresholds(dense=0.3, lexical=1.0, rule="all")})
    weak = r.retrieve("quarterly volcano migration of penguins", "employee", strategy="hybrid")
    assert weak.abstain and "evidence too weak" in weak.reason
    strong = r.retrieve("hotel rates per night in capital cities", "employee", strategy="hybrid")
    assert not strong.abstain and strong.evidence.best_dense > 0.3


def test_evaluation_tables_and_plot(index, tmp_path):
    import json as _json

    from labkit.rag.evaluate import evaluate, frames, load_questions, plot, summary_table

    qfile = tmp_path / "q.jsonl"
    rows = [
        {"qid": "Q1", "question": "What are hotel rates per night in capital cities?", "roles": ["employee"],
         "relevant": [{"doc_id": "DOC-0001", "section_id": "DOC-0001#s2", "grade": 2}], "answerable": True,
         "kind": "single", "answer": "180 euros"},
        {"qid": "Q2", "question": "What salary do senior engineers get?", "roles": ["hr"],
         "relevant": [{"doc_id": "DOC-0002", "section_id": "DOC-0002#s1", "grade": 2}], "answerable": True,
         "kind": "restricted", "answer": "90000 to 120000"},
        {"qid": "Q3", "question": "Who won the table tennis tournament?", "roles": ["employee"], "relevant": [],
         "answerable": False, "kind": "unanswerable", "answer": ""},
    ]
    qfile.write_text("\n".join(_json.dumps(r) for r in rows) + "\n")
    truth = {(d.doc_id, d.version): (set(d.roles), d.status) for d in CORPUS}
    report = evaluate(index, load_questions(qfile), thresholds={}, truth=truth)
    tables = frames(report)
    assert tables["retrieval"].loc[("section", "lexical"), "mrr"] == 1.0
    assert set(tables["retrieval"].index.get_level_values("strategy")) == {"dense", "lexical", "hybrid"}
    assert report.leakage["leaks"] == 0 and report.leakage["checked"] > 0
    fig = plot(report)
    fig.savefig(tmp_path / "rag.png")
    assert (tmp_path / "rag.png").stat().st_size > 1000
    assert "section/hybrid" in summary_table(report)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "Q1", "question": "hi", "roles": ["pirate"]}\n')
    with pytest.raises(UnknownRole):
        load_questions(bad)


def test_a_locked_index_is_a_clean_error(tmp_path):
    import subprocess
    import sys

    import duckdb

    from labkit.errors import LabkitError
    from labkit.rag.lexical import IndexUnavailable

    path = tmp_path / "bm25.duckdb"
    LexicalIndex(path).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexUnavailable, match="cannot open the BM25 index") as exc:
            LexicalIndex(path, read_only=True)
        # one-line message for the CLI, and still a duckdb.Error for callers that wait for the lock
        assert isinstance(exc.value, LabkitError) and isinstance(exc.value, duckdb.Error)
    finally:
        holder.kill()
        holder.wait()
