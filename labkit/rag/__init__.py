"""Pattern 2, RAG: permission-aware retrieval that answers with checked citations or abstains.

:class:`RagPipeline` (:mod:`~labkit.rag.pipeline`) is the public face: ingest, retrieve, ask,
evaluate. It is composed from one module per step, each readable and testable alone:

- :mod:`~labkit.rag.chunking`: fixed-size and by-section chunks with their metadata
- :mod:`~labkit.rag.lexical`: BM25 in plain SQL over a DuckDB term table
- :mod:`~labkit.rag.dense`: Chroma vectors with role and status filters inside the query
- :mod:`~labkit.rag.index`: incremental ingestion into both stores
- :mod:`~labkit.rag.retrieve`: dense / lexical / hybrid retrieval, abstention and its calibration
- :mod:`~labkit.rag.answer`: fenced prompting, citation and support validation
- :mod:`~labkit.rag.metrics`, :mod:`~labkit.rag.evaluate`: retrieval metrics and the evaluation

Every model call goes through the resilient client (:mod:`labkit.direct`).
"""

from labkit.rag.answer import Answer
from labkit.rag.evaluate import EvalReport, Question
from labkit.rag.index import IngestReport
from labkit.rag.pipeline import RagPipeline, chroma_from_env
from labkit.rag.retrieve import Retrieval, Thresholds

__all__ = ["Answer", "EvalReport", "IngestReport", "Question", "RagPipeline", "Retrieval", "Thresholds",
           "chroma_from_env"]
