"""A small prompt-injection classifier shipped with the lab: logistic regression over hashed char n-grams.

What it does: :func:`injection_probability` turns a (normalised) text into character 3-, 4- and
5-grams, hashes each into one of ``2**bits`` buckets with a fixed multiplicative hash (numpy,
vectorised, no Python loop per n-gram), and scores ``sigmoid(bias + sum(w[b]) / sqrt(n))`` over
the ``n`` distinct buckets ``b``.
Texts longer than one window are scored window by window (``window`` characters, half-window
stride) and the highest window wins, so an instruction buried in a long document is not diluted
by the benign text around it. Features are presence (each distinct n-gram once), so repetition
cannot push a benign text over the line. Character n-grams carry across languages and spelling tricks, which
is why this complements the hand-written rules in :mod:`labkit.controls.injection` rather than
replacing them. The weights (``injection_model.npz``, int8 with one scale, a few hundred KB) are
committed; ``loadtests/train_injection_model.py`` retrains them in plain numpy from the fit halves
of the public corpora and the lab's own labelled sets, and records what it was trained on.

A model trained with ``--words`` also hashes word unigrams and bigrams into the same buckets
(``meta["words"]``); round 4 tried it and shipped char n-grams only (no gain on a corpus left out).

Round 15: a model trained with ``meta["mask_addresses"]`` reads every e-mail address as ``<email>`` and every URL's or
bare domain's host as ``<host>`` (:func:`mask_addresses`), in training and in scoring. The public attack corpora
name the same few placeholder hosts over and over ("example.com", "contact.com"), so a model that reads hosts learns
"example" as an attack word: round 14's retrain flagged the lab's own benign guards (an ``<iframe>`` how-to, an
invoice sent to ``billing@example.com``) mostly on the n-grams of ``example.com``. That an address is there still
counts; which host it names does not.

What it does not do: it is not a language model and does not understand text; it knows the
phrasings its training data showed it, and it can be evaded like any detector. It never decides
on its own what the agent may do (the taint -> approval rule does that); its probability joins the
rules' noisy-OR as one more signal, named ``classifier`` in a verdict's reasons.

Example:
    >>> round(injection_probability("the printer on floor 3 is jammed again"), 2) < 0.5
    True
"""

from __future__ import annotations

import json
import re
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PATH = Path(__file__).with_name("injection_model.npz")
NGRAMS = (3, 4, 5)
_PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: mixes code points position by position
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier for the bucket index
_SEEDS = {n: np.uint64(0xA0761D6478BD642F * n & 0xFFFFFFFFFFFFFFFF) for n in NGRAMS}  # one hash family per n


# an e-mail address; a URL's host (after the scheme, up to the path); a bare domain with a common top-level domain
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_URL_HOST = re.compile(r"(?i)\b((?:https?|ftp)://|www\.)[^\s/?#\"'<>()\[\]`]+")
_BARE_DOMAIN = re.compile(r"(?i)(?<![\w@./-])(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ai|info|biz|xyz|dev|app|ru|cn|de|uk|fr|es|it|"
                          r"nl|jp|kr|in|us|eu|me|tk|top|site|online|cloud)(?![\w.-]*\w)")


def mask_addresses(text: str) -> str:
    """E-mail addresses as ``<email>``, URL and bare-domain hosts as ``<host>`` (the scheme and the path stay).

    Example:
        >>> mask_addresses("send it to billing@example.com or see https://docs.example.com/a?b=1 and evil.io")
        'send it to <email> or see https://<host>/a?b=1 and <host>'
    """
    if "@" in text:
        text = EMAIL.sub("<email>", text)
    if "." in text:
        text = _URL_HOST.sub(lambda m: (m.group(1) if "://" in m.group(1) else "") + "<host>", text)
        text = _BARE_DOMAIN.sub("<host>", text)
    return text


