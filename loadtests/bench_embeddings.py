"""Embedding runtimes compared: hashed vs all-MiniLM-L6-v2 (int8 ONNX, float32 ONNX, numpy, static table).

Why the served semantic model (``labkit/provider/semantic.py``) runs the way it does. For each
runtime: load time, single short query latency p50/p95, throughput on real knowledge-base chunk
texts (and CPU milliseconds per chunk, which shared cores distort less than wall time), pure
dense retrieval quality over the KB's section chunks (recall@5, nDCG@10 with
``labkit.rag.metrics``), and agreement (cosine) with the float32 model. Then the served model
end to end: the whole default knowledge base (both chunking strategies, as ``labkit rag ingest``
embeds it) sent to ``/v1/embeddings`` in batches of 64 with an empty cache and again cached, and
query embedding over HTTP + a Chroma top-10 search (p50/p95).

Runtimes:
- ``hashed``: ``lab-embed`` (``embeddings.py``), the baseline;
- ``minilm-int8``: the served model (per-channel int8, FFN down-projections of layers 0-2 float32);
- ``minilm-fp32``: the same graph unquantized (measured equal to sentence-transformers' output,
  cosine >= 0.9999999 on every KB text, in the scratch study recorded in RESULTS);
- ``minilm-numpy``: a batched, length-bucketed float32 numpy forward pass (small sample: slow);
- ``static-table``: model2vec-style; every vocabulary token's MiniLM embedding, mean-pooled with
  IDF weights from the KB's own section texts (distilled here once, about a minute).

Quality is measured on ``datasets/eval/retrieval_questions.jsonl`` (templated, the same templates
as the KB: an upper bound that still ranks the models) and, when present, the hand-written
``natural_questions.jsonl`` (both halves and its test half). Nothing here is tuned on them.

Prints a table and writes ``var/bench/embeddings.json``. Ratios, not timed assertions.

Usage: .venv/bin/python loadtests/bench_embeddings.py [--sample 256] [--no-static] [--no-e2e | --e2e-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach a hub

Embed = Callable[[list[str]], np.ndarray]


def normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(n == 0, 1.0, n)).astype(np.float32)


# -- candidate (b): the numpy forward pass ----------------------------------------------

class NumpyMiniLM:
    """MiniLM-L6 in numpy float32: QKV packed in one matrix, texts batched by length."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        w = load_file(str(folder / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(256)
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(6):
            def g(name: str, p: str = f"encoder.layer.{i}.") -> np.ndarray:
                return w[p + name]

            self.layers.append((
                np.concatenate([g(f"attention.self.{n}.weight") for n in ("query", "key", "value")]).T.copy(),
                np.concatenate([g(f"attention.self.{n}.bias") for n in ("query", "key", "value")]),
                g("attention.output.dense.weight").T.copy(), g("attention.output.dense.bias"),
                (g("attention.output.LayerNorm.weight"), g("attention.output.LayerNorm.bias")),
                g("intermediate.dense.weight").T.copy(), g("intermediate.dense.bias"),
                g("output.dense.weight").T.copy(), g("output.dense.bias"),
                (g("output.LayerNorm.weight"), g("output.LayerNorm.bias"))))

    @staticmethod
    def _ln(x: np.ndarray, gb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * gb[0] + gb[1]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        b, s = ids.shape
        x = self._ln(self.word[ids] + self.pos[:s], self.ln0)
        bias = ((1.0 - mask[:, None, None, :]) * -1e4).astype(np.float32)
        for qkv, qkvb, o, ob, ln1, fi, fib, fo, fob, ln2 in self.layers:
            q, k, v = (x @ qkv + qkvb).reshape(b, s, 3, 12, 32).transpose(2, 0, 3, 1, 4)
            a = q @ k.transpose(0, 1, 3, 2) / math.sqrt(32) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            x = self._ln((a @ v).transpose(0, 2, 1, 3).reshape(b, s, 384) @ o + ob + x, ln1)
            h = x @ fi + fib
            x = self._ln((0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))) @ fo + fob + x, ln2)
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / np.clip(m.sum(1), 1e-9, None)

    def embed(self, texts: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in enc], kind="stable")
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(texts), 16):
            idx = order[start:start + 16]
            width = max(len(enc[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), np.int64)
            mask = np.zeros((len(idx), width), np.float32)
            for r, i in enumerate(idx):
                ids[r, :len(enc[i].ids)] = enc[i].ids
                mask[r, :len(enc[i].ids)] = 1
            out[idx] = self._forward(ids, mask)
        return normalise(out)


# -- candidate (c): a static table distilled from the model ------------------------------

def static_table(sem: object, section_texts: list[str]) -> Embed:
    """Every vocabulary token's MiniLM sentence embedding ([CLS] t [SEP]), cached as .npy;
    a text is the IDF-weighted mean of its tokens' rows (IDF over the KB's section texts)."""
    from labkit.provider import semantic

    fp32 = sem  # the float32 SemanticEmbedder; its batch runner is private, used here for speed
    path = semantic.model_cache_dir() / f"static-table-b{semantic.BUILD}.npy"
    if path.is_file():
        table = np.load(path)
    else:
        rows = []
        for start in range(0, semantic.VOCAB_SIZE, 512):
            ids = np.arange(start, min(semantic.VOCAB_SIZE, start + 512))
            x = np.stack([np.full_like(ids, 101), ids, np.full_like(ids, 102)], 1)
            rows.append(fp32._run(x, np.ones_like(x)))  # type: ignore[attr-defined]
        table = np.concatenate(rows).astype(np.float32)
        np.save(path, table)
    tok = fp32._tokenizer  # type: ignore[attr-defined]
    df = np.zeros(len(table))
    for e in tok.encode_batch(section_texts, add_special_tokens=False):
        df[np.unique(e.ids)] += 1
    idf = (np.log((1 + len(section_texts)) / (1 + df)) + 1).astype(np.float32)

    def embed(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), table.shape[1]), np.float32)
        for i, e in enumerate(tok.encode_batch(texts, add_special_tokens=False)):
            if e.ids:
                ids = np.array(e.ids)
                out[i] = (table[ids] * idf[ids, None]).mean(0)
        return normalise(out)

    return embed


