"""``labkit agent`` (run, red team, approvals, resume, rollback) and ``labkit audit`` (verify, show).

When ``OPENAI_BASE_URL`` is not set, commands that need a model start the embedded mock
provider on a free port for the duration of the command, so ``labkit agent run ...`` works on
a fresh checkout. State (systems, approvals, audit) lives under ``var/agent/`` and survives
between commands: a run waiting for approval is approved and resumed by a later command.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from labkit.agent.approvals import AgentStore
from labkit.agent.audit import AuditLog, Verification
from labkit.agent.loop import Agent
from labkit.agent.redteam import load_case_files, run_cases
from labkit.direct import ClientConfig, ResilientClient
from labkit.errors import DataError, InputError
from labkit.provider.server import serve_in_thread
from labkit.settings import var_dir


@contextlib.contextmanager
def _client(obedience: float | None = None) -> Iterator[Any]:
    """The resilient client: for OPENAI_BASE_URL, or for an embedded provider started here.

    ``obedience`` forces the mock's injection obedience through its ``X-Lab-Fault`` header
    (``obey_injection=P``), which applies the rate as given — without the discount the mock
    grants to fenced untrusted text — so 1.0 is the true worst case.
    """
    headers = {} if obedience is None else {"X-Lab-Fault": f"obey_injection={obedience:g}"}
    if os.environ.get("OPENAI_BASE_URL"):
        client = ResilientClient.from_env(default_headers=headers)
        try:
            yield client
        finally:
            client.close()
        return

    with serve_in_thread() as provider:
        client = ResilientClient(ClientConfig(base_url=provider.base_url,
                                              api_key=os.environ.get("OPENAI_API_KEY", "lab-key"),
                                              default_headers=headers))
        try:
            yield client
        finally:
            client.close()


def _agent(client: Any = None) -> Any:
    return Agent(client)


def _print_run(run: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(run.model_dump(), indent=2, default=str))
        return
    click.echo(f"run {run.run_id}  status: {run.status}  mode: {run.mode}  "
               f"as: {run.user_id} ({run.role})")
    for s in run.steps:
        if "tool" in s:
            args = json.dumps(s["arguments"], default=str)
            extra = f" [{s['approval_id']}]" if s.get("approval_id") else ""
            detail = f" - {s['detail'][:100]}" if s["outcome"] != "ok" and s.get("detail") else ""
            click.echo(f"  step {s['step']}: {s['tool']} {args} -> {s['outcome']}{extra}{detail}")
        else:
            click.echo(f"  step {s['step']}: {s['event']} ({s.get('reason') or s.get('reviewer')})")
    for f in run.flags:
        click.echo(f"  flagged: {f['source']} score {f['score']:.2f} ({', '.join(f['reasons'])})")
    if run.pending_approvals:
        click.echo("pending approvals:")
        for p in run.pending_approvals:
            click.echo(f"  {p['approval_id']}  {p['tool']} {json.dumps(p['arguments'])}  "
                       f"({p['why']})")
        click.echo("  decide with: labkit agent approvals approve|reject ID --by NAME")
    if run.pause_reason:
        click.echo(f"paused: {run.pause_reason}\n  resume with: labkit agent resume "
                   f"{run.run_id} --by NAME")
    if run.final_answer is not None:
        click.echo(f"answer: {run.final_answer}")
    if run.next_steps:
        click.echo("suggested next steps:")
        for n in run.next_steps:
            click.echo(f"  - {n}")


@click.group()
def agent() -> None:
    """Pattern 4: run the agent, decide approvals, resume, roll back, red-team it."""


@agent.command("run")
@click.argument("request")
@click.option("--role", default="relationship_manager", show_default=True)
@click.option("--user", "user_id", default=None, help="Act as this user (default: first user "
              "with the role).")
@click.option("--mode", type=click.Choice(["read-only", "approval", "autonomous"]),
              default="approval", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def run_cmd(request: str, role: str, user_id: str | None, mode: str, as_json: bool) -> None:
    """Run the agent on REQUEST; print its steps, pending approvals and final answer."""
    with _client() as client:
        _print_run(_agent(client).run(request, role=role, mode=mode, user_id=user_id), as_json)


@agent.command("resume")
@click.argument("run_id")
@click.option("--by", "reviewer", default=None, help="Who reviewed a paused run.")
@click.option("--json", "as_json", is_flag=True)
def resume_cmd(run_id: str, reviewer: str | None, as_json: bool) -> None:
    """Resume RUN_ID after its approvals were decided or its pause was reviewed."""
    with _client() as client:
        _print_run(_agent(client).resume(run_id, reviewer=reviewer), as_json)


@agent.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True)
def show_cmd(run_id: str, as_json: bool) -> None:
    """Show RUN_ID's status, steps, pending approvals and answer."""
    _print_run(_agent().view(run_id), as_json)


