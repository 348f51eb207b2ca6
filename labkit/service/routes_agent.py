"""Pattern 4 over HTTP: agent runs and the approvals inbox.

``POST /agent/runs`` runs the agent as the caller — their user id, role (its tools) and, for
relationship managers, their own RM id (its scope: accounts they own) — in the mode asked for, and answers when the run is done, waits for approval, or is paused by the run
breaker. Runs belong to their caller: another user gets 404 for a run id, and the inbox lists
only the pending actions of the caller's own runs — except for approvers (``admin`` by
default, ``ServiceSettings.approver_roles``), who see and decide every pending action. A
person cannot approve an action of their own run (separation of duties): the run id is made
here and its owner recorded before the run's first step, the agent's store records the
requester as it creates the run (and itself refuses a decision by the requester), and an
action whose requester cannot be established is refused to everyone (403).

The agent's stores are SQLite files shared by every replica; each worker thread gets its own
:class:`~labkit.agent.loop.Agent` (its own connections), because one SQLite connection
shared by threads would interleave their transactions.

It does not run tools itself: the agent applies policy, approvals, breaker and audit.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from labkit.agent.approvals import new_id
from labkit.agent.loop import Agent
from labkit.agent.tools import Principal as AgentPrincipal
from labkit.errors import Forbidden, InputError, JobNotFound
from labkit.service.auth import Principal, current_principal
from labkit.service.deps import model_client, resource
from labkit.service.ownership import check_owner
from labkit.service.routes_jobs import ownership

_build_lock = threading.Lock()


class RunRequest(BaseModel):
    """What the agent should do, and how much autonomy it has."""

    model_config = ConfigDict(extra="forbid")
    request: str = Field(min_length=1, max_length=4000)
    mode: Literal["read-only", "approval", "autonomous"] = "approval"


class Decision(BaseModel):
    """An approver's decision: a reason (required to reject) and optionally edited arguments."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=2000)
    edited_arguments: dict[str, Any] | None = None


def agent_for(app: FastAPI) -> Agent:
    """This thread's agent (own SQLite connections), sharing the process's model client."""
    local = resource(app, "agent_local", threading.local)
    agent = getattr(local, "agent", None)
    if agent is None:
        with _build_lock:  # the first construction may seed the systems: once, not per thread
            agent = Agent(model_client(app))
        local.agent = agent
    return agent


def start_run(app: FastAPI, principal: Principal, request_text: str, mode: str) -> dict[str, Any]:
    """Run the agent as ``principal`` and record the run as theirs (POST /agent/runs, copilot)."""
    agent = agent_for(app)
    # the agent acts as the authenticated user (id, role, RM id from the key table), not as
    # a sample-data stand-in for the role: two relationship managers see their own accounts
    acting = AgentPrincipal(user_id=principal.user_id, role=principal.role, rm_id=principal.rm_id)
    # the owner is recorded before the run's first step: its actions may reach the inbox
    # while this call is still in flight, and must already count as the caller's own
    run_id = new_id("run")
    ownership(app).record("run", run_id, principal.user_id, principal.role)
    run = agent.run(request_text, mode=mode, principal=acting, run_id=run_id)
    app.state.metrics.pattern_calls.labels("agent", run.status).inc()
    return run.model_dump()


def _is_approver(app: FastAPI, principal: Principal) -> bool:
    return principal.role in app.state.settings.approver_roles


def _approval_or_404(agent: Agent, approval_id: str) -> dict[str, Any]:
    try:
        return agent.store.approval(approval_id)
    except InputError:
        raise JobNotFound(f"no approval {approval_id!r}") from None


router = APIRouter(tags=["agent"])


@router.post("/agent/runs")
def post_run(body: RunRequest, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Run the agent with the caller's role; returns status, trace, pending approvals, answer."""
    return start_run(request.app, principal, body.request, body.mode)


@router.get("/agent/runs/{run_id}")
def get_run(run_id: str, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """One of the caller's runs (404 for anyone else's)."""
    check_owner(ownership(request.app), "run", run_id, principal)
    return agent_for(request.app).view(run_id).model_dump()


@router.get("/approvals")
def inbox(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Pending actions: every one for approvers, those of the caller's own runs for others."""
    agent = agent_for(request.app)
    pending = agent.store.approvals(status="pending")
    if not _is_approver(request.app, principal):
        own = ownership(request.app)
        mine = set()
        for item in pending:
            found = own.owner("run", item["run_id"])
            if found is not None and found[0] == principal.user_id:
                mine.add(item["approval_id"])
        pending = [p for p in pending if p["approval_id"] in mine]
    return {"pending": pending, "can_decide": _is_approver(request.app, principal)}


def _decide(request: Request, principal: Principal, approval_id: str, body: Decision,
            decision: str) -> dict[str, Any]:
    app = request.app
    agent = agent_for(app)
    item = _approval_or_404(agent, approval_id)
    if not _is_approver(app, principal):
        raise Forbidden(f"role {principal.role!r} may not decide approvals "
                        f"(approvers: {', '.join(app.state.settings.approver_roles)})")
    # the requester as the agent's store recorded it when the run was created (Forbidden if
    # it cannot be established); the service's ownership record must agree where it exists
    requester = agent.store.requester(approval_id)
    owner = ownership(app).owner("run", item["run_id"])
    if principal.user_id in (requester, owner[0] if owner else None):
        raise Forbidden("you cannot decide an action of your own run (separation of duties)")
    if decision == "approved":
        run = agent.approve(approval_id, principal.user_id, edited_arguments=body.edited_arguments,
                            reason=body.reason)
    else:
        if not (body.reason or "").strip():
            raise InputError("a rejection needs a reason")
        run = agent.reject(approval_id, principal.user_id, body.reason or "")
    app.state.metrics.pattern_calls.labels("approvals", decision).inc()
    return {"approval_id": approval_id, "decision": decision, "run": run.model_dump()}


@router.post("/approvals/{approval_id}/approve")
def approve(approval_id: str, request: Request, body: Decision | None = None,
            principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Approve a pending action (optionally with edited arguments); its run resumes."""
    return _decide(request, principal, approval_id, body or Decision(), "approved")


@router.post("/approvals/{approval_id}/reject")
def reject(approval_id: str, body: Decision, request: Request,
           principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Reject a pending action with a reason; its run resumes and the model is told why."""
    return _decide(request, principal, approval_id, body, "rejected")


def mount(app: FastAPI) -> None:
    app.include_router(router)