def _hashes(text: str, bits: int) -> list[np.ndarray]:
    """Bucket ids of the 3-, 4- and 5-grams of ``" " + text + " "`` (one array per n, by start position).

    A rolling polynomial hash over the code points (uint64, wrapping on purpose), extended one
    character at a time from 3-grams to 5-grams, then Fibonacci hashing with a per-n seed.
    """
    codes = np.frombuffer((" " + text + " ").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    length = len(codes)
    shift = np.uint64(64 - bits)
    out: list[np.ndarray] = []
    if length < NGRAMS[0]:
        return [np.zeros(0, dtype=np.int64) for _ in NGRAMS]
    with np.errstate(over="ignore"):
        h = codes[:length - 2] * _PRIME * _PRIME + codes[1:length - 1] * _PRIME + codes[2:]
        for n in NGRAMS:
            if n > NGRAMS[0]:
                h = h[:-1] * _PRIME + codes[n - 1:] if len(h) > 1 else h[:0]
            out.append((((h ^ _SEEDS[n]) * _MIX) >> shift).astype(np.int64))
    return out


_WORD = re.compile(r"[^\W_]+")
_WORD_SEED = np.uint64(0xD6E8FEB86659FD93)
_PAIR_SEED = np.uint64(0xCA5A826395121157)


def _word_hashes(text: str, bits: int, positions: int) -> list[np.ndarray]:
    """Word unigram and bigram buckets placed at the word's start (``-1`` elsewhere), one array each.

    Words carry a phrasing across languages' inflections less well than char n-grams, but they
    see "ignore ... instructions" as two tokens wherever they stand; CRC-32 per word (C, stable
    across runs and machines), then the same Fibonacci hashing as the char n-grams.
    """
    uni = np.full(positions, -1, dtype=np.int64)
    pair = np.full(positions, -1, dtype=np.int64)
    found = [(m.start() + 1, zlib.crc32(m.group(0).encode())) for m in _WORD.finditer(text)]  # +1: the leading " "
    found = [(pos, h) for pos, h in found if pos < positions]
    if not found:
        return [uni, pair]
    pos = np.array([p for p, _ in found], dtype=np.int64)
    h = np.array([c for _, c in found], dtype=np.uint64)
    shift = np.uint64(64 - bits)
    with np.errstate(over="ignore"):
        uni[pos] = (((h ^ _WORD_SEED) * _MIX) >> shift).astype(np.int64)
        if len(h) > 1:
            ph = h[:-1] * _PRIME + h[1:]
            pair[pos[:-1]] = (((ph ^ _PAIR_SEED) * _MIX) >> shift).astype(np.int64)
    return [uni, pair]


def ngram_buckets(text: str, bits: int, words: bool = False) -> np.ndarray:
    """Bucket ids as a ``(positions, k)`` array: row ``i`` holds the 3-, 4- and 5-gram starting at ``i``
    (``-1`` where the n-gram would run past the end), and with ``words`` the word unigram and bigram
    starting there. The training script slices windows from it."""
    per_n = _hashes(text, bits)
    if words and len(per_n[0]):
        per_n += _word_hashes(text, bits, len(per_n[0]))
    return _by_position(per_n)


def _by_position(per_n: list[np.ndarray]) -> np.ndarray:
    out = np.full((len(per_n[0]), len(per_n)), -1, dtype=np.int64)
    for col, h in enumerate(per_n):
        out[:len(h), col] = h
    return out


def features(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids, values) of one window: each distinct n-gram once, divided by ``sqrt(distinct)``."""
    ids = np.unique(buckets[buckets >= 0])
    return ids, np.full(len(ids), 1.0 / np.sqrt(max(len(ids), 1)))


def window_bounds(positions: int, text_len: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the scoring windows over ``positions`` n-gram start positions.

    One window when the text fits, else windows of ``window`` positions every half window; the
    training script slices its features with the same bounds, so training and scoring agree.
    """
    if text_len + 2 <= window:
        starts = np.array([0])
    else:
        starts = np.arange(0, max(positions - window // 2, 1), window // 2)
    return starts, np.minimum(starts + window, positions)


class Model:
    """Weights and settings loaded from an ``.npz`` file written by the training script."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.weights = z["weights_q"].astype(np.float32) * float(z["scale"])
            meta: dict[str, Any] = json.loads(str(z["meta"]))
        self.bias = float(meta["bias"])
        self.bits = int(meta["bits"])
        self.window = int(meta["window"])
        self.words = bool(meta.get("words", False))
        self.mask = bool(meta.get("mask_addresses", False))  # round 15; models before it read hosts as they are
        self.meta = meta

    def probability(self, text: str) -> float:
        """Highest window probability that ``text`` is an injection."""
        if self.mask:
            text = mask_addresses(text)
        per_n = _hashes(text, self.bits)
        positions = len(per_n[0])
        if not positions:
            return float(1.0 / (1.0 + np.exp(-self.bias)))
        if self.words:
            per_n += _word_hashes(text, self.bits, positions)
        if len(text) + 2 <= self.window:  # one window: the common case
            return self._window_probability(np.concatenate(per_n))
        buckets = _by_position(per_n)  # the hashes above, not a second pass over the text
        starts, ends = window_bounds(positions, len(text), self.window)
        return max(self._window_probability(buckets[s:e].ravel()) for s, e in zip(starts, ends))

    def _window_probability(self, buckets: np.ndarray) -> float:
        # Presence, not counts: a benign sentence repeated 30 times must not look like an attack.
        ids = np.unique(buckets[buckets >= 0])
        if not len(ids):
            return float(1.0 / (1.0 + np.exp(-self.bias)))
        logit = self.bias + float(self.weights[ids].sum()) / np.sqrt(len(ids))
        return float(1.0 / (1.0 + np.exp(-logit)))


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    """The shipped model, or None when the weights file is absent (the rules still work)."""
    return Model() if MODEL_PATH.exists() else None


def injection_probability(text: str) -> float:
    """Probability that ``text`` (already normalised by the detector) tries to steer the model."""
    model = load_model()
    return 0.0 if model is None else model.probability(text)