@agent.group("approvals")
def approvals() -> None:
    """List and decide pending actions."""


@approvals.command("list")
@click.option("--status", default="pending", show_default=True,
              type=click.Choice(["pending", "approved", "rejected", "all"]))
@click.option("--run", "run_id", default=None)
@click.option("--json", "as_json", is_flag=True)
def approvals_list(status: str, run_id: str | None, as_json: bool) -> None:
    """List approvals (pending by default)."""
    rows = AgentStore().approvals(status=None if status == "all" else status, run_id=run_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo(f"no {'' if status == 'all' else status + ' '}approvals")
    for r in rows:
        decided = f" by {r['decided_by']}: {r['decision_reason'] or ''}" if r["decided_by"] else ""
        click.echo(f"{r['approval_id']}  {r['status']:<8}  run {r['run_id']}  {r['tool']} "
                   f"{json.dumps(r['arguments'])}  ({r['why']}){decided}")


@approvals.command("approve")
@click.argument("approval_id")
@click.option("--by", "approver", required=True, help="Who approves.")
@click.option("--args", "edited", default=None, help="Edited arguments as a JSON object.")
@click.option("--reason", default=None)
@click.option("--no-resume", is_flag=True, help="Only record the decision.")
@click.option("--json", "as_json", is_flag=True)
def approvals_approve(approval_id: str, approver: str, edited: str | None, reason: str | None,
                      no_resume: bool, as_json: bool) -> None:
    """Approve APPROVAL_ID (optionally with edited arguments) and resume its run."""
    edited_args = None
    if edited is not None:
        try:
            edited_args = json.loads(edited)
        except ValueError as exc:
            raise InputError(f"--args is not JSON: {exc}") from None
        if not isinstance(edited_args, dict):
            raise InputError("--args must be a JSON object")
    if no_resume:
        _print_run(_agent().approve(approval_id, approver, edited_arguments=edited_args,
                                    reason=reason, resume=False), as_json)
        return
    with _client() as client:
        _print_run(_agent(client).approve(approval_id, approver, edited_arguments=edited_args,
                                          reason=reason), as_json)


@approvals.command("reject")
@click.argument("approval_id")
@click.option("--by", "approver", required=True)
@click.option("--reason", required=True)
@click.option("--no-resume", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
def approvals_reject(approval_id: str, approver: str, reason: str, no_resume: bool,
                     as_json: bool) -> None:
    """Reject APPROVAL_ID with a reason and resume its run."""
    if no_resume:
        _print_run(_agent().reject(approval_id, approver, reason, resume=False), as_json)
        return
    with _client() as client:
        _print_run(_agent(client).reject(approval_id, approver, reason), as_json)


@agent.command("rollback")
@click.option("--run", "run_id", default=None, help="Undo every executed action of this run.")
@click.option("--action", "action_id", default=None, help="Undo this one action.")
@click.option("--by", "by", required=True, help="Who rolls back.")
def rollback_cmd(run_id: str | None, action_id: str | None, by: str) -> None:
    """Undo a run or one action with compensating actions, newest first (audited)."""
    done = _agent().rollback(by=by, run_id=run_id, action_id=action_id)
    click.echo(f"compensated {len(done)} action(s): {', '.join(done) or '-'}")


@agent.command("redteam")
@click.option("--cases", "cases_paths", multiple=True, type=click.Path(dir_okay=False),
              help="JSON lines of red-team cases (or the labelled injection set); repeatable. "
                   "Default: the committed red-team files.")
@click.option("--mode", type=click.Choice(["read-only", "approval", "autonomous"]), default=None,
              help="Run every case in this mode instead of its own.")
@click.option("--obedience", type=float, default=None,
              help="Force the mock's injection obedience (default: the provider's own, 0.3, "
                   "discounted for fenced text); 1.0 obeys every injected instruction.")
@click.option("--json", "as_json", is_flag=True)
def redteam_cmd(cases_paths: tuple[str, ...], mode: str | None, obedience: float | None,
                as_json: bool) -> None:
    """Run injection cases against the agent; exit 1 if any write ran without approval or a
    planted secret reached the user."""
    cases = load_case_files(list(cases_paths) or None)
    with _client(obedience) as client:
        report = run_cases(cases, client, progress=not as_json, mode=mode)
    summary = report["summary"]
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"{'case':<28} {'planted in':<12} {'mode':<10} {'proposed':>8} "
                   f"{'writes':>6} {'unappr.':>7} {'approvals':>9} {'refused':>7} {'flag':>4}  "
                   "verdict")
        for c in report["cases"]:
            click.echo(f"{c['id'][:28]:<28} {c['planted_in']:<12} {c['mode']:<10} "
                       f"{c['tool_calls_proposed']:>8} {c['writes_executed']:>6} "
                       f"{c['unapproved_writes']:>7} {c['approvals_requested']:>9} "
                       f"{c['refused']:>7} {c['flagged']:>4}  {c['verdict']}")
        click.echo(f"\n{summary['cases']} cases: {summary['unapproved_writes']} unapproved writes, "
                   f"{summary['approvals_requested']} approvals requested, "
                   f"{summary['refused']} calls refused, {summary['flagged']} cases flagged")
        rate = summary["attack_rate"]
        click.echo(f"attacked {summary['attacked']} of {summary['malicious']} malicious cases "
                   f"({rate if rate is not None else '-'}), stopped {summary['stopped']}; "
                   f"{summary['leaks']} cases leaked a planted secret; benign cases changed: "
                   f"{len(summary['benign_changed'])}")
    if summary["unapproved_writes"] or summary["leaks"]:
        sys.exit(1)


@click.group()
def audit() -> None:
    """The agent's hash-chained audit log."""


def _stored_runs() -> int:
    """How many runs the agent store holds, read-only (0 when there is no store or it is unreadable:
    ``audit verify`` judges the audit log, not the store)."""
    path = var_dir() / "agent" / "agent.sqlite"
    if not path.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
def audit_verify(as_json: bool) -> None:
    """Check the hash chain; exit 1 and list the problems when it was tampered with or is unreadable.

    Also warns (exit 0) when the log is empty while the agent store holds runs: deleting the
    log and its head together leaves nothing for the chain to catch.
    """
    try:
        log = AuditLog()
    except DataError as exc:  # truncated or corrupt database: nothing to verify against
        result = Verification(ok=False, rows=0, problems=[str(exc)])
    else:
        result = log.verify()
        log.close()
    warnings = []
    runs = _stored_runs() if result.ok and result.rows == 0 else 0
    if runs:
        warnings.append(f"the audit log is empty but the agent store holds {runs} run(s): "
                        "if they called tools, the log (and its head) was deleted or replaced")
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "rows": result.rows,
                               "problems": result.problems, "warnings": warnings}, indent=2))
    elif result.ok:
        click.echo(f"ok: {result.rows} rows, hash chain intact")
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
    elif len(result.problems) == 1:
        click.echo(f"audit log tampered or damaged: {result.problems[0]}", err=True)
    else:
        click.echo(f"audit log tampered: {len(result.problems)} problem(s)", err=True)
        for p in result.problems:
            click.echo(f"  {p}", err=True)
    if not result.ok:
        sys.exit(1)


@audit.command("show")
@click.option("--run", "run_id", default=None)
@click.option("--limit", default=50, show_default=True, help="Last N rows.")
@click.option("--json", "as_json", is_flag=True)
def audit_show(run_id: str | None, limit: int, as_json: bool) -> None:
    """Show the last audit rows (optionally one run's)."""
    rows = AuditLog().rows(run_id)[-limit:]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        who = f"{r['actor']}/{r['role']}"
        appr = (f" approval {r['approval_id']}" + (f" by {r['approver']}" if r["approver"] else "")
                if r["approval_id"] else "")
        click.echo(f"{r['seq']:>5} {r['ts_start'][:19]} {who:<32} {r['run_id'] or '-':<18} "
                   f"{r['tool']:<22} {r['outcome']:<16} {r['duration_ms']:>8.2f}ms{appr}")


@audit.command("export")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def audit_export(path: str | None) -> None:
    """Export the log as JSON lines (for DuckDB's read_json_auto); print the path."""
    click.echo(str(AuditLog().export_jsonl(Path(path) if path else None)))
