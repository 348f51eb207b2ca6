"""Phase 1, integration assessment: readiness checklist, pattern choice, and the ADR.

The source document's Phase 1 yields "a signed Architecture Decision Record and a data
readiness report", with one gate: *do not proceed if data quality, access and integration
points do not support the chosen design*. This module produces both from three inputs:

1. the team's answers (:class:`TeamAnswers`, from YAML/JSON): the four decision questions,
   the latency budget, the planned client configuration, answers to checklist items the lab
   cannot check itself (governance owners), and mitigations for failed evidence;
2. evidence the lab gathers itself: the data readiness profile (:mod:`labkit.data.profile`)
   for the sources the chosen patterns use, the resilient client's configuration (fallback
   routes, rate limits, budgets, deadline), the PII redactor, the injection detector measured
   on the labelled set, the alert rules and the audit log;
3. the checklist and its rule (:mod:`labkit.roadmap.checklist`): more than four items unclear
   or incomplete means not ready.

Evidence wins over answers: a team cannot mark an item "yes" that the evidence shows open; it
can only record a *mitigation*, which the ADR lists as such. An evidence check that cannot
run (a module missing) makes its item "unclear", never "done".

Pattern selection follows the source's table (four questions, four patterns) and its advice
to begin with the least risky pattern that achieves the outcome: the recommended patterns are
listed least risky first (Direct API, RAG, Async, Agentic).

Example:
    >>> result = run_assessment(TeamAnswers.model_validate(EXAMPLE_ANSWERS))
    >>> result.patterns
    ['rag']
    >>> result.go
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labkit.agent.audit import AuditLog
from labkit.agent.policy import Policy
from labkit.controls.injection import evaluate, load_cases
from labkit.controls.pii import redact
from labkit.data.catalogue import connect
from labkit.data.profile import Thresholds, profile_lab
from labkit.direct import ClientConfig
from labkit.errors import ConfigError, InputError
from labkit.roadmap.adr import render_adr
from labkit.roadmap.checklist import (
    CHECKLIST,
    ITEMS,
    OPEN_STATUSES,
    PATTERN_SOURCES,
    PATTERNS,
    QUESTION_KEYS,
    Readiness,
    readiness,
)
from labkit.settings import datasets_dir, var_dir
from labkit.telemetry.alerts import DEFAULT_RULES

# checklist items the Phase 1 gate treats as blocking: data, access and integration points
GATE_ITEMS = ("data.systems_identified", "data.access_path", "data.quality_validated", "data.freshness_validated",
              "data.ownership", "data.privacy_rules", "security.rbac")


class DecisionAnswers(BaseModel):
    """The source's four decision questions, answered yes/no."""

    model_config = ConfigDict(extra="forbid")

    simple_response: bool = False
    internal_knowledge: bool = False
    background: bool = False
    tool_actions: bool = False


