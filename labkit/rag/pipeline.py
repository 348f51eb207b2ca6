"""Pattern 2, RAG: permission-aware retrieval over the knowledge base that answers with
checked citations or abstains.

This module composes the other modules of ``labkit/rag/`` into the one object the CLI, the
service and the notebooks use:

- ingestion from the DuckDB knowledge base (``kb_documents`` / ``kb_sections``) into Chroma
  (vectors from the provider's ``/v1/embeddings`` via the resilient client) and a BM25 index
  in DuckDB, incremental on re-runs (:mod:`labkit.rag.index`);
- dense / lexical / hybrid retrieval with the caller's roles filtering inside each query and
  superseded versions excluded, abstaining on weak raw evidence (:mod:`labkit.rag.retrieve`);
- answering through the resilient client with sources fenced as untrusted data, citations
  and sentence support validated (:mod:`labkit.rag.answer`);
- evaluation on labelled questions (:mod:`labkit.rag.evaluate`).

Every ask emits one ``rag`` telemetry event (strategy, status, latencies, hit count,
injection-flagged chunks). It never calls the provider except through the resilient client.

Example:
    >>> rag = RagPipeline.from_env()                                  # doctest: +SKIP
    >>> rag.ingest(limit=30).strategies["section"].added              # doctest: +SKIP
    171
    >>> a = rag.ask("How many user seats are included in a SwiftNest workspace?", role="employee")  # doctest: +SKIP
    >>> a.status, a.citations                                         # doctest: +SKIP
    ('answered', ['DOC-0236#s5@v1:c0'])
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from labkit.direct import ModelClient, ResilientClient
from labkit.errors import ConfigError
from labkit.rag.answer import DEFAULT_CHAT_MODEL, Answer, answer
from labkit.rag.dense import http_client, persistent_client
from labkit.rag.evaluate import EvalReport, Question, evaluate, load_questions
from labkit.rag.index import EMBED_MODEL, IngestReport, RagIndex, load_documents
from labkit.rag.retrieve import Retrieval, Retriever, Thresholds
from labkit.settings import datasets_dir
from labkit.telemetry.events import emit

DEFAULT_QUESTIONS = "eval/retrieval_questions.jsonl"


def chroma_from_env(url: str | None = None) -> Any:
    """``LABKIT_CHROMA_URL`` (``http://host:port``) -> an HttpClient; otherwise the embedded store."""
    url = url or os.environ.get("LABKIT_CHROMA_URL")
    if not url:
        return persistent_client()
    parsed = urlparse(url)
    if not parsed.hostname or not parsed.port:
        raise ConfigError(f"LABKIT_CHROMA_URL must look like http://host:port, got {url!r}")
    return http_client(parsed.hostname, parsed.port)


class RagPipeline:
    """Ingest, retrieve, ask and evaluate: the RAG pattern behind one object."""

    def __init__(self, client: ModelClient, *, chroma: Any = None, lexical_path: str | Path | None = None,
                 chat_model: str = DEFAULT_CHAT_MODEL, embed_model: str = EMBED_MODEL,
                 thresholds: dict[str, Thresholds] | None = None, doc_context: bool = True) -> None:
        self.client = client
        self.chat_model = chat_model
        self.index = RagIndex(client, chroma=chroma, lexical_path=lexical_path, embed_model=embed_model)
        self.retriever = Retriever(self.index, thresholds=thresholds, doc_context=doc_context)

    @classmethod
    def from_env(cls, **kwargs: Any) -> RagPipeline:
        """A pipeline on ``ResilientClient.from_env()`` and the Chroma named by the environment."""
        kwargs.setdefault("chroma", chroma_from_env())
        return cls(ResilientClient.from_env(), **kwargs)

    def close(self) -> None:
        """Release the DuckDB index file."""
        self.index.close()

    def ingest(self, *, limit: int | None = None, doc_ids: Sequence[str] | None = None,
               progress: bool = True) -> IngestReport:
        """(Re-)ingest the knowledge base (or the first ``limit`` documents, or ``doc_ids``)."""
        docs = load_documents(limit=limit, doc_ids=doc_ids)
        prune = "all" if limit is None and doc_ids is None else "documents"
        report = self.index.ingest(docs, prune=prune, progress=progress)
        emit("rag_ingest", documents=report.documents, seconds=round(report.seconds, 3),
             chunks_per_s=round(report.chunks_per_s, 1),
             **{f"{s}_{k}": v for s, r in report.strategies.items() for k, v in r.model_dump().items()})
        return report

    def ensure_ingested(self, *, progress: bool = False) -> None:
        """Ingest once when the index is empty (the CLI's first ``ask``)."""
        if any(self.index.lexical.count(s) == 0 for s in self.index.strategies):
            self.ingest(progress=progress)

    def retrieve(self, question: str, role: str | Sequence[str], *, strategy: str = "hybrid",
                 chunking: str = "section", k: int = 5, include_superseded: bool = False) -> Retrieval:
        """The top ``k`` chunks the caller may see, and the abstention decision."""
        return self.retriever.retrieve(question, role, strategy=strategy, chunking=chunking, k=k,
                                       include_superseded=include_superseded)

    def ask(self, question: str, role: str | Sequence[str], *, strategy: str = "hybrid",
            chunking: str = "section", k: int = 5) -> Answer:
        """Retrieve, answer through the model, validate; or abstain and say why."""
        t0 = time.perf_counter()
        retrieval = self.retrieve(question, role, strategy=strategy, chunking=chunking, k=k)
        result = answer(retrieval, self.client, model=self.chat_model, started=t0)
        emit("rag", pattern="rag", strategy=strategy, chunking=chunking, k=k, roles=result.roles,
             status=result.status, flagged=result.flagged, hits=len(result.hits),
             citations=len(result.citations), injection_flagged_chunks=len(result.injection_flagged_chunks),
             best_dense=retrieval.evidence.best_dense, best_lexical=retrieval.evidence.best_lexical,
             retrieval_ms=round(result.retrieval_ms, 2), latency_ms=round(result.total_ms, 2),
             reason=result.reason[:200])
        return result

    def evaluate(self, questions: str | Path | Sequence[Question] | None = None, *, answer_limit: int | None = 40,
                 check_leakage: bool = True) -> EvalReport:
        """The whole evaluation on a questions file (default: the lab's labelled set)."""
        if questions is None:
            questions = datasets_dir() / DEFAULT_QUESTIONS
        qs = load_questions(questions) if isinstance(questions, (str, Path)) else list(questions)
        return evaluate(self.index, qs, client=self.client if answer_limit != 0 else None,
                        thresholds=self.retriever.thresholds, check_leakage=check_leakage,
                        e2e_limit=answer_limit)
