"""Retrieval metrics on ranked lists with graded relevance labels.

The unit judged is whatever the labels name (the lab labels sections: ``DOC-0001#s2``).
A ranked list of chunk hits is first reduced to its distinct units in rank order, so three
chunks of one section count once, as a reader would see them.

- precision@k: relevant units in the top k, divided by k
- recall@k: relevant units in the top k, divided by all relevant units
- MRR: 1 / rank of the first relevant unit (0 if none)
- nDCG@k: graded, gain ``2**grade - 1`` with a ``log2(rank + 1)`` discount, normalised by the
  ideal ordering of the labels
- hit@k: 1 if any relevant unit is in the top k
- recall_primary@k: recall over the highest-grade units only (where the answer is)

Written out (rather than imported from scikit-learn or ranx) because they are a dozen lines,
the lab does not otherwise need those packages, and the formulas are what the notebooks teach.

Example:
    >>> ranked = ["A#s1", "B#s1", "C#s2"]
    >>> labels = {"A#s1": 2, "C#s2": 1}
    >>> precision_at_k(ranked, labels, 2), recall_at_k(ranked, labels, 2), mrr(ranked, labels)
    (0.5, 0.5, 1.0)
    >>> round(ndcg_at_k(ranked, labels, 3), 3)
    0.964
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dedupe(units: Sequence[str]) -> list[str]:
    """Distinct units in first-seen (rank) order."""
    seen: set[str] = set()
    out: list[str] = []
    for u in units:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out


def precision_at_k(ranked: Sequence[str], labels: Mapping[str, int], k: int) -> float:
    """Share of the top ``k`` that is relevant (grade > 0)."""
    if k <= 0:
        return 0.0
    return sum(1 for u in ranked[:k] if labels.get(u, 0) > 0) / k


def recall_at_k(ranked: Sequence[str], labels: Mapping[str, int], k: int) -> float:
    """Share of the relevant units found in the top ``k`` (0 when nothing is relevant)."""
    relevant = {u for u, g in labels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def mrr(ranked: Sequence[str], labels: Mapping[str, int]) -> float:
    """Reciprocal rank of the first relevant unit."""
    for i, u in enumerate(ranked, start=1):
        if labels.get(u, 0) > 0:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], labels: Mapping[str, int], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with graded relevance."""
    def dcg(grades: Sequence[int]) -> float:
        return float(sum((2 ** g - 1) / math.log2(i + 1) for i, g in enumerate(grades, start=1)))

    ideal = dcg(sorted((g for g in labels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([labels.get(u, 0) for u in ranked[:k]]) / ideal


def hit_at_k(ranked: Sequence[str], labels: Mapping[str, int], k: int) -> float:
    """1.0 if any relevant unit is in the top ``k``."""
    return 1.0 if any(labels.get(u, 0) > 0 for u in ranked[:k]) else 0.0


def all_metrics(ranked: Sequence[str], labels: Mapping[str, int], ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, float]:
    """Every metric at every ``k`` for one question, as a flat dict (``recall@5``, ``mrr``, ...)."""
    ranked = dedupe(ranked)
    out: dict[str, float] = {"mrr": mrr(ranked, labels)}
    # the highest-grade units alone (the section holding the answer), to tell "found the
    # answer" from "also found every supporting section"
    top = max(labels.values(), default=0)
    primary = {u: g for u, g in labels.items() if g == top and g > 0}
    for k in ks:
        out[f"recall_primary@{k}"] = recall_at_k(ranked, primary, k)
        out[f"precision@{k}"] = precision_at_k(ranked, labels, k)
        out[f"recall@{k}"] = recall_at_k(ranked, labels, k)
        out[f"ndcg@{k}"] = ndcg_at_k(ranked, labels, k)
        out[f"hit@{k}"] = hit_at_k(ranked, labels, k)
    return out