class ItemAnswer(BaseModel):
    """The team's answer to a checklist item: yes (done), no (incomplete) or unclear."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["yes", "no", "unclear"]
    note: str = ""


class TeamAnswers(BaseModel):
    """Everything the team answers in Phase 1 (the rest is evidence)."""

    model_config = ConfigDict(extra="forbid")

    use_case: str = "Unnamed AI use case"
    decision: DecisionAnswers = Field(default_factory=DecisionAnswers)
    sources: list[str] | None = None          # default: the chosen patterns' sources
    latency_budget_s: float | None = Field(None, gt=0)
    client: dict[str, Any] = Field(default_factory=dict)  # planned ClientConfig fields
    items: dict[str, ItemAnswer] = Field(default_factory=dict)
    mitigations: dict[str, str] = Field(default_factory=dict)
    thresholds: dict[str, Any] = Field(default_factory=dict)  # data-profile threshold overrides
    injection_cases: str | None = None  # your own labelled injection set (default: the lab's)
    decision_makers: list[str] = Field(default_factory=list)

    @field_validator("items", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # allow `governance.cost_owner: yes` as well as `{answer: yes, note: ...}`
        if isinstance(value, dict):
            return {k: ({"answer": "yes" if v is True else "no" if v is False else v}
                        if not isinstance(v, dict) else v) for k, v in value.items()}
        return value

    @field_validator("items", "mitigations")
    @classmethod
    def _known_items(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [k for k in value if k not in ITEMS]
        if unknown:
            raise ValueError(f"unknown checklist item(s): {', '.join(unknown)}")
        return value


EXAMPLE_ANSWERS: dict[str, Any] = {
    "use_case": "Support copilot answering policy and product questions from the knowledge base",
    "decision": {"simple_response": False, "internal_knowledge": True, "background": False, "tool_actions": False},
    "latency_budget_s": 30,
    "client": {"ratelimit": {"rpm": 600}, "budget": {"per_day_usd": 25.0}},
    "items": {
        "governance.quality_owner": {"answer": "yes", "note": "Head of Support Operations"},
        "governance.escalation_owner": {"answer": "yes", "note": "Tier 2 Support lead"},
        "governance.cost_owner": {"answer": "yes", "note": "Platform FinOps"},
        "governance.refresh_owner": {"answer": "yes", "note": "ML platform team, quarterly review"},
        "governance.human_review": {"answer": "yes", "note": "refund and legal answers reviewed by a senior agent"},
    },
    "mitigations": {
        "data.ownership": "documents without an owner are excluded from the index until one is assigned",
        "data.privacy_rules": "knowledge-base bodies and ticket notes are declared PII-bearing; redacted before "
                              "every model call",
        "security.rbac": "documents without access roles are visible to nobody (retrieval fails closed)",
    },
    "decision_makers": ["Enterprise architect", "Head of Support Operations", "Security officer"],
}


def load_answers(path: Path | str) -> TeamAnswers:
    """Read the team's answers from YAML or JSON, with a one-line error on any problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read answers ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML/JSON{where}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: answers must be a mapping (see EXAMPLE_ANSWERS)")
    try:
        return TeamAnswers.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(map(str, err["loc"])) or "answers"
        raise ConfigError(f"{path}: {loc}: {err['msg']}") from None


def recommend_patterns(decision: DecisionAnswers) -> list[str]:
    """Patterns whose question was answered yes, least risky first (Direct API if none).

    Example:
        >>> recommend_patterns(DecisionAnswers(tool_actions=True, internal_knowledge=True))
        ['rag', 'agent']
    """
    chosen = [pid for pid, _, _ in PATTERNS if getattr(decision, QUESTION_KEYS[pid])]
    return chosen or ["direct"]


@dataclass
class ItemResult:
    """How one checklist item was settled."""

    status: str          # done | mitigated | incomplete | unclear
    basis: str           # evidence | team
    detail: str = ""


