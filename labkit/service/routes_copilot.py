"""The support copilot: the four patterns working together in one request, within a budget.

The source document's mature architecture: "a support copilot may use RAG to retrieve policy
documents, async processing to analyse uploaded files, and an agentic layer to create a
ticket or update a CRM record". ``POST /copilot`` does exactly that, each part through the
pattern that owns it and with its controls:

- the policy answer: RAG (:mod:`routes_rag`), with the caller's roles, cited or abstaining;
- the uploaded file: queued as an ``analyse_upload`` job (:mod:`routes_jobs`) — the user
  does not wait for it; the response carries the job id to poll;
- the action (create a ticket, update a CRM field): an agent run in ``approval`` mode
  (:mod:`routes_agent`) — the write waits in the approvals inbox for a person.

The answer and the agent's proposal are independent, so they run concurrently; the upload is
only queued. The response reports each part's latency against the copilot's budget
(``ServiceSettings.copilot_budget_s``); a part that fails is reported in its place and the
other parts still answer (a degraded copilot beats an error page).

It does not hold state: the job, the run and the approval live in their stores.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from labkit.errors import LabkitError
from labkit.service.auth import Principal, current_principal
from labkit.service.deps import resource
from labkit.service.errors import status_for
from labkit.service.routes_agent import start_run
from labkit.service.routes_jobs import JobSubmit, submit_job
from labkit.service.routes_rag import AskRequest, Question, ask

_ID = r"^[A-Z]{3}-[0-9A-Z]{3,12}$"


class Attachment(BaseModel):
    """An uploaded text file (analysed asynchronously)."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=100_000)


class Action(BaseModel):
    """What the copilot should do in the systems; always proposed for approval, never direct."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["create_ticket", "update_crm"]
    account_id: str = Field(pattern=_ID)
    subject: str | None = Field(None, min_length=1, max_length=200)
    field: str | None = Field(None, pattern=r"^[a-z_]{1,40}$")
    value: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _complete(self) -> Action:
        if self.type == "create_ticket" and not self.subject:
            raise ValueError("create_ticket needs a subject")
        if self.type == "update_crm" and not (self.field and self.value):
            raise ValueError("update_crm needs field and value")
        return self

    def request_text(self) -> str:
        # quotes keep the user's words as one value the agent fills into the tool's arguments
        subject = (self.subject or "").replace('"', "'")
        value = (self.value or "").replace('"', "'")
        if self.type == "create_ticket":
            return f'Create a ticket for account {self.account_id}: "{subject}"'
        return f'Update the {self.field} of account {self.account_id} to "{value}"'


class CopilotRequest(BaseModel):
    """A support question, optionally with a file to analyse and an action to propose."""

    model_config = ConfigDict(extra="forbid")
    question: Question
    attachment: Attachment | None = None
    action: Action | None = None


def _part(fn: Any, *args: Any) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    try:
        out = fn(*args)
    except LabkitError as exc:
        status, kind = status_for(exc)
        out = {"error": {"type": kind, "status": status, "message": str(exc)}}
    return out, (time.perf_counter() - t0) * 1000


router = APIRouter(tags=["copilot"])


@router.post("/copilot")
def copilot(body: CopilotRequest, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Policy answer (RAG) + file analysis (job) + ticket/CRM change (agent, via approval)."""
    app = request.app
    started = time.perf_counter()
    pool: ThreadPoolExecutor = resource(app, "copilot_pool", lambda: ThreadPoolExecutor(
        max_workers=app.state.settings.threads, thread_name_prefix="copilot"))
    answer_f = pool.submit(_part, ask, app, principal, AskRequest(question=body.question))
    action_f = (pool.submit(_part, start_run, app, principal, body.action.request_text(), "approval")
                if body.action else None)
    upload: dict[str, Any] | None = None
    upload_ms = 0.0
    if body.attachment:
        def queue_upload() -> dict[str, Any]:
            job = submit_job(app, principal, JobSubmit(kind="analyse_upload", payload=body.attachment.model_dump()))
            return {"job_id": job.id, "status": job.status, "status_url": f"/jobs/{job.id}"}
        upload, upload_ms = _part(queue_upload)
    answer, answer_ms = answer_f.result()
    action: dict[str, Any] | None = None
    action_ms = 0.0
    if action_f is not None:
        run, action_ms = action_f.result()
        action = run if "error" in run else {
            "run_id": run["run_id"], "status": run["status"], "pending_approvals": [
                {"approval_id": a["approval_id"], "tool": a["tool"], "arguments": a["arguments"]}
                for a in run["pending_approvals"]],
            "answer": run["final_answer"]}
    elapsed_ms = (time.perf_counter() - started) * 1000
    budget_ms = app.state.settings.copilot_budget_s * 1000
    app.state.metrics.pattern_calls.labels("copilot", "within_budget" if elapsed_ms <= budget_ms else "over_budget").inc()
    return {"answer": answer, "upload": upload, "action": action,
            "timings_ms": {"answer": round(answer_ms, 1), "upload_queued": round(upload_ms, 1),
                           "action": round(action_ms, 1), "total": round(elapsed_ms, 1)},
            "budget_ms": budget_ms, "within_budget": elapsed_ms <= budget_ms}


def mount(app: FastAPI) -> None:
    app.include_router(router)
