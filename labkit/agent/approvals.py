"""Durable agent state: runs, pending approvals and executed actions, on SQLite (WAL).

A run that proposes a risky action stops; the action is saved as a *pending approval* with
its proposed arguments, and the run's whole state (messages so far, tool calls still to
handle, counters, taint) is saved with it. A person approves — optionally with edited
arguments — or rejects with a reason, from another process if they like; any later process
can then resume the run from the saved state. Executed writes are saved as *actions* with
the change records their compensation needs, which is what rollback reads.

Safe to share between threads: each thread uses its own SQLite connection.

Decisions are atomic (``UPDATE ... WHERE status = 'pending'``): two reviewers cannot both
decide one action, and a decided action cannot be decided again.

Separation of duties lives here, at the root: a run records its requester (the principal it
acts for) when it is created, before its first step; an approval can only be created for a
run that exists, so every approval traces to a requester; and :meth:`AgentStore.decide`
refuses (``Forbidden``) a decision by the run's own requester, or on an approval whose
requester cannot be established. Every way in (service, CLI, notebook) goes through it.

It does not run tools or talk to the model (see :mod:`labkit.agent.loop`).

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> store = AgentStore()
    >>> store.create_run("run-1", "update the CRM", {"user_id": "bob", "role": "admin"},
    ...                  "approval", "lab-chat-2026-01", {})
    >>> a = store.create_approval("run-1", 2, "call-1", "draft_email",
    ...                           {"account_id": "ACC-00001"}, "write action in approval mode")
    >>> [p["approval_id"] for p in store.approvals(status="pending")] == [a]
    True
    >>> store.decide(a, "approved", "ada", reason="looks right")["status"]
    'approved'
    >>> b = store.create_approval("run-1", 3, "call-2", "draft_email", {}, "write action")
    >>> try:  # bob requested run-1: he cannot approve its actions
    ...     store.decide(b, "approved", "bob")
    ... except Forbidden:
    ...     print("refused")
    refused
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.errors import Forbidden, InputError
from labkit.settings import var_dir
from labkit.sqlitewal import ThreadConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, request TEXT NOT NULL, principal TEXT NOT NULL, mode TEXT NOT NULL,
    model TEXT NOT NULL, status TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL, final_answer TEXT, pause_reason TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
    approval_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, step INTEGER, tool_call_id TEXT,
    tool TEXT NOT NULL, arguments TEXT NOT NULL, why TEXT, status TEXT NOT NULL,
    decided_by TEXT, decision_reason TEXT, edited_arguments TEXT,
    created_at TEXT NOT NULL, decided_at TEXT);
CREATE TABLE IF NOT EXISTS actions (
    action_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, step INTEGER, tool TEXT NOT NULL,
    arguments TEXT NOT NULL, compensation TEXT, changes TEXT NOT NULL, status TEXT NOT NULL,
    approval_id TEXT, executed_at TEXT NOT NULL, compensated_at TEXT);
CREATE INDEX IF NOT EXISTS approvals_by_run ON approvals (run_id, status);
CREATE INDEX IF NOT EXISTS actions_by_run ON actions (run_id, executed_at);
"""

