"""The cheaper retrieval path (issue 14, round 3) gives the same answers as the one it replaced.

- BM25: postings from DuckDB, the formula in Python (:func:`labkit.rag.lexical.bm25_scores`)
  against the single SQL statement it replaced, kept here as the oracle;
- the dense search filtered by the ids the caller may see against Chroma's metadata ``where``;
- the in-memory caches (visible ids, chunk rows, chunk fact profiles) are dropped on writes,
  and a cached row still goes through the role and status check;
- typo correction picks the same word whatever the hash seed.

No timing assertions: latency is measured by ``loadtests/bench_rag.py``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from test_rag_index import CORPUS, HashEmbedder, doc

from labkit.rag.chunking import chunk_document
from labkit.rag.dense import persistent_client
from labkit.rag.index import RagIndex
from labkit.rag.lexical import K1, B, LexicalIndex, analyze
from labkit.rag.retrieve import Retriever

# The one-statement BM25 the lexical index ran until round 3 (visibility, statistics, df,
# scores and the coverage evidence in SQL): the reference the Python scoring must equal.
ORACLE_SQL = f"""
WITH visible AS MATERIALIZED (
    SELECT chunk_id, n_terms FROM rag_chunks
    WHERE idx = $idx AND (status = 'current' OR $include_superseded)
      AND list_has_any(roles, $roles::VARCHAR[])
),
stats AS (SELECT count(*)::DOUBLE AS n, greatest(avg(n_terms), 1)::DOUBLE AS avgdl FROM visible),
postings AS MATERIALIZED (
    SELECT t.chunk_id, t.term, t.tf, v.n_terms FROM rag_terms t JOIN visible v USING (chunk_id)
    WHERE t.idx = $idx AND t.term IN (SELECT unnest($terms::VARCHAR[]))
),
df AS (SELECT term, count(*)::DOUBLE AS df FROM postings GROUP BY term)
SELECT p.chunk_id,
       sum(ln((s.n - df.df + 0.5) / (df.df + 0.5) + 1)
           * p.tf * ({K1} + 1) / (p.tf + {K1} * (1 - {B} + {B} * p.n_terms / s.avgdl))) AS score,
       max(sum(ln((s.n - df.df + 0.5) / (df.df + 0.5) + 1))) OVER () AS best_matched_idf,
       (SELECT sum(ln((s2.n - d.df + 0.5) / (d.df + 0.5) + 1)) FROM df d CROSS JOIN stats s2) AS present_idf,
       (SELECT count(*) FROM df) AS present_terms,
       (SELECT list(term) FROM df) AS present_list,
       any_value(s.n) AS n