@dataclass
class AssessmentResult:
    """The Phase 1 outcome: checklist, readiness, patterns, go/no-go and the data report."""

    answers: TeamAnswers
    patterns: list[str]
    sources: list[str]
    items: dict[str, ItemResult]
    readiness: Readiness
    go: bool
    reasons: list[str]
    data_report: Any = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and notebooks."""
        return {"use_case": self.answers.use_case, "patterns": self.patterns, "sources": self.sources,
                "go": self.go, "reasons": self.reasons, "ready": self.readiness.ready,
                "open_items": list(self.readiness.open_items),
                "items": {k: v.__dict__ for k, v in self.items.items()}, "evidence": self.evidence}

    def items_frame(self) -> Any:
        """The checklist as a pandas DataFrame."""
        return pd.DataFrame([{"item": i.id, "category": i.category, "status": self.items[i.id].status,
                              "basis": self.items[i.id].basis, "detail": self.items[i.id].detail}
                             for i in CHECKLIST])

    def summary(self) -> str:
        """A few lines for the terminal."""
        names = dict((p[0], p[1]) for p in PATTERNS)
        lines = [f"use case: {self.answers.use_case}",
                 f"patterns (least risky first): {', '.join(names[p] for p in self.patterns)}",
                 f"checklist: {self.readiness.reason}"]
        for item_id in self.readiness.open_items:
            r = self.items[item_id]
            lines.append(f"  open  {item_id:<28} {r.status:<10} {r.detail}")
        for item_id, r in self.items.items():
            if r.status == "mitigated":
                lines.append(f"  mitigated {item_id:<24} {r.detail}")
        lines += [f"reason: {r}" for r in self.reasons]
        return "\n".join(lines)

    def adr_markdown(self, number: int = 1) -> str:
        """The Architecture Decision Record, ending in go or no-go with its reasons."""
        return render_adr(self, number)

    def write_adr(self, path: Path | str | None = None, number: int = 1) -> Path:
        """Write the ADR (default ``var/adr/ADR-001-integration-pattern.md``) and return its path."""
        target = Path(path) if path else var_dir() / "adr" / f"ADR-{number:03d}-integration-pattern.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(self.adr_markdown(number), encoding="utf-8")
        tmp.replace(target)
        return target


# ------------------------------------------------------------------------------------------
# evidence checks: each returns (status, detail); "unclear" when it cannot run

Check = Callable[["_Context"], tuple[str, str]]


@dataclass
class _Context:
    answers: TeamAnswers
    sources: list[str]
    patterns: list[str]
    report: Any
    client: ClientConfig


def _criteria(ctx: _Context, names: tuple[str, ...]) -> tuple[str, str]:
    relevant = [c for c in ctx.report.criteria
                if c.name in names and (c.source in ctx.sources or c.source == "all")]
    if not relevant:
        # the sources are profiled (another item checks that) but this dimension is not
        # measured for them, e.g. freshness of tickets: nothing is known to be wrong
        return "done", f"no {' / '.join(names)} criterion applies to {', '.join(ctx.sources)}"
    failed = [c for c in relevant if not c.passed]
    if failed:
        return "incomplete", "; ".join(f"{c.source} {c.name} {c.value:.4g} (needs {c.comparison} {c.threshold:.4g})"
                                       for c in failed)
    return "done", f"{len(relevant)} profile criteria pass for {', '.join(ctx.sources)}"


def _profiled_sources(ctx: _Context) -> tuple[str, str]:
    known = set(ctx.report.evidence.get("sources", []))
    missing = [s for s in ctx.sources if s not in known]
    if missing:
        return "incomplete", f"not profiled: {', '.join(missing)}"
    return "done", f"profiled: {', '.join(ctx.sources)}"


def _catalogue_queryable(ctx: _Context) -> tuple[str, str]:
    con = connect()
    try:
        counts = {s: con.execute(f"SELECT count(*) FROM {s}").fetchone()[0] for s in ctx.sources}
    finally:
        con.close()
    empty = [s for s, n in counts.items() if not n]
    if empty:
        return "incomplete", f"no rows reachable in {', '.join(empty)}"
    return "done", "queried through DuckDB: " + ", ".join(f"{s} ({n} rows)" for s, n in counts.items())


def _quality(ctx: _Context) -> tuple[str, str]:
    return _criteria(ctx, ("completeness (worst column)", "exact duplicate rate", "near-duplicate rate",
                           "cross-system conflict rate", "links to CRM accounts"))


def _freshness(ctx: _Context) -> tuple[str, str]:
    return _criteria(ctx, ("stale rate",))


def _owners(ctx: _Context) -> tuple[str, str]:
    return _criteria(ctx, ("owner coverage",))


def _pii(ctx: _Context) -> tuple[str, str]:
    undeclared = [c for c in ctx.report.evidence.get("pii_undeclared_columns", [])
                  if c.split(".")[0] in ctx.sources]
    found = [c for c in ctx.report.evidence.get("pii_columns", []) if c.split(".")[0] in ctx.sources]
    if undeclared:
        return "incomplete", f"PII found in undeclared columns: {', '.join(undeclared)}"
    return "done", f"PII columns identified and declared: {', '.join(found) or 'none found'}"


def _latency(ctx: _Context) -> tuple[str, str]:
    budget = ctx.answers.latency_budget_s
    if budget is None:
        return "unclear", "no maximum time for the workflow given (latency_budget_s)"
    deadline = ctx.client.timeouts.deadline_s
    if deadline > budget:
        return "incomplete", f"client deadline {deadline:g} s exceeds the {budget:g} s budget"
    return "done", f"client deadline {deadline:g} s within the {budget:g} s budget"


def _fallback(ctx: _Context) -> tuple[str, str]:
    routes = ctx.client.routes_for("lab-chat-2026-01")
    if len(routes) < 2:
        return "incomplete", "no fallback route configured for the chat model"
    return "done", "fallback route: " + " -> ".join(routes)


def _rate_limits(ctx: _Context) -> tuple[str, str]:
    rl = ctx.client.ratelimit
    if rl.rpm is None and rl.tpm is None:
        return "incomplete", "no client-side rate limit (ratelimit.rpm / tpm) configured"
    return "done", f"rate limit rpm={rl.rpm} tpm={rl.tpm}"


def _budget(ctx: _Context) -> tuple[str, str]:
    if not ctx.client.budget.active():
        return "incomplete", "no budget configured (budget.per_day_usd / per_key_usd / per_pattern_usd)"
    b = ctx.client.budget
    return "done", f"budget per day {b.per_day_usd}, per pattern {b.per_pattern_usd or '-'}"


def _alerts(ctx: _Context) -> tuple[str, str]:
    if not DEFAULT_RULES:
        return "incomplete", "no alert rules defined"
    return "done", f"{len(DEFAULT_RULES)} alert rules over telemetry events"


def _access_rules(ctx: _Context) -> tuple[str, str]:
    parts = []
    status = "done"
    if "kb_documents" in ctx.sources:
        s, d = _criteria(ctx, ("access-rule coverage",))
        status, parts = s, [d]
    if "agent" in ctx.patterns:
        policy = Policy()
        if policy.allowed("employee") >= policy.allowed("admin"):
            return "incomplete", "agent policy gives every role every tool"
        parts.append("agent tools limited per role (labkit.agent.policy)")
    if not parts:
        parts.append("the chosen patterns read no role-restricted source")
    return status, "; ".join(parts)


def _redaction(ctx: _Context) -> tuple[str, str]:
    sample = "Customer jane.doe@example.com, card 4111 1111 1111 1111"
    red = redact(sample).text
    if "jane.doe" in red or "4111" in red:
        return "incomplete", "the redactor let PII through on a sample"
    return "done", "PII redacted by the resilient client before every model call (labkit.controls.pii)"


def _injection(ctx: _Context) -> tuple[str, str]:
    cases = ctx.answers.injection_cases or datasets_dir() / "eval" / "injection_cases.jsonl"
    rep = evaluate(load_cases(cases))["overall"]
    detail = f"detector on {Path(cases).name}: recall {rep['recall']:.2f}, false-positive rate {rep['false_positive_rate']:.2f}"
    if rep["recall"] < 0.8 or rep["false_positive_rate"] > 0.1:
        return "incomplete", detail + " (needs recall >= 0.80, FPR <= 0.10)"
    return "done", detail


def _audit(ctx: _Context) -> tuple[str, str]:
    return "done", f"hash-chained audit log for tool calls ({AuditLog.__module__})"


EVIDENCE_CHECKS: dict[str, Check] = {
    "profiled_sources": _profiled_sources, "catalogue_queryable": _catalogue_queryable,
    "profile_quality": _quality, "profile_freshness": _freshness, "profile_owners": _owners,
    "profile_pii": _pii, "latency_budget": _latency, "client_fallback": _fallback,
    "client_rate_limits": _rate_limits, "client_budget": _budget, "alert_rules": _alerts,
    "access_rules": _access_rules, "pii_redaction": _redaction, "injection_eval": _injection,
    "audit_log": _audit,
}


def _client_config(answers: TeamAnswers) -> ClientConfig:
    try:
        return ClientConfig(**answers.client)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"answers client.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def run_assessment(answers: TeamAnswers | dict[str, Any] | None = None, report: Any = None) -> AssessmentResult:
    """Settle every checklist item, apply the rule and the Phase 1 gate, choose the patterns.

    ``report`` is a :class:`labkit.data.profile.ReadinessReport`; by default the lab's data is
    profiled with the answers' threshold overrides.
    """
    if answers is None:
        answers = TeamAnswers()
    elif isinstance(answers, dict):
        try:
            answers = TeamAnswers.model_validate(answers)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(f"answers: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    patterns = recommend_patterns(answers.decision)
    sources = answers.sources or sorted({s for p in patterns for s in PATTERN_SOURCES[p]})
    if report is None:
        try:
            thresholds = Thresholds(**answers.thresholds)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"answers thresholds.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        report = profile_lab(thresholds)
    ctx = _Context(answers, sources, patterns, report, _client_config(answers))

    results: dict[str, ItemResult] = {}
    for item in CHECKLIST:
        if item.evidence:
            try:
                status, detail = EVIDENCE_CHECKS[item.evidence](ctx)
            except Exception as exc:  # an evidence check that cannot run proves nothing
                status, detail = "unclear", f"check could not run: {type(exc).__name__}: {exc}"[:200]
            result = ItemResult(status, "evidence", detail)
            if status in OPEN_STATUSES and item.id in answers.mitigations:
                result = ItemResult("mitigated", "evidence + team",
                                    f"{detail} -- mitigation: {answers.mitigations[item.id]}")
        else:
            given = answers.items.get(item.id)
            if given is None:
                result = ItemResult("unclear", "team", "not answered")
            else:
                status = {"yes": "done", "no": "incomplete", "unclear": "unclear"}[given.answer]
                result = ItemResult(status, "team", given.note)
        results[item.id] = result

    verdict = readiness({k: v.status for k, v in results.items()})
    reasons: list[str] = []
    if not verdict.ready:
        reasons.append(f"not ready: {verdict.reason}")
    blockers = [i for i in GATE_ITEMS if results[i].status in OPEN_STATUSES]
    for item_id in blockers:
        reasons.append(f"Phase 1 gate: {item_id} is {results[item_id].status}: {results[item_id].detail}")
    go = verdict.ready and not blockers
    if go:
        reasons.append(f"ready: {verdict.reason}")
        reasons.append("data, access and integration points support the chosen design"
                       + (" (with recorded mitigations)" if any(r.status == "mitigated" for r in results.values())
                          else ""))
    evidence = {"data_report": report.to_dict() if hasattr(report, "to_dict") else None}
    return AssessmentResult(answers, patterns, sources, results, verdict, go, reasons, report, evidence)


# which checklist item each data-readiness criterion is evidence for (see the checks above)
CRITERION_ITEMS: dict[str, str] = {
    "completeness (worst column)": "data.quality_validated", "exact duplicate rate": "data.quality_validated",
    "near-duplicate rate": "data.quality_validated", "cross-system conflict rate": "data.quality_validated",
    "links to CRM accounts": "data.quality_validated", "stale rate": "data.freshness_validated",
    "owner coverage": "data.ownership", "undeclared PII columns": "data.privacy_rules",
    "access-rule coverage": "security.rbac",
}


def criteria_scope(result: AssessmentResult) -> Any:
    """Why "N of M data criteria pass" and "0 checklist items open" can both be true (pandas).

    One row per data-readiness criterion: whether the use case reads its source (only those
    count), the checklist item it is evidence for, and how that item was settled. A failed
    criterion outside the use case's sources counts for nothing; one inside it opens its
    item unless the team recorded a mitigation (then the item is ``mitigated``, not open).
    """
    rows = []
    for c in result.data_report.criteria:
        item = CRITERION_ITEMS.get(c.name)
        in_scope = c.source in result.sources or c.source == "all"
        rows.append({"source": c.source, "criterion": c.name, "passed": bool(c.passed),
                     "use case reads it": in_scope, "checklist item": item or "–",
                     "item status": result.items[item].status if item and in_scope else "not counted"})
    return pd.DataFrame(rows)


def scope_summary(result: AssessmentResult) -> str:
    """One sentence reconciling the data criteria with the open checklist items."""
    frame = criteria_scope(result)
    scoped = frame[frame["use case reads it"]]
    failed = scoped[~scoped["passed"]]
    items = sorted(set(failed["checklist item"]))
    mitigated = [i for i in items if result.items[i].status == "mitigated"]
    still_open = [i for i in items if i not in mitigated]
    parts = [f"{int(frame['passed'].sum())} of {len(frame)} data criteria pass across all sources, but this use case "
             f"reads only {', '.join(result.sources)}: {len(frame) - len(scoped)} criteria are about other sources "
             f"and do not count. Of the {len(scoped)} that do, {len(failed)} fail"]
    if mitigated:
        parts.append(f"{', '.join(mitigated)} carry a recorded mitigation, so they count as 'mitigated', not open")
    if still_open:
        parts.append(f"{', '.join(still_open)} have no mitigation and stay open")
    return "; ".join(parts) + f". Checklist items open: {len(result.readiness.open_items)}."


def example_answers_yaml() -> str:
    """EXAMPLE_ANSWERS as YAML, a starting point for a team's own answers file."""
    return yaml.safe_dump(json.loads(json.dumps(EXAMPLE_ANSWERS)), sort_keys=False)
