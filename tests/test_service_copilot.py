"""The copilot flow (RAG + upload job + agent action via approval) and the gateway routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from labkit.direct import ClientConfig, ResilientClient
from labkit.rag import RagPipeline, chroma_from_env
from labkit.service import RunningService, ServiceSettings, serve_in_thread
from labkit.settings import var_dir

# BM25 statistics (IDF) need a corpus of some size for the calibrated thresholds to mean
# anything, so a few dozen documents are ingested next to the ones the tests ask about
BACKGROUND = [f"DOC-{i:04d}" for i in range(10, 50)]
QUESTION = "What is the minimum password length for accounts on the document repository?"


def key(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer lab-key-{role}"}


@pytest.fixture
def svc(provider: Any) -> Iterator[RunningService]:
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    writer = RagPipeline(client, chroma=chroma_from_env(), lexical_path=var_dir() / "rag" / "bm25.duckdb")
    try:
        writer.ingest(doc_ids=["DOC-0004", "DOC-0009", "DOC-0005", *BACKGROUND], progress=False)
    finally:
        writer.close()
    with serve_in_thread(ServiceSettings(provider_url=provider.base_url, embedded_workers=2)) as running:
        yield running


@pytest.fixture
def http(svc: RunningService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=svc.url, timeout=60) as client:
        yield client


def test_copilot_composes_rag_job_and_agent_action(http: httpx.Client) -> None:
    body = {"question": QUESTION,
            "attachment": {"filename": "note.txt",
                           "text": "Account: ACC-00001\nEmail: ann@example.com\nThe invoice was sent twice."},
            "action": {"type": "create_ticket", "account_id": "ACC-00001", "subject": "Invoice sent twice"}}
    r = http.post("/copilot", json=body, headers=key("support_agent"))
    assert r.status_code == 200, r.text
    out = r.json()
    # 1. the policy answer, cited from a document the caller may read
    assert out["answer"]["status"] == "answered", out["answer"]
    assert any(c.startswith("DOC-0009") for c in out["answer"]["citations"])
    # 2. the upload was queued, not waited for; it completes in the background
    job_id = out["upload"]["job_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = http.get(f"/jobs/{job_id}", headers=key("support_agent")).json()
        if job["status"] in ("succeeded", "dead"):
            break
        time.sleep(0.05)
    assert job["status"] == "succeeded", job
    result = http.get(f"/jobs/{job_id}/result", headers=key("support_agent")).json()["result"]
    assert result["fields"]["account_id"] == "ACC-00001" and result["summary"]
    # 3. the action waits for a person
    action = out["action"]
    assert action["status"] == "awaiting_approval" and action["pending_approvals"][0]["tool"] == "create_ticket"
    assert set(out["timings_ms"]) == {"answer", "upload_queued", "action", "total"}
    assert isinstance(out["within_budget"], bool) and out["budget_ms"] > 0
    # the approver decides; the ticket is created
    approval_id = action["pending_approvals"][0]["approval_id"]
    decided = http.post(f"/approvals/{approval_id}/approve", json={"reason": "ok"}, headers=key("admin")).json()
    assert decided["run"]["status"] == "done"
    # every pattern's model calls are on the service's /metrics, and the service is ready
    metrics = http.get("/metrics").text
    assert 'labkit_model_calls_total{' in metrics and 'pattern="rag"' in metrics and 'pattern="agent"' in metrics
    assert 'labkit_http_requests_total{method="POST",route="/copilot",status="200"} 1.0' in metrics
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.json()


def test_copilot_without_attachment_or_action_answers_only(http: httpx.Client) -> None:
    out = http.post("/copilot", json={"question": QUESTION}, headers=key("employee")).json()
    assert out["upload"] is None and out["action"] is None
    assert out["answer"]["status"] == "answered"


def test_copilot_refuses_a_blank_question_like_rag_ask(http: httpx.Client) -> None:
    # a vertical tab passed the copilot's length check but not /rag/ask's blank check: 500
    for path in ("/copilot", "/rag/ask"):
        r = http.post(path, json={"question": "\x0b"}, headers=key("employee"))
        assert r.status_code == 422 and "question is blank" in r.json()["error"]["message"], (path, r.text)


def test_copilot_rejects_incomplete_actions(http: httpx.Client) -> None:
    r = http.post("/copilot", json={"question": QUESTION, "action": {"type": "update_crm", "account_id": "ACC-00001"}},
                  headers=key("relationship_manager"))
    assert r.status_code == 422 and "update_crm needs field and value" in r.json()["error"]["message"]
    r = http.post("/copilot", json={"question": QUESTION, "action": {"type": "create_ticket",
                                                                     "account_id": "'; drop table", "subject": "x"}},
                  headers=key("support_agent"))
    assert r.status_code == 422 and "account_id" in r.json()["error"]["message"]


def test_gateway_routes_speak_openai_behind_the_service_keys(svc: RunningService) -> None:
    client = openai.OpenAI(base_url=svc.url + "/v1", api_key="lab-key-employee", max_retries=0)
    r = client.chat.completions.create(model="lab-chat", messages=[
        {"role": "user", "content": "Summarise: the lab runs locally. It needs no cloud account."}])
    assert r.choices[0].message.content and r.model == "lab-chat-2026-01"
    chunks = [c.choices[0].delta.content for c in client.chat.completions.create(
        model="lab-chat", stream=True, messages=[{"role": "user", "content": "Summarise: streams arrive in pieces."}])
        if c.choices and c.choices[0].delta.content]
    assert len(chunks) > 1
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=svc.url + "/v1", api_key="not-a-service-key", max_retries=0).models.list()
