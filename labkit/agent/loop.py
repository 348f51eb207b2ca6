"""Pattern 4, agentic integration: an agent loop with least privilege, approvals and an audit log.

The model plans with OpenAI tool calling through the resilient client
(:mod:`labkit.direct`, ``pattern="agent"``). Every call it proposes passes, in order:

1. the **policy** (:mod:`labkit.agent.policy`): only the role's tools were offered, a call
   outside them or outside the caller's scope is refused (``ToolNotPermitted``) and audited;
2. the **run breaker** (:mod:`labkit.agent.breaker`): error rate, write rate, repeated
   identical calls, step count and spend; a trip pauses the run (``AgentPaused``) with the reason;
3. the **approval gate**: in ``approval`` mode every write, destructive and external-send
   action — and in ``autonomous`` mode every write that is not low-risk, over the limit, or
   proposed after untrusted content entered the context — is saved as a pending approval and
   the run stops; a person approves (optionally editing the arguments) or rejects with a
   reason, and :meth:`Agent.resume` continues from the saved state, in any process;
4. execution against the enterprise systems (:mod:`labkit.agent.systems`), with every
   write's change records kept for **rollback** (compensating actions in reverse order);
5. the **audit log** (:mod:`labkit.agent.audit`): one hash-chained row per call, whatever
   its outcome.

Tool outputs are untrusted: each is scanned with
:func:`labkit.controls.injection.detect_injection`, fenced with ``fence_untrusted`` (flags
noted in the fence and in the run's trace), and marks the run as *tainted* — from then on no
write runs without a person, whatever the mode. So an injected instruction the model obeys
(the mock does, at a configurable rate) can at worst become a proposal a person rejects.

The final answer is composed by :mod:`labkit.agent.answer`: never raw tool output (a model
with nothing better to say repeats it), a summary from the records instead, and no secret or
canary string, whatever the model wrote.

It does not retry model calls or redact prompts itself (the resilient client does both), and
it does not run tools in parallel: one call at a time keeps the audit order the real order.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.provider.server import serve_in_thread
    >>> from labkit.direct import ResilientClient, ClientConfig
    >>> with serve_in_thread() as p:  # doctest: +SKIP
    ...     agent = Agent(ResilientClient(ClientConfig(base_url=p.base_url, api_key="lab-key")))
    ...     run = agent.run("Review the account history of ACC-00001", role="relationship_manager",
    ...                     mode="read-only")
    ...     run.status, run.steps[0]["tool"]
    ('done', 'get_account_history')
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import BaseModel, Field

from labkit.agent.answer import compose_answer
from labkit.agent.approvals import AgentStore, new_id
from labkit.agent.audit import AuditLog
from labkit.agent.breaker import BreakerLimits, BreakerState, RunBreaker
from labkit.agent.policy import AutonomyLimits, Mode, Policy, parse_mode
from labkit.agent.systems import Change, Systems
from labkit.agent.tools import Principal, Tool, compensate, get_tool
from labkit.controls.injection import UNTRUSTED_NOTE, detect_injection, fence_untrusted
from labkit.controls.secrets import redact_secrets
from labkit.direct import ModelClient, ResilientClient
from labkit.errors import AgentPaused, DataError, InputError, LabkitError, ToolNotPermitted
from labkit.telemetry.events import emit

SYSTEM_PROMPT = (
    "You are the enterprise copilot. Use the tools offered to you to do what the user asks, "
    "one step at a time, then reply with a short answer and suggested next steps. "
    "Only the tools offered to you exist for this user. " + UNTRUSTED_NOTE
)


class AgentConfig(BaseModel):
    """The agent's knobs: model, breaker thresholds, autonomy limits, output size."""

    model: str = "lab-chat-2026-01"
    breaker: BreakerLimits = Field(default_factory=BreakerLimits)
    autonomy: AutonomyLimits = Field(default_factory=AutonomyLimits)
    max_tool_output_chars: int = Field(default=3000, ge=200)
    # fence the user's own request too when the detector flags it (it came from outside)
    scan_request: bool = True


