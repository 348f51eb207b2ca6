"""RAG benchmark (issue 14): quality on the natural question set's held-out half, the templated
set beside it, ingestion, and retrieval latency with the query embedding included.

Runs the real pipeline (mock provider on a free port, resilient client, the semantic embedding
model by default, Chroma, DuckDB) in a scratch ``LABKIT_VAR``. Prints tables and writes
``var/bench/rag.json``.

- Both question sets are split by a hash of the qid (:func:`labkit.rag.evaluate.split_questions`).
  ``--calibrate`` fits the hybrid fusion weights and the abstention thresholds on the
  calibration halves of the natural AND the templated set and writes them to
  ``labkit/rag/thresholds.json``; every headline figure is on the natural TEST half, which
  nothing was fitted on. The first run before any tuning
  (``loadtests/results/rag_natural_first_run_test_half.json``) is printed beside the final one.
- quality: every (chunking, strategy); abstention (near misses separately); permission leakage
  over every test question x every role; end to end (section/hybrid, k=5): usable answers =
  answered with a grade-2 labelled section cited, stale-version citations.
- ingestion: the default knowledge base from an empty index (seconds, chunks/s) and again
  unchanged (content-addressed: nothing re-embedded).
- latency: hybrid section retrieval, k=5, query embedding included (resilient client ->
  /v1/embeddings -> MiniLM), on questions never embedded before (each asked with a unique
  suffix, so neither the provider's vector cache nor the retriever's caches help) and on
  repeated ones; the embedding call alone beside it. ``--10x`` adds a corpus ten times larger.
- ``--questions FILE``: a question set nothing was tuned on (e.g. a fresh hand-written one, same
  format as ``labkit rag eval --questions``) takes the natural test half's place as the headline:
  every question in it counts as test (no split); the templated test half stays beside it.
  ``--quality-only`` skips the latency part (the lead runs ``--latency-only`` on a quiet machine).

- ``--fit-fusion`` (round 4b) chooses the hybrid fusion (z-score or RRF, and its weights) on
  EVERY seen set at once, each counting the same: the natural and templated halves plus each
  ``--fit-also FILE`` (the fresh sets already scored), prints how the choice holds when each
  set in turn is left out of it (leave one set out), and writes only the ``fusion`` entry
  of ``labkit/rag/thresholds.json`` (abstention reads raw scores, not the fused ranking, so
  its fit does not move). Never give it a set that is still unseen.
- ``--calibrate`` keeps the committed fusion (refitted only when there is none) and fits the
  combined abstention score (``--method model``, round 4; ``grid`` is
  round 3's two thresholds); ``--fit-also FILE`` adds a whole set already read to the fitting
  questions (tried with the first fresh set in round 4 and not kept; see RESULTS).

- ``--fit-abstention`` (round 5) chooses the abstention cut's target share the same way: each
  seen set held out in turn (natural and templated calibration halves, each ``--fit-also``
  FILE), the score fitted on the others at each of :data:`ABSTENTION_TARGETS`, the target whose
  worst held-out set is furthest inside both limits (correct >= 0.85, false <= 0.10) kept;
  then fits on every seen set at that target and writes the thresholds (not the fusion). The
  natural and templated test halves stay out of the fit. Never give it a set that is still unseen.

Usage: .venv/bin/python loadtests/bench_rag.py [--calibrate [--method model|grid] [--fit-also FILE]]
       [--fit-fusion [--fit-also FILE ...]] [--fit-abstention [--fit-also FILE ...]]
       [--10x] [--model ID] [--questions FILE] [--quality-only | --latency-only]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"recall@5": 0.95, "ndcg@10": 0.85, "correct_abstention": 0.85, "false_abstention": 0.10,
           "usable_share": 0.85, "retrieval_p95_ms": 50.0, "ingest_s": 60.0}
FIRST_RUN = ROOT / "loadtests" / "results" / "rag_natural_first_run_test_half.json"


def _configs(report: Any) -> dict[str, dict[str, Any]]:
    return {f"{c.chunking}/{c.strategy}": {**{m: c.metrics.get(m, 0.0) for m in ("recall@5", "ndcg@10", "mrr")},
                                           "correct_abstention": c.correct_abstention,
                                           "false_abstention": c.false_abstention, "latency_ms": c.latency_ms}
            for c in report.configs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="fit fusion and thresholds on the calibration halves")
    ap.add_argument("--10x", dest="ten_x", action="store_true", help="also measure latency on a 10x corpus")
    ap.add_argument("--model", default=None, help="embedding model (default: the pipeline's)")
    ap.add_argument("--max-false", type=float, default=0.05, help="calibration cap on false abstention")
    ap.add_argument("--latency-only", action="store_true", help="ingest and latency only (no quality run)")
    ap.add_argument("--quality-only", action="store_true", help="quality only (no latency run)")
    ap.add_argument("--fit-fusion", action="store_true",
                    help="choose the hybrid fusion on every seen set (leave-one-set-out report), write it, stop")
    ap.add_argument("--fit-abstention", action="store_true",
                    help="choose the abstention target by leave-one-set-out on every seen set, fit on all, write, stop")
    ap.add_argument("--questions", type=Path, default=None,
                    help="headline question set, all of it test (default: the natural set's test half)")
    ap.add_argument("--fit-also", type=Path, action="append", default=[], metavar="FILE",
                    help="with --calibrate: also fit on every question of FILE (a set already read, e.g. the "
                         "first fresh set); repeatable")
    ap.add_argument("--method", choices=("model", "grid"), default="model",
                    help="with --calibrate: combined logistic score (round 4) or the round 3 threshold grid")
    args = ap.parse_args()
    for extra in args.fit_also:
        if not extra.is_file():
            ap.error(f"--fit-also: no such file {extra}")
    if args.fit_also and not (args.calibrate or args.fit_fusion or args.fit_abstention):
        ap.error("--fit-also only makes sense with --calibrate, --fit-fusion or --fit-abstention")
    if args.fit_abstention and (args.calibrate or args.fit_fusion or args.questions is not None):
        ap.error("--fit-abstention runs on its own (no --calibrate, --fit-fusion or --questions)")
    if args.fit_fusion and (args.calibrate or args.questions is not None):
        ap.error("--fit-fusion runs on its own (no --calibrate, no --questions)")
    if args.questions is not None and not args.questions.is_file():
        ap.error(f"--questions: no such file {args.questions}")
    if args.questions is not None and args.calibrate:
        ap.error("--questions is for measuring only; calibrate on the calibration halves without it")
    out_dir = Path(os.environ.get("LABKIT_VAR", ROOT / "var")) / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="bench-rag-")
    os.environ["LABKIT_VAR"] = scratch

    from labkit.direct import ClientConfig, ResilientClient
    from labkit.provider.server import serve_in_thread
    from labkit.rag import RagPipeline
    from labkit.rag.abstention import TARGET_CORRECT
    from labkit.rag.dense import persistent_client
    from labkit.rag.evaluate import (
        calibrate_all,
        calibrate_fusion,
        end_to_end,
        evaluate,
        fusion_table,
        leakage,
        load_questions,
        percentiles,
        split_questions,
    )
    from labkit.rag.index import RagIndex, load_documents
    from labkit.rag.retrieve import Retriever, load_fusion, load_question_vocabulary, load_thresholds
    from labkit.settings import datasets_dir

    nat_path = datasets_dir() / "eval" / "natural_questions.jsonl"
    head_path = args.questions.resolve() if args.questions is not None else nat_path
    raw = {json.loads(line)["qid"]: json.loads(line) for line in head_path.read_text().splitlines() if line.strip()}
    natural = load_questions(nat_path)
    templated = load_questions(datasets_dir() / "eval" / "retrieval_questions.jsonl")
    n_cal, n_test = split_questions(natural)
    t_cal, t_test = split_questions(templated)
    if args.questions is not None:
        n_test = load_questions(head_path)  # every question of a set nobody tuned on is test
    head = "natural test half" if args.questions is None else f"{head_path.name} (all {len(n_test)} as test)"
    result: dict[str, Any] = {"machine": "2 cores, shared with other engineers' jobs, noisy",
                              "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                              "headline_set": head,
                              "split": {"natural": [len(n_cal), len(n_test)], "templated": [len(t_cal), len(t_test)]}}
    with serve_in_thread() as provider:
        client = ResilientClient(ClientConfig(base_url=provider.base_url, api_key="lab-key"))
        rag = RagPipeline(client, **({"embed_model": args.model} if args.model else {}))
        result["embed_model"] = rag.index.embed_model
        docs = load_documents()
        t0 = time.perf_counter()
        rep = rag.index.ingest(docs, prune="all", progress=False)
        ingest_s = time.perf_counter() - t0
        chunks = sum(s.chunks for s in rep.strategies.values())
        t0 = time.perf_counter()
        again = rag.index.ingest(docs, prune="all", progress=False)
        result["ingest"] = {"documents": len(docs), "chunks": chunks, "seconds": round(ingest_s, 1),
                            "chunks_per_s": round(chunks / ingest_s, 1),
                            "unchanged_again_s": round(time.perf_counter() - t0, 2),
                            "unchanged_again_embedded": sum(s.embedded for s in again.strategies.values())}
        print(f"ingest ({rag.index.embed_model}): {len(docs)} document versions, {chunks} chunks in {ingest_s:.1f} s "
              f"({chunks / ingest_s:.0f} chunks/s); unchanged again {result['ingest']['unchanged_again_s']} s, "
              f"{result['ingest']['unchanged_again_embedded']} re-embedded")

        if args.fit_fusion:
            code = _fit_fusion(rag.index, {"natural calibration half": n_cal, "natural test half": n_test,
                                           "templated calibration half": t_cal, "templated test half": t_test,
                                           **{e.name: load_questions(e) for e in args.fit_also}},
                               fusion_table, out_dir)
            rag.close()
            return code
        if args.fit_abstention:
            code = _fit_abstention(rag.index, {"natural calibration half": n_cal, "templated calibration half": t_cal,
                                               **{e.name: load_questions(e) for e in args.fit_also}},
                                   out_dir, natural=len(natural), templated=len(templated))
            rag.close()
            return code
        if args.calibrate:
            fitting = n_cal + t_cal
            extras = [(e.name, load_questions(e)) for e in args.fit_also]
            for _, qs in extras:
                fitting += qs
            also = "".join(f" and all {len(qs)} of {name}" for name, qs in extras)
            how = (f"combined logistic score over similarity, log BM25 and coverage, cut at {TARGET_CORRECT:.0%} "
                   "correct abstention of the fitted unanswerable questions" if args.method == "model" else
                   f"threshold grid, false abstention <= {args.max_false:.0%}, balanced objective, no unknown-term rule")
            # since round 4b the fusion is chosen by --fit-fusion on every seen set: keep the
            # committed one (abstention reads raw scores, so its fit does not depend on it)
            fusion = load_fusion() or calibrate_fusion(rag.index, fitting)
            calibrate_all(rag.index, fitting, save=True, fusion=fusion, max_false_abstention=args.max_false,
                          method=args.method,
                          note=f"calibrated on the calibration halves of the natural ({len(n_cal)} of "
                               f"{len(natural)}) and templated ({len(t_cal)} of {len(templated)}) question "
                               f"sets, split by hash of qid{also}; {how}")
            print("calibrated and saved labkit/rag/thresholds.json")
        rag.retriever.thresholds, rag.retriever.fusion = load_thresholds(), load_fusion()
        rag.retriever.question_vocabulary = load_question_vocabulary()
        result["fusion"] = {k: v.model_dump() for k, v in rag.retriever.fusion.items()}
        result["thresholds"] = {k: v.model_dump() for k, v in rag.retriever.thresholds.items()}

        if args.latency_only:
            rag.retriever.warm_up()
            qs = list(natural + templated)
            cold = [rag.retriever.retrieve(f"{q.question} (asked {n} {time.time_ns()})", q.roles, k=5).latency_ms
                    for n, q in enumerate(qs)]
            emb = []
            for n, q in enumerate(qs):
                t0 = time.perf_counter()
                rag.index.embed([f"{q.question} (bench {n} {time.time_ns()})"])
                emb.append((time.perf_counter() - t0) * 1000)
            result["latency_1x"] = {"unseen_questions": percentiles(cold), "query_embedding_alone": percentiles(emb)}
            print(json.dumps({k: result[k] for k in ("ingest", "latency_1x")}, indent=1))
            (out_dir / "rag_latency.json").write_text(json.dumps(result, indent=2, default=str))
            rag.close()
            return 0
        # quality: natural test half (headline), templated test half beside it
        nat = evaluate(rag.index, n_test, thresholds=rag.retriever.thresholds, check_leakage=False)
        tpl = evaluate(rag.index, t_test, thresholds=rag.retriever.thresholds, check_leakage=False)
        nat_cal = evaluate(rag.index, n_cal, thresholds=rag.retriever.thresholds, check_leakage=False,
                           chunkings=("section",), strategies=("hybrid",))
        # per question, section/hybrid: why each answerable one was not usable, and which
        # unanswerable ones were answered end to end (below, after end_to_end)
        result["natural_test"] = _configs(nat)
        result["templated_test"] = _configs(tpl)
        result["natural_calibration_section_hybrid"] = _configs(nat_cal)["section/hybrid"]
        e2e_c = end_to_end(rag.retriever, client, n_cal)
        result["end_to_end_natural_calibration"] = {"usable": e2e_c.usable, "answerable": e2e_c.answerable,
                                                    "correct_abstention": e2e_c.correct_abstention}
        hybrid_rows = nat.config("section", "hybrid").per_question
        near = [r for r in hybrid_rows if not r["answerable"] and (raw[r["qid"]].get("near_miss_of") or {}).get("axis")]
        result["near_miss_correct_abstention"] = [sum(r["abstain"] for r in near), len(near)]
        leaks = leakage(rag.index, n_test + t_test)
        result["leakage"] = {k: v for k, v in leaks.items() if k != "examples"}
        e2e = end_to_end(rag.retriever, client, n_test)
        result["end_to_end_natural_test"] = {k: v for k, v in e2e.model_dump().items() if k != "per_question"}
        result["end_to_end_natural_test"]["usable_share"] = round(e2e.usable / max(1, e2e.answerable), 4)
        result["end_to_end_rows"] = e2e.per_question
        e2e_t = end_to_end(rag.retriever, client, t_test)
        result["end_to_end_templated_test"] = {"usable": e2e_t.usable, "answerable": e2e_t.answerable,
                                               "stale_citations": e2e_t.stale_citations,
                                               "correct_abstention": e2e_t.correct_abstention}
        result["end_to_end_natural_test"]["near_miss_abstained"] = [
            sum(r["status"] == "abstained" for r in e2e.per_question if r["qid"] in {n["qid"] for n in near}), len(near)]
        if args.quality_only:
            rag.close()
            return _report(result, args, out_dir)

        # latency, query embedding included
        pipe_r: Retriever = rag.retriever
        rag.retriever.warm_up()
        qs = [q for q in natural + templated]
        cold: list[float] = []
        embed_ms: list[float] = []
        for n, q in enumerate(qs):
            t0 = time.perf_counter()
            rag.index.embed([f"{q.question} (bench {n} {time.time_ns()})"])
            embed_ms.append((time.perf_counter() - t0) * 1000)
            cold.append(pipe_r.retrieve(f"{q.question} (asked {n} {time.time_ns()})", q.roles, k=5).latency_ms)
        warm = [pipe_r.retrieve(q.question, q.roles, k=5).latency_ms for q in qs]
        result["latency_1x"] = {"unseen_questions": percentiles(cold), "repeated_questions": percentiles(warm),
                                "query_embedding_alone": percentiles(embed_ms)}

        if args.ten_x:
            big_docs = list(docs)
            for copy in range(1, 10):
                for d in docs:
                    nd = d.model_copy(deep=True)
                    nd.doc_id = f"{d.doc_id}X{copy}"
                    nd.title = f"{d.title} (archive {copy})"
                    for s in nd.sections:
                        s.section_id = s.section_id.replace(d.doc_id, nd.doc_id)
                    big_docs.append(nd)
            big = RagIndex(client, chroma=persistent_client(Path(scratch) / "chroma10x"), embed_model=rag.index.embed_model,
                           lexical_path=Path(scratch) / "rag" / "bm25-10x.duckdb", strategies=("section",))
            t0 = time.perf_counter()
            brep = big.ingest(big_docs, prune="all", progress=False)
            bs = time.perf_counter() - t0
            result["ingest_10x"] = {"chunks": brep.strategies["section"].chunks, "seconds": round(bs, 1)}
            br = Retriever(big, thresholds=rag.retriever.thresholds)
            br.warm_up()
            lat = [br.retrieve(f"{q.question} (10x {n})", q.roles, k=5).latency_ms for n, q in enumerate(qs[:200])]
            result["latency_10x"] = percentiles(lat)
            big.close()
        rag.close()
    return _report(result, args, out_dir)


def _fit_fusion(index: Any, sets: dict[str, Any], fusion_table: Any, out_dir: Path) -> int:
    """Choose section fusion on every seen set, report leave-one-set-out, write the fusion entry."""
    from labkit.rag.retrieve import THRESHOLDS_PATH

    table = fusion_table(index, sets, "section")
    n = len(table.settings)
    chosen = table.settings[table.choose()]
    print(f"\nsection fusion chosen on all {len(sets)} seen sets (mean nDCG@10, each set the same): {chosen.model_dump()}")
    print(f"{'set':<34}{'dense':>8}{'lexical':>8}{'chosen':>8}   leave this set out: chosen on the others -> nDCG here")
    loso = table.leave_one_set_out()
    pick = table.choose()
    for name in table.sets:
        lo = loso[name]
        print(f"{name:<34}{table.ndcg[name][n]:>8.4f}{table.ndcg[name][n + 1]:>8.4f}{table.ndcg[name][pick]:>8.4f}"
              f"   {lo['chosen']['method']} d{lo['chosen']['dense']} l{lo['chosen']['lexical']} "
              f"doc{lo['chosen']['doc']} -> {lo['ndcg@10']:.4f} (R@5 {lo['recall@5']:.4f})")
    raw = json.loads(THRESHOLDS_PATH.read_text())
    raw.setdefault("fusion", {})["section"] = chosen.model_dump()
    raw["fusion_note"] = (f"section fusion chosen by loadtests/bench_rag.py --fit-fusion on {', '.join(sets)} "
                          "(mean nDCG@10, each set counting the same); leave-one-set-out in "
                          "loadtests/results/rag_fusion_round4b.json; fixed chunking keeps its round 4 RRF weights")
    tmp = THRESHOLDS_PATH.with_suffix(".tmp")
    tmp.write_text(json.dumps(raw, indent=2) + "\n")
    tmp.replace(THRESHOLDS_PATH)
    out = {"load_average": [round(x, 2) for x in os.getloadavg()], "chosen": chosen.model_dump(),
           "table": table.model_dump(), "leave_one_set_out": loso}
    (out_dir / "rag_fusion.json").write_text(json.dumps(out, indent=2))
    print(f"wrote the section fusion to {THRESHOLDS_PATH} and the table to {out_dir / 'rag_fusion.json'}")
    return 0


#: candidate shares of fitted unanswerable questions the abstention cut must abstain on
ABSTENTION_TARGETS = (0.90, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99)


def _fit_abstention(index: Any, sets: dict[str, Any], out_dir: Path, *, natural: int, templated: int) -> int:
    """Choose the abstention target by leave-one-set-out on every seen set, fit on them all, write."""
    from labkit.rag.evaluate import abstention_leave_one_set_out, calibrate_all
    from labkit.rag.retrieve import load_fusion

    folds = abstention_leave_one_set_out(index, sets, ABSTENTION_TARGETS)
    print(f"\nabstention, section/hybrid: each set held out in turn, the score fitted on the other {len(sets) - 1}")
    print(f"{'held-out set':<36}" + "".join(f"{t:>13.2f}" for t in ABSTENTION_TARGETS) + "   (correct/false abstention)")
    for f in folds:
        print(f"{f.held_out:<36}" + "".join(f"{f.correct_abstention[f'{t:.2f}']:>7.2f}/{f.false_abstention[f'{t:.2f}']:<5.2f}"
                                             for t in ABSTENTION_TARGETS))

    # the target whose worst held-out set is furthest inside both of the limits
    # (correct >= 0.85, false <= 0.10); ties go to the lower target (abstains less)
    def worst_margin(t: float) -> float:
        k = f"{t:.2f}"
        return min(min(f.correct_abstention[k] - TARGETS["correct_abstention"],
                       TARGETS["false_abstention"] - f.false_abstention[k]) for f in folds)

    margins = {t: round(worst_margin(t), 4) for t in ABSTENTION_TARGETS}
    chosen = max(ABSTENTION_TARGETS, key=lambda t: (margins[t], -t))
    print("worst held-out margin per target: " + ", ".join(f"{t:.2f}: {m:+.3f}" for t, m in margins.items()))
    print(f"chosen target {chosen:.2f}; fitting on all {sum(len(q) for q in sets.values())} questions of {len(sets)} sets")
    fitting = [q for qs in sets.values() for q in qs]
    calibrate_all(index, fitting, save=True, fusion=load_fusion(), method="model", target=chosen,
                  note=(f"calibrated on every seen set: the natural ({len(sets['natural calibration half'])} of {natural}) "
                        f"and templated ({len(sets['templated calibration half'])} of {templated}) calibration halves "
                        f"(split by hash of qid)" + "".join(f", all of {n}" for n in list(sets)[2:]) +
                        f"; combined logistic score over similarity, log BM25 and coverage, cut at {chosen:.0%} "
                        "correct abstention of the fitted unanswerable questions, the share chosen by "
                        "leave-one-set-out (loadtests/bench_rag.py --fit-abstention)"))
    out = {"load_average": [round(x, 2) for x in os.getloadavg()], "targets": list(ABSTENTION_TARGETS),
           "folds": [f.model_dump() for f in folds], "worst_margin": {f"{t:.2f}": m for t, m in margins.items()},
           "chosen": chosen, "sets": {n: len(q) for n, q in sets.items()}}
    (out_dir / "rag_abstention.json").write_text(json.dumps(out, indent=2))
    print(f"wrote labkit/rag/thresholds.json and {out_dir / 'rag_abstention.json'}")
    return 0


def _report(result: dict[str, Any], args: argparse.Namespace, out_dir: Path) -> int:
    first = json.loads(FIRST_RUN.read_text()) if FIRST_RUN.exists() and args.questions is None else None
    h = result["natural_test"]["section/hybrid"]
    best_single = max(result["natural_test"]["section/dense"]["ndcg@10"], result["natural_test"]["section/lexical"]["ndcg@10"])
    e = result["end_to_end_natural_test"]
    result["targets"] = {
        "recall@5>=0.95": h["recall@5"] >= TARGETS["recall@5"],
        "ndcg@10>=0.85": h["ndcg@10"] >= TARGETS["ndcg@10"],
        "hybrid>best_single(ndcg@10)": h["ndcg@10"] > best_single,
        "correct_abstention>=0.85": h["correct_abstention"] >= TARGETS["correct_abstention"],
        "false_abstention<=0.10": h["false_abstention"] <= TARGETS["false_abstention"],
        "usable_answers>=85%": e["usable_share"] >= TARGETS["usable_share"],
        "zero_leaks": result["leakage"]["leaks"] == 0,
        "no_stale_version": result["leakage"]["superseded_returned"] == 0 and e["stale_citations"] == 0,
        "ingest<=60s": result["ingest"]["seconds"] <= TARGETS["ingest_s"],
    }
    if "latency_1x" in result:
        result["targets"]["retrieval_p95<=50ms(unseen,embedding included)"] = \
            result["latency_1x"]["unseen_questions"]["p95"] <= TARGETS["retrieval_p95_ms"]

    n_head, n_tpl = result["split"]["natural"][1], result["split"]["templated"][1]
    print(f"\n{result['headline_set'].upper()} ({n_head} questions; nothing was fitted on them) beside the "
          f"TEMPLATED test half ({n_tpl}); fusion {result['fusion']}")
    print(f"{'config':<16}{'R@5':>7}{'nDCG':>7}{'MRR':>7}{'abst+':>7}{'abst-':>7}   | templ {'R@5':>6}{'nDCG':>7}{'abst+':>7}{'abst-':>7}")
    for key, m in result["natural_test"].items():
        t = result["templated_test"][key]
        print(f"{key:<16}{m['recall@5']:>7.3f}{m['ndcg@10']:>7.3f}{m['mrr']:>7.3f}{m['correct_abstention']:>7.2f}"
              f"{m['false_abstention']:>7.2f}   |       {t['recall@5']:>6.3f}{t['ndcg@10']:>7.3f}"
              f"{t['correct_abstention']:>7.2f}{t['false_abstention']:>7.2f}")
    if first:
        f = first["section_hybrid"]
        print("\nsection/hybrid, natural test half:  first run  ->  final")
        for name, a, b in (("recall@5", f["recall@5"], h["recall@5"]), ("nDCG@10", f["ndcg@10"], h["ndcg@10"]),
                           ("MRR", f["mrr"], h["mrr"]), ("correct abstention", f["correct_abstention"], h["correct_abstention"]),
                           ("false abstention", f["false_abstention"], h["false_abstention"]),
                           ("usable answers", f"{f['usable_answers']}/{f['answerable']}", f"{e['usable']}/{e['answerable']}")):
            print(f"  {name:<20}{a!s:>10}  ->  {b!s:<10}")
        print(f"  dense alone R@5      {first['configs']['section/dense']['recall@5']:>10}  ->  "
              f"{result['natural_test']['section/dense']['recall@5']}")
    nm = result["near_miss_correct_abstention"]
    print(f"\nnear misses abstained {nm[0]}/{nm[1]}; leakage {result['leakage']['leaks']} leaks, "
          f"{result['leakage']['superseded_returned']} superseded in {result['leakage']['checked']} checked candidates; "
          f"end to end usable {e['usable']}/{e['answerable']}, stale citations {e['stale_citations']}, "
          f"citation validity {e['citation_validity']}; templated usable "
          f"{result['end_to_end_templated_test']['usable']}/{result['end_to_end_templated_test']['answerable']}; "
          f"end to end abstained on unanswerable {e['correct_abstention']} (near misses "
          f"{e['near_miss_abstained'][0]}/{e['near_miss_abstained'][1]}), templated "
          f"{result['end_to_end_templated_test']['correct_abstention']}")
    c, ec = result["natural_calibration_section_hybrid"], result["end_to_end_natural_calibration"]
    print(f"natural CALIBRATION half (fitted on), section/hybrid: R@5 {c['recall@5']:.3f} nDCG@10 {c['ndcg@10']:.3f} "
          f"abstention +{c['correct_abstention']:.2f}/-{c['false_abstention']:.2f}; usable {ec['usable']}/{ec['answerable']}, "
          f"end to end abstained on unanswerable {ec['correct_abstention']}")
    why: dict[str, int] = {}
    for r in result["end_to_end_rows"]:
        if r["answerable"] and not r["usable"]:
            cause = r["reason"].split(":")[0] if r["status"] == "abstained" else "answered, citing another section"
            why[cause] = why.get(cause, 0) + 1
    print("answerable but not usable, by cause:", json.dumps(why, indent=1))
    if "latency_1x" in result:
        lat = result["latency_1x"]
        print("\nretrieval latency, hybrid section k=5, query embedding included (ms)")
        print(f"{'':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'n':>6}")
        for name, key in (("unseen questions", "unseen_questions"), ("repeated questions", "repeated_questions"),
                          ("query embedding call alone", "query_embedding_alone")):
            p = lat[key]
            print(f"{name:<34}{p['p50']:>8.1f}{p['p95']:>8.1f}{p['p99']:>8.1f}{p['n']:>6}")
    if "latency_10x" in result:
        p = result["latency_10x"]
        print(f"{'10x corpus, unseen':<34}{p['p50']:>8.1f}{p['p95']:>8.1f}{p['p99']:>8.1f}{p['n']:>6}")
    print("\ntargets:", json.dumps(result["targets"], indent=1))
    name = "rag.json" if args.questions is None else f"rag_{args.questions.stem}.json"
    (out_dir / name).write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {out_dir / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
