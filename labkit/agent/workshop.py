"""What the agent workshop notebook shows the agent's controls with: schemas, decisions, traces, a tamper drill.

``notebooks/pattern4_agentic.ipynb`` opens the agent's parts one at a time — the tool schemas a
model is offered per role, one policy decision, a run's trace, the audit chain, the red team —
and these helpers turn each into something a person reads: two roles' schemas side by side, a
decision as "allowed / denied / needs approval" with its reason, rows without nested dicts. The
tamper drill edits a *copy* of an audit log the way an insider with the file could (drop the
append-only triggers, rewrite a row), so the chain check can be shown failing without damaging
the real log.

It decides nothing itself: every verdict comes from :class:`~labkit.agent.policy.Policy`, the
:class:`~labkit.agent.loop.Agent` and :meth:`~labkit.agent.audit.AuditLog.verify`.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.agent.systems import Systems
    >>> from labkit.agent.policy import Mode, Policy
from labkit.agent.redteam import RedteamCase
    >>> from labkit.agent.tools import Principal
    >>> s = Systems(); _ = s.seed(source="fixture")
    >>> rm = Principal(user_id="RM-001", role="relationship_manager", rm_id="RM-001")
    >>> policy_decision(Policy(), rm, Mode.APPROVAL, "update_crm_field",
    ...                 {"account_id": "ACC-00001", "field": "stage", "value": "won"}, s)["decision"]
    'needs approval'
"""

from __future__ import annotations

import html
import json
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labkit.agent.audit import AuditLog
from labkit.agent.policy import Mode, Policy
from labkit.agent.redteam import RedteamCase
from labkit.agent.systems import Systems
from labkit.agent.tools import TOOLS, Principal, get_tool
from labkit.errors import InputError, ToolNotPermitted


class SideBySide:
    """Columns of JSON shown next to each other in a notebook (plain text outside one)."""

    def __init__(self, columns: dict[str, list[dict[str, Any]]]) -> None:
        self.columns = columns

    def _repr_html_(self) -> str:
        cells = []
        for title, items in self.columns.items():
            body = html.escape(json.dumps(items, indent=2))
            cells.append(f"<td style='vertical-align:top;padding:0 12px'><b>{html.escape(title)}</b>"
                         f"<pre style='font-size:11px;max-height:420px;overflow:auto'>{body}</pre></td>")
        return "<table><tr>" + "".join(cells) + "</tr></table>"

    def __repr__(self) -> str:
        return "\n\n".join(f"== {t}\n{json.dumps(items, indent=2)}" for t, items in self.columns.items())


def schemas_side_by_side(policy: Policy, principals: Sequence[Principal], mode: Mode,
                         show: Iterable[str] | None = None) -> SideBySide:
    """The OpenAI ``tools`` list each principal's model is offered in ``mode``, one column each.

    ``show`` limits each column to those tool names (the rest are listed by name only, in a
    ``"…also offered"`` entry), so two long lists still fit on a screen.

    Example:
        >>> eve = Principal(user_id="U-EMPLOYEE", role="employee")
        >>> col = schemas_side_by_side(Policy(), [eve], Mode.APPROVAL).columns
        >>> [t["function"]["name"] for t in col["employee (U-EMPLOYEE): 2 tools"]]
        ['search_knowledge_base', 'get_document']
    """
    keep = set(show) if show is not None else None
    columns: dict[str, list[dict[str, Any]]] = {}
    for p in principals:
        schemas = policy.tool_schemas(p, mode) or []
        shown = [s for s in schemas if keep is None or s["function"]["name"] in keep]
        rest = [s["function"]["name"] for s in schemas if s not in shown]
        if rest:
            shown = [*shown, {"…also offered": rest}]
        columns[f"{p.role} ({p.user_id}): {len(schemas)} tools"] = shown
    return SideBySide(columns)


def offer_matrix(policy: Policy, roles: Sequence[str], modes: Sequence[Mode]) -> list[dict[str, Any]]:
    """One row per tool: its risk, and per role and mode whether the model is offered it.

    Example:
        >>> rows = offer_matrix(Policy(), ["employee"], [Mode.READ_ONLY])
        >>> [r["employee · read-only"] for r in rows if r["tool"] == "get_document"]
        ['yes']
    """
    rows = []
    for name, tool in TOOLS.items():
        row: dict[str, Any] = {"tool": name, "risk": tool.risk.value,
                               "autonomous without a person": "yes" if tool.low_risk else "no"}
        for role in roles:
            allowed = policy.allowed(role)
            for mode in modes:
                offered = name in allowed and (mode is not Mode.READ_ONLY or not tool.is_write)
                row[f"{role} · {mode.value}"] = "yes" if offered else "–"
        rows.append(row)
    return rows


