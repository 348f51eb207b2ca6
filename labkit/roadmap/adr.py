"""Render the Phase 1 Architecture Decision Record (Markdown) from an assessment result.

The ADR follows the usual shape (context, decision, consequences) and adds what the source's
Phase 1 asks for: the evidence (data readiness criteria), the readiness checklist with how each
item was settled, and a final go/no-go with its reasons, followed by sign-off lines. Text only;
no decisions are made here (see :mod:`labkit.roadmap.assessment`).

Example:
    >>> from labkit.roadmap.assessment import EXAMPLE_ANSWERS, run_assessment
    >>> md = render_adr(run_assessment(EXAMPLE_ANSWERS))
    >>> md.splitlines()[0]
    '# ADR-001: Integration pattern for: Support copilot answering policy and product questions from the knowledge base'
"""

from __future__ import annotations

from typing import Any

from labkit.roadmap.checklist import CHECKLIST, MAX_OPEN_ITEMS, PATTERN_CONTROLS, PATTERNS, QUESTION_KEYS


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_adr(result: Any, number: int = 1) -> str:
    """The ADR for ``result`` (an :class:`~labkit.roadmap.assessment.AssessmentResult`)."""
    a = result.answers
    names = {p[0]: p[1] for p in PATTERNS}
    out = [f"# ADR-{number:03d}: Integration pattern for: {a.use_case}", "",
           f"Status: {'Accepted (go)' if result.go else 'Rejected for now (no-go)'}", "",
           "## Context", "",
           "Phase 1 (integration assessment) of the roadmap: can this use case interact securely and "
           "reliably with the systems it relies on? Answers to the four decision questions:", "",
           "| question | answer | pattern |", "|---|---|---|"]
    for pid, name, question in PATTERNS:
        answer = getattr(a.decision, QUESTION_KEYS[pid])
        out.append(f"| {question} | {'yes' if answer else 'no'} | {name} |")
    budget = f"{a.latency_budget_s:g} s" if a.latency_budget_s else "not given"
    out += ["", f"Data sources the design uses: {', '.join(result.sources)}. Maximum time for the workflow: {budget}.",
            "", "## Decision", "",
            "Recommended pattern(s), least risky first (begin with the least risky pattern that achieves "
            "the outcome):", ""]
    for i, pid in enumerate(result.patterns, start=1):
        out.append(f"{i}. {names[pid]}")
    if not any(getattr(a.decision, k) for k in QUESTION_KEYS.values()):
        out += ["", "No decision question was answered yes; Direct API is the default, least risky choice."]
    out += ["", "## Consequences: controls this design must have", ""]
    for pid in result.patterns:
        out.append(f"- {names[pid]}: " + "; ".join(PATTERN_CONTROLS[pid]) + ".")
    out.append("- All patterns: PII redaction, output validation, structured logging, quality monitoring, "
               "alerts for cost, latency and safety.")

    out += ["", "## Evidence: data readiness", ""]
    report = result.data_report
    if report is not None:
        out += [f"Profile result: **{'PASS' if report.passed else 'FAIL'}** "
                f"({sum(c.passed for c in report.criteria)} of {len(report.criteria)} criteria). "
                "Criteria for the sources this design uses:", "",
                "| source | criterion | value | threshold | result |", "|---|---|---:|---:|---|"]
        for c in report.criteria:
            if c.source in result.sources or c.source == "all":
                out.append(f"| {c.source} | {c.name} | {c.value:.4g} | {c.comparison} {c.threshold:.4g} | "
                           f"{'pass' if c.passed else 'FAIL'} |")
    else:
        out.append("No data profile was available.")

    out += ["", "## Readiness checklist", "",
            f"Rule (from the source): more than {MAX_OPEN_ITEMS} items unclear or incomplete means not ready. "
            f"Open items: {len(result.readiness.open_items)}.", "",
            "| category | item | status | basis | detail |", "|---|---|---|---|---|"]
    for item in CHECKLIST:
        r = result.items[item.id]
        status = f"**{r.status}**" if r.status in ("incomplete", "unclear") else r.status
        out.append(f"| {item.category} | {_cell(item.text)} | {status} | {r.basis} | {_cell(r.detail)} |")

    out += ["", "## Go / no-go", "", f"**{'GO' if result.go else 'NO-GO'}**", ""]
    out += [f"- {_cell(r)}" for r in result.reasons]
    out += ["", "## Sign-off", ""]
    for who in a.decision_makers or ["(decision maker)"]:
        out.append(f"- {who}: ____________________  date: __________")
    return "\n".join(out) + "\n"
