"""The durable approval store: decisions happen once, need a person and survive a restart."""

from __future__ import annotations

import pytest

from labkit.agent.approvals import AgentStore
from labkit.errors import InputError


def test_a_pending_action_is_decided_exactly_once() -> None:
    store = AgentStore()
    a = store.create_approval("run-1", 1, "call-1", "update_crm_field",
                              {"account_id": "ACC-00001", "field": "stage", "value": "won"},
                              "write action in approval mode")
    with pytest.raises(InputError, match="needs a reason"):
        store.decide(a, "rejected", "ada")
    with pytest.raises(InputError, match="name of the person"):
        store.decide(a, "approved", "  ")
    with pytest.raises(InputError, match="approved or rejected"):
        store.decide(a, "maybe", "ada")
    edited = {"account_id": "ACC-00001", "field": "stage", "value": "negotiation"}
    done = store.decide(a, "approved", "ada", reason="ok", edited_arguments=edited)
    assert (done["status"], done["decided_by"], done["edited_arguments"]) == (
        "approved", "ada", edited)
    with pytest.raises(InputError, match="already approved"):
        store.decide(a, "rejected", "bob", reason="too late")
    with pytest.raises(InputError, match="no approval"):
        store.decide("apr-missing", "approved", "ada")


def test_pending_actions_and_runs_survive_a_new_connection() -> None:
    store = AgentStore()
    store.create_run("run-9", "do things", {"user_id": "RM-001", "role": "relationship_manager"},
                     "approval", "lab-chat-2026-01", {"messages": [], "queue": [{"id": "c1"}]})
    a = store.create_approval("run-9", 2, "c1", "draft_email", {"contact_id": "CON-0001"}, "why")
    store.save_run("run-9", status="awaiting_approval", step=2,
                   state={"messages": [], "queue": [{"id": "c1"}], "waiting": a})
    store.close()
    again = AgentStore()  # as a new process would open it
    run = again.run("run-9")
    assert run["status"] == "awaiting_approval" and run["state"]["waiting"] == a
    assert [p["approval_id"] for p in again.approvals(status="pending", run_id="run-9")] == [a]


def test_only_one_process_can_claim_a_run_for_resuming() -> None:
    store = AgentStore()
    store.create_run("run-2", "x", {"user_id": "u", "role": "admin"}, "approval",
                     "lab-chat-2026-01", {})
    store.save_run("run-2", status="awaiting_approval", step=1, state={})
    other = AgentStore()
    assert store.claim("run-2", ("awaiting_approval",)) is True
    assert other.claim("run-2", ("awaiting_approval",)) is False
    # a run left "running" by a crashed process can be taken over once it is stale
    assert other.claim("run-2", ("awaiting_approval",), stale_after_s=-1) is True


def test_actions_record_changes_for_rollback() -> None:
    store = AgentStore()
    act = store.record_action("run-1", 3, "update_crm_field", {"account_id": "ACC-00001"},
                              "restore_crm_field", [{"store": "crm", "table": "accounts",
                                                     "key": "ACC-00001", "before": {"a": 1},
                                                     "after": {"a": 2}}], "apr-1")
    [a] = store.actions(run_id="run-1", status="executed")
    assert a["action_id"] == act and a["changes"][0]["before"] == {"a": 1}
    store.mark_compensated(act)
    assert store.actions(run_id="run-1", status="executed") == []
    assert store.action(act)["status"] == "compensated"
