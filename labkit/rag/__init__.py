"""The parts of Pattern 2 (RAG), composed by :mod:`labkit.patterns.rag`.

- :mod:`~labkit.rag.chunking`: fixed-size and by-section chunks with their metadata
- :mod:`~labkit.rag.lexical`: BM25 in plain SQL over a DuckDB term table
- :mod:`~labkit.rag.dense`: Chroma vectors with role and status filters inside the query
- :mod:`~labkit.rag.index`: incremental ingestion into both stores
- :mod:`~labkit.rag.retrieve`: dense / lexical / hybrid retrieval, abstention and its calibration
- :mod:`~labkit.rag.answer`: fenced prompting, citation and support validation
- :mod:`~labkit.rag.metrics`, :mod:`~labkit.rag.evaluate`: retrieval metrics and the evaluation
"""