class AgentRun(BaseModel):
    """A run as the caller sees it: status, trace, pending approvals, answer, counters."""

    run_id: str
    status: str
    mode: str
    user_id: str
    role: str
    request: str
    steps: list[dict[str, Any]]
    pending_approvals: list[dict[str, Any]]
    final_answer: str | None = None
    pause_reason: str | None = None
    flags: list[dict[str, Any]] = Field(default_factory=list)
    tainted: bool = False
    counters: dict[str, int] = Field(default_factory=dict)
    next_steps: list[str] = Field(default_factory=list)


class _Stop(Exception):
    """Internal: the run must stop here (awaiting approval); state is already saved."""


def _new_state(messages: list[dict[str, Any]], breaker: BreakerState) -> dict[str, Any]:
    return {"messages": messages, "queue": [], "waiting": None, "tainted": False,
            "taint_reasons": [], "flags": [], "direct_writes": 0, "step": 0,
            "breaker": breaker.model_dump(), "trace": [],
            "counters": {"tool_calls_proposed": 0, "writes_executed": 0,
                         "unapproved_writes": 0, "approvals_requested": 0, "refused": 0,
                         "failed": 0, "rejected": 0}}


class Agent:
    """The agent loop and the operations around it: approve, reject, resume, rollback."""

    def __init__(self, client: ModelClient | None = None, *, systems: Systems | None = None,
                 store: AgentStore | None = None, audit: AuditLog | None = None,
                 policy: Policy | None = None, config: AgentConfig | None = None) -> None:
        self._client = client
        self.config = config or AgentConfig()
        self.systems = systems or Systems()
        if not self.systems.is_seeded():
            self.systems.seed()
        self.store = store or AgentStore()
        self.audit = audit or AuditLog()
        self.policy = policy or Policy(limits=self.config.autonomy)

    @property
    def client(self) -> ModelClient:
        """The model client (a resilient client built from the environment on first use)."""
        if self._client is None:
            self._client = ResilientClient.from_env()
        return self._client

    # --- who -----------------------------------------------------------------------------

    def principal_for(self, role: str, user_id: str | None = None) -> Principal:
        """The user the agent acts for: ``user_id`` if given (its role must match), else the
        first user holding ``role``."""
        self.policy.allowed(role)  # UnknownRole for a typo
        if user_id:
            user = self.systems.user(user_id)
            if user["role"] != role:
                raise InputError(f"user {user_id} has role {user['role']}, not {role}")
        else:
            users = self.systems.users_with_role(role)
            user = users[0] if users else {"user_id": f"{role}-user", "rm_id": None}
        return Principal(user_id=user["user_id"], role=role, rm_id=user.get("rm_id"))

    # --- running -------------------------------------------------------------------------

    def run(self, request: str, *, role: str = "relationship_manager",
            mode: str | Mode = Mode.APPROVAL, user_id: str | None = None,
            run_id: str | None = None, principal: Principal | None = None) -> AgentRun:
        """Start a run for ``request``; returns when it is done, waits for approval or pauses.

        ``principal``: the user the agent acts for, already authenticated by the caller (the
        service passes the API key's user, role and RM id), so each person acts as
        themselves — a relationship manager on their own accounts only. Without it the
        agent acts for ``user_id`` or the first sample-data user of ``role`` (CLI, tests).
        """
        if not request or not request.strip():
            raise InputError("the request is empty")
        mode = mode if isinstance(mode, Mode) else parse_mode(mode)
        if principal is not None:
            self.policy.allowed(principal.role)  # UnknownRole for a role the policy lacks
        else:
            principal = self.principal_for(role, user_id)
        run_id = run_id or new_id("run")
        breaker = RunBreaker(self.config.breaker)
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": request}]
        state = _new_state(messages, breaker.state)
        if self.config.scan_request:
            verdict = detect_injection(request)
            if verdict.flagged:
                # the request itself carries instructions that look injected: it counts as
                # untrusted content, so no write runs without a person in this run
                state["tainted"] = True
                state["taint_reasons"].append("request flagged by the injection detector")
                state["flags"].append({"source": "request", "score": verdict.score,
                                       "reasons": verdict.reasons})
        self.store.create_run(run_id, request, principal.model_dump(), mode.value,
                              self.config.model, state)
        return self._drive(run_id)

    def resume(self, run_id: str, reviewer: str | None = None) -> AgentRun:
        """Continue a run after approvals were decided, or after a breaker pause was reviewed."""
        row = self.store.run(run_id)
        if row["status"] == "done":
            return self._view(run_id)
        if row["status"] == "paused" and not reviewer:
            raise InputError(f"run {run_id} was paused ({row['pause_reason']}); "
                             "resuming needs the name of the reviewer")
        # a failed run (provider down, budget) resumes from its last saved state
        if not self.store.claim(run_id, ("awaiting_approval", "paused", "failed")):
            raise InputError(f"run {run_id} is being resumed by another process")
        if row["status"] == "paused":
            state = row["state"]
            breaker = RunBreaker(self.config.breaker, BreakerState(**state["breaker"]))
            breaker.acknowledge()
            state["breaker"] = breaker.state.model_dump()
            state["trace"].append({"step": state["step"], "event": "resumed",
                                   "reviewer": reviewer, "after": row["pause_reason"]})
            self.store.save_run(run_id, status="running", step=state["step"], state=state)
        return self._drive(run_id)

    def approve(self, approval_id: str, approver: str, *,
                edited_arguments: dict[str, Any] | None = None, reason: str | None = None,
                resume: bool = True) -> AgentRun:
        """Approve a pending action (optionally with edited arguments) and resume its run."""
        pending = self.store.approval(approval_id)
        if edited_arguments is not None:
            # validate now, so a bad edit is refused before anything is decided
            get_tool(pending["tool"]).parse(edited_arguments)
        self.store.decide(approval_id, "approved", approver, reason=reason,
                          edited_arguments=edited_arguments)
        return self.resume(pending["run_id"]) if resume else self._view(pending["run_id"])

    def reject(self, approval_id: str, approver: str, reason: str, *,
               resume: bool = True) -> AgentRun:
        """Reject a pending action with a reason and resume its run (the model is told why)."""
        pending = self.store.approval(approval_id)
        self.store.decide(approval_id, "rejected", approver, reason=reason)
        return self.resume(pending["run_id"]) if resume else self._view(pending["run_id"])

    def _drive(self, run_id: str) -> AgentRun:
        row = self.store.run(run_id)
        state = row["state"]
        principal = Principal(**row["principal"])
        mode = Mode(row["mode"])
        breaker = RunBreaker(self.config.breaker, BreakerState(**state["breaker"]))
        tools = self.policy.tool_schemas(principal, mode)  # cached per role and mode

        def save(status: str, **kw: Any) -> None:
            state["breaker"] = breaker.state.model_dump()
            self.store.save_run(run_id, status=status, step=state["step"], state=state, **kw)

        try:
            while True:
                while state["queue"]:
                    self._handle(run_id, principal, mode, state, breaker, state["queue"][0])
                    state["queue"].pop(0)
                    save("running")
                breaker.before_step()
                state["step"] += 1
                result = self.client.chat(messages=state["messages"], model=row["model"],
                                          pattern="agent", tools=tools,
                                          tool_choice="auto" if tools else None,
                                          key=principal.user_id)
                breaker.add_spend(float(getattr(result, "cost", 0.0) or 0.0))
                calls = list(result.tool_calls or [])
                if not calls:
                    # the model's reply stays in the conversation as it is; the user gets an
                    # answer that repeats no raw tool output and no secret (labkit.agent.answer)
                    state["messages"].append({"role": "assistant", "content": result.content})
                    answer, withheld = compose_answer(result.content, request=row["request"],
                                                      messages=state["messages"],
                                                      trace=state["trace"])
                    if any(withheld.values()):
                        state["trace"].append({"step": state["step"], "event": "answer_withheld",
                                               **withheld})
                    save("done", final_answer=answer)
                    break
                state["messages"].append({"role": "assistant", "content": result.content,
                                          "tool_calls": calls})
                state["queue"] = [dict(c) for c in calls]  # a copy: the message keeps all
                save("running")
        except _Stop:
            save("awaiting_approval")
        except AgentPaused as exc:
            self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                              step=state["step"], tool="(breaker)", arguments={},
                              outcome="paused", result_summary=str(exc))
            state["trace"].append({"step": state["step"], "event": "paused", "reason": str(exc)})
            save("paused", pause_reason=str(exc))
        except LabkitError as exc:
            state["trace"].append({"step": state["step"], "event": "failed", "reason": str(exc)})
            save("failed", pause_reason=str(exc))
            raise
        view = self._view(run_id)
        if view.status in ("done", "failed"):
            emit("agent_run", run_id=run_id, status=view.status, mode=view.mode, role=view.role,
                 steps=state["step"], **view.counters)
        return view

    # --- one proposed tool call ------------------------------------------------------------

    def _handle(self, run_id: str, principal: Principal, mode: Mode, state: dict[str, Any],
                breaker: RunBreaker, call: dict[str, Any]) -> None:
        fn = call.get("function") or {}
        name, raw = str(fn.get("name", "")), fn.get("arguments") or "{}"
        counters, step = state["counters"], state["step"]

        if state["waiting"]:  # this call waited for a person: act on the decision
            approval = self.store.approval(state["waiting"])
            if approval["status"] == "pending":
                raise _Stop()
            state["waiting"] = None
            if approval["status"] == "rejected":
                counters["rejected"] += 1
                self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                                  step=step, tool=name, arguments=approval["arguments"],
                                  outcome="rejected", result_summary=approval["decision_reason"],
                                  approval_id=approval["approval_id"],
                                  approver=approval["decided_by"])
                self._trace(state, name, approval["arguments"], "rejected",
                            approval["decision_reason"], approval["approval_id"])
                self._reply(state, call, f"Rejected by {approval['decided_by']}: "
                                         f"{approval['decision_reason']}. Do not retry it.")
                return
            args = approval["edited_arguments"] or approval["arguments"]
            if self.store.is_requester(approval["approval_id"], approval["decided_by"]):
                # the store refuses such a decision; a row decided before it did is not acted on
                self._refuse(run_id, principal, state, breaker, call, name, args, ToolNotPermitted(
                    f"approval {approval['approval_id']} was decided by the run's own requester "
                    "(separation of duties)"))
                return
            try:  # re-check: the record or the edit may be out of scope by now
                parsed = self.policy.check(principal, mode, name, args, self.systems)
            except (ToolNotPermitted, InputError) as exc:
                self._refuse(run_id, principal, state, breaker, call, name, args, exc)
                return
            self._execute(run_id, principal, state, breaker, call, get_tool(name), parsed,
                          approval["approval_id"], approval["decided_by"])
            return

        counters["tool_calls_proposed"] += 1
        try:
            parsed = self.policy.check(principal, mode, name, raw, self.systems)
        except (ToolNotPermitted, InputError) as exc:
            self._refuse(run_id, principal, state, breaker, call, name, raw, exc)
            return
        tool = get_tool(name)
        args = parsed.model_dump(exclude_none=True)
        try:
            breaker.before_call(name, json.dumps(args, sort_keys=True), is_write=tool.is_write)
        except AgentPaused:
            counters["tool_calls_proposed"] -= 1  # proposed again when the run resumes
            raise
        why = self.policy.needs_approval(tool, mode, tainted=state["tainted"],
                                         direct_writes=state["direct_writes"])
        if why:
            approval_id = self.store.create_approval(run_id, step, call.get("id", ""), name,
                                                     args, why)
            counters["approvals_requested"] += 1
            state["waiting"] = approval_id
            self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                              step=step, tool=name, arguments=args, outcome="pending_approval",
                              result_summary=why, approval_id=approval_id)
            self._trace(state, name, args, "pending_approval", why, approval_id)
            raise _Stop()
        self._execute(run_id, principal, state, breaker, call, tool, parsed, None, None)

    def _refuse(self, run_id: str, principal: Principal, state: dict[str, Any],
                breaker: RunBreaker, call: dict[str, Any], name: str, args: Any,
                exc: LabkitError) -> None:
        refused = isinstance(exc, ToolNotPermitted)
        state["counters"]["refused" if refused else "failed"] += 1
        self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                          step=state["step"], tool=name or "(none)", arguments=args,
                          outcome="refused" if refused else "failed", result_summary=str(exc))
        self._trace(state, name, args, "refused" if refused else "failed", str(exc), None)
        breaker.after_call(False)
        self._reply(state, call, f"{'Not permitted' if refused else 'Error'}: {exc}")

    def _execute(self, run_id: str, principal: Principal, state: dict[str, Any],
                 breaker: RunBreaker, call: dict[str, Any], tool: Tool, args: BaseModel,
                 approval_id: str | None, approver: str | None) -> None:
        counters, step = state["counters"], state["step"]
        arg_dict = args.model_dump(exclude_none=True)
        started = time.time()
        try:
            outcome = tool.run(self.systems, principal, args)
        except LabkitError as exc:
            counters["failed"] += 1
            self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                              step=step, tool=tool.name, arguments=arg_dict, outcome="failed",
                              result_summary=str(exc), approval_id=approval_id,
                              approver=approver, started=started)
            self._trace(state, tool.name, arg_dict, "failed", str(exc), approval_id)
            breaker.after_call(False)
            self._reply(state, call, f"Error: {exc}")
            return
        # ensure_ascii=False: the text as written. With the default \uXXXX escapes a Russian or Vietnamese
        # note reached the injection detector, the PII redactor's text fallback (a truncated result is no
        # JSON) and the model as escapes: an injection in any non-Latin script went unflagged, and a
        # placeholder stood for the escaped form, which the answer filter did not know.
        content = json.dumps(outcome.result, default=str, ensure_ascii=False)
        self.audit.append(actor=principal.user_id, role=principal.role, run_id=run_id,
                          step=step, tool=tool.name, arguments=arg_dict, outcome="ok",
                          result_summary=content, approval_id=approval_id, approver=approver,
                          started=started)
        if outcome.changes:
            self.store.record_action(run_id, step, tool.name, arg_dict, tool.compensation,
                                     [c.to_dict() for c in outcome.changes], approval_id)
            counters["writes_executed"] += 1
            if approval_id is None:
                counters["unapproved_writes"] += 1
                state["direct_writes"] += 1
        breaker.after_call(True, wrote=bool(outcome.changes))
        self._trace(state, tool.name, arg_dict, "ok", content[:300], approval_id)
        if len(content) > self.config.max_tool_output_chars:
            content = content[: self.config.max_tool_output_chars] + " …(truncated)"
        if tool.untrusted_output:
            verdict = detect_injection(content)
            if verdict.flagged:
                state["flags"].append({"source": f"{tool.name}:{call.get('id', '')}",
                                       "score": verdict.score, "reasons": verdict.reasons})
            if not state["tainted"]:
                state["tainted"] = True
                state["taint_reasons"].append(f"output of {tool.name} at step {step}")
            content = fence_untrusted(content, f"{tool.name}", verdict)
        self._reply(state, call, content)

    @staticmethod
    def _reply(state: dict[str, Any], call: dict[str, Any], content: str) -> None:
        state["messages"].append({"role": "tool", "tool_call_id": call.get("id", ""),
                                  "content": content})

    @staticmethod
    def _trace(state: dict[str, Any], tool: str, args: Any, outcome: str, detail: str | None,
               approval_id: str | None) -> None:
        state["trace"].append({"step": state["step"], "tool": tool, "arguments": args,
                               "outcome": outcome, "detail": detail, "approval_id": approval_id})

    # --- views and rollback ------------------------------------------------------------------

    def _view(self, run_id: str) -> AgentRun:
        row = self.store.run(run_id)
        state = row["state"]
        return AgentRun(
            run_id=run_id, status=row["status"], mode=row["mode"],
            user_id=row["principal"]["user_id"], role=row["principal"]["role"],
            request=row["request"], steps=state["trace"],
            pending_approvals=self.store.approvals(status="pending", run_id=run_id),
            final_answer=row["final_answer"], pause_reason=row["pause_reason"],
            flags=state["flags"], tainted=state["tainted"], counters=state["counters"],
            # next steps quote records (ticket subjects, agreed steps): no secret passes there either
            next_steps=[redact_secrets(n)[0] for n in self._next_steps(row)]
            if row["status"] == "done" else [])

    def _next_steps(self, row: dict[str, Any]) -> list[str]:
        """Suggested next steps, read from the systems for the accounts the run touched.

        Derived from records rather than generated, so they are grounded whatever the model
        (the mock cannot write advice; a real model's answer carries its own suggestions).
        """
        accounts: list[str] = []
        for step in row["state"]["trace"]:
            args = step.get("arguments")
            if isinstance(args, dict) and args.get("account_id") not in (None, *accounts):
                accounts.append(args["account_id"])
        out: list[str] = []
        for account_id in accounts[:3]:
            try:
                history = self.systems.account_history(account_id)
            except InputError:
                continue
            nxt = history["account"].get("next_step")
            if nxt:
                out.append(f"{account_id}: agreed next step: {nxt}")
            for t in history["tickets"]:
                if str(t["status"]).lower() not in ("resolved", "closed"):
                    out.append(f"{account_id}: follow up on {t['status']} {t['priority']} ticket "
                               f"{t['ticket_id']} ({t['subject']})")
            for m in history["emails"]:
                if m["status"] == "draft":
                    out.append(f"{account_id}: review and send draft {m['message_id']} "
                               f"to {m['to_addr']}")
        for p in self.store.approvals(status="pending", run_id=row["run_id"]):
            out.append(f"decide approval {p['approval_id']} ({p['tool']})")
        return out

    def view(self, run_id: str) -> AgentRun:
        """A run's current view (status, trace, pending approvals, answer)."""
        return self._view(run_id)

    def rollback(self, *, by: str, run_id: str | None = None,
                 action_id: str | None = None) -> list[str]:
        """Undo a run's executed actions (or one action), newest first; return the action ids.

        Each undo runs the tool's compensating action and is audited. Stops with
        ``DataError`` at the first record that changed since (earlier undos stay done and
        audited; the message says which).
        """
        if (run_id is None) == (action_id is None):
            raise InputError("rollback needs exactly one of a run id or an action id")
        if not by.strip():
            raise InputError("rollback needs the name of the person doing it")
        if action_id:
            actions = [self.store.action(action_id)]
            if actions[0]["status"] != "executed":
                raise InputError(f"action {action_id} is already {actions[0]['status']}")
        else:
            assert run_id is not None  # exactly one of the two was given (checked above)
            self.store.run(run_id)  # InputError for an unknown run
            actions = self.store.actions(run_id=run_id, status="executed")
        done: list[str] = []
        for action in reversed(actions):
            started = time.time()
            changes = [Change.from_dict(c) for c in action["changes"]]
            try:
                compensate(self.systems, changes)
            except DataError as exc:
                self.audit.append(actor=by, role="reviewer", run_id=action["run_id"],
                                  tool=action["compensation"] or "(compensation)",
                                  arguments={"action_id": action["action_id"],
                                             "undoes": action["tool"]},
                                  outcome="failed", result_summary=str(exc), started=started)
                raise DataError(f"{exc}; undone before it: {', '.join(done) or 'nothing'}") from None
            self.store.mark_compensated(action["action_id"])
            self.audit.append(actor=by, role="reviewer", run_id=action["run_id"],
                              tool=action["compensation"] or "(compensation)",
                              arguments={"action_id": action["action_id"],
                                         "undoes": action["tool"]},
                              outcome="compensated",
                              result_summary=f"restored {len(changes)} row(s)", started=started)
            done.append(action["action_id"])
        return done
