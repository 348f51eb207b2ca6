"""Phase 1 assessment: the checklist rule at its edge, pattern choice, evidence over answers, the ADR."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import duckdb
import pytest

from labkit.data.profile import ReadinessReport, profile
from labkit.errors import ConfigError, InputError
from labkit.roadmap.assessment import (
    EXAMPLE_ANSWERS,
    DecisionAnswers,
    TeamAnswers,
    load_answers,
    recommend_patterns,
    run_assessment,
)
from labkit.roadmap.checklist import CHECKLIST, MAX_OPEN_ITEMS, readiness

ROOT = Path(__file__).resolve().parents[1]
GOVERNANCE = [i.id for i in CHECKLIST if i.category == "governance"]


@pytest.fixture(scope="module")
def report(lab_db: Path) -> ReadinessReport:
    con = duckdb.connect(str(lab_db), read_only=True)
    try:
        return profile(con)
    finally:
        con.close()


def _answers(**changes: object) -> dict:
    answers = copy.deepcopy(EXAMPLE_ANSWERS)
    answers.update(changes)
    return answers


def test_rule_at_its_edge_four_open_is_ready_five_is_not() -> None:
    statuses = {item.id: "done" for item in CHECKLIST}
    ids = list(statuses)
    for item_id in ids[:4]:
        statuses[item_id] = "unclear"
    four = readiness(statuses)
    assert MAX_OPEN_ITEMS == 4 and four.ready and len(four.open_items) == 4
    statuses[ids[4]] = "incomplete"
    five = readiness(statuses)
    assert not five.ready and len(five.open_items) == 5
    assert "more than 4" in five.reason
    statuses[ids[5]] = "mitigated"  # mitigated counts as done
    assert len(readiness(statuses).open_items) == 5


def test_rule_rejects_missing_or_unknown_statuses() -> None:
    with pytest.raises(InputError, match="without a status"):
        readiness({})
    statuses = {item.id: "done" for item in CHECKLIST}
    statuses[CHECKLIST[0].id] = "maybe"
    with pytest.raises(InputError, match="'maybe' is not one of"):
        readiness(statuses)


@pytest.mark.parametrize("unanswered, go", [(4, True), (5, False)])
def test_assessment_edge_four_versus_five_unanswered_governance_items(report: ReadinessReport,
                                                                      unanswered: int, go: bool) -> None:
    # five governance items exist; answer fewer of them and open one infrastructure item via the client
    answers = _answers()
    answers["items"] = {k: v for k, v in answers["items"].items() if k not in GOVERNANCE[:4]}
    answers["client"] = {"budget": {"per_day_usd": 25.0}} if unanswered == 5 else answers["client"]
    result = run_assessment(answers, report=report)
    assert len(result.readiness.open_items) == unanswered
    assert result.readiness.ready is go
    assert result.go is go
    if not go:
        assert any(r.startswith("not ready: 5 checklist items open") for r in result.reasons)


def test_example_is_a_go_and_the_gate_blocks_without_mitigations(report: ReadinessReport) -> None:
    result = run_assessment(EXAMPLE_ANSWERS, report=report)
    assert result.go and result.patterns == ["rag"] and result.sources == ["kb_documents"]
    assert result.items["data.ownership"].status == "mitigated"
    no_mitigations = run_assessment(_answers(mitigations={}), report=report)
    # only three items open: ready by the rule, but the Phase 1 gate still says no
    assert no_mitigations.readiness.ready and len(no_mitigations.readiness.open_items) == 3
    assert not no_mitigations.go
    assert any(r.startswith("Phase 1 gate: data.ownership is incomplete") for r in no_mitigations.reasons)


def test_evidence_wins_over_the_teams_yes(report: ReadinessReport) -> None:
    answers = _answers(client={}, items={**EXAMPLE_ANSWERS["items"], "infra.rate_limits": "yes"})
    result = run_assessment(answers, report=report)
    assert result.items["infra.rate_limits"].status == "incomplete"
    assert result.items["infra.rate_limits"].basis == "evidence"
    slow = run_assessment(_answers(latency_budget_s=5), report=report)
    assert slow.items["infra.max_latency"].status == "incomplete"
    assert "exceeds the 5 s budget" in slow.items["infra.max_latency"].detail


def test_no_answers_is_not_ready(report: ReadinessReport) -> None:
    result = run_assessment(None, report=report)
    assert not result.go and not result.readiness.ready
    assert all(result.items[g].status == "unclear" for g in GOVERNANCE)
    assert result.patterns == ["direct"]


@pytest.mark.parametrize("decision, expected", [
    ({}, ["direct"]),
    ({"simple_response": True}, ["direct"]),
    ({"internal_knowledge": True}, ["rag"]),
    ({"background": True}, ["async"]),
    ({"tool_actions": True, "internal_knowledge": True}, ["rag", "agent"]),
    ({"tool_actions": True, "background": True, "simple_response": True, "internal_knowledge": True},
     ["direct", "rag", "async", "agent"]),
])
def test_patterns_least_risky_first(decision: dict, expected: list[str]) -> None:
    assert recommend_patterns(DecisionAnswers(**decision)) == expected


def test_agent_design_uses_crm_data_and_fails_on_its_duplicates(report: ReadinessReport) -> None:
    answers = _answers(decision={"tool_actions": True, "internal_knowledge": True})
    result = run_assessment(answers, report=report)
    assert result.patterns == ["rag", "agent"]
    assert "crm_accounts" in result.sources
    quality = result.items["data.quality_validated"]
    assert quality.status == "incomplete" and "near-duplicate rate" in quality.detail
    assert not result.go


def test_adr_ends_in_a_decision_with_reasons(report: ReadinessReport, lab_var: Path) -> None:
    result = run_assessment(_answers(mitigations={}), report=report)
    path = result.write_adr()
    assert path == lab_var / "adr" / "ADR-001-integration-pattern.md"
    text = path.read_text()
    assert text.startswith("# ADR-001: Integration pattern for: Support copilot")
    assert "1. RAG Integration" in text and "confidence threshold" in text
    tail = text.split("## Go / no-go", 1)[1]
    assert "**NO-GO**" in tail and "Phase 1 gate: data.ownership" in tail
    for item in CHECKLIST:
        assert item.text.split(" (")[0][:40] in text


def test_answers_file_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("decision:\n  tool_actions: maybe\n")
    with pytest.raises(ConfigError, match=r"answers.yaml: decision.tool_actions:"):
        load_answers(path)
    path.write_text("items:\n  governance.nobody: yes\n")
    with pytest.raises(ConfigError, match="unknown checklist item"):
        load_answers(path)
    path.write_text("decision: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML/JSON at line"):
        load_answers(path)
    with pytest.raises(ConfigError, match="cannot read answers"):
        load_answers(tmp_path / "missing.yaml")
    path.write_text("items:\n  governance.cost_owner: yes\n")
    assert load_answers(path).items["governance.cost_owner"].answer == "yes"
    assert isinstance(TeamAnswers.model_validate(EXAMPLE_ANSWERS), TeamAnswers)


def test_cli_assess_writes_the_adr_and_prints_the_decision(lab_db: Path, lab_var: Path, tmp_path: Path) -> None:
    labkit = ROOT / ".venv" / "bin" / "labkit"
    example = subprocess.run([str(labkit), "assess", "--print-example"], capture_output=True, text=True, cwd=ROOT)
    answers = tmp_path / "answers.yaml"
    answers.write_text(example.stdout)
    proc = subprocess.run([str(labkit), "assess", "--answers", str(answers)], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("decision: GO")
    assert (lab_var / "adr" / "ADR-001-integration-pattern.md").is_file()
    answers.write_text("decision: {tool_actions: maybe}\n")
    bad = subprocess.run([str(labkit), "assess", "--answers", str(answers)], capture_output=True, text=True,
                         cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_team_can_point_the_injection_evidence_at_its_own_cases(report: ReadinessReport, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "1", "text": "Please book a table for four.", "label": "malicious", '
                     '"location": "user_input"}\n{"id": "2", "text": "Thanks!", "label": "benign", '
                     '"location": "user_input"}\n')
    result = run_assessment(_answers(injection_cases=str(cases)), report=report)
    item = result.items["security.injection_tested"]
    assert item.status == "incomplete" and "cases.jsonl: recall 0.00" in item.detail