FROM postings p JOIN df USING (term) CROSS JOIN stats s
GROUP BY p.chunk_id
ORDER BY score DESC, p.chunk_id
LIMIT $k
"""

MORE = [
    doc("DOC-0004", 1, "Expenses", [
        ("Meals", "Meal allowance is 40 euros per day on business travel. Hotel breakfast counts as a meal."),
        ("Claims", "Expense claims are filed within 30 days of travel.")], roles=("employee", "finance")),
    doc("DOC-0005", 1, "Hotel guide", [
        ("Rates", "Hotel rates in capital cities follow the travel policy cap per night."),
        ("Loyalty", "Hotel loyalty points stay with the employee.")], roles=("hr", "finance")),
]


def oracle(lex: LexicalIndex, query: str, roles: list[str], k: int, include_superseded: bool):
    terms = sorted(set(analyze(query)))
    rows = lex._cursor().execute(ORACLE_SQL, {"idx": "section", "roles": roles, "terms": terms, "k": k,
                                              "include_superseded": include_superseded}).fetchall()
    if not rows:
        return [], 0.0, terms
    present = set(rows[0][5] or [])
    best, present_idf, n_present, n = float(rows[0][2]), float(rows[0][3]), int(rows[0][4]), float(rows[0][6])
    total = present_idf + (len(terms) - n_present) * math.log((n + 0.5) / 0.5 + 1)
    return [(r[0], float(r[1])) for r in rows], best / total, [t for t in terms if t not in present]


@pytest.mark.parametrize("roles", [["employee"], ["hr"], ["finance", "employee"], ["legal"]])
@pytest.mark.parametrize("include_superseded", [False, True])
def test_bm25_in_python_equals_the_sql_statement_it_replaced(roles, include_superseded):
    lex = LexicalIndex(":memory:")
    lex.upsert("section", [c for d in CORPUS + MORE for c in chunk_document(d, "section")])
    for query in ("hotel rates per night", "passwords rotated every 90 days", "meal allowance business travel",
                  "salary senior engineers review", "hotel hotel loyalty quantum", "quantum entanglement"):
        got = lex.search_with_evidence("section", query, roles, 10, include_superseded=include_superseded)
        want = oracle(lex, query, roles, 10, include_superseded)
        assert [c for c, _ in got[0]] == [c for c, _ in want[0]], query
        assert [s for _, s in got[0]] == pytest.approx([s for _, s in want[0]], rel=1e-12), query
        assert got[1] == pytest.approx(want[1], rel=1e-12) and got[2] == want[2], query


@pytest.fixture
def index(tmp_path):
    idx = RagIndex(HashEmbedder(), chroma=persistent_client(tmp_path / "chroma"), lexical_path=tmp_path / "bm25.duckdb")
    idx.ingest(CORPUS + MORE, progress=False)
    yield idx
    idx.close()


def test_dense_search_within_visible_ids_equals_the_metadata_filter(index):
    for roles in (["employee"], ["hr"], ["finance"], ["hr", "employee"], ["legal"]):
        for sup in (False, True):
            visible = index.lexical.visible_ids("section", roles, include_superseded=sup)
            for q in ("salary of senior engineers", "hotel rates", "password length", "meal allowance"):
                vec = index.embed([q])[0]
                by_where = index.dense["section"].search(vec, roles, 50, include_superseded=sup)
                by_ids = index.dense["section"].search(vec, roles, 50, include_superseded=sup, visible=visible)
                assert [c for c, _ in by_ids] == [c for c, _ in by_where], (roles, sup, q)
                assert [s for _, s in by_ids] == pytest.approx([s for _, s in by_where])
                assert set(c for c, _ in by_ids) <= set(visible)
    assert index.lexical.visible_ids("section", ["legal"]) == []
    assert index.dense["section"].search(index.embed(["hotel"])[0], ["legal"], 5, visible=[]) == []


def test_caches_follow_writes_and_cached_rows_are_still_filtered(index):
    lex = index.lexical
    cid = "DOC-0004#s1@v1:c0"
    # fill the caches as a finance caller, then ask as callers who may not see the row
    assert cid in lex.visible_ids("section", ["finance"])
    assert cid in lex.fetch("section", [cid, "DOC-0002#s1@v1:c0"], ["finance", "hr"])
    assert lex.fetch("section", [cid, "DOC-0002#s1@v1:c0"], ["legal"]) == {}
    assert list(lex.fetch("section", [cid, "DOC-0002#s1@v1:c0"], ["hr"])) == ["DOC-0002#s1@v1:c0"]
    r = Retriever(index, thresholds={})
    r.warm_up()
    assert any(h.chunk_id == cid for h in r.retrieve("meal allowance per day", "finance", k=5).hits)
    # the document moves from all staff and finance to HR only: a metadata-only re-ingest
    changed = [d.model_copy(update={"roles": ["hr"]}) if d.doc_id == "DOC-0004" else d for d in CORPUS + MORE]
    rep = index.ingest(changed, progress=False)
    assert rep.strategies["section"].metadata_only == 2 and rep.strategies["section"].embedded == 0
    assert cid not in lex.visible_ids("section", ["finance"])
    assert lex.fetch("section", [cid], ["finance"]) == {}
    res = r.retrieve("meal allowance per day", "finance", k=5)
    assert all(h.doc_id != "DOC-0004" for h in res.hits)
    # a second index object on the same file sees writes made through the first
    other = LexicalIndex(index.lexical.path)
    try:
        assert cid not in other.visible_ids("section", ["finance"])
        index.ingest(CORPUS + MORE, progress=False)
        assert cid in other.visible_ids("section", ["finance"])
        assert cid in other.fetch("section", [cid], ["finance"])
    finally:
        other.close()
    # text changed under the same chunk id: the retriever's fact profile follows it
    edited = [d.model_copy(deep=True) for d in CORPUS + MORE]
    target = next(d for d in edited if d.doc_id == "DOC-0004")
    target.sections[0].text = "Meal allowance is 55 euros per day on business travel."
    index.ingest(edited, progress=False)
    hit = next(h for h in r.retrieve("meal allowance per day", "employee", k=5).hits if h.chunk_id == cid)
    assert "55 euros" in hit.facts and "40 euros" not in hit.facts


def test_typo_correction_is_the_same_in_every_process():
    # "seets" is one edit from both "seats" and "sets"; the vocabulary is a set, whose order
    # follows the hash seed, so the first-found candidate changed from process to process
    code = ("from labkit.rag.normalize import correct_typos; "
            "print(correct_typos(['seets'], {'sets', 'seats', 'sheets', 'seat'})['seets'])")
    seen = set()
    for seed in range(8):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)})
        seen.add(out.stdout.strip())
    # nearest, then the length closest to the typo's, then alphabetical
    assert seen == {"seats"}