def policy_decision(policy: Policy, principal: Principal, mode: Mode, tool: str,
                    arguments: dict[str, Any], systems: Systems, *, tainted: bool = False,
                    direct_writes: int = 0) -> dict[str, Any]:
    """What the policy says about one proposed call: ``allowed``, ``denied`` or ``needs approval``, and why.

    The same two questions the agent loop asks, in its order: :meth:`Policy.check` (offered,
    in scope, valid arguments), then :meth:`Policy.needs_approval` (mode, risk, taint, limit).
    """
    row = {"who": f"{principal.user_id} ({principal.role})", "mode": mode.value, "tool": tool,
           "arguments": ", ".join(f"{k}={v}" for k, v in arguments.items()),
           "tainted": "yes" if tainted else "no"}
    try:
        policy.check(principal, mode, tool, arguments, systems)
    except (ToolNotPermitted, InputError) as exc:
        return {**row, "decision": "denied", "why": str(exc)}
    why = policy.needs_approval(get_tool(tool), mode, tainted=tainted, direct_writes=direct_writes)
    if why:
        return {**row, "decision": "needs approval", "why": why}
    reason = "a read" if not get_tool(tool).is_write else "a low-risk write within the autonomous limits"
    return {**row, "decision": "allowed", "why": reason}


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trace_rows(steps: list[dict[str, Any]], limit: int = 80) -> list[dict[str, Any]]:
    """A run's trace (``AgentRun.steps``) as flat rows: step, tool or event, arguments, outcome, detail."""
    rows = []
    for s in steps:
        args = s.get("arguments")
        if isinstance(args, dict):
            args = ", ".join(f"{k}={v}" for k, v in args.items())
        rows.append({"step": s.get("step"), "tool": s.get("tool") or f"({s.get('event', '?')})",
                     "arguments": _short(args or "", limit), "outcome": s.get("outcome") or s.get("event"),
                     "detail": _short(s.get("detail") or s.get("reason") or s.get("reviewer") or "", limit)})
    return rows


def audit_rows(log: AuditLog, run_id: str | None = None) -> list[dict[str, Any]]:
    """Audit rows as a person reads them: who, what, outcome, approver, and the chain (hash prefixes)."""
    return [{"seq": r["seq"], "actor": r["actor"], "run": r["run_id"], "tool": r["tool"],
             "outcome": r["outcome"], "approver": r["approver"] or "–",
             "summary": _short(r["result_summary"] or "", 50),
             "prev_hash": r["prev_hash"][:12] + "…", "hash": r["hash"][:12] + "…"}
            for r in log.rows(run_id)]


def tampered_copy(log: AuditLog, folder: Path, seq: int, **changes: Any) -> tuple[Path, list[str]]:
    """Copy ``log`` into ``folder`` and edit row ``seq`` there as an insider would; return (path, SQL run).

    The copy keeps the head file, drops the append-only triggers (SQLite refuses UPDATE on the
    log otherwise) and sets ``changes`` (column -> new value) on the row. The real log is untouched.

    Example:
        >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
        >>> log = AuditLog()
        >>> _ = log.append(actor="RM-001", role="relationship_manager", tool="update_crm_field",
        ...                arguments={}, outcome="refused", result_summary="out of scope")
        >>> path, sql = tampered_copy(log, Path(tempfile.mkdtemp()), 1, outcome="ok")
        >>> AuditLog(path).verify().ok, log.verify().ok
        (False, True)
    """
    if not changes:
        raise InputError("tampered_copy needs at least one column to change")
    unknown = set(changes) - {"actor", "role", "tool", "arguments", "outcome", "result_summary", "approver"}
    if unknown:
        raise InputError(f"cannot tamper with {sorted(unknown)}: pick row content columns")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / log.path.name
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    src, dst = sqlite3.connect(log.path), sqlite3.connect(target)
    try:
        src.backup(dst)
        if log.head_path.exists():
            shutil.copy(log.head_path, target.with_suffix(".head"))
        statements = [f"DROP TRIGGER {name}" for (name,) in
                      dst.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()]
        sets = ", ".join(f"{col} = ?" for col in changes)
        statements.append(f"UPDATE audit SET {sets} WHERE seq = {int(seq)}")
        for sql in statements[:-1]:
            dst.execute(sql)
        if dst.execute(statements[-1], list(changes.values())).rowcount != 1:
            raise InputError(f"the audit log has no row with seq {seq}")
        dst.commit()
    finally:
        src.close()
        dst.close()
    return target, statements


def case_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Red-team results (:func:`labkit.agent.redteam.run_cases`) as flat rows, one per case."""
    rows = []
    for c in report["cases"]:
        rows.append({"case": c["id"], "planted in": c["planted_in"], "label": c["label"], "mode": c["mode"],
                     "run": c["status"].split(":")[0], "proposed": ", ".join(c["proposed"]) or "–",
                     "attacked": "yes" if c["attacked"] else "no",
                     "stopped by": ", ".join(c["stopped_by"]) or "–",
                     "unapproved writes": c["unapproved_writes"],
                     "leaked": ", ".join(c["leaked"]) or "–", "verdict": c["verdict"]})
    return rows


def by_channel(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Malicious cases per channel (where the payload was planted): how many, attacked, stopped, breached."""
    out: dict[str, dict[str, Any]] = {}
    for c in report["cases"]:
        if c["label"] != "malicious":
            continue
        row = out.setdefault(c["planted_in"], {"planted in": c["planted_in"], "cases": 0, "attacked": 0,
                                                "stopped": 0, "breached": 0})
        row["cases"] += 1
        row["attacked"] += bool(c["attacked"])
        row["stopped"] += bool(c["stopped"])
        row["breached"] += c["verdict"] != "held"
    return sorted(out.values(), key=lambda r: r["planted in"])


def pick_cases(cases: Sequence[RedteamCase], per_channel: int = 2, benign: int = 1) -> list[RedteamCase]:
    """A small, fixed red-team sample: the first ``per_channel`` malicious cases of each channel
    and the first ``benign`` benign cases, in file order (no randomness: a rerun picks the same)."""
    picked: list[RedteamCase] = []
    counts: dict[str, int] = {}
    for case in cases:
        key = "benign" if case.label == "benign" else case.planted_in
        limit = benign if case.label == "benign" else per_channel
        if counts.get(key, 0) < limit:
            counts[key] = counts.get(key, 0) + 1
            picked.append(case)
    return picked
