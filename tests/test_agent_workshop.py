"""The agent workshop helpers (labkit/agent/workshop.py) on real systems, policy and audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.agent import AuditLog, Policy
from labkit.agent.policy import Mode
from labkit.agent.redteam import load_case_files
from labkit.agent.systems import Systems
from labkit.agent.tools import Principal
from labkit.agent.workshop import (
    by_channel,
    offer_matrix,
    pick_cases,
    policy_decision,
    schemas_side_by_side,
    tampered_copy,
)
from labkit.errors import InputError

RM = Principal(user_id="RM-001", role="relationship_manager", rm_id="RM-001")
OTHER = Principal(user_id="RM-002", role="relationship_manager", rm_id="RM-002")
EMPLOYEE = Principal(user_id="U-EMPLOYEE", role="employee")
WON = {"account_id": "ACC-00001", "field": "stage", "value": "won"}


@pytest.fixture
def systems() -> Systems:
    s = Systems()
    s.seed(source="fixture")
    return s


@pytest.mark.parametrize(("who", "mode", "tool", "args", "tainted", "decision", "why"), [
    (RM, Mode.APPROVAL, "get_account_history", {"account_id": "ACC-00001"}, False, "allowed", "a read"),
    (OTHER, Mode.APPROVAL, "get_account_history", {"account_id": "ACC-00001"}, False, "denied", "owned by RM-001"),
    (EMPLOYEE, Mode.APPROVAL, "update_crm_field", WON, False, "denied", "not granted"),
    (RM, Mode.READ_ONLY, "update_crm_field", WON, False, "denied", "read-only"),
    (RM, Mode.APPROVAL, "update_crm_field", {**WON, "field": "owner_rm"}, False, "denied", "invalid field"),
    (RM, Mode.APPROVAL, "update_crm_field", WON, False, "needs approval", "approval mode"),
    (RM, Mode.AUTONOMOUS, "update_crm_field", WON, False, "allowed", "low-risk write"),
    (RM, Mode.AUTONOMOUS, "update_crm_field", WON, True, "needs approval", "untrusted content"),
    (RM, Mode.AUTONOMOUS, "delete_contact", {"contact_id": "CON-0001"}, False, "needs approval", "not low-risk"),
])
def test_policy_decision_matches_the_policy(systems: Systems, who: Principal, mode: Mode, tool: str,
                                            args: dict[str, str], tainted: bool, decision: str, why: str) -> None:
    row = policy_decision(Policy(), who, mode, tool, args, systems, tainted=tainted)
    assert row["decision"] == decision and why in row["why"]


def test_schemas_side_by_side_shows_what_each_role_is_offered() -> None:
    view = schemas_side_by_side(Policy(), [EMPLOYEE, RM], Mode.APPROVAL, show=["update_crm_field"])
    employee, rm = view.columns.values()
    assert employee == [{"…also offered": ["search_knowledge_base", "get_document"]}]
    assert rm[0]["function"]["name"] == "update_crm_field"
    assert rm[0]["function"]["parameters"]["additionalProperties"] is False
    assert "<pre" in view._repr_html_() and "update_crm_field" in repr(view)


def test_offer_matrix_drops_writes_in_read_only_mode() -> None:
    rows = {r["tool"]: r for r in offer_matrix(Policy(), ["relationship_manager"], [Mode.READ_ONLY, Mode.APPROVAL])}
    assert rows["update_crm_field"]["relationship_manager · read-only"] == "–"
    assert rows["update_crm_field"]["relationship_manager · approval"] == "yes"
    assert rows["update_ticket"]["relationship_manager · approval"] == "–"


def test_tampered_copy_is_detected_and_leaves_the_real_log_intact(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    for outcome in ("pending_approval", "ok"):
        log.append(actor="RM-001", role="relationship_manager", tool="update_crm_field", arguments=WON,
                   outcome=outcome, result_summary="x", approver="ada" if outcome == "ok" else None)
    path, sql = tampered_copy(log, tmp_path / "drill", 2, approver="RM-001")
    assert sql[-1] == "UPDATE audit SET approver = ? WHERE seq = 2" and any("DROP TRIGGER" in s for s in sql)
    forged = AuditLog(path)
    verdict = forged.verify()
    forged.close()
    assert not verdict.ok and verdict.problems == ["seq 2: content does not match its hash (edited)"]
    assert log.verify().ok
    with pytest.raises(InputError, match="no row with seq 9"):
        tampered_copy(log, tmp_path / "drill", 9, outcome="ok")
    with pytest.raises(InputError, match="cannot tamper"):
        tampered_copy(log, tmp_path / "drill", 1, hash="0")
    log.close()


def test_pick_cases_is_fixed_and_covers_every_channel() -> None:
    cases = load_case_files()
    picked = pick_cases(cases, per_channel=2, benign=1)
    assert picked == pick_cases(cases, per_channel=2, benign=1)
    malicious = [c for c in picked if c.label == "malicious"]
    assert sorted({c.planted_in for c in malicious}) == ["kb_document", "ticket_note", "tool_output", "user_input"]
    assert len(malicious) == 8 and sum(c.label == "benign" for c in picked) == 1


def test_by_channel_counts_malicious_cases_only() -> None:
    report = {"cases": [
        {"label": "malicious", "planted_in": "tool_output", "attacked": True, "stopped": True, "verdict": "held"},
        {"label": "malicious", "planted_in": "tool_output", "attacked": True, "stopped": False, "verdict": "BREACHED"},
        {"label": "benign", "planted_in": "tool_output", "attacked": False, "stopped": False, "verdict": "held"},
    ]}
    assert by_channel(report) == [{"planted in": "tool_output", "cases": 2, "attacked": 2, "stopped": 1, "breached": 1}]
