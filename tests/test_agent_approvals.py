"""The durable approval store: decisions happen once, need a person and survive a restart."""

from __future__ import annotations

import sqlite3

import pytest

from labkit.agent.approvals import AgentStore
from labkit.errors import Forbidden, InputError


def _run(store: AgentStore, run_id: str = "run-1", requester: str = "rita") -> str:
    store.create_run(run_id, "update the CRM", {"user_id": requester, "role": "relationship_manager"},
                     "approval", "lab-chat-2026-01", {})
    return run_id


def test_a_pending_action_is_decided_exactly_once() -> None:
    store = AgentStore()
    _run(store)
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


def test_one_store_shared_by_threads() -> None:
    # 8 threads on one AgentStore: runs saved, approvals created and decided, actions recorded
    from concurrent.futures import ThreadPoolExecutor

    store = AgentStore()

    def work(t: int) -> list[str]:
        ids = []
        for i in range(25):
            run_id = f"run-{t}-{i}"
            store.create_run(run_id, "req", {"user_id": f"u{t}"}, "approval", "m", {"n": 0})
            store.save_run(run_id, status="running", step=1, state={"n": i})
            a = store.create_approval(run_id, 1, "c", "draft_email", {"i": i}, "why")
            assert store.decide(a, "approved", f"rev-{t}")["status"] == "approved"
            store.record_action(run_id, 1, "draft_email", {"i": i}, "discard_draft", [], a)
            # a failing transaction (duplicate id) rolls back; it must roll back only its own
            with pytest.raises(sqlite3.IntegrityError):
                store.create_run(run_id, "again", {}, "approval", "m", {})
            ids.append(run_id)
        return ids

    with ThreadPoolExecutor(8) as pool:
        runs = [r for ids in pool.map(work, range(8)) for r in ids]  # re-raises thread errors
    assert len(store.runs()) == len(runs) == 200
    assert all(store.run(r)["state"]["n"] == int(r.rsplit("-", 1)[1]) for r in runs)
    assert len(store.approvals(status="approved")) == 200 and len(store.actions()) == 200
    store.close()


def test_every_approval_traces_to_its_runs_requester() -> None:
    store = AgentStore()
    with pytest.raises(InputError, match="must belong to a recorded run"):
        store.create_approval("run-nobody", 1, "c", "draft_email", {}, "why")
    assert store.approvals() == []
    a = store.create_approval(_run(store, requester="rita"), 1, "c", "draft_email", {}, "why")
    assert store.requester(a) == "rita"


def test_the_requester_cannot_decide_an_action_of_their_own_run() -> None:
    store = AgentStore()
    a = store.create_approval(_run(store, requester="rita"), 1, "c", "update_crm_field", {}, "why")
    with pytest.raises(Forbidden, match="separation of duties"):
        store.decide(a, "approved", "rita")
    with pytest.raises(Forbidden, match="separation of duties"):
        store.decide(a, "rejected", " rita ", reason="no")
    assert store.approval(a)["status"] == "pending"
    assert store.decide(a, "approved", "ada")["decided_by"] == "ada"


def test_an_approval_whose_requester_cannot_be_established_is_refused_to_everyone() -> None:
    # rows an older version (or a hand edit) left behind: an approval of a run that is not
    # in the store, and one whose run records no user id
    store = AgentStore()
    _run(store, "run-anon", requester="rita")
    with store._conn:
        store._conn.execute("UPDATE runs SET principal = '{}' WHERE run_id = 'run-anon'")
        for approval_id, run_id in (("apr-orphan", "run-gone"), ("apr-anon", "run-anon")):
            store._conn.execute(
                "INSERT INTO approvals (approval_id, run_id, step, tool_call_id, tool, arguments,"
                " why, status, created_at) VALUES (?, ?, 1, 'c', 'update_crm_field', '{}', 'why',"
                " 'pending', '2026-01-01T00:00:00+00:00')", (approval_id, run_id))
    for approval_id in ("apr-orphan", "apr-anon"):
        for who in ("ada", "rita"):
            with pytest.raises(Forbidden, match="cannot be established"):
                store.decide(approval_id, "approved", who)
        assert store.approval(approval_id)["status"] == "pending"
