"""Ingestion: knowledge-base documents -> chunks -> vectors in Chroma + BM25 terms in DuckDB.

:class:`RagIndex` owns the two stores for every chunking strategy (one Chroma collection and
one named BM25 index per strategy) and keeps them in step:

- Embeddings come from the embedder (the resilient client's ``embed``, i.e. the provider's
  ``/v1/embeddings``), in batches, with a ``tqdm`` progress bar.
- Re-ingestion is incremental. Chunk ids are deterministic (doc, version, section, index)
  and each chunk carries a content hash over its text and filter metadata. Against the
  manifest (the DuckDB chunk table): unchanged chunks are skipped; chunks whose metadata
  changed (e.g. a version became ``superseded``) are updated in place without re-embedding;
  chunks whose text changed are re-embedded and replaced; chunks that no longer exist are
  deleted. Nothing is ever duplicated because ids never depend on run order.
- Chroma is written before the DuckDB manifest, so an interrupted run leaves the manifest
  behind the vectors and the next run repeats (idempotently) what was not recorded.
- What is embedded and BM25-indexed is a chunk's **fact text** (:mod:`labkit.rag.profile`):
  its "title — heading" line and its sentences that are not boilerplate. Boilerplate repeated
  across a hundred documents otherwise dominates both the vector and the term counts of a
  section whose one fact sentence is the answer. The chunk's full text is still what is stored,
  shown and quoted. The corpus profile is recomputed on a full ingest (``prune="all"`` or an
  empty index) and reused by partial ones; each chunk records a hash of its fact text, the
  profile and the embedding model, so a change of any of them re-embeds exactly the chunks
  it affects. Vectors of different embedding models live in different Chroma collections.

It does not rank or answer (``labkit.rag.retrieve``, ``labkit.rag.answer``).

Example:
    >>> idx = RagIndex(embedder=my_client, lexical_path=":memory:", chroma=persistent_client(tmp))  # doctest: +SKIP
    >>> idx.ingest(load_documents(limit=30)).strategies["section"].added  # doctest: +SKIP
    112
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from pydantic import BaseModel, Field
from tqdm.auto import tqdm

from labkit.data.access import ROLES
from labkit.data.catalogue import connect, ensure_loaded
from labkit.errors import DataError, InputError
from labkit.rag.chunking import (
    DEFAULT_CHUNK_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    STRATEGIES,
    Chunk,
    DocumentIn,
    SectionIn,
    chunk_document,
)
from labkit.rag.dense import DenseIndex, Embedder, persistent_client
from labkit.rag.lexical import LexicalIndex
from labkit.rag.profile import Profile, build_profile
from labkit.settings import var_dir

EMBED_MODEL = "lab-embed-minilm-2026-11"  # the semantic model (MiniLM); "lab-embed-2026-01" is the hashed one
# bump when what is indexed for a chunk changes (the fact-text recipe): every chunk re-indexes
INDEX_RECIPE = "facts-1"


class StrategyReport(BaseModel):
    """What one ingestion run did to one chunking strategy's stores."""

    chunks: int = 0
    added: int = 0
    reembedded: int = 0
    metadata_only: int = 0
    unchanged: int = 0
    deleted: int = 0
    embedded: int = 0


class IngestReport(BaseModel):
    """The outcome of :meth:`RagIndex.ingest`."""

    documents: int
    strategies: dict[str, StrategyReport] = Field(default_factory=dict)
    seconds: float = 0.0

    @property
    def chunks_per_s(self) -> float:
        """Chunks processed (embedded or not) per second over the whole run."""
        total = sum(s.chunks for s in self.strategies.values())
        return total / self.seconds if self.seconds > 0 else 0.0


