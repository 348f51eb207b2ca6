"""Train the shipped injection classifier (``labkit/controls/injection_model.npz``) in plain numpy.

Training data, and nothing else:
- the *fit* halves of the public corpora (``labkit.controls.injection_corpora``; the held-out
  halves and the fresh corpus are never read here, except to drop any spikee text that shares an
  8-word run with them),
- attacks composed from spikee 0.9.2's seed folders (jailbreak templates x instructions, in
  English and four low-resource languages; :func:`spikee_rows`): public, not evaluated anywhere.
  Leave-one-corpus-out on the fit halves chose it: with it the classifier alone reaches AUC
  0.926 / 0.978 / 0.987 on a corpus it never saw (bastion / agentdojo / inthewild), 0.923 /
  0.969 / 0.979 without; accent folding and word n-grams changed nothing (so neither is used),
- round 4: round 3's fresh corpus is seen now and split like the others, so its fit half (92
  texts: raginject documents, agent-injection-bench, garak-multilingual user turns) is trained on;
  round 4's ``fresh2`` (PyRIT, PromptInject) was never read then. Round 6: ``fresh2`` is seen
  (scored first and final in round 4) and split like the others, so its fit half (130 texts) is
  trained on; round 6's ``fresh3`` (protectrag) is never read. Leave-one-corpus-out on the fit halves
  (classifier alone, AUC on the corpus left out, bastion / agentdojo / inthewild / fresh): char
  n-grams 0.939 / 0.962 / 0.988 / 0.874; with ``--words`` (hashed word unigrams and bigrams added)
  0.936 / 0.968 / 0.988 / 0.879, within noise, so the shipped model stays char-only. At the
  classifier's floor of 0.7 the left-out corpora's benign texts are flagged 0.000-0.032 of the
  time, at 0.5 0.000-0.226: the floor stays 0.7, chosen on fit data,
- round 11: ``fresh8`` (round 10's unseen check) is seen and in ``CORPORA``, so this script now trains on its
  fit half too. That model was measured and not shipped: one or two more fresh8 held-out cases, about a dozen
  lost on six other seen sets (``loadtests/RESULTS.md``, "Injection round 11"); the shipped ``.npz`` is round
  10's, trained without fresh8,
- round 12: the same for ``fresh9`` (round 11's unseen check, split by probe family). Trained with fresh9's fit
  half and measured, not shipped: fresh9's held-out half 0.733 -> 0.853 and fresh8's 0.896 -> 0.913, but recall
  or FPR lost on in-the-wild, fresh, fresh2 and fresh3 (``loadtests/RESULTS.md``, "Injection round 12"); the
  shipped ``.npz`` is still round 10's,
- round 13b: the same for ``fresh10`` (prompt-armor + vigia, split by a MinHash family key in round 13). ``--corpora``
  names the split corpora whose fit halves are trained on (default: all of ``CORPORA``); the model trained with
  ``--corpora bastion agentdojo inthewild fresh fresh2 fresh10`` (the shipped model's material plus fresh10's fit
  half, fresh8 and fresh9 left out as the shipped model leaves them out) was measured and not shipped: fresh10's
  held-out half 0.816 -> 0.875, but four of the lab's hand-written benign guards flagged, two of them business mail
  naming an address, which fresh10's attack-only e-mails teach (``loadtests/RESULTS.md``, "Injection round 13b");
  ``--exclude fresh10:tool_output`` drops those e-mails (measured too, not shipped). The ``.npz`` records
  ``meta["fit_corpora"]`` and ``meta["excluded"]``; the shipped one is still round 10's,
- round 14: ``benign14`` (public benign chat in 28 languages and English text messages) is in ``CORPORA``, so its fit
  half is benign training material; ``--weight-by-package CORPUS`` gives each package of a corpus the loss share a
  corpus gets. Two models trained with ``--corpora bastion agentdojo inthewild fresh fresh2 fresh10 benign14`` (with
  and without ``--weight-by-package benign14``) were measured and not shipped: benign14's held-out FPR 0.020 -> 0.007
  / 0.002 and fresh10's held-out half 0.816 -> 0.861 (the first), but each flags one of the lab's hand-written benign
  guards (``loadtests/RESULTS.md``, "Injection round 14"); the shipped ``.npz`` is still round 10's,
- round 15 (shipped): the same material as round 14's first candidate, with e-mail addresses and hosts read as
  placeholders (``injection_model.mask_addresses``; ``--keep-addresses`` for the old reading): the placeholder hosts
  the attack corpora repeat ("example.com") were what pushed the lab's benign guards over the floor. Choices were made
  on the *dev* part of the fit halves (``--fit-part train`` trains without it; ``injection_corpora.in_dev_part``),
  the held-out halves of fresh10 and benign14 scored once at the end (``loadtests/RESULTS.md``, "Injection round 15"),
- the lab's own labelled sets: ``datasets/eval/injection_cases.jsonl``, the ticket notes with
  their ``injection`` truth, the KB sections of documents without an injection defect (benign),
  and the two fixtures ``tests/fixtures/injection_{small,heldout}.jsonl`` (so those become upper
  bounds, as the README says).

Model: logistic regression over hashed char 3/4/5-grams (presence) of the detector's normalised text
(:mod:`labkit.controls.injection_model`), trained window by window with full-batch Adam and L2;
each (source, label) pair gets the same total weight, so 2,400 ticket notes do not drown 30
German attacks. ``--cv`` first trains on one hash-half of the fit data and reports the other
half, to choose the settings without touching the held-out halves.

Run: ``.venv/bin/python loadtests/train_injection_model.py [--cv] [--words]`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from labkit.controls import injection_corpora as _corpora
from labkit.controls import injection_model as im
from labkit.controls.injection import _fire, model_text
from labkit.controls.injection_corpora import CORPORA, half, in_dev_part, load_public
from labkit.settings import REPO_ROOT, datasets_dir

BITS = 18
WINDOW = 1024


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


SPIKEE_SEEDS = ("seeds-cybersec-2026-01", "seeds-llm-mailbox", "seeds-sysmsg-extraction-2025-04",
                "zzz_LEGACY_seeds-cybersec-2025-04")


def spikee_rows(per_jailbreak: int = 4) -> list[dict]:
    """Attacks composed the way spikee 0.9.2 composes them, from its seed folders (Apache-2.0).

    Each jailbreak template (``... <INSTRUCTION> ...``; English, Albanian, Irish, Scottish Gaelic,
    Zulu) is filled with ``per_jailbreak`` instructions of its language (exfiltration by markdown
    image, XSS, long output, system-prompt extraction, encoding, translation), chosen by hash, and
    sent either alone (a user turn) or inside the seed's e-mail document (a tool output). The
    carrier document alone is the one benign text (so its own words do not read as an attack):
    spikee's benign seed set is the ``inthewild`` corpus's benign side, which is evaluated.
    A composed text that shares an 8-word run with any text outside the fit halves (held-out,
    fresh, or kept out of both) is dropped, so nothing evaluated leaks in through spikee.
    """
    root = _corpora._package_dir("spikee") / "data" / "workspace" / "datasets"
    jailbreaks: dict[str, dict] = {}
    instructions: dict[str, dict] = {}
    document = ""
    for seed in SPIKEE_SEEDS:
        for r in _jsonl(root / seed / "jailbreaks.jsonl"):
            jailbreaks.setdefault(r["text"], r)
        for r in _jsonl(root / seed / "instructions.jsonl"):
            instructions.setdefault(r["instruction"], r)
        for r in _jsonl(root / seed / "base_user_inputs.jsonl"):
            if r["id"] == "email-01":
                document = r["document"]
    by_lang: dict[str, list[str]] = defaultdict(list)
    for text, r in sorted(instructions.items()):
        by_lang[r.get("lang") or "en"].append(text)
    evaluated = _evaluated_shingles()
    rows: list[dict] = []
    for text, r in sorted(jailbreaks.items()):
        pool = by_lang.get(r.get("lang") or "en") or by_lang["en"]
        for k in range(per_jailbreak):
            h = int(hashlib.sha256(f"{r['id']}\x1f{k}".encode()).hexdigest(), 16)
            attack = text.replace("<INSTRUCTION>", pool[h % len(pool)])
            in_doc = (h >> 8) % 2 and document
            body = document.replace("|CONTENT: ", "|CONTENT: " + attack + " ") if in_doc else attack
            if _shingles(body) & evaluated:
                continue
            rows.append({"text": body, "y": True, "source": "public:spikee", "lang": r.get("lang") or "en",
                         "channel": "tool_output" if in_doc else "user_input", "id": f"spikee:{r['id']}:{k}"})
    # the carrier document alone, benign, so its own words do not read as an attack
    rows.append({"text": document, "y": False, "source": "public:spikee", "lang": "en", "channel": "tool_output",
                 "id": "spikee:email-01"})
    return rows


def _shingles(text: str, n: int = 8) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(max(len(words) - n + 1, 0))}


def _evaluated_shingles() -> set[str]:
    out: set[str] = set()
    for name in [*CORPORA, *_corpora.FRESH_CORPORA]:
        for c in load_public(name):
            if half(c) != "fit":
                out |= _shingles(c.text)
    return out


def training_rows(spikee: bool = True, corpora: list[str] | None = None, exclude: tuple[str, ...] = (),
                  fit_part: str = "all") -> list[dict]:
    """Every training text as a dict; ``corpora`` limits the public fit halves read (default: all of ``CORPORA``),
    ``exclude`` drops a corpus's channel (``"fresh10:tool_output"``) from them. ``fit_part`` (round 15): ``"all"`` reads
    the whole fit halves, ``"train"`` leaves out their dev part (``injection_corpora.in_dev_part``), ``"dev"`` returns the dev part alone
    (public rows only: what the choices are measured on)."""
    if fit_part not in ("all", "train", "dev"):
        raise ValueError(f"fit_part must be 'all', 'train' or 'dev', got {fit_part!r}")
    rows: list[dict] = spikee_rows() if spikee and fit_part != "dev" else []
    for name in (CORPORA if corpora is None else corpora):
        for c in load_public(name):
            if half(c) != "fit" or f"{name}:{c.location}" in exclude:
                continue
            if fit_part != "all" and in_dev_part(c) != (fit_part == "dev"):
                continue
            rows.append({"text": c.text, "y": c.label == "malicious", "source": f"public:{name}",
                         "lang": c.lang, "channel": c.location, "id": c.id,
                         "package": c.source.split(" ")[0].split(":")[0]})
    if fit_part == "dev":
        return rows
    for path in (datasets_dir() / "eval" / "injection_cases.jsonl", REPO_ROOT / "tests" / "fixtures" / "injection_small.jsonl",
                 REPO_ROOT / "tests" / "fixtures" / "injection_heldout.jsonl"):
        for r in _jsonl(path):
            rows.append({"text": r["text"], "y": r["label"] == "malicious", "source": f"lab:{path.stem}",
                         "lang": "en", "channel": r.get("location", "unknown"), "id": str(r["id"])})
    truth = {t["ticket_id"]: t["injection"] for t in _jsonl(datasets_dir() / "tickets" / "ticket_truth.jsonl")}
    for t in _jsonl(datasets_dir() / "tickets" / "tickets.jsonl"):
        if t.get("notes"):
            rows.append({"text": t["notes"], "y": bool(truth.get(t["ticket_id"])), "source": "lab:ticket_notes",
                         "lang": "en", "channel": "ticket_note", "id": t["ticket_id"]})
    bad = {d["doc_id"] for d in _jsonl(datasets_dir() / "kb" / "defects.jsonl") if d["defect"] == "injection"}
    for s in _jsonl(datasets_dir() / "kb" / "sections.jsonl"):
        if s["doc_id"] not in bad:
            rows.append({"text": s["text"], "y": False, "source": "lab:kb_sections", "lang": "en",
                         "channel": "document", "id": s["section_id"]})
    return rows


def featurise(rows: list[dict], bits: int, window: int, words: bool = False,
              mask: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """COO arrays (window row, bucket, value) plus per-window labels and owning text index; ``mask`` reads addresses
    and hosts as placeholders (``injection_model.mask_addresses``), as a model saved with ``mask_addresses`` scores."""
    r_idx, c_idx, vals, y, owner = [], [], [], [], []
    w = 0
    for i, row in enumerate(rows):
        text = model_text(row["text"])
        text = im.mask_addresses(text) if mask else text
        buckets = im.ngram_buckets(text, bits, words)
        if not len(buckets):
            continue
        starts, ends = im.window_bounds(len(buckets), len(text), window)
        for s, e in zip(starts, ends):
            ids, values = im.features(buckets[s:e].ravel())
            r_idx.append(np.full(len(ids), w))
            c_idx.append(ids)
            vals.append(values)
            y.append(row["y"])
            owner.append(i)
            w += 1
    return (np.concatenate(r_idx), np.concatenate(c_idx), np.concatenate(vals).astype(np.float32),
            np.array(y, dtype=np.float32), np.array(owner))


def _weight_group(row: dict, by_package: tuple[str, ...]) -> tuple[str, bool]:
    """The (group, label) whose texts share one total weight: the source, or for a corpus named in ``by_package``
    the package the text came from (round 14: ``benign14`` joins two unrelated packages, chat and text messages)."""
    if row["source"].removeprefix("public:") in by_package:
        return f"{row['source']}/{row.get('package', '')}", row["y"]
    return row["source"], row["y"]


def sample_weights(rows: list[dict], owner: np.ndarray, by_package: tuple[str, ...] = ()) -> np.ndarray:
    # Every (source, label) pair weighs the same in total (or every (package, label) pair of a corpus named in
    # ``by_package``); within it, every text the same; a text's windows share its weight (by sqrt, so a long
    # benign file still counts per window).
    per_group = Counter(_weight_group(r, by_package) for r in rows)
    windows_per_text = np.bincount(owner, minlength=len(rows))
    text_w = np.array([1.0 / per_group[_weight_group(r, by_package)] for r in rows])
    w = text_w[owner] / np.sqrt(windows_per_text[owner])
    return (w / w.mean()).astype(np.float32)


def train(coo, y: np.ndarray, sw: np.ndarray, bits: int, l2: float, epochs: int, lr: float = 0.05) -> tuple[np.ndarray, float]:
    rows, cols, vals = coo
    n, d = len(y), 1 << bits
    w = np.zeros(d, dtype=np.float64)
    b = 0.0
    m_w, v_w = np.zeros(d), np.zeros(d)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    total = sw.sum()
    for t in range(1, epochs + 1):
        z = np.bincount(rows, weights=vals * w[cols], minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-z))
        g = (p - y) * sw / total
        grad_w = np.bincount(cols, weights=vals * g[rows], minlength=d) + l2 * w
        grad_b = g.sum()
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w ** 2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b ** 2
        w -= lr * (m_w / (1 - beta1 ** t)) / (np.sqrt(v_w / (1 - beta2 ** t)) + eps)
        b -= lr * (m_b / (1 - beta1 ** t)) / (np.sqrt(v_b / (1 - beta2 ** t)) + eps)
    return w, b


def save(w: np.ndarray, b: float, bits: int, window: int, meta: dict, path: Path = im.MODEL_PATH) -> None:
    scale = float(np.abs(w).max() / 127.0) or 1.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    meta = {**meta, "bias": b, "bits": bits, "window": window}
    np.savez_compressed(path, weights_q=q, scale=np.array(scale), meta=np.array(json.dumps(meta)))


def _fold(row: dict) -> int:
    return hashlib.sha256(("cv\x1f" + row["id"]).encode()).digest()[0] % 2


def _rules_score(text: str) -> float:
    hits: dict[str, float] = {}
    _fire(text, hits, [])
    return 1.0 - float(np.prod([1.0 - w for w in hits.values()]))


def cross_validate(rows: list[dict], l2: float, epochs: int, words: bool = False) -> None:
    """Train on fold 0 of the fit data (plus all lab data), report fold 1 of each public corpus.

    Prints the rules alone, the classifier alone, and the detector's combination (the classifier
    joins the rules' noisy-OR when its probability reaches a floor) for a few floors.
    """
    train_rows = [r for r in rows if r["source"] not in {f"public:{name}" for name in CORPORA} or _fold(r) == 0]
    evaluated = {f"public:{name}" for name in CORPORA}  # spikee trains only: it has no benign side to score
    val_rows = [r for r in rows if r["source"] in evaluated and _fold(r) == 1]
    val_rows += [r for r in rows if r["source"] == "lab:ticket_notes" and _fold(r) == 1]  # FPR on lab text
    r_, c_, v_, y, owner = featurise(train_rows, BITS, WINDOW, words)
    w, b = train((r_, c_, v_), y, sample_weights(train_rows, owner), BITS, l2, epochs)
    tmp = im.MODEL_PATH.with_suffix(".cv.npz")
    save(w, b, BITS, WINDOW, {"cv": True, "words": words}, tmp)
    model = im.Model(tmp)
    tmp.unlink()
    stats: dict[str, list] = defaultdict(list)
    for r in val_rows:
        stats[r["source"]].append((r["y"], _rules_score(r["text"]), model.probability(model_text(r["text"])), r["lang"]))
    for src, items in stats.items():
        mal = [(rs, p, lg) for t, rs, p, lg in items if t]
        ben = [(rs, p, lg) for t, rs, p, lg in items if not t]

        def rate(rows_: list, fn) -> str:
            return f"{np.mean([fn(rs, p) for rs, p, _ in rows_]):.3f}" if rows_ else "  -  "

        print(f"  cv {src:<18} mal {len(mal):>3} ben {len(ben):>4}  rules alone: R {rate(mal, lambda rs, p: rs >= 0.5)} "
              f"FPR {rate(ben, lambda rs, p: rs >= 0.5)}")
        for floor in (0.5, 0.6, 0.7, 0.8):
            def flag(rs: float, p: float, floor: float = floor) -> bool:
                return 1 - (1 - rs) * (1 - (p if p >= floor else 0.0)) >= 0.5
            print(f"     floor {floor:.1f}: R {rate(mal, flag)} FPR {rate(ben, flag)}   "
                  + " ".join(f"{lg}:{rate([m for m in mal if m[2] == lg], flag)}" for lg in sorted({m[2] for m in mal}) if lg != "en"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cv", action="store_true", help="only cross-validate within the fit halves; do not save")
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--words", action="store_true", help="add hashed word unigrams and bigrams to the char n-grams")
    ap.add_argument("--corpora", nargs="+", choices=sorted(CORPORA), default=None,
                    help="split corpora whose fit halves are trained on (default: all of CORPORA)")
    ap.add_argument("--exclude", nargs="*", default=[], help="CORPUS:CHANNEL pairs left out of the fit halves read")
    ap.add_argument("--weight-by-package", nargs="*", default=[], metavar="CORPUS",
                    help="give each package of these corpora its own share of the loss weight (default: one per corpus)")
    ap.add_argument("--out", type=Path, default=im.MODEL_PATH, help="where to write the weights (default: the shipped file)")
    ap.add_argument("--keep-addresses", action="store_true",
                    help="read e-mail addresses and hosts as they are (before round 15); default: as placeholders")
    ap.add_argument("--fit-part", choices=("all", "train"), default="all",
                    help="'train' leaves the dev part of every fit half out (round 15: choices are made on that part)")
    args = ap.parse_args()
    t0 = time.time()
    fit_corpora = sorted(CORPORA) if args.corpora is None else sorted(set(args.corpora))
    rows = training_rows(corpora=fit_corpora, exclude=tuple(args.exclude), fit_part=args.fit_part)
    counts = Counter((r["source"], "malicious" if r["y"] else "benign") for r in rows)
    print(f"{len(rows)} training texts: " + ", ".join(f"{s}/{lab} {n}" for (s, lab), n in sorted(counts.items())))
    if args.cv:
        cross_validate(rows, args.l2, args.epochs, args.words)
        print(f"{time.time() - t0:.0f} s")
        return
    r_, c_, v_, y, owner = featurise(rows, BITS, WINDOW, args.words, mask=not args.keep_addresses)
    w, b = train((r_, c_, v_), y, sample_weights(rows, owner, tuple(args.weight_by_package)), BITS, args.l2, args.epochs)
    meta = {"trained_on": {f"{s}/{lab}": n for (s, lab), n in sorted(counts.items())},
            "held_out_never_read": sorted(CORPORA), "fit_corpora": fit_corpora, "excluded": sorted(args.exclude),
            "weight_by_package": sorted(args.weight_by_package), "fit_part": args.fit_part, "fresh_never_read": sorted(_corpora.FRESH_CORPORA),
            "l2": args.l2, "epochs": args.epochs, "words": args.words, "mask_addresses": not args.keep_addresses,
            "features": "hashed char 3/4/5-grams of the detector's normalised text, presence / sqrt(distinct), int8 weights",
            "trainer": "loadtests/train_injection_model.py (full-batch Adam, plain numpy)"}
    save(w, b, BITS, WINDOW, meta, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KiB, {len(y)} windows) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
