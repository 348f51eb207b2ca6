"""The patterns over HTTP, end to end: real provider, real service on uvicorn, real stores.

Also the isolation rules: a job or agent run is visible only to its owner (and admins),
idempotency keys are scoped per user, approvals are decided only by approvers and never by
the requester.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from labkit.service import RunningService, ServiceSettings, serve_in_thread


def key(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer lab-key-{role}"}


@pytest.fixture
def svc(provider: Any) -> Iterator[RunningService]:
    # RAG is not used here: no warm-up ingestion (tests/test_service_copilot.py covers it)
    with serve_in_thread(ServiceSettings(provider_url=provider.base_url, embedded_workers=2,
                                         warm_rag=False)) as running:
        yield running


@pytest.fixture
def http(svc: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=svc.url, timeout=60) as client:
        yield client


def wait_job(http: httpx.Client, job_id: str, role: str = "employee", timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/jobs/{job_id}", headers=key(role)).json()
        if job["status"] in ("succeeded", "dead", "expired"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


TEXT = "The VPN drops every ten minutes. Engineering pushed a fix on Monday. Users confirmed it works."


def test_direct_summarise_classify_and_stream(http: httpx.Client) -> None:
    r = http.post("/direct/summarise", json={"text": TEXT}, headers=key("employee"))
    assert r.status_code == 200, r.text
    assert r.json()["summary"] and r.json()["status"] == "ok"
    assert r.json()["model"] == "lab-chat-2026-01"

    r = http.post("/direct/classify", json={"text": "I was billed twice for March",
                                            "labels": ["billing", "technical"]}, headers=key("support_agent"))
    assert r.status_code == 200 and r.json()["valid"] is True
    assert r.json()["label"] in ("billing", "technical")

    events = []
    with http.stream("POST", "/direct/summarise", json={"text": "Streamed: " + TEXT, "stream": True},
                     headers=key("employee")) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    deltas = [e["delta"] for e in events if "delta" in e]
    assert len(deltas) > 1, "the answer should arrive in several chunks"
    assert events[-1]["done"] is True and events[-1]["status"] == "ok"
    assert "ttft_ms" in events[-1]


def test_jobs_round_trip_and_owner_isolation(http: httpx.Client) -> None:
    r = http.post("/jobs", json={"kind": "summarise", "payload": {"text": TEXT}}, headers=key("employee"))
    assert r.status_code == 202 and r.headers["location"] == f"/jobs/{r.json()['job_id']}"
    job_id = r.json()["job_id"]
    job = wait_job(http, job_id)
    assert job["status"] == "succeeded" and job["kind"] == "summarise"
    result = http.get(f"/jobs/{job_id}/result", headers=key("employee")).json()["result"]
    assert result["summary"]

    # another user, another role, or the same role: 404 everywhere, no hint it exists
    for other in ("employee-2", "hr", "finance"):
        assert http.get(f"/jobs/{job_id}", headers=key(other)).status_code == 404
        assert http.get(f"/jobs/{job_id}/result", headers=key(other)).status_code == 404
        assert job_id not in json.dumps(http.get("/jobs", headers=key(other)).json())
    # admins see everything
    assert http.get(f"/jobs/{job_id}", headers=key("admin")).status_code == 200
    assert job_id in json.dumps(http.get("/jobs", headers=key("employee")).json())


def test_idempotency_keys_are_scoped_per_user(http: httpx.Client) -> None:
    body = {"kind": "summarise", "payload": {"text": TEXT}, "idempotency_key": "order-1"}
    a1 = http.post("/jobs", json=body, headers=key("employee")).json()["job_id"]
    a2 = http.post("/jobs", json=body, headers=key("employee")).json()["job_id"]
    b1 = http.post("/jobs", json=body, headers=key("hr")).json()["job_id"]
    assert a1 == a2, "same user, same key: one job"
    assert b1 != a1, "another user's key must never return someone else's job"
    assert http.get(f"/jobs/{b1}", headers=key("hr")).status_code == 200


def test_poison_job_reaches_the_dlq_visible_to_its_owner_only(http: httpx.Client) -> None:
    job_id = http.post("/jobs", json={"kind": "summarise", "payload": {"text": ""}},
                       headers=key("legal")).json()["job_id"]
    job = wait_job(http, job_id, role="legal")
    assert job["status"] == "dead" and job["dead_reason"] == "non_retryable"
    assert "payload.text" in job["last_error"]
    assert job_id in json.dumps(http.get("/jobs/dlq", headers=key("legal")).json())
    assert job_id not in json.dumps(http.get("/jobs/dlq", headers=key("hr")).json())
    assert job_id in json.dumps(http.get("/jobs/dlq", headers=key("admin")).json())


def test_agent_run_is_private_and_tools_follow_the_callers_role(http: httpx.Client) -> None:
    r = http.post("/agent/runs", json={"request": "What is the status of ticket TCK-000001?",
                                       "mode": "read-only"}, headers=key("support_agent"))
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["role"] == "support_agent" and run["status"] in ("done", "failed")
    assert http.get(f"/agent/runs/{run['run_id']}", headers=key("support_agent")).status_code == 200
    assert http.get(f"/agent/runs/{run['run_id']}", headers=key("hr")).status_code == 404

    # an hr employee asking for the same CRM tool is not offered it: nothing CRM-ish runs
    r = http.post("/agent/runs", json={"request": "What is the status of ticket TCK-000001?",
                                       "mode": "read-only"}, headers=key("hr")).json()
    assert all(step.get("tool") not in ("get_ticket", "search_accounts") or step["outcome"] == "refused"
               for step in r["steps"]), r["steps"]


def test_approvals_inbox_and_separation_of_duties(http: httpx.Client) -> None:
    run = http.post("/agent/runs", json={"request": 'Create a ticket for account ACC-00001: "Invoice sent twice"',
                                         "mode": "approval"}, headers=key("support_agent")).json()
    assert run["status"] == "awaiting_approval", run
    approval_id = run["pending_approvals"][0]["approval_id"]

    mine = http.get("/approvals", headers=key("support_agent")).json()
    assert [p["approval_id"] for p in mine["pending"]] == [approval_id] and mine["can_decide"] is False
    assert http.get("/approvals", headers=key("hr")).json()["pending"] == []

    r = http.post(f"/approvals/{approval_id}/approve", headers=key("support_agent"))
    assert r.status_code == 403 and "may not decide approvals" in r.json()["error"]["message"]
    r = http.post(f"/approvals/{approval_id}/reject", json={}, headers=key("admin"))
    assert r.status_code == 400 and "reason" in r.json()["error"]["message"]
    assert http.post("/approvals/apr-nope/approve", headers=key("admin")).status_code == 404

    r = http.post(f"/approvals/{approval_id}/approve", json={"reason": "checked"}, headers=key("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["run"]["status"] == "done"
    assert any(s["tool"] == "create_ticket" and s["outcome"] == "ok" for s in r.json()["run"]["steps"])
    assert http.get("/approvals", headers=key("admin")).json()["pending"] == []


def test_admin_cannot_approve_their_own_run(http: httpx.Client) -> None:
    run = http.post("/agent/runs", json={"request": 'Create a ticket for account ACC-00001: "Printer jam"',
                                         "mode": "approval"}, headers=key("admin")).json()
    assert run["status"] == "awaiting_approval", run
    approval_id = run["pending_approvals"][0]["approval_id"]
    r = http.post(f"/approvals/{approval_id}/approve", headers=key("admin"))
    assert r.status_code == 403 and "separation of duties" in r.json()["error"]["message"]


def test_two_replicas_share_jobs_runs_and_approvals_through_the_stores(provider: Any) -> None:
    # two independent apps (own clients, caches, thread pools) on the same var/: whatever one
    # replica creates, the other serves — nothing lives in process memory
    settings = ServiceSettings(provider_url=provider.base_url, embedded_workers=1, warm_rag=False)
    with serve_in_thread(settings) as a, serve_in_thread(settings) as b, \
            httpx.Client(base_url=a.url, timeout=60) as ha, httpx.Client(base_url=b.url, timeout=60) as hb:
        job_id = ha.post("/jobs", json={"kind": "summarise", "payload": {"text": TEXT}},
                         headers=key("employee")).json()["job_id"]
        assert wait_job(hb, job_id)["status"] == "succeeded"
        assert hb.get(f"/jobs/{job_id}", headers=key("hr")).status_code == 404
        run = ha.post("/agent/runs", json={"request": 'Create a ticket for account ACC-00001: "Replica test"',
                                           "mode": "approval"}, headers=key("support_agent")).json()
        approval_id = run["pending_approvals"][0]["approval_id"]
        assert approval_id in json.dumps(hb.get("/approvals", headers=key("support_agent")).json())
        decided = hb.post(f"/approvals/{approval_id}/approve", json={"reason": "ok"}, headers=key("admin"))
        assert decided.status_code == 200 and decided.json()["run"]["status"] == "done"
        assert ha.get(f"/agent/runs/{run['run_id']}", headers=key("support_agent")).json()["status"] == "done"


@pytest.mark.redis
def test_jobs_on_the_redis_backend_with_ownership_in_redis(provider: Any, redis_url: str) -> None:
    settings = ServiceSettings(provider_url=provider.base_url, embedded_workers=1, warm_rag=False,
                               jobs_backend="redis", redis_url=redis_url)
    with serve_in_thread(settings) as svc, httpx.Client(base_url=svc.url, timeout=60) as http:
        job_id = http.post("/jobs", json={"kind": "summarise", "payload": {"text": TEXT}},
                           headers=key("legal")).json()["job_id"]
        assert wait_job(http, job_id, role="legal")["status"] == "succeeded"
        assert http.get(f"/jobs/{job_id}", headers=key("finance")).status_code == 404
        import redis

        r = redis.Redis.from_url(redis_url, decode_responses=True)
        assert r.hget(f"labkit:service:owner:job:{job_id}", "user_id") == "u-legal"


def test_agent_acts_as_the_authenticated_user_two_relationship_managers(http: httpx.Client) -> None:
    # lab-key-relationship_manager is RM-001 (owns ACC-00017), -2 is RM-002 (owns ACC-00021)
    rm1 = {"Authorization": "Bearer lab-key-relationship_manager"}
    rm2 = {"Authorization": "Bearer lab-key-relationship_manager-2"}
    assert http.get("/whoami", headers=rm2).json()["user_id"] == "u-relationship_manager-2"

    def update(account_id: str, headers: dict[str, str]) -> dict[str, Any]:
        r = http.post("/agent/runs", json={"request": f'Update the industry of account {account_id} to "retail"',
                                           "mode": "approval"}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    for own, other, headers, user in (("ACC-00017", "ACC-00021", rm1, "u-relationship_manager"),
                                      ("ACC-00021", "ACC-00017", rm2, "u-relationship_manager-2")):
        mine = update(own, headers)
        assert mine["user_id"] == user, mine  # the run (and its audit rows) name the caller
        assert [p["tool"] for p in mine["pending_approvals"]] == ["update_crm_field"], mine
        theirs = update(other, headers)
        assert theirs["pending_approvals"] == [] and theirs["counters"]["writes_executed"] == 0, theirs
        assert any(s["outcome"] == "refused" and other in (s["detail"] or "") for s in theirs["steps"]), theirs


@pytest.mark.parametrize("kind", ["summarise", "analyse_upload"])
def test_a_service_job_whose_breakers_are_open_is_deferred_not_dead(provider: Any, tmp_path, kind: str) -> None:
    # "not now" (every route skipped, nothing sent) must wait like the jobs pattern's own
    # handlers (labkit.jobs.handlers.answered), not dead-letter or come back "degraded"
    from labkit.controls.retry import RetryPolicy
    from labkit.direct import ClientConfig, ResilientClient
    from labkit.errors import CallDeferred
    from labkit.jobs import open_queue
    from labkit.jobs.handlers import JobContext, resolve
    from labkit.service import job_handlers  # noqa: F401  (registers the kinds)

    provider.set_fault("lab-chat-2026-01", "status=503")
    client = ResilientClient(ClientConfig(
        base_url=provider.base_url, fallbacks={"*": []}, retry=RetryPolicy(max_attempts=1),
        breaker={"min_volume": 1, "error_rate": 0.5, "open_s": 120, "window_s": 60}))
    assert client.chat([{"role": "user", "content": "hi"}], use_cache=False).status == "cannot_answer"
    sent_before = len(provider.request_log())
    q = open_queue(f"sqlite:///{tmp_path / 'queue.db'}")
    try:
        q.submit(kind, {"text": "Summarise: the invoice is due on Friday.", "_owner": "u1"})
        job = q.claim("default", "w1", lease_s=30)
        with pytest.raises(CallDeferred):
            resolve(kind)(JobContext(job, q, "w1", extras={"client": client}))
    finally:
        q.close()
    assert len(provider.request_log()) == sent_before  # nothing reached the provider
