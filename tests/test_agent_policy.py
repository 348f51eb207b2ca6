"""Agent tools and least-privilege policy: declarations, roles, scopes, modes, approval rule."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from labkit.agent.policy import ROLE_TOOLS, AutonomyLimits, Mode, Policy, Principal
from labkit.agent.systems import Systems
from labkit.agent.tools import TOOLS, Risk, compensate
from labkit.errors import DataError, InputError, ToolNotPermitted, UnknownRole

ALICE = Principal(user_id="RM-001", role="relationship_manager", rm_id="RM-001")
SAM = Principal(user_id="U-SUPPORT", role="support_agent")
EVE = Principal(user_id="U-EMPLOYEE", role="employee")


@pytest.fixture
def systems() -> Systems:
    s = Systems()
    assert s.seed(source="fixture") == "fixture"
    return s


def test_every_tool_declares_schema_risk_scope_idempotency_and_compensation() -> None:
    assert {t.risk for t in TOOLS.values()} == set(Risk)
    for tool in TOOLS.values():
        assert issubclass(tool.args, BaseModel)
        assert tool.scope in {"account", "ticket", "outbox", "kb"}
        assert isinstance(tool.idempotent, bool)
        assert (tool.compensation is not None) == tool.is_write, tool.name
        schema = tool.openai_schema()
        assert schema["function"]["name"] == tool.name
        assert schema["function"]["parameters"]["type"] == "object"


def test_roles_are_offered_only_their_tools(systems: Systems) -> None:
    policy = Policy()
    names = lambda p, m: {t.name for t in policy.offered(p, m)}  # noqa: E731
    assert names(EVE, Mode.AUTONOMOUS) == {"search_knowledge_base", "get_document"}
    assert "update_crm_field" not in names(SAM, Mode.AUTONOMOUS)
    assert "update_crm_field" in names(ALICE, Mode.APPROVAL)
    assert names(ALICE, Mode.READ_ONLY) == {n for n in ROLE_TOOLS["relationship_manager"]
                                             if not TOOLS[n].is_write}
    with pytest.raises(UnknownRole):
        policy.offered(Principal(user_id="x", role="wizard"), Mode.APPROVAL)


def test_calls_outside_the_offer_are_refused(systems: Systems) -> None:
    policy = Policy()
    with pytest.raises(ToolNotPermitted, match="read-only"):
        policy.check(ALICE, Mode.READ_ONLY, "update_crm_field",
                     {"account_id": "ACC-00001", "field": "stage", "value": "won"}, systems)
    with pytest.raises(ToolNotPermitted, match="not granted"):
        policy.check(SAM, Mode.AUTONOMOUS, "delete_contact", {"contact_id": "CON-0001"}, systems)
    with pytest.raises(ToolNotPermitted):
        policy.check(EVE, Mode.AUTONOMOUS, "get_account_history", {"account_id": "ACC-00001"},
                     systems)


def test_relationship_manager_touches_only_owned_accounts(systems: Systems) -> None:
    policy = Policy()
    ok = policy.check(ALICE, Mode.APPROVAL, "update_crm_field",
                      {"account_id": "ACC-00001", "field": "stage", "value": "won"}, systems)
    assert ok.model_dump()["account_id"] == "ACC-00001"
    with pytest.raises(ToolNotPermitted, match="owned by RM-002"):
        policy.check(ALICE, Mode.APPROVAL, "get_account_history", {"account_id": "ACC-00004"},
                     systems)
    # scope follows tickets and contacts to their account
    with pytest.raises(ToolNotPermitted, match="ACC-00004"):
        policy.check(ALICE, Mode.APPROVAL, "get_ticket", {"ticket_id": "TCK-000003"}, systems)
    with pytest.raises(ToolNotPermitted, match="ACC-00004"):
        policy.check(ALICE, Mode.APPROVAL, "draft_email", {"contact_id": "CON-0004"}, systems)
    # a support agent works across accounts
    policy.check(SAM, Mode.APPROVAL, "get_ticket", {"ticket_id": "TCK-000003"}, systems)


def test_search_results_are_scoped_to_the_relationship_manager(systems: Systems) -> None:
    out = TOOLS["search_accounts"].run(systems, ALICE, {"query": "ACC"})
    assert {a["owner_rm"] for a in out.result} == {"RM-001"}
    out = TOOLS["search_accounts"].run(systems, SAM, {"query": "ACC"})
    assert {a["owner_rm"] for a in out.result} == {"RM-001", "RM-002"}


def test_bad_arguments_are_an_input_error_not_a_traceback(systems: Systems) -> None:
    policy = Policy()
    with pytest.raises(InputError, match="update_crm_field: invalid field"):
        policy.check(ALICE, Mode.APPROVAL, "update_crm_field",
                     {"account_id": "ACC-00001", "field": "owner_rm", "value": "RM-002"}, systems)
    with pytest.raises(InputError, match="invalid"):
        policy.check(ALICE, Mode.APPROVAL, "get_account_history", "{not json", systems)
    with pytest.raises(InputError, match="no account"):
        policy.check(ALICE, Mode.APPROVAL, "get_account_history", {"account_id": "ACC-99999"},
                     systems)


def test_approval_rule_per_mode() -> None:
    policy = Policy(limits=AutonomyLimits(max_direct_writes=2))
    crm, send, delete, read = (TOOLS["update_crm_field"], TOOLS["send_email"],
                               TOOLS["delete_contact"], TOOLS["get_ticket"])
    assert policy.needs_approval(read, Mode.APPROVAL, tainted=True, direct_writes=0) is None
    assert "approval mode" in policy.needs_approval(crm, Mode.APPROVAL, tainted=False,
                                                    direct_writes=0)
    assert policy.needs_approval(crm, Mode.AUTONOMOUS, tainted=False, direct_writes=0) is None
    assert "untrusted" in policy.needs_approval(crm, Mode.AUTONOMOUS, tainted=True,
                                                direct_writes=0)
    assert "limit" in policy.needs_approval(crm, Mode.AUTONOMOUS, tainted=False, direct_writes=2)
    for risky in (send, delete):
        assert "not low-risk" in policy.needs_approval(risky, Mode.AUTONOMOUS, tainted=False,
                                                       direct_writes=0)


def test_compensation_restores_exact_rows_and_refuses_after_a_later_edit(
        systems: Systems) -> None:
    before = systems.snapshot()
    outcomes = [TOOLS["update_crm_field"].run(systems, ALICE, {"account_id": "ACC-00001",
                                                               "field": "stage", "value": "won"}),
                TOOLS["draft_email"].run(systems, ALICE, {"contact_id": "CON-0001",
                                                          "subject": "Hi", "body": "Hello"}),
                TOOLS["delete_contact"].run(systems, ALICE, {"contact_id": "CON-0002"})]
    assert systems.snapshot() != before
    for out in reversed(outcomes):
        compensate(systems, out.changes)
    assert systems.snapshot() == before
    # a compensation must not overwrite somebody's later edit
    out = TOOLS["update_crm_field"].run(systems, ALICE, {"account_id": "ACC-00001",
                                                         "field": "stage", "value": "won"})
    systems.update_account_field("ACC-00001", "stage", "lost")
    with pytest.raises(DataError, match="changed since"):
        compensate(systems, out.changes)


def test_systems_seed_from_the_sample_data_and_owners_are_enforced() -> None:
    s = Systems()
    assert s.seed(source="catalogue") == "catalogue"
    assert s.seed(source="catalogue") == "existing"  # seeding is idempotent
    rm = next(u for u in s.users_with_role("relationship_manager") if u["rm_id"])
    owned = s.search_accounts("ACC", owner_rm=rm["rm_id"], limit=1)
    assert owned, f"{rm['rm_id']} owns no account in the sample data"
    other = s._conn("crm").execute("SELECT account_id FROM accounts WHERE owner_rm != ? LIMIT 1",
                                   (rm["rm_id"],)).fetchone()[0]
    me = Principal(user_id=rm["user_id"], role="relationship_manager", rm_id=rm["rm_id"])
    Policy().check(me, Mode.READ_ONLY, "get_account_history",
                   {"account_id": owned[0]["account_id"]}, s)
    with pytest.raises(ToolNotPermitted):
        Policy().check(me, Mode.READ_ONLY, "get_account_history", {"account_id": other}, s)


def test_knowledge_base_tools_follow_the_one_document_access_rule(systems: Systems) -> None:
    # the same rule as RAG (labkit.data.access): admin reads documents listing admin or
    # employee, not HR's salary bands; nobody is exempt
    from labkit.data.access import caller_roles, can_read

    ada = Principal(user_id="U-ADMIN", role="admin")
    hr = Principal(user_id="U-HR", role="hr")
    get, search = TOOLS["get_document"], TOOLS["search_knowledge_base"]
    systems.put_document("DOC-0900", "Admin runbook", "Salary bands rotate keys", roles=["admin"])
    docs = {r["doc_id"]: json.loads(r["roles"]) for r in systems.snapshot()["kb.documents"]}
    for who in (ada, hr, ALICE, SAM, EVE):
        for doc_id, doc_roles in docs.items():
            allowed = can_read(doc_roles, caller_roles(who.role))
            if allowed:
                assert get.run(systems, who, {"doc_id": doc_id}).result["doc_id"] == doc_id
            else:
                with pytest.raises(InputError, match="no document"):
                    get.run(systems, who, {"doc_id": doc_id})
        found = {d["doc_id"] for d in search.run(systems, who, {"query": "salary bands"}).result}
        assert found == {d for d in ("DOC-0003", "DOC-0900") if can_read(docs[d], who.roles)}, who
    with pytest.raises(InputError):
        get.run(systems, ada, {"doc_id": "DOC-0003"})


def test_tool_schemas_are_built_once_per_role_and_mode() -> None:
    policy = Policy()
    ada = Principal(user_id="U-ADMIN", role="admin")
    first = policy.tool_schemas(ada, Mode.AUTONOMOUS)
    again = policy.tool_schemas(ada, Mode.AUTONOMOUS)
    assert all(a is b for a, b in zip(first, again, strict=True))  # the same objects: cached
    assert TOOLS["get_document"].openai_schema() is TOOLS["get_document"].openai_schema()
    # the cache holds what pydantic builds, per role and mode
    for who in (ada, ALICE, EVE):
        for mode in Mode:
            names = [t["function"]["name"] for t in policy.tool_schemas(who, mode) or []]
            assert names == [t.name for t in policy.offered(who, mode)]
    params = TOOLS["update_crm_field"].args.model_json_schema()
    cached = TOOLS["update_crm_field"].openai_schema()["function"]["parameters"]
    assert cached["required"] == params["required"]
    assert set(cached["properties"]) == set(params["properties"])
    assert policy.tool_schemas(EVE, Mode.READ_ONLY) is not policy.tool_schemas(EVE, Mode.READ_ONLY)
    # that the cache is cheaper is shown by identity above (nothing rebuilt), not timed here:
    # a speed ratio in a unit test fails on a loaded machine