RUN_STATUSES = ("running", "awaiting_approval", "paused", "done", "failed")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A fresh id like ``run-3f2a...``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class AgentStore:
    """Runs, approvals and actions in ``var/agent/agent.sqlite``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else var_dir() / "agent" / "agent.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection per thread (see ThreadConnections for why)
        self._conns = ThreadConnections(self.path)
        self._conn.executescript(_SCHEMA)

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        return self._conns.get()

    def close(self) -> None:
        """Close every thread's connection."""
        self._conns.close()

    # --- runs ----------------------------------------------------------------------------

    def create_run(self, run_id: str, request: str, principal: dict[str, Any], mode: str,
                   model: str, state: dict[str, Any]) -> None:
        """Save a new run in status ``running``."""
        now = _now()
        with self._conn:
            self._conn.execute(
                "INSERT INTO runs (run_id, request, principal, mode, model, status, step, state,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'running', 0, ?, ?, ?)",
                (run_id, request, json.dumps(principal), mode, model, json.dumps(state), now, now))

    def save_run(self, run_id: str, *, status: str, step: int, state: dict[str, Any],
                 final_answer: str | None = None, pause_reason: str | None = None) -> None:
        """Persist a run's status and state in one transaction."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._conn:
            self._conn.execute(
                "UPDATE runs SET status = ?, step = ?, state = ?, final_answer = ?,"
                " pause_reason = ?, updated_at = ? WHERE run_id = ?",
                (status, step, json.dumps(state), final_answer, pause_reason, _now(), run_id))

    def claim(self, run_id: str, from_statuses: tuple[str, ...], stale_after_s: float = 300.0) -> bool:
        """Atomically move a run to ``running`` if it is in one of ``from_statuses``.

        Two processes resuming one run must not both execute its approved action: only the
        one whose ``UPDATE`` matched goes on. A run left ``running`` by a crashed process can
        be claimed again once it has not been saved for ``stale_after_s`` seconds.
        """
        marks = ", ".join("?" for _ in from_statuses)
        stale = datetime.fromtimestamp(datetime.now(UTC).timestamp() - stale_after_s,
                                       tz=UTC).isoformat(timespec="microseconds")
        with self._conn:
            cur = self._conn.execute(
                f"UPDATE runs SET status = 'running', updated_at = ? WHERE run_id = ? AND "
                f"(status IN ({marks}) OR (status = 'running' AND updated_at < ?))",
                (_now(), run_id, *from_statuses, stale))
        return cur.rowcount == 1

    def run(self, run_id: str) -> dict[str, Any]:
        """One run with its state decoded, or ``InputError``."""
        row = self._conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no agent run {run_id}")
        out = dict(row)
        out["principal"] = json.loads(out["principal"])
        out["state"] = json.loads(out["state"])
        return out

    def runs(self, status: str | None = None) -> list[dict[str, Any]]:
        """Runs (newest first), without their state."""
        sql = ("SELECT run_id, request, mode, status, step, pause_reason, created_at FROM runs"
               + (" WHERE status = ?" if status else "") + " ORDER BY created_at DESC")
        return [dict(r) for r in self._conn.execute(sql, (status,) if status else ())]

    # --- approvals -----------------------------------------------------------------------

    def create_approval(self, run_id: str, step: int, tool_call_id: str, tool: str,
                        arguments: dict[str, Any], why: str) -> str:
        """Save a pending action of an existing run; return its approval id.

        ``InputError`` if the run is not in the store: an approval must trace to a run, and
        so to the requester separation of duties is checked against.
        """
        approval_id = new_id("apr")
        with self._conn:
            cur = self._conn.execute(
                "INSERT INTO approvals (approval_id, run_id, step, tool_call_id, tool, arguments,"
                " why, status, created_at) SELECT ?, run_id, ?, ?, ?, ?, ?, 'pending', ?"
                " FROM runs WHERE run_id = ?",
                (approval_id, step, tool_call_id, tool, json.dumps(arguments), why, _now(),
                 run_id))
        if cur.rowcount != 1:
            raise InputError(f"no agent run {run_id}: an approval must belong to a recorded run")
        return approval_id

    def requester(self, approval_id: str) -> str:
        """The user id of the person whose run proposed this action.

        ``InputError`` for an unknown approval; ``Forbidden`` when the approval's run or its
        requester is not in the store (a row written by hand or by an older version): an
        action whose requester cannot be established may be decided by nobody.
        """
        row = self._conn.execute(
            "SELECT a.run_id, r.principal FROM approvals a LEFT JOIN runs r ON r.run_id = a.run_id"
            " WHERE a.approval_id = ?", (approval_id,)).fetchone()
        if row is None:
            raise InputError(f"no approval {approval_id}")
        user_id = None
        if row["principal"]:
            try:
                user_id = json.loads(row["principal"]).get("user_id")
            except (ValueError, AttributeError):
                user_id = None
        if not isinstance(user_id, str) or not user_id.strip():
            raise Forbidden(f"approval {approval_id}: the requester of run {row['run_id']} cannot be "
                            "established, so nobody may decide it (separation of duties)")
        return user_id

    def is_requester(self, approval_id: str, user_id: str | None) -> bool:
        """True when ``user_id`` requested the run that proposed this action: the one rule of
        separation of duties (such a person may not decide it). ``decide`` refuses on it and the
        loop will not act on an older row decided that way; ``Forbidden`` as :meth:`requester`.
        """
        return (user_id or "").strip() == self.requester(approval_id).strip()

    def approval(self, approval_id: str) -> dict[str, Any]:
        """One approval with arguments decoded, or ``InputError``."""
        row = self._conn.execute("SELECT * FROM approvals WHERE approval_id = ?",
                                 (approval_id,)).fetchone()
        if row is None:
            raise InputError(f"no approval {approval_id}")
        return self._decode(row)

    def approvals(self, status: str | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        """Approvals, oldest first, filtered by status and/or run."""
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if run_id:
            where.append("run_id = ?")
            params.append(run_id)
        sql = "SELECT * FROM approvals" + (" WHERE " + " AND ".join(where) if where else "")
        return [self._decode(r) for r in self._conn.execute(sql + " ORDER BY created_at", params)]

    @staticmethod
    def _decode(row: sqlite3.Row) -> dict[str, Any]:
        out = dict(row)
        out["arguments"] = json.loads(out["arguments"])
        if out["edited_arguments"]:
            out["edited_arguments"] = json.loads(out["edited_arguments"])
        return out

    def decide(self, approval_id: str, decision: str, decided_by: str, *,
               reason: str | None = None,
               edited_arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Approve or reject a pending action (once); return the updated approval."""
        if decision not in ("approved", "rejected"):
            raise InputError(f"decision must be approved or rejected, not {decision!r}")
        if not decided_by.strip():
            raise InputError("a decision needs the name of the person who made it")
        if decision == "rejected" and not (reason or "").strip():
            raise InputError("a rejection needs a reason")
        current = self.approval(approval_id)
        if self.is_requester(approval_id, decided_by):
            raise Forbidden(f"{decided_by} requested run {current['run_id']} and cannot decide its "
                            f"approval {approval_id} (separation of duties)")
        with self._conn:
            cur = self._conn.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decision_reason = ?,"
                " edited_arguments = ?, decided_at = ? WHERE approval_id = ? AND status = 'pending'",
                (decision, decided_by, reason,
                 json.dumps(edited_arguments) if edited_arguments is not None else None, _now(),
                 approval_id))
        if cur.rowcount != 1:
            raise InputError(f"approval {approval_id} is already {current['status']}")
        return self.approval(approval_id)

    # --- actions (what rollback undoes) ---------------------------------------------------

    def record_action(self, run_id: str, step: int, tool: str, arguments: dict[str, Any],
                      compensation: str | None, changes: list[dict[str, Any]],
                      approval_id: str | None) -> str:
        """Save an executed write with its change records; return the action id."""
        action_id = new_id("act")
        with self._conn:
            self._conn.execute(
                "INSERT INTO actions (action_id, run_id, step, tool, arguments, compensation,"
                " changes, status, approval_id, executed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'executed', ?, ?)",
                (action_id, run_id, step, tool, json.dumps(arguments), compensation,
                 json.dumps(changes), approval_id, _now()))
        return action_id

    def actions(self, run_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Actions in execution order, filtered by run and/or status."""
        where, params = [], []
        if run_id:
            where.append("run_id = ?")
            params.append(run_id)
        if status:
            where.append("status = ?")
            params.append(status)
        sql = "SELECT * FROM actions" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._conn.execute(sql + " ORDER BY executed_at, rowid", params).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["arguments"] = json.loads(d["arguments"])
            d["changes"] = json.loads(d["changes"])
            out.append(d)
        return out

    def action(self, action_id: str) -> dict[str, Any]:
        """One action, or ``InputError``."""
        for a in self.actions():
            if a["action_id"] == action_id:
                return a
        raise InputError(f"no action {action_id}")

    def mark_compensated(self, action_id: str) -> None:
        """Record that an action was undone."""
        with self._conn:
            self._conn.execute("UPDATE actions SET status = 'compensated', compensated_at = ?"
                               " WHERE action_id = ?", (_now(), action_id))
