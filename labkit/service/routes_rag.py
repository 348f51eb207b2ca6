"""Pattern 2 over HTTP: ask the knowledge base as yourself.

``POST /rag/ask`` retrieves with the caller's roles (from their API key, never from the
request body), so a caller can only ever be shown, or cited, documents their role may read;
the answer is validated by :mod:`labkit.rag.pipeline` (citations must be retrieved chunks,
sentences must be supported) or it abstains and says why.

Stores and replicas: the BM25 index is a DuckDB file, which allows one writer *or* many
readers across processes. The first process to need the index builds it if it is empty
(ingestion), then every process — that one included — reopens it read-only, so any number
of ``labkit serve --workers N`` processes can read it at once. Vectors live in Chroma: the
embedded store under ``var/chroma`` on one machine, or a ``chroma run`` server
(``LABKIT_CHROMA_URL``) shared by replicas on several.

It does not ingest on request: re-ingest with ``labkit rag ingest`` and restart the service.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from labkit.errors import DataError
from labkit.rag import normalize
from labkit.rag.lexical import LexicalIndex
from labkit.rag.pipeline import RagPipeline, chroma_from_env
from labkit.service.auth import Principal, current_principal
from labkit.service.deps import model_client, resource
from labkit.settings import var_dir


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("question is blank")
    return v


# One rule for every question the service takes (/rag/ask and /copilot): 1-2000 characters,
# not only whitespace.
Question = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_not_blank)]


class AskRequest(BaseModel):
    """A question for the knowledge base."""

    model_config = ConfigDict(extra="forbid")
    question: Question
    strategy: Literal["hybrid", "dense", "lexical"] = "hybrid"
    k: int = Field(5, ge=1, le=20)


def _bm25_path() -> Any:
    return var_dir() / "rag" / "bm25.duckdb"


def _open_read_only(path: Any, timeout_s: float = 300.0) -> LexicalIndex:
    """Open the BM25 file read-only, waiting while another process still holds it for writing."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return LexicalIndex(path, read_only=True)
        except duckdb.Error as exc:
            if time.monotonic() > deadline:
                raise DataError(f"RAG index {path} stayed locked: {str(exc).splitlines()[0][:160]}") from None
            time.sleep(0.25)


def build_pipeline(client: Any, ingest_limit: int | None = None) -> RagPipeline:
    """A pipeline whose BM25 index is open read-only (ingesting first if the index is empty)."""
    path = _bm25_path()
    needs_ingest = True
    if path.exists():
        probe = _open_read_only(path)
        try:
            needs_ingest = probe.count("section") == 0
        except duckdb.Error:  # file exists but has no tables yet
            needs_ingest = True
        finally:
            probe.close()
    if needs_ingest:
        try:
            writer = RagPipeline(client, chroma=chroma_from_env(), lexical_path=path)
        except duckdb.Error:
            writer = None  # another process is ingesting; wait for it below
        if writer is not None:
            try:
                if ingest_limit is not None:
                    writer.ingest(limit=ingest_limit, progress=False)
                else:
                    writer.ensure_ingested(progress=False)
            finally:
                writer.close()
    pipeline = RagPipeline(client, chroma=chroma_from_env(), lexical_path=":memory:")
    pipeline.index.lexical.close()
    pipeline.index.lexical = _open_read_only(path)
    return pipeline


def rag_pipeline(app: FastAPI) -> RagPipeline:
    """The process's RAG pipeline (built, and the index ingested if empty, on first use)."""
    limit = app.state.settings.rag_ingest_limit
    return resource(app, "rag_pipeline", lambda: build_pipeline(model_client(app), limit))


def ask(app: FastAPI, principal: Principal, body: AskRequest) -> dict[str, Any]:
    """Answer ``body.question`` with the caller's roles (used by /rag/ask and the copilot)."""
    result = rag_pipeline(app).ask(body.question, principal.roles, strategy=body.strategy, k=body.k)
    app.state.metrics.pattern_calls.labels("rag", result.status).inc()
    return {
        "status": result.status, "answer": result.text, "reason": result.reason,
        "citations": result.citations, "flagged": result.flagged,
        "sources": [{"chunk_id": h.chunk_id, "doc_id": h.doc_id, "section_id": h.section_id,
                     "title": h.title, "score": round(h.score, 4)} for h in result.hits],
        "roles": result.roles, "model": result.model, "cost": result.cost,
        "retrieval_ms": round(result.retrieval_ms, 1), "latency_ms": round(result.total_ms, 1),
    }


router = APIRouter(tags=["rag"])


@router.post("/rag/ask")
def post_ask(body: AskRequest, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Answer from the documents the caller's role may read, with citations, or abstain."""
    return ask(request.app, principal, body)


def _warm(app: FastAPI) -> None:
    # build (and ingest if needed) at startup, not in the first user's request
    if app.state.settings.warm_rag:
        # the question normaliser's place and word lists load on first use (~0.9 s); local
        # files, so this cannot fail the way the pipeline's build below can (provider down)
        normalize.warm_up()
        try:
            rag_pipeline(app)
        except Exception as exc:  # boundary: e.g. the provider is down; serve anyway, retry on first ask
            app.state.rag_warm_error = f"{type(exc).__name__}: {exc}"[:160]
            logging.getLogger("labkit.service").warning("RAG warm-up failed (%s); will retry on first ask", exc)


def ready(app: FastAPI) -> tuple[bool, str]:
    """Ready when the pipeline is built, or not warmed on purpose; not when its warm-up failed."""
    if "rag_pipeline" in app.state.resources:
        return True, "pipeline built"
    error = getattr(app.state, "rag_warm_error", None)
    if error:
        return False, f"warm-up failed ({error}); retried on the first ask"
    return True, "built on the first ask (warm_rag off)"


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.state.startup_hooks.append(_warm)
    app.state.ready_checks["rag"] = ready