# -- measurements -----------------------------------------------------------------------

def dense_quality(embed: Embed, chunks: list, questions: list) -> dict[str, float]:
    """Pure dense retrieval over section chunks: the caller's roles and current versions only."""
    from labkit.data.access import caller_roles
    from labkit.rag.metrics import all_metrics

    vecs = embed([c.text for c in chunks])
    asked = [q for q in questions if q.answerable and q.labels()]
    qv = embed([q.question for q in asked])
    current = np.array([c.status == "current" for c in chunks])
    rows = []
    for i, q in enumerate(asked):
        held = set(caller_roles(q.roles))
        visible = current & np.array([bool(held & set(c.roles)) for c in chunks])
        scores = np.where(visible, vecs @ qv[i], -np.inf)
        labels = q.labels()
        units = []
        for j in np.argsort(-scores)[:50]:
            c = chunks[j]
            units += [s if s in labels or c.doc_id not in labels else c.doc_id for s in (c.covers or [c.section_id])]
        rows.append(all_metrics(units, labels, (5, 10)))
    return {m: round(statistics.fmean(r[m] for r in rows), 3) for m in ("recall@5", "ndcg@10", "mrr")} | {"n": len(rows)}


def pct(values: list[float], p: float) -> float:
    return round(float(np.percentile(values, p)), 2)


