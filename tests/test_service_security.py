"""Security and robustness of the service: schema fuzzing, cross-role isolation, bad bodies.

- Property-based fuzzing of the service's own OpenAPI schema (schemathesis strategies driven
  by hypothesis): valid and invalid inputs for every operation, as several roles; no
  response may be a 5xx, every error must be the one JSON shape.
- Role A cannot read role B's documents through any endpoint that reaches them (RAG ask,
  the copilot, the agent's knowledge-base tools), nor call B's tools (agent, copilot).
- Oversized, truncated and wrongly typed bodies are refused cleanly and the service stays up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.openapi import from_dict

from labkit.direct import ClientConfig, ResilientClient
from labkit.rag import RagPipeline, chroma_from_env
from labkit.service import RunningService, ServiceSettings, serve_in_thread
from labkit.service.auth import ROLES
from labkit.settings import var_dir

# restricted documents of the sample data, a question each, and a fact only the document holds
RESTRICTED = {
    "DOC-0005": (["hr"], "How many weeks of fully paid parental leave do primary caregivers in Germany receive?",
                 "12 weeks"),
    "DOC-0003": (["finance"], "What is the month-end close procedure in the United Kingdom?", None),
    "DOC-0001": (["relationship_manager"], "What does the SwiftNest sales playbook say?", None),
    "DOC-0017": (["engineering", "admin"], "What is the incident runbook for the build pipeline?", None),
}
PUBLIC = ["DOC-0004", "DOC-0009"]
# BM25 statistics (IDF) need a corpus of some size for the calibrated thresholds to hold
BACKGROUND = [f"DOC-{i:04d}" for i in range(10, 50)]


def key(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer lab-key-{role}"}


@pytest.fixture
def svc(provider: Any) -> Iterator[RunningService]:
    # a small index (the restricted documents and two public ones), built before the service
    # starts so its startup finds a non-empty index and opens it read-only
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    writer = RagPipeline(client, chroma=chroma_from_env(), lexical_path=var_dir() / "rag" / "bm25.duckdb")
    try:
        writer.ingest(doc_ids=list(RESTRICTED) + PUBLIC + BACKGROUND, progress=False)
    finally:
        writer.close()
    with serve_in_thread(ServiceSettings(provider_url=provider.base_url, embedded_workers=1)) as running:
        yield running


@pytest.fixture
def http(svc: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=svc.url, timeout=60) as client:
        yield client


def may_read(role: str, doc_roles: list[str]) -> bool:
    # the one document-access rule (labkit.data.access), the same for every endpoint: admin
    # included, nobody reads a document that lists neither their role nor employee
    return role in doc_roles or "employee" in doc_roles


def test_the_owning_role_can_read_its_restricted_document(http: httpx.Client) -> None:
    r = http.post("/rag/ask", json={"question": RESTRICTED["DOC-0005"][1]}, headers=key("hr")).json()
    assert r["status"] == "answered", r
    assert any(c.startswith("DOC-0005") for c in r["citations"])
    assert "12 weeks" in r["answer"]


def test_no_role_reads_another_roles_documents_through_any_endpoint(http: httpx.Client) -> None:
    checked = 0
    for doc_id, (doc_roles, question, fact) in RESTRICTED.items():
        for role in ROLES:
            if may_read(role, doc_roles):
                continue
            responses = {
                "rag": http.post("/rag/ask", json={"question": question}, headers=key(role)),
                "copilot": http.post("/copilot", json={"question": question}, headers=key(role)),
                "agent": http.post("/agent/runs", json={"request": f"Get document {doc_id} and tell me what it says",
                                                        "mode": "read-only"}, headers=key(role)),
            }
            for endpoint, resp in responses.items():
                assert resp.status_code == 200, (endpoint, role, resp.text)
                text = json.dumps(resp.json())
                if endpoint == "agent":
                    # the request names the id; what must not appear is the document's content
                    steps = resp.json()["steps"]
                    assert all(s["outcome"] != "ok" or doc_id not in json.dumps(s.get("detail", ""))
                               for s in steps), (role, doc_id, steps)
                else:
                    assert doc_id not in text, (endpoint, role, doc_id)
                if fact:
                    assert fact not in text, (endpoint, role, doc_id)
                checked += 1
    assert checked > 50


def test_roles_cannot_call_tools_of_other_roles(http: httpx.Client) -> None:
    # create_ticket belongs to support agents, relationship managers and admins
    for role in ("employee", "hr", "legal", "finance", "engineering"):
        run = http.post("/agent/runs", json={"request": 'Create a ticket for account ACC-00001: "Escalate"',
                                             "mode": "autonomous"}, headers=key(role)).json()
        assert run["counters"]["writes_executed"] == 0, (role, run)
        assert run["pending_approvals"] == [], (role, run)
        assert all(s["tool"] != "create_ticket" or s["outcome"] == "refused" for s in run["steps"]), run
        body = {"question": "What is the refund policy?",
                "action": {"type": "create_ticket", "account_id": "ACC-00001", "subject": "Escalate"}}
        out = http.post("/copilot", json=body, headers=key(role)).json()
        action = out["action"]
        assert "error" in action or (action["pending_approvals"] == [] and action["status"] != "awaiting_approval"), out
    # a relationship manager cannot touch an account another manager owns, even with approval
    run = http.post("/agent/runs", json={"request": 'Update the industry of account ACC-00004 to "retail"',
                                         "mode": "approval"}, headers=key("relationship_manager")).json()
    assert run["pending_approvals"] == [] and run["counters"]["writes_executed"] == 0, run


def test_bad_bodies_are_refused_cleanly_and_the_service_stays_up(http: httpx.Client) -> None:
    h = {**key("employee"), "Content-Type": "application/json"}
    for path in ("/direct/summarise", "/direct/classify", "/rag/ask", "/jobs", "/agent/runs", "/copilot"):
        for body in (b"", b"{", b"[]", b"null", b'{"text": 5}', b"\xff\xfe", b'{"question": "' + b"a" * 300_000 + b'"}'):
            r = http.post(path, content=body, headers=h)
            assert r.status_code in (400, 413, 422), (path, body[:20], r.status_code, r.text[:200])
            assert r.json()["error"]["message"], (path, body[:20])
    r = http.post("/direct/summarise", json={"text": "x" * 20_001}, headers=h)
    assert r.status_code == 422 and "body.text" in r.json()["error"]["message"]
    r = http.post("/direct/classify", json={"text": "hi", "labels": ["a", "a"]}, headers=h)
    assert r.status_code == 422 and "distinct" in r.json()["error"]["message"]
    assert http.get("/healthz").json()["status"] == "ok"


def test_fuzzing_the_openapi_schema_finds_no_server_errors(svc: RunningService, http: httpx.Client) -> None:
    schema = from_dict(http.get("/openapi.json").json())
    seen: dict[str, int] = {}
    failures: list[str] = []
    roles = ["employee", "support_agent", "admin", "finance"]

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception:  # an operation without anything to negate
                continue

            @settings(max_examples=20, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: Any) -> None:
                role = roles[hash(repr(case.body)) % len(roles)]
                response = case.call(base_url=svc.url, headers=key(role), timeout=60)
                seen[label] = seen.get(label, 0) + 1
                upstream = response.status_code in (502, 503, 504) and "json" in response.headers.get(
                    "content-type", "") and response.json().get("error", {}).get(
                    "type") in ("provider_timeout", "provider_unavailable", "circuit_open", "provider_error")
                if upstream:
                    # the provider (not the service) failed and the service said so cleanly;
                    # counted, and tolerated only as a rare event on a loaded machine
                    seen["upstream"] = seen.get("upstream", 0) + 1
                elif response.status_code >= 500:
                    failures.append(f"{label} -> {response.status_code}: {response.text[:200]} "
                                    f"body={str(case.body)[:200]}")
                elif response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                    assert "error" in response.json(), (label, response.text[:200])

            try:
                run()
            except Unsatisfiable:  # negative mode on an operation with no inputs to break
                pass
    assert not failures, "\n".join(failures[:10])
    assert seen.get("upstream", 0) <= 3, f"{seen['upstream']} upstream failures"
    assert len(seen) >= 15, seen
    assert http.get("/healthz").json()["status"] == "ok"


# --- separation of duties while a run is in flight (issue 12, item 1) ----------------------

@pytest.fixture
def agent_svc(provider: Any) -> Iterator[RunningService]:
    # the agent routes only: no RAG warm-up
    with serve_in_thread(ServiceSettings(provider_url=provider.base_url, embedded_workers=1,
                                         warm_rag=False)) as running:
        yield running


def test_an_approver_cannot_approve_its_own_run_while_it_is_in_flight(agent_svc: RunningService) -> None:
    """The race hostile probing found: the owner used to be recorded only after the run returned.

    Runner threads start runs as the admin (an approver) that propose a CRM write; a poller
    lists the inbox as the same admin every millisecond and approves every new pending id at
    once. On the old code a share of tries got 200 (the owner was not yet recorded, so the
    action did not count as the admin's own) — from a few to half of them, depending on load;
    10 rounds of 8 concurrent runs (80 tries) make a miss very unlikely. Never a 200 now.
    """
    import threading
    import time as _time

    from labkit.agent.audit import AuditLog

    admin = key("admin")
    rounds, runners = 10, 8
    outcomes: list[int] = []
    errors: list[str] = []
    with httpx.Client(base_url=agent_svc.url, timeout=60) as b:
        for _ in range(rounds):
            seen = {p["approval_id"] for p in b.get("/approvals", headers=admin).json()["pending"]}
            left = threading.Semaphore(0)

            def start() -> None:
                try:
                    with httpx.Client(base_url=agent_svc.url, timeout=60) as a:
                        r = a.post("/agent/runs", headers=admin,
                                   json={"request": "Update the CRM field stage of ACC-00001 to 'won'",
                                         "mode": "approval"})
                    if r.status_code != 200 or r.json()["status"] != "awaiting_approval":
                        errors.append(r.text)
                finally:
                    left.release()

            threads = [threading.Thread(target=start) for _ in range(runners)]
            for t in threads:
                t.start()
            finished, deadline = 0, _time.monotonic() + 60
            tried: set[str] = set()
            while len(tried) < runners:
                while left.acquire(blocking=False):
                    finished += 1
                for item in b.get("/approvals", headers=admin).json()["pending"]:
                    if item["approval_id"] not in seen | tried:
                        r = b.post(f"/approvals/{item['approval_id']}/approve",
                                   json={"reason": "mine"}, headers=admin)
                        outcomes.append(r.status_code)
                        tried.add(item["approval_id"])
                assert not errors, errors
                # every run that returned left its approval in the inbox: a few more polls find it
                assert finished < runners or _time.monotonic() < deadline, "approvals never appeared"
                _time.sleep(0.001)
            for t in threads:
                t.join()
    assert len(outcomes) == rounds * runners
    assert set(outcomes) == {403}, f"{outcomes.count(200)} of {len(outcomes)} self-approvals got 200"
    for row in AuditLog().rows():
        assert not (row["approver"] and row["approver"] == row["actor"]), row


def test_an_approval_whose_requester_cannot_be_established_is_refused(agent_svc: RunningService) -> None:
    # a pending row whose run is not in the agent store (left by an older version or a hand
    # edit): it must not count as "not your own" for anybody
    from labkit.agent.approvals import AgentStore

    store = AgentStore()
    with store._conn:
        store._conn.execute(
            "INSERT INTO approvals (approval_id, run_id, step, tool_call_id, tool, arguments, why,"
            " status, created_at) VALUES ('apr-orphan', 'run-gone', 1, 'c', 'update_crm_field',"
            " '{}', 'why', 'pending', '2026-01-01T00:00:00+00:00')")
    with httpx.Client(base_url=agent_svc.url, timeout=60) as http:
        for decision, body in (("approve", {"reason": "ok"}), ("reject", {"reason": "no"})):
            r = http.post(f"/approvals/apr-orphan/{decision}", json=body, headers=key("admin"))
            assert r.status_code == 403, r.text
            assert "cannot be established" in r.json()["error"]["message"]
    assert store.approval("apr-orphan")["status"] == "pending"


# --- one API key per request (issue 12, item 3) -----------------------------------------

TWO_AUTHORIZATIONS = [("Authorization", "Bearer lab-key-hr"), ("Authorization", "Bearer lab-key-admin")]
DISAGREEING = [("Authorization", "Bearer lab-key-hr"), ("X-API-Key", "lab-key-admin")]
CHAT = {"model": "lab-chat", "messages": [{"role": "user", "content": "Summarise: one key, one payer."}]}


def test_ambiguous_credentials_are_refused_on_service_routes(agent_svc: RunningService) -> None:
    with httpx.Client(base_url=agent_svc.url, timeout=60) as http:
        for headers in (TWO_AUTHORIZATIONS, DISAGREEING,
                        [("X-API-Key", "lab-key-hr"), ("X-API-Key", "lab-key-admin")]):
            for method, path in (("GET", "/whoami"), ("GET", "/approvals")):
                r = http.request(method, path, headers=headers)
                assert r.status_code == 401, (path, headers, r.text)
                assert "exactly one API key" in r.json()["error"]["message"], r.text
        # one key, however it is sent (both headers carrying the same key is one key)
        for headers in ([("X-API-Key", "lab-key-hr")], [("Authorization", "Bearer lab-key-hr")],
                        [("Authorization", "Bearer lab-key-hr"), ("X-API-Key", "lab-key-hr")]):
            assert http.get("/whoami", headers=headers).json()["user_id"] == "u-hr"
        r = http.get("/whoami", headers=[("Authorization", "Basic bGFiOmtleQ=="), ("X-API-Key", "lab-key-hr")])
        assert r.status_code == 401 and "Bearer KEY" in r.json()["error"]["message"]


def test_v1_takes_the_same_key_forms_refuses_ambiguity_and_bills_the_authenticated_user(
        agent_svc: RunningService) -> None:
    from labkit.controls.budget import CostLedger

    with httpx.Client(base_url=agent_svc.url, timeout=60) as http:
        for headers in (TWO_AUTHORIZATIONS, DISAGREEING,
                        # an unknown key first and a valid one last: the old route let the last
                        # one in and billed the first
                        [("Authorization", "Bearer not-a-key"), ("Authorization", "Bearer lab-key-hr")]):
            for method, path, body in (("POST", "/v1/chat/completions", CHAT), ("GET", "/v1/models", None)):
                r = http.request(method, path, headers=headers, json=body)
                assert r.status_code == 401, (path, headers, r.text)
                error = r.json()["error"]  # OpenAI's error shape
                assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
                assert "exactly one API key" in error["message"] or "invalid API key" in error["message"]
        ledger = CostLedger()
        assert ledger.spend(key="u-finance") == 0
        r = http.post("/v1/chat/completions", headers=[("X-API-Key", "lab-key-finance")], json=CHAT)
        assert r.status_code == 200, r.text  # X-API-Key works on /v1 as everywhere else
        assert http.get("/v1/models", headers=[("X-API-Key", "lab-key-finance")]).status_code == 200
        other = {**CHAT, "messages": [{"role": "user", "content": "Summarise: the payer is the caller."}]}
        r = http.post("/v1/chat/completions", headers=[("Authorization", "Bearer lab-key-legal")], json=other)
        assert r.status_code == 200, r.text
    billed = [row["key"] for row in ledger.rows(kind="completion")]
    assert billed == ["u-finance", "u-legal"], billed
    assert ledger.spend(key="u-finance") > 0 and ledger.spend(key="u-legal") > 0
