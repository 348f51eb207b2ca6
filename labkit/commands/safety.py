"""``labkit pii`` and ``labkit injection``: measure the safety controls on labelled cases.

Both read JSON lines files in the documented formats (see README, "Safety controls"), so a
team can bring its own cases; a malformed line stops with ``error: FILE:LINE: ...``. Tables go
to stdout; ``--json`` prints the full report (with the first misclassified cases) instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

import labkit.controls.injection as injection_control
from labkit.controls import pii_public
from labkit.controls.injection import detect_injection
from labkit.controls.pii import evaluate, load_cases, redact
from labkit.settings import datasets_dir


def _default(name: str) -> Path:
    return datasets_dir() / "eval" / name


@click.group()
def pii() -> None:
    """PII redaction: evaluate on labelled cases, or redact a text."""


@pii.command("eval")
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON lines: {id, text, spans: [{start, end, type}]} (default datasets/eval/pii_cases.jsonl).")
@click.option("--public", "public_half", type=click.Choice(["heldout", "fit"]), default=None,
              help="Instead of a file: one half of the public set built from presidio-evaluator's templates "
                   "(installed data-only by `make corpora`; see labkit.controls.pii_public).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def pii_eval(cases_path: Path | None, public_half: str | None, as_json: bool) -> None:
    """Precision, recall and F1 per entity type (exact span is the headline; overlap alongside)."""
    if public_half and cases_path:
        raise click.UsageError("give --cases or --public, not both")
    if public_half:
        path = f"public set, {public_half} half"
        report = evaluate(pii_public.split(pii_public.build_cases(), public_half), max_errors=200)
    else:
        path = cases_path or _default("pii_cases.jsonl")
        report = evaluate(load_cases(path))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"{report.cases} cases from {path}  (headline: exact span; overlap = spans intersect)")
    click.echo(f"{'type':<12} {'gold':>5} {'found':>5} {'P exact':>8} {'R exact':>8} {'F1 exact':>8}"
               f" {'P overlap':>9} {'R overlap':>9}")
    for t, ex in report.exact.items():
        ov = report.overlap[t]
        click.echo(f"{t:<12} {ex.tp + ex.fn:>5} {ex.tp + ex.fp:>5} {ex.precision:>8.3f} {ex.recall:>8.3f}"
                   f" {ex.f1:>8.3f} {ov.precision:>9.3f} {ov.recall:>9.3f}")


@pii.command("redact")
@click.argument("text")
def pii_redact(text: str) -> None:
    """Print TEXT with PII replaced by placeholders, then the placeholder mapping."""
    r = redact(text)
    click.echo(r.text)
    for placeholder, value in r.mapping.items():
        click.echo(f"  {placeholder} = {value}")


@click.group()
def injection() -> None:
    """Prompt-injection detector: evaluate on labelled cases, or score a text."""


@injection.command("eval")
@click.option("--cases", "cases_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON lines: {id, text, label: malicious|benign, location} "
                   "(default datasets/eval/injection_cases.jsonl).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None, help="Score threshold (default 0.5).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def injection_eval(cases_path: Path | None, threshold: float | None, as_json: bool) -> None:
    """Precision, recall and false-positive rate, overall and per location."""
    path = cases_path or _default("injection_cases.jsonl")
    report = injection_control.evaluate(injection_control.load_cases(path),
                                        threshold=injection_control.THRESHOLD if threshold is None else threshold)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{report['cases']} cases from {path}  (threshold {report['threshold']})")
    click.echo(f"{'location':<14} {'mal':>4} {'ben':>4} {'TP':>4} {'FP':>4} {'FN':>4}"
               f" {'precision':>9} {'recall':>7} {'FPR':>6}")
    rows = list(report["by_location"].items()) + [(f"lang {k}", v) for k, v in report.get("by_lang", {}).items()]
    rows += [("overall", report["overall"])]
    for loc, s in rows:
        click.echo(f"{loc:<14} {s['tp'] + s['fn']:>4} {s['fp'] + s['tn']:>4} {s['tp']:>4} {s['fp']:>4}"
                   f" {s['fn']:>4} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['false_positive_rate']:>6.3f}")


@injection.command("check")
@click.argument("text")
def injection_check(text: str) -> None:
    """Score TEXT and print the verdict and the rules that fired."""
    v = detect_injection(text)
    click.echo(f"flagged={v.flagged} score={v.score:.3f} reasons={','.join(v.reasons) or '-'}")
    for line in v.evidence:
        click.echo(f"  {line}")