def speed(embed: Embed, texts: list[str], queries: list[str]) -> dict[str, float]:
    embed(texts[:4])  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    embed(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    lat = []
    for q in queries:
        t = time.perf_counter()
        embed([q])
        lat.append((time.perf_counter() - t) * 1000)
    return {"chunks": len(texts), "chunks_per_s": round(len(texts) / wall, 1), "cpu_ms_per_chunk": round(cpu / len(texts) * 1000, 2),
            "query_p50_ms": pct(lat, 50), "query_p95_ms": pct(lat, 95)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=256, help="KB chunk texts timed per runtime")
    ap.add_argument("--no-static", action="store_true", help="skip the static table (distilling takes ~1 min)")
    ap.add_argument("--no-e2e", action="store_true", help="skip the full-KB ingest and HTTP retrieval runs")
    ap.add_argument("--e2e-only", action="store_true", help="only the full-KB ingest and HTTP retrieval runs")
    args = ap.parse_args()
    out_dir = Path(os.environ.get("LABKIT_VAR", ROOT / "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["LABKIT_VAR"] = tempfile.mkdtemp(prefix="bench-embed-")  # an empty vector cache

    from labkit.provider import semantic
    from labkit.provider.embeddings import embed_text
    from labkit.rag.chunking import STRATEGIES, chunk_document
    from labkit.rag.evaluate import half_of, load_questions
    from labkit.rag.index import load_documents
    from labkit.settings import datasets_dir

    docs = load_documents()
    chunks = {s: [c for d in docs for c in chunk_document(d, s)] for s in STRATEGIES}
    all_texts = [c.text for s in STRATEGIES for c in chunks[s]]
    rng = np.random.default_rng(7)
    sample = [all_texts[i] for i in rng.choice(len(all_texts), min(args.sample, len(all_texts)), replace=False)]
    templated = load_questions(datasets_dir() / "eval" / "retrieval_questions.jsonl")
    natural_path = datasets_dir() / "eval" / "natural_questions.jsonl"
    natural = load_questions(natural_path) if natural_path.is_file() else []
    queries = [q.question for q in templated[:60]]
    if args.e2e_only:
        served = end_to_end(all_texts, chunks["section"], templated)
        (out_dir / "embeddings_e2e.json").write_text(json.dumps(served, indent=2))
        print(f"wrote {out_dir / 'embeddings_e2e.json'}")
        return 0
    result: dict = {"machine": f"2 cores, shared; load average at start {os.getloadavg()[0]:.1f}",
                    "kb": {"documents": len(docs), **{f"{s}_chunks": len(chunks[s]) for s in STRATEGIES},
                           "chunks_embedded_by_default": len(all_texts), "distinct_texts": len(set(all_texts))},
                    "runtimes": {}}

    # the served model and its float32 twin (graph built once into the model cache)
    int8 = semantic.SemanticEmbedder(cache=False)
    t = time.perf_counter()
    int8.graph_path()
    build_int8 = time.perf_counter() - t  # ~0.3 s (hashing the weights) once the graph is cached
    t = time.perf_counter()
    int8.load()
    load_int8 = time.perf_counter() - t
    fp32 = semantic.SemanticEmbedder(cache=False, quantized=False)
    fp32.graph_path()  # built once into the model cache; not part of the load time below
    t = time.perf_counter()
    fp32.load()
    load_fp32 = time.perf_counter() - t
    t = time.perf_counter()
    numpy_model = NumpyMiniLM(semantic.model_dir())
    load_numpy = time.perf_counter() - t

    result["int8_graph_lookup_or_build_s"] = round(build_int8, 2)
    runtimes: dict[str, tuple[Embed, float]] = {
        "hashed": (lambda ts: np.array([embed_text(x) for x in ts], np.float32), 0.0),
        "minilm-int8": (int8._encode_texts, load_int8),
        "minilm-fp32": (fp32._encode_texts, load_fp32),
        "minilm-numpy": (numpy_model.embed, load_numpy),
    }
    if not args.no_static:
        t = time.perf_counter()
        table = static_table(fp32, [c.text for c in chunks["section"]])
        runtimes["static-table"] = (table, time.perf_counter() - t)

    reference = fp32._encode_texts(sample)
    ref_q = fp32._encode_texts(queries)
    for name, (embed, load_s) in runtimes.items():
        slow = name == "minilm-numpy"
        row = {"load_s": round(load_s, 2),
               **speed(embed, sample[:32] if slow else sample, queries[:10] if slow else queries)}
        if name.startswith("minilm") and name != "minilm-fp32":
            n = 32 if slow else len(sample)
            cos = np.sum(embed(sample[:n]) * reference[:n], axis=1)
            qcos = np.sum(embed(queries) * ref_q, axis=1)
            row["agreement_with_fp32"] = {"texts": n, "min": round(float(cos.min()), 4), "mean": round(float(cos.mean()), 4),
                                          "share_below_0.99": round(float((cos < 0.99).mean()), 4),
                                          "queries_min": round(float(qcos.min()), 4)}
        if not slow:  # 1,896 section chunks through a 250 ms/chunk runtime would take minutes
            row["templated_section"] = dense_quality(embed, chunks["section"], templated)
            if natural:
                row["natural_section"] = dense_quality(embed, chunks["section"], natural)
                row["natural_test_half_section"] = dense_quality(
                    embed, chunks["section"], [q for q in natural if half_of(q.qid) == "test"])
        result["runtimes"][name] = row
        print(name, json.dumps(row), flush=True)

    r = result["runtimes"]
    # CPU time per chunk, not wall time: the runtimes are measured one after the other on
    # shared cores whose load changes between them
    result["ratios"] = {
        "fp32_cpu_per_chunk_over_int8": round(r["minilm-fp32"]["cpu_ms_per_chunk"] / r["minilm-int8"]["cpu_ms_per_chunk"], 2),
        "numpy_cpu_per_chunk_over_int8": round(r["minilm-numpy"]["cpu_ms_per_chunk"] / r["minilm-int8"]["cpu_ms_per_chunk"], 1),
        "int8_cpu_per_chunk_over_hashed": round(r["minilm-int8"]["cpu_ms_per_chunk"] / r["hashed"]["cpu_ms_per_chunk"], 1),
        "kb_estimate_s_on_two_free_cores": round(r["minilm-int8"]["cpu_ms_per_chunk"] * result["kb"]["distinct_texts"] / 2000, 1),
    }

    if not args.no_e2e:
        result["served"] = end_to_end(all_texts, chunks["section"], templated)

    print()
    head = f"{'runtime':<14}{'load s':>8}{'chunks/s':>10}{'cpu ms/ch':>10}{'q p50':>8}{'q p95':>8}{'agree min':>10}" \
           f"{'tmpl R@5':>9}{'nDCG@10':>8}{'nat R@5':>8}{'nDCG@10':>8}"
    print(head)
    for name, row in r.items():
        agree = row.get("agreement_with_fp32", {}).get("min", "")
        tq, nq = row.get("templated_section", {}), row.get("natural_section", {})
        print(f"{name:<14}{row['load_s']:>8}{row['chunks_per_s']:>10}{row['cpu_ms_per_chunk']:>10}{row['query_p50_ms']:>8}"
              f"{row['query_p95_ms']:>8}{agree!s:>10}{tq.get('recall@5', '-')!s:>9}{tq.get('ndcg@10', '-')!s:>8}"
              f"{nq.get('recall@5', '-')!s:>8}{nq.get('ndcg@10', '-')!s:>8}")
    print("ratios:", json.dumps(result["ratios"]))
    if "served" in result:
        print("served:", json.dumps(result["served"]))
    (out_dir / "embeddings.json").write_text(json.dumps(result, indent=2))
    print(f"wrote {out_dir / 'embeddings.json'}")
    return 0


def end_to_end(all_texts: list[str], section_chunks: list, questions: list) -> dict:
    """The served model through the real provider and the openai SDK, as RAG will call it."""
    import chromadb
    import openai

    from labkit.provider import semantic
    from labkit.provider.server import serve_in_thread

    out: dict = {}
    with serve_in_thread() as provider:
        client = openai.OpenAI(base_url=provider.base_url, api_key="lab-key", max_retries=0, timeout=120)
        model = semantic.shared_embedder()
        for label in ("kb_ingest_empty_cache", "kb_ingest_cached"):
            cpu, t = time.process_time(), time.perf_counter()
            for i in range(0, len(all_texts), 64):  # RagIndex's batch size
                client.embeddings.create(model="lab-embed-semantic", input=all_texts[i:i + 64])
            out[label] = {"chunks": len(all_texts), "seconds": round(time.perf_counter() - t, 1),
                          "cpu_seconds": round(time.process_time() - cpu, 1), "load_average": round(os.getloadavg()[0], 1)}
            print(label, out[label], flush=True)
        out["vectors_cached"] = model.cache_count()
        # retrieval: the question's embedding over HTTP + a Chroma top-10 with the status filter
        col = chromadb.EphemeralClient().create_collection("bench", metadata={"hnsw:space": "cosine"})
        vecs = model.embed([c.text for c in section_chunks])
        for i in range(0, len(section_chunks), 1000):
            part = section_chunks[i:i + 1000]
            col.add(ids=[c.chunk_id for c in part], embeddings=vecs[i:i + 1000].tolist(),
                    metadatas=[{"status": c.status} for c in part])
        lat, emb_ms, search_ms = [], [], []
        for q in questions[:200]:
            t = time.perf_counter()
            v = client.embeddings.create(model="lab-embed-semantic", input=q.question).data[0].embedding
            t1 = time.perf_counter()
            col.query(query_embeddings=[v], n_results=10, where={"status": "current"})
            t2 = time.perf_counter()
            lat.append((t2 - t) * 1000)
            emb_ms.append((t1 - t) * 1000)
            search_ms.append((t2 - t1) * 1000)
        out["retrieval_ms"] = {"questions": len(lat), "p50": pct(lat, 50), "p95": pct(lat, 95),
                               "embedding_over_http_p50": pct(emb_ms, 50), "embedding_over_http_p95": pct(emb_ms, 95),
                               "chroma_top10_p50": pct(search_ms, 50), "chroma_top10_p95": pct(search_ms, 95),
                               "load_average": round(os.getloadavg()[0], 1),
                               "note": "first sight of each question: its embedding is computed, not cached"}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
