"""BM25 over a term table in DuckDB.

DuckDB's ``fts`` extension would download itself at run time, which the lab cannot do, so the
index is two ordinary tables (chunks, and one row per chunk and term with its frequency) and
the same Okapi BM25 formula as the extension's ``match_bm25`` macro (k1=1.2, b=0.75,
idf = ln((N - df + 0.5) / (df + 0.5) + 1)). Text is analysed the way the macro does by default:
lower-cased, split on non-alphanumerics, English stop words dropped, Snowball (Porter 2) stemmed.

How a query runs: one SQL query reads the postings of the query's terms (a few hundred rows);
the formula is applied to them in Python (:func:`bm25_scores`). A single SQL statement computing
everything (visibility, statistics, df, scores, coverage) gives the same scores, but DuckDB
spent about 6 of its 8 ms planning it, on every question; the split costs about 2 ms.

Only chunks the caller may see count: visibility (the caller's roles, current versions) is
read from the chunk table once per role set, and the corpus statistics (N, average length,
document frequency) come from the visible chunks only, so a restricted chunk neither ranks nor
shifts the scores of visible ones.

Reads that repeat on every question are cached in memory per index file and dropped on any
write through this process: the chunks a role set may see with their lengths
(:meth:`LexicalIndex.visible_ids`, also the dense search's filter) and chunk rows
(:meth:`LexicalIndex.fetch`, whose role and status check is applied to every row, cached or
not). No other process can write the file meanwhile: DuckDB lets one read-write process hold
it, or several read-only ones.

It does not embed, fuse or answer; ``labkit.rag.retrieve`` does that.

Example:
    >>> idx = LexicalIndex(":memory:")
    >>> from labkit.rag.chunking import Chunk
    >>> c = Chunk(chunk_id="D#s1@v1:c0", doc_id="D", version=1, section_id="D#s1", chunk_index=0,
    ...           status="current", roles=["employee"], updated_at="", text="Expense claims are paid monthly.",
    ...           content_hash="h", n_tokens=6)
    >>> idx.upsert("section", [c])
    >>> [(hit_id, round(score, 3)) for hit_id, score in idx.search("section", "expense claim", ["employee"])]
    [('D#s1@v1:c0', 0.575)]
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import snowballstemmer

from labkit.errors import DataError
from labkit.rag.chunking import Chunk

K1 = 1.2
B = 0.75

# a compact English stop list (the fts macro's list is longer; these carry the weight)
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves may must shall might also per via
""".split())

_WORD = re.compile(r"[a-z0-9]+")
_stemmer_local = threading.local()
#: writes per index file in this process: the key of the in-memory caches (several
#: LexicalIndex objects may open one file; a write through any of them invalidates all)
_WRITES: dict[str, int] = {}
_ROW_CACHE_MAX = 200_000


def _stemmer() -> snowballstemmer.stemmer:
    # snowball stemmer objects keep state; one per thread
    stem = getattr(_stemmer_local, "stem", None)
    if stem is None:
        stem = _stemmer_local.stem = snowballstemmer.stemmer("english")
    return stem


def analyze(text: str) -> list[str]:
    """Lower-case, split, drop stop words, stem: the terms BM25 indexes and queries.

    Example:
        >>> analyze("The Expense Claims were approved")
        ['expens', 'claim', 'approv']
    """
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    return _stemmer().stemWords(words) if words else []


