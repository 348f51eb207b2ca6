"""Abstention as one combined score: a small logistic model over the raw retrieval evidence.

Round 3 abstained when two hard thresholds (best cosine AND best BM25) were both missed. Fitted on
the calibration halves, they sat right at the edge of the answerable questions seen there, so
fresh phrasing (keyword queries, "knock off a deal", two products compared) fell below both:
false abstention 0.12 on a fresh hand-written set. This module replaces the two cuts with

1. a **score**: ``P(answerable)`` from a logistic regression over the evidence features of a
   strategy (:data:`FEATURES`: best cosine, ``log(1 + best BM25)``, the share of the question's
   concepts the best chunk covers), standardised, L2-regularised, classes weighted equally, so a
   strong signal on one side can make up for a weak one on the other; and
2. an **operating point chosen for unseen questions** (:func:`choose_cut`): the lowest cut that
   still abstains on ``target`` (default 93 %, :data:`TARGET_CORRECT`) of the fitted unanswerable questions (a
   Neyman-Pearson choice: keep the correct abstention the issue asks for, ≥ 0.85, with margin,
   and abstain as little as possible on answerable questions). Fitted sets are close to
   separable, so "best correct-minus-false on the fitted set" puts the cut against the
   answerable questions seen, and unseen answerable ones fall on the wrong side of it; this
   choice puts it against the unanswerable ones instead.

Why hand-written: a logistic fit on three features is a dozen lines of Newton's method in numpy;
scikit-learn would be a large dependency for it. The fit is deterministic (no random start).

Example:
    >>> import numpy as np
    >>> X = np.array([[0.8, 3.0, 1.0], [0.7, 2.5, 0.8], [0.3, 1.0, 0.2], [0.2, 0.5, 0.0]])
    >>> m = fit_model(X, np.array([True, True, False, False]), ("dense", "lexical", "coverage"))
    >>> m.probability({"dense": 0.75, "lexical": 2.8, "coverage": 0.9}) > 0.5
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

from labkit.errors import InputError

#: the evidence each retrieval strategy's model reads (the strategy only ranks; the evidence
#: is computed for every strategy, but a dense-only system would not have BM25 scores)
FEATURES: dict[str, tuple[str, ...]] = {
    "dense": ("dense",),
    "lexical": ("lexical", "coverage"),
    "hybrid": ("dense", "lexical", "coverage"),
}
#: L2 penalty on the standardised coefficients (not on the intercept): with ~300 questions
#: and near-separable classes an unpenalised fit runs its coefficients to infinity
L2 = 1.0
#: default share of fitted unanswerable questions the cut must abstain on. Chosen in round 4
#: with the first fresh set (already read, never fitted on) as a stand-in for unseen phrasing:
#: fitted on the natural and templated calibration halves, 0.95 gave false abstention 0.10 on
#: it, 0.93 gave 0.07, 0.90 gave 0.05, with correct abstention 0.97 for all three, while the
#: templated test half's correct abstention fell from 0.88 (0.95, 0.93) to 0.81 (0.90): 0.93
#: leaves room on both of the issue's targets (false <= 0.10, correct >= 0.85).
#: Round 5 chooses it by leave-one-set-out over the five seen sets (``loadtests/bench_rag.py
#: --fit-abstention``: each set held out, the score fitted on the other four, targets 0.90-0.99,
#: the best worst held-out set kept). Before round 5's place and earlier-version rules no target
#: kept every held-out set inside both limits (best 0.93: fresh3 correct 0.83); with them 0.96
#: does (worst margin +0.026: fresh3 0.90 correct / 0.03 false, fresh2 0.94 / 0.07, fresh1
#: 1.00 / 0.07, templated half 0.93 / 0.00), and the committed fit uses all five sets.
TARGET_CORRECT = 0.96


def features(strategy: str, best_dense: float | None, best_lexical: float | None,
             coverage: float | None) -> dict[str, float]:
    """The model's inputs from raw evidence: BM25 on a log scale (its range grows with the
    length of the question; the log keeps a long question from dominating)."""
    return {"dense": float(best_dense or 0.0), "lexical": math.log1p(max(0.0, float(best_lexical or 0.0))),
            "coverage": float(coverage or 0.0)}


class AbstentionModel(BaseModel):
    """A fitted logistic model: abstain when ``probability(...) < cut``."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    intercept: float
    coef: list[float]
    cut: float = Field(0.5, description="abstain below this probability of being answerable")
    fitted: dict[str, float] = Field(default_factory=dict, description="rates on the questions it was fitted on")

    def probability(self, values: Mapping[str, float]) -> float:
        """``P(answerable)`` for one question's features."""
        z = self.intercept + sum(c * (values[f] - m) / s
                                 for f, c, m, s in zip(self.features, self.coef, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_model(X: np.ndarray, answerable: np.ndarray, names: Sequence[str], *, l2: float = L2) -> AbstentionModel:
    """Logistic regression by Newton's method (IRLS) on standardised ``X``, both classes
    weighted to half the total (there are 2-3 answerable questions per unanswerable one)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(answerable, dtype=float)
    if X.ndim != 2 or len(X) != len(y) or X.shape[1] != len(names):
        raise InputError("fit_model: X must be (questions x features) with one name per feature")
    if y.min() == y.max():
        raise InputError("fit_model needs both answerable and unanswerable questions")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = np.c_[np.ones(len(X)), (X - mean) / scale]
    w = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    penalty = l2 * np.eye(Z.shape[1])
    penalty[0, 0] = 0.0
    beta = np.zeros(Z.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ beta, -50, 50)))
        grad = Z.T @ (w * (p - y)) + penalty @ beta
        hess = Z.T @ (Z * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return AbstentionModel(features=list(names), mean=[round(float(v), 6) for v in mean],
                           scale=[round(float(v), 6) for v in scale], intercept=round(float(beta[0]), 6),
                           coef=[round(float(v), 6) for v in beta[1:]])


def choose_cut(prob: np.ndarray, answerable: np.ndarray, decided: np.ndarray | None = None, *,
               target: float = TARGET_CORRECT) -> tuple[float, dict[str, float]]:
    """The lowest probability cut that abstains on at least ``target`` of the unanswerable
    questions, counting those another rule already abstains on (``decided``: a named product
    or code no visible chunk states). The cut sits halfway to the next question above it.

    Returns the cut and the fitted rates (correct and false abstention) it gives.

    Example:
        >>> cut, rates = choose_cut(np.array([.9, .8, .7, .3, .2, .1]), np.array([1, 1, 1, 0, 0, 0], bool), target=1.0)
        >>> round(cut, 2), rates["false_abstention"]
        (0.5, 0.0)
    """
    prob = np.asarray(prob, dtype=float)
    ans = np.asarray(answerable, dtype=bool)
    done = np.zeros(len(prob), dtype=bool) if decided is None else np.asarray(decided, dtype=bool)
    if not (~ans).any() or not ans.any():
        raise InputError("choose_cut needs both answerable and unanswerable questions")
    need = math.ceil(target * int((~ans).sum()) - 1e-9) - int((done & ~ans).sum())
    open_una = np.sort(prob[~ans & ~done])
    if need <= 0 or not len(open_una):
        cut = 0.0
    else:
        edge = float(open_una[min(need, len(open_una)) - 1])
        above = prob[~done & (prob > edge)]
        cut = (edge + float(above.min())) / 2 if len(above) else edge + 1e-6
    abstain = done | (prob < cut)
    return round(cut, 6), {"correct_abstention": round(float(abstain[~ans].mean()), 4),
                           "false_abstention": round(float(abstain[ans].mean()), 4)}