def document_ids(con: Any = None) -> list[str]:
    """Every document id in the knowledge base (any version), sorted."""
    own = con is None
    if own:
        ensure_loaded()
        con = connect(read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT doc_id FROM kb_documents ORDER BY doc_id").fetchall()]
    finally:
        if own:
            con.close()


def load_documents(*, limit: int | None = None, doc_ids: Sequence[str] | None = None,
                   con: Any = None) -> list[DocumentIn]:
    """Read every document version (current and superseded) with its sections from DuckDB.

    ``limit`` takes the first N document ids (all their versions); ``doc_ids`` picks some.
    """
    own = con is None
    if own:
        ensure_loaded()
        con = connect(read_only=True)
    try:
        ids = document_ids(con)
        if doc_ids is not None:
            wanted = set(doc_ids)
            ids = [i for i in ids if i in wanted]
        if limit is not None:
            ids = ids[:limit]
        if not ids:
            return []
        docs = con.execute(
            """SELECT doc_id, version, title, status, roles, updated_at, department, body
               FROM kb_documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))
               ORDER BY doc_id, version""", [ids]).fetchall()
        secs = con.execute(
            """SELECT doc_id, version, section_id, ordinal, heading, text FROM kb_sections
               WHERE doc_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY doc_id, version, ordinal""",
            [ids]).fetchall()
    except Exception as exc:  # a missing table or column is a data problem, not a crash
        raise DataError(f"cannot read the knowledge base from DuckDB: {exc}") from exc
    finally:
        if own:
            con.close()
    by_key: dict[tuple[str, int], list[SectionIn]] = {}
    for doc_id, version, section_id, ordinal, heading, text in secs:
        by_key.setdefault((doc_id, int(version)), []).append(
            SectionIn(section_id=section_id, ordinal=int(ordinal or 0), heading=heading or "", text=text or ""))
    return [
        DocumentIn(doc_id=d[0], version=int(d[1]), title=d[2] or "", status=d[3], roles=list(d[4] or []),
                   updated_at=d[5], department=d[6], body=d[7], sections=by_key.get((d[0], int(d[1])), []))
        for d in docs
    ]


class RagIndex:
    """Both stores (Chroma vectors, DuckDB BM25) for every chunking strategy."""

    def __init__(self, embedder: Embedder, *, chroma: ClientAPI | None = None,
                 lexical_path: str | Path | None = None, embed_model: str = EMBED_MODEL,
                 strategies: Sequence[str] = STRATEGIES, chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
                 overlap_tokens: int = DEFAULT_OVERLAP_TOKENS) -> None:
        for s in strategies:
            if s not in STRATEGIES:
                raise InputError(f"unknown chunking strategy {s!r}; choose one of {', '.join(STRATEGIES)}")
        self.embedder = embedder
        self.embed_model = embed_model
        self.strategies = tuple(strategies)
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.chroma = chroma if chroma is not None else persistent_client()
        self.lexical = LexicalIndex(lexical_path if lexical_path is not None else var_dir() / "rag" / "bm25.duckdb")
        self.dense = {s: DenseIndex(self.chroma, s, model=embed_model) for s in self.strategies}
        self._profiles: dict[str, Profile] = {}

    def profile(self, strategy: str = "section") -> Profile:
        """The corpus profile (subjects, boilerplate, vocabulary) of one chunking's index."""
        cached = self._profiles.get(strategy)
        if cached is None:
            raw = self.lexical.get_meta(f"profile:{strategy}")
            cached = Profile.from_json(raw) if raw else Profile()
            self._profiles[strategy] = cached
        return cached

    def index_text(self, strategy: str, chunk: Chunk) -> str:
        """What is embedded and BM25-indexed for ``chunk``: its fact text (or all of it)."""
        return self.profile(strategy).fact_text(chunk.doc_id, chunk.text) or chunk.text

    def _index_hash(self, strategy: str, text: str) -> str:
        key = f"{INDEX_RECIPE}|{self.embed_model}|{self.profile(strategy).digest()}|{text}"
        return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()

    def close(self) -> None:
        """Close the DuckDB connection (Chroma clients need no closing)."""
        self.lexical.close()

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts`` through the embedder (the resilient client)."""
        try:
            return self.embedder.embed(texts, model=self.embed_model, pattern="rag")
        except TypeError:  # a plain embedder without the client's keyword arguments
            return self.embedder.embed(texts)

    def ingest(self, documents: Iterable[DocumentIn], *, batch_size: int = 64, prune: str = "documents",
               progress: bool = True) -> IngestReport:
        """Bring both stores in line with ``documents`` (every version of each document).

        ``prune="documents"`` deletes stale chunks of the documents passed in (a partial
        update); ``prune="all"`` also deletes chunks of documents not passed (the input is the
        whole corpus); ``prune="none"`` never deletes.
        """
        if prune not in ("documents", "all", "none"):
            raise InputError("prune must be one of documents, all, none")
        docs = list(documents)
        started = time.perf_counter()
        report = IngestReport(documents=len(docs))
        doc_ids = {d.doc_id for d in docs}
        for strategy in self.strategies:
            rep = StrategyReport()
            chunks: list[Chunk] = []
            for doc in docs:
                chunks.extend(chunk_document(doc, strategy, size=self.chunk_tokens, overlap=self.overlap_tokens))
            rep.chunks = len(chunks)
            seen: dict[str, Chunk] = {}
            for c in chunks:
                seen[c.chunk_id] = c  # a duplicate id in the input: the last one wins, never two rows
            entries = self.lexical.entries(strategy)
            stale = [cid for cid, e in entries.items() if cid not in seen
                     and (prune == "all" or (prune == "documents" and e[1] in doc_ids))]
            if prune == "all" or not self.lexical.get_meta(f"profile:{strategy}"):
                gone = set(stale)
                rows = [(c.doc_id, c.title, c.text) for c in seen.values()]
                rows += [(e[1], e[4], e[2]) for cid, e in entries.items() if cid not in seen and cid not in gone]
                profile = build_profile(rows)
                self.lexical.set_meta(f"profile:{strategy}", profile.to_json())
                self._profiles[strategy] = profile
            texts = {cid: self.index_text(strategy, c) for cid, c in seen.items()}
            hashes = {cid: self._index_hash(strategy, texts[cid]) for cid in seen}
            to_embed: list[Chunk] = []
            meta_only: list[Chunk] = []
            for cid, c in seen.items():
                old = entries.get(cid)
                if old is None:
                    rep.added += 1
                    to_embed.append(c)
                elif old[3] != hashes[cid] or old[2] != c.text:
                    # text, fact text, profile or embedding model changed: embed again
                    rep.reembedded += 1
                    to_embed.append(c)
                elif old[0] == c.content_hash:
                    rep.unchanged += 1
                else:
                    rep.metadata_only += 1
                    meta_only.append(c)
            dense = self.dense[strategy]
            bar = tqdm(total=len(to_embed), desc=f"embed {strategy}", unit="chunk", disable=not progress or not to_embed)
            for i in range(0, len(to_embed), batch_size):
                batch = to_embed[i : i + batch_size]
                vectors = self.embed([texts[c.chunk_id] for c in batch])
                if len(vectors) != len(batch):
                    raise DataError(f"embedder returned {len(vectors)} vectors for {len(batch)} texts")
                dense.upsert(batch, vectors, ROLES)
                self.lexical.upsert(strategy, batch, [texts[c.chunk_id] for c in batch],
                                    [hashes[c.chunk_id] for c in batch])
                rep.embedded += len(batch)
                bar.update(len(batch))
            bar.close()
            for i in range(0, len(meta_only), 512):
                batch = meta_only[i : i + 512]
                dense.update_metadata(batch, ROLES)
                self.lexical.upsert(strategy, batch, [texts[c.chunk_id] for c in batch],
                                    [hashes[c.chunk_id] for c in batch])
            for i in range(0, len(stale), 512):
                dense.delete(stale[i : i + 512])
                self.lexical.delete(strategy, stale[i : i + 512])
            rep.deleted = len(stale)
            report.strategies[strategy] = rep
        report.seconds = time.perf_counter() - started
        return report

    def stats(self) -> dict[str, dict[str, int]]:
        """Chunk counts per strategy in each store (they agree after a completed ingest)."""
        return {s: {"lexical": self.lexical.count(s), "dense": self.dense[s].count()} for s in self.strategies}