_SCHEMA = """
CREATE TABLE IF NOT EXISTS rag_chunks (
    idx VARCHAR, chunk_id VARCHAR, doc_id VARCHAR, version INTEGER, section_id VARCHAR,
    chunk_index INTEGER, status VARCHAR, roles VARCHAR[], updated_at VARCHAR, title VARCHAR,
    heading VARCHAR, text VARCHAR, content_hash VARCHAR, n_terms INTEGER,
    PRIMARY KEY (idx, chunk_id));
ALTER TABLE rag_chunks ADD COLUMN IF NOT EXISTS covers VARCHAR[];
ALTER TABLE rag_chunks ADD COLUMN IF NOT EXISTS index_hash VARCHAR;
CREATE TABLE IF NOT EXISTS rag_terms (idx VARCHAR, chunk_id VARCHAR, term VARCHAR, tf INTEGER);
CREATE TABLE IF NOT EXISTS rag_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

# the postings of the query's terms; visibility and the formula are applied in Python
_POSTINGS_SQL = "SELECT chunk_id, term, tf FROM rag_terms WHERE idx = $idx AND term IN (SELECT unnest($terms::VARCHAR[]))"


def idf(n: float, df: float) -> float:
    """The fts macro's (Lucene's) BM25 idf: never negative, even for a term in every chunk.

    Example:
        >>> round(idf(100, 1), 3)
        4.21
    """
    return math.log((n - df + 0.5) / (df + 0.5) + 1)


def bm25_scores(postings: Iterable[tuple[str, str, int]], lengths: dict[str, int]
                ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """BM25 of every visible chunk that holds a query term, from the query terms' postings.

    ``postings`` are (chunk_id, term, tf) rows; ``lengths`` maps each chunk the caller may see
    to its length in terms (others are skipped: they count for neither N, df nor scores).
    Returns (score per chunk, idf per term present in a visible chunk, matched idf per chunk:
    the idf mass of the query terms the chunk contains). Sums are exact (``math.fsum``), so a
    score does not depend on the order DuckDB returns postings in.

    Example:
        >>> s, i, m = bm25_scores([("a", "x", 2), ("b", "x", 1), ("b", "y", 1)], {"a": 4, "b": 4, "c": 4})
        >>> sorted((c, round(v, 3)) for c, v in s.items())
        [('a', 0.646), ('b', 1.451)]
    """
    seen = [(c, t, tf) for c, t, tf in postings if c in lengths]
    if not seen:
        return {}, {}, {}
    n = float(len(lengths))
    avgdl = max(sum(lengths.values()) / n, 1.0)
    df: dict[str, int] = {}
    for _, term, _ in seen:
        df[term] = df.get(term, 0) + 1
    idfs = {term: idf(n, d) for term, d in df.items()}
    parts: dict[str, list[float]] = {}
    matched: dict[str, list[float]] = {}
    for cid, term, tf in seen:
        parts.setdefault(cid, []).append(
            idfs[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[cid] / avgdl)))
        matched.setdefault(cid, []).append(idfs[term])
    return ({c: math.fsum(v) for c, v in parts.items()}, idfs,
            {c: math.fsum(v) for c, v in matched.items()})


class IndexUnavailable(DataError, duckdb.Error):
    """The BM25 index file cannot be opened (usually: another process holds it for writing).

    Also a ``duckdb.Error``, so callers that wait for the lock (the service) keep working,
    while the CLI shows it as a one-line LabkitError.
    """


class LexicalIndex:
    """The BM25 index and chunk store in one DuckDB file (several named indexes side by side).

    ``idx`` names an index (the lab uses one per chunking strategy). The ``rag_chunks`` table
    is also the manifest incremental ingestion compares content hashes against, and the place
    retrieval reads chunk text from.
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        # ":memory:" is a new database per connection; a file is shared by every connection to it
        self._writes_key = f"memory:{id(self)}" if self.path == ":memory:" else str(Path(path).resolve())
        self._cache_at = -1
        self._visible: dict[tuple[str, tuple[str, ...], bool], dict[str, int]] = {}
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:  # typically: another process holds the file read-write
            raise IndexUnavailable(f"cannot open the BM25 index {self.path}: {str(exc).splitlines()[0][:200]}") from None
        self._write_lock = threading.Lock()
        # queries here are small and many; one thread per query avoids DuckDB's scheduling
        # overhead (measured: about half the latency on the lab's 2-core machine)
        self._con.execute("SET threads = 1")
        if not read_only:
            self._con.execute(_SCHEMA)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def _changed(self) -> None:
        _WRITES[self._writes_key] = _WRITES.get(self._writes_key, 0) + 1

    def _fresh(self) -> None:
        # drop the caches when the file was written since they were filled
        now = _WRITES.get(self._writes_key, 0)
        if now != self._cache_at:
            self._visible, self._rows = {}, {}
            self._cache_at = now

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # one cursor per call: a DuckDB connection object is not safe to share across threads
        return self._con.cursor()

    def manifest(self, idx: str) -> dict[str, str]:
        """chunk_id -> content hash of everything in index ``idx``."""
        rows = self._cursor().execute(
            "SELECT chunk_id, content_hash FROM rag_chunks WHERE idx = ?", [idx]).fetchall()
        return dict(rows)

    def entries(self, idx: str) -> dict[str, tuple[str, str, str, str, str]]:
        """chunk_id -> (content hash, doc_id, text, index hash, title) of everything in index ``idx``."""
        rows = self._cursor().execute(
            "SELECT chunk_id, content_hash, doc_id, text, coalesce(index_hash, ''), coalesce(title, '') "
            "FROM rag_chunks WHERE idx = ?", [idx]).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def get_meta(self, key: str) -> str | None:
        """A value of the index's metadata table (the corpus profile, ...), or None."""
        row = self._cursor().execute("SELECT value FROM rag_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in the index's metadata table."""
        with self._write_lock:
            self._cursor().execute("INSERT OR REPLACE INTO rag_meta VALUES (?, ?)", [key, value])

    def upsert(self, idx: str, chunks: Sequence[Chunk], index_texts: Sequence[str] | None = None,
               index_hashes: Sequence[str] | None = None) -> None:
        """Insert or replace ``chunks`` (and their postings) in index ``idx``, atomically.

        ``index_texts`` (one per chunk) is what BM25 indexes (default: the chunk's text; the
        pipeline passes the chunk's fact text, boilerplate left out); the chunk's own text is
        what is stored and shown. ``index_hashes`` records what was indexed, for re-ingestion.
        """
        if not chunks:
            return
        ids = [c.chunk_id for c in chunks]
        chunk_rows: list[tuple[Any, ...]] = []
        term_rows: list[tuple[Any, ...]] = []
        for i, c in enumerate(chunks):
            terms = Counter(analyze(index_texts[i] if index_texts is not None else c.text))
            chunk_rows.append((idx, c.chunk_id, c.doc_id, c.version, c.section_id, c.chunk_index,
                               c.status, list(c.roles), c.updated_at, c.title, c.heading, c.text,
                               c.content_hash, sum(terms.values()), list(c.covers or [c.section_id]),
                               index_hashes[i] if index_hashes is not None else None))
            term_rows.extend((idx, c.chunk_id, t, n) for t, n in terms.items())
        with self._write_lock:
            cur = self._cursor()
            cur.execute("BEGIN")
            try:
                self._delete(cur, idx, ids)
                cur.executemany(
                    "INSERT INTO rag_chunks (idx, chunk_id, doc_id, version, section_id, chunk_index, status, roles, "
                    "updated_at, title, heading, text, content_hash, n_terms, covers, index_hash) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", chunk_rows)
                if term_rows:
                    # bulk insert through a relation: executemany row by row is slow at 10x scale
                    import pandas as pd
                    frame = pd.DataFrame(term_rows, columns=["idx", "chunk_id", "term", "tf"])
                    cur.register("_terms_in", frame)
                    cur.execute("INSERT INTO rag_terms SELECT * FROM _terms_in")
                    cur.unregister("_terms_in")
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
            finally:
                self._changed()

    @staticmethod
    def _delete(cur: duckdb.DuckDBPyConnection, idx: str, ids: Sequence[str]) -> None:
        cur.execute("DELETE FROM rag_terms WHERE idx = ? AND chunk_id IN (SELECT unnest(?::VARCHAR[]))", [idx, list(ids)])
        cur.execute("DELETE FROM rag_chunks WHERE idx = ? AND chunk_id IN (SELECT unnest(?::VARCHAR[]))", [idx, list(ids)])

    def delete(self, idx: str, chunk_ids: Iterable[str]) -> None:
        """Remove chunks (and their postings) from index ``idx``."""
        ids = list(chunk_ids)
        if not ids:
            return
        with self._write_lock:
            cur = self._cursor()
            cur.execute("BEGIN")
            try:
                self._delete(cur, idx, ids)
                cur.execute("COMMIT")
            finally:
                self._changed()

    def search(self, idx: str, query: str, roles: Sequence[str], k: int = 10, *,
               include_superseded: bool = False) -> list[tuple[str, float]]:
        """The top ``k`` (chunk_id, BM25 score) the caller with ``roles`` may see."""
        return self.search_with_evidence(idx, query, roles, k, include_superseded=include_superseded)[0]

    def search_with_coverage(self, idx: str, query: str, roles: Sequence[str], k: int = 10, *,
                             include_superseded: bool = False) -> tuple[list[tuple[str, float]], float]:
        """Like :meth:`search`, plus the coverage evidence (see :meth:`search_with_evidence`)."""
        hits, coverage, _ = self.search_with_evidence(idx, query, roles, k, include_superseded=include_superseded)
        return hits, coverage

    def search_with_evidence(self, idx: str, query: str, roles: Sequence[str], k: int = 10, *,
                             include_superseded: bool = False) -> tuple[list[tuple[str, float]], float, list[str]]:
        """Like :meth:`search`, plus the query-term coverage of the best-covering visible chunk
        and the query terms (analysed) that no visible chunk contains at all.

        Coverage is the share of the query's idf mass found in one chunk: a query term no
        visible chunk contains counts with the largest idf (df = 0). Low coverage means the
        question asks about something the visible corpus never mentions, however well its
        other words (a product or region name) match. It is raw lexical evidence, like the
        BM25 score, and used for abstention only, never for ranking.
        """
        terms = sorted(set(analyze(query)))
        if not terms or not roles:
            return [], 0.0, terms
        lengths = self.visible(idx, roles, include_superseded=include_superseded)
        postings = self._cursor().execute(_POSTINGS_SQL, {"idx": idx, "terms": terms}).fetchall()
        scores, idfs, matched = bm25_scores(postings, lengths)
        if not scores:
            return [], 0.0, terms
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: int(k)]
        unseen = [t for t in terms if t not in idfs]
        # a query term no visible chunk contains counts with the largest idf (df = 0)
        total = math.fsum(idfs.values()) + len(unseen) * idf(float(len(lengths)), 0.0)
        coverage = max(matched.values()) / total if total > 0 else 0.0
        return ranked, coverage, unseen

    def visible(self, idx: str, roles: Sequence[str], *, include_superseded: bool = False) -> dict[str, int]:
        """chunk_id -> length in terms of every chunk of index ``idx`` a caller with ``roles``
        may see (current versions unless ``include_superseded``). Cached until the next write;
        the returned dict is shared: do not change it."""
        self._fresh()
        key = (idx, tuple(sorted(set(roles))), bool(include_superseded))
        found = self._visible.get(key)
        if found is None:
            rows = self._cursor().execute(
                "SELECT chunk_id, n_terms FROM rag_chunks WHERE idx = ? AND (status = 'current' OR ?) "
                "AND list_has_any(roles, ?::VARCHAR[]) ORDER BY chunk_id",
                [idx, bool(include_superseded), list(key[1])]).fetchall() if key[1] else []
            found = self._visible[key] = {r[0]: int(r[1] or 0) for r in rows}
        return found

    def visible_ids(self, idx: str, roles: Sequence[str], *, include_superseded: bool = False) -> list[str]:
        """Every chunk id of index ``idx`` a caller with ``roles`` may see, sorted: the filter
        of the dense search, read from the same rows with the same rule as BM25's.

        Example:
            >>> LexicalIndex(":memory:").visible_ids("section", ["employee"])
            []
        """
        return list(self.visible(idx, roles, include_superseded=include_superseded))

    def fetch(self, idx: str, chunk_ids: Sequence[str], roles: Sequence[str], *,
              include_superseded: bool = False) -> dict[str, dict[str, Any]]:
        """Rows of ``chunk_ids`` the caller may see (the role filter again: defence in depth).

        Rows are read once and cached until the next write; the role and status check runs
        on every call, on the row's own ``roles`` and ``status``.
        """
        if not chunk_ids:
            return {}
        self._fresh()
        missing = [c for c in dict.fromkeys(chunk_ids) if (idx, c) not in self._rows]
        if missing:
            cur = self._cursor()
            rows = cur.execute(
                """SELECT chunk_id, doc_id, version, section_id, chunk_index, status, roles, updated_at,
                          title, heading, text, covers FROM rag_chunks
                   WHERE idx = ? AND chunk_id IN (SELECT unnest(?::VARCHAR[]))""", [idx, missing]).fetchall()
            cols = [d[0] for d in cur.description]
            if len(self._rows) > _ROW_CACHE_MAX:
                self._rows = {}
            for r in rows:
                self._rows[(idx, r[0])] = dict(zip(cols, r))
        held = set(roles)
        out: dict[str, dict[str, Any]] = {}
        for cid in chunk_ids:
            row = self._rows.get((idx, cid))
            if row is not None and (row["status"] == "current" or include_superseded) and held & set(row["roles"] or ()):
                out[cid] = dict(row)
        return out

    def count(self, idx: str) -> int:
        """Number of chunks in index ``idx``."""
        row = self._cursor().execute("SELECT count(*) FROM rag_chunks WHERE idx = ?", [idx]).fetchone()
        return int(row[0]) if row else 0
