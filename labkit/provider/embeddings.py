"""Embeddings that need no download: signed feature hashing of words and character n-grams.

Each text is normalised (Unicode NFKC, lower case, accents kept), split into words, and
turned into features: word unigrams (weight 1.0), word bigrams (0.5) and character 3- and
4-grams of each padded word (0.25 each, so morphology — "invoice"/"invoices" — shares
weight). Every feature is hashed with blake2b (stable across processes, unlike Python's
salted ``hash``) to an index in ``[0, dimensions)`` and a sign, summed, and the vector is
L2-normalised, so cosine similarity is a dot product.

It is hand-written rather than taken from scikit-learn's ``HashingVectorizer`` to avoid a
heavy dependency for 40 lines and to control the exact, documented feature set.

Limits, on purpose visible in the lab: there is no meaning beyond shared surface forms —
"car" and "automobile" are unrelated, while "bank" (river) and "bank" (money) are the same;
stop words are dropped only by weighting nothing; hash collisions add a little noise, more
at small ``dimensions``. It is good enough for retrieval over documents that share
vocabulary with the question, which is what the lab's RAG evaluation measures.

Example:
    >>> a, b, c = embed_text("reset my password"), embed_text("password reset"), embed_text("invoice overdue")
    >>> round(sum(x * x for x in a), 6)
    1.0
    >>> cosine(a, b) > cosine(a, c)
    True
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from hashlib import blake2b

DEFAULT_DIMENSIONS = 256
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was "
    "were will with what which who how do does i you we my our your".split()
)


@lru_cache(maxsize=1 << 18)
def _slot(feature: str, dimensions: int) -> tuple[int, float]:
    digest = blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, (1.0 if (value >> 63) & 1 else -1.0)


def _features(text: str) -> dict[str, float]:
    norm = unicodedata.normalize("NFKC", text).lower()
    words = _WORD.findall(norm)
    feats: dict[str, float] = {}
    content = [w for w in words if w not in _STOP]
    for w in content:
        feats["w:" + w] = feats.get("w:" + w, 0.0) + 1.0
        padded = f"#{w}#"
        for n in (3, 4):
            for i in range(len(padded) - n + 1):
                key = f"c{n}:" + padded[i : i + n]
                feats[key] = feats.get(key, 0.0) + 0.25
    for a, b in zip(content, content[1:]):
        key = f"b:{a} {b}"
        feats[key] = feats.get(key, 0.0) + 0.5
    return feats


@lru_cache(maxsize=50_000)
def embed_text(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> tuple[float, ...]:
    """The L2-normalised hashed vector of ``text`` (all zeros only for text with no words).

    Cached: RAG ingestion and evaluation embed the same chunks and questions again and again.
    """
    vec = [0.0] * dimensions
    for feat, weight in _features(text).items():
        index, sign = _slot(feat, dimensions)
        # log-scaled counts so a word repeated 20 times does not drown the rest
        vec[index] += sign * (1.0 + math.log(weight)) if weight >= 1.0 else sign * weight
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0.0:
        return tuple(vec)
    return tuple(x / norm for x in vec)


def embed_tokens(token_ids: list[int], dimensions: int = DEFAULT_DIMENSIONS) -> tuple[float, ...]:
    """Embed a pre-tokenised input (OpenAI allows arrays of token ids): ids act as words."""
    return embed_text(" ".join(f"t{t}" for t in token_ids), dimensions)


def cosine(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> float:
    """Cosine similarity of two (already normalised) vectors."""
    return sum(x * y for x, y in zip(a, b))
