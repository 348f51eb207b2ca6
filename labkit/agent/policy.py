"""Least privilege for the agent: which tools a role may use, on which records, in which mode.

Three questions, answered in this order for every call the model proposes:

1. **Offered?** The model is only shown the tools the caller's role grants, minus every
   write in ``read-only`` mode (:meth:`Policy.offered`).
2. **Permitted?** A call to a tool that was not offered, or on a record outside the caller's
   scope, raises :class:`~labkit.errors.ToolNotPermitted` (:meth:`Policy.check`). Scopes:
   a relationship manager touches only accounts they own (``owner_rm``); a contact named in a
   call must belong to the call's account (e-mail drafts go to known contacts only).
3. **Ask a person first?** (:meth:`Policy.needs_approval`) In ``approval`` mode every write,
   destructive and external-send action waits for a person. In ``autonomous`` mode only
   low-risk writes run directly, and only while the run is under its direct-write limit and
   no untrusted content (tool output, retrieved documents, flagged input) has entered the
   context — an injected instruction can then at most *propose* a write, never make one.

It does not run tools, store approvals or write the audit log; the agent loop does, with the
answers from here.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.agent.systems import Systems
    >>> s = Systems(); _ = s.seed(source="fixture")
    >>> alice = Principal(user_id="RM-001", role="relationship_manager", rm_id="RM-001")
    >>> policy = Policy()
    >>> "update_crm_field" in [t.name for t in policy.offered(alice, Mode.READ_ONLY)]
    False
    >>> policy.check(alice, Mode.APPROVAL, "update_crm_field",
    ...              {"account_id": "ACC-00004", "field": "stage", "value": "won"}, s)
    Traceback (most recent call last):
    labkit.errors.ToolNotPermitted: relationship_manager RM-001 may not touch account ACC-00004 (owned by RM-002)
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from labkit.agent.systems import Systems
from labkit.agent.tools import TOOLS, Principal, Risk, Tool, account_of, get_tool
from labkit.errors import InputError, ToolNotPermitted, UnknownRole

__all__ = ["ROLES", "ROLE_TOOLS", "AutonomyLimits", "Mode", "Policy", "Principal"]


class Mode(str, Enum):
    """How much the agent may do on its own."""

    READ_ONLY = "read-only"
    APPROVAL = "approval"
    AUTONOMOUS = "autonomous"


_KB = {"search_knowledge_base", "get_document"}
_CRM_READ = {"search_accounts", "get_account_history", "list_contacts", "get_ticket"}

# role -> tools it may use; every role the sample data knows is listed, most get the KB only
ROLE_TOOLS: dict[str, frozenset[str]] = {
    "employee": frozenset(_KB),
    "hr": frozenset(_KB),
    "legal": frozenset(_KB),
    "finance": frozenset(_KB),
    "engineering": frozenset(_KB),
    "support_agent": frozenset(_KB | _CRM_READ | {"create_ticket", "comment_ticket",
                                                 "update_ticket"}),
    "relationship_manager": frozenset(_KB | _CRM_READ | {
        "update_crm_field", "add_account_note", "draft_email", "send_email", "create_ticket",
        "comment_ticket", "delete_contact"}),
    "admin": frozenset(TOOLS),
}
ROLES = tuple(ROLE_TOOLS)


class AutonomyLimits(BaseModel):
    """What autonomous mode may do without a person: low-risk writes, this many per run."""

    max_direct_writes: int = Field(default=3, ge=0)
    # the injection defence; switch it off only to measure what it prevents (red-team runs)
    untrusted_needs_approval: bool = True


class Policy:
    """Roles to tools and scopes, and the approval rule for each mode."""

    def __init__(self, role_tools: dict[str, frozenset[str]] | None = None,
                 limits: AutonomyLimits | None = None) -> None:
        self.role_tools = role_tools or ROLE_TOOLS
        self.limits = limits or AutonomyLimits()
        # (role, mode) -> the offered tools' OpenAI schemas; the offer depends on nothing else
        self._schemas: dict[tuple[str, Mode], list[dict[str, Any]]] = {}

    def allowed(self, role: str) -> frozenset[str]:
        """Tool names ``role`` may use, or ``UnknownRole``."""
        if role not in self.role_tools:
            raise UnknownRole(f"unknown role {role!r} (known: {', '.join(self.role_tools)})")
        return self.role_tools[role]

    def offered(self, principal: Principal, mode: Mode) -> list[Tool]:
        """The tools to show the model: the role's, without writes in read-only mode."""
        names = self.allowed(principal.role)
        return [t for n, t in TOOLS.items()
                if n in names and (mode is not Mode.READ_ONLY or not t.is_write)]

    def tool_schemas(self, principal: Principal, mode: Mode) -> list[dict[str, Any]] | None:
        """The offered tools as OpenAI ``tools`` entries (None when none), cached per role and
        mode so a model turn does not pay for pydantic schema generation; treat as read-only.

        Example:
            >>> eve = Principal(user_id="U-EMPLOYEE", role="employee")
            >>> [t["function"]["name"] for t in Policy().tool_schemas(eve, Mode.READ_ONLY)]
            ['search_knowledge_base', 'get_document']
        """
        key = (principal.role, mode)
        schemas = self._schemas.get(key)
        if schemas is None:
            schemas = [t.openai_schema() for t in self.offered(principal, mode)]
            self._schemas[key] = schemas
        return list(schemas) or None

    def check(self, principal: Principal, mode: Mode, tool_name: str,
              arguments: str | dict[str, Any] | BaseModel, systems: Systems) -> BaseModel:
        """Validate a proposed call and check tool and scope; return the parsed arguments.

        Raises ``ToolNotPermitted`` (not offered, or out of scope) or ``InputError`` (bad
        arguments, unknown record).
        """
        if tool_name not in {t.name for t in self.offered(principal, mode)}:
            why = ("writes are not allowed in read-only mode"
                   if tool_name in self.allowed(principal.role) else
                   f"role {principal.role} is not granted it")
            raise ToolNotPermitted(f"tool {tool_name} refused: {why}")
        tool = get_tool(tool_name)
        args = arguments if isinstance(arguments, BaseModel) else tool.parse(arguments)
        account_id = account_of(tool, args, systems)
        if account_id is not None:
            account = systems.get_account(account_id)
            if principal.role == "relationship_manager" and account["owner_rm"] != principal.rm_id:
                raise ToolNotPermitted(
                    f"relationship_manager {principal.rm_id} may not touch account {account_id} "
                    f"(owned by {account['owner_rm']})")
            contact_id = getattr(args, "contact_id", None)
            if contact_id and systems.get_contact(contact_id)["account_id"] != account_id:
                raise ToolNotPermitted(f"{tool.name} refused: contact {contact_id} does not "
                                       f"belong to account {account_id}")
        return args

    def needs_approval(self, tool: Tool, mode: Mode, *, tainted: bool,
                       direct_writes: int) -> str | None:
        """Why this call must wait for a person, or None when it may run now."""
        if not tool.is_write:
            return None
        if mode is Mode.READ_ONLY:  # check() refuses first; kept so the rule stands alone
            raise ToolNotPermitted(f"tool {tool.name} refused: read-only mode")
        if mode is Mode.APPROVAL:
            return f"{tool.risk.value} action in approval mode"
        if tool.risk is not Risk.WRITE or not tool.low_risk:
            return f"{tool.risk.value} action {tool.name} is not low-risk"
        if tainted and self.limits.untrusted_needs_approval:
            return "untrusted content entered the context before this write"
        if direct_writes >= self.limits.max_direct_writes:
            return (f"autonomous write limit reached "
                    f"({self.limits.max_direct_writes} direct writes per run)")
        return None


def parse_mode(value: str) -> Mode:
    """``Mode`` from its name, or ``InputError`` listing the choices."""
    try:
        return Mode(value)
    except ValueError:
        raise InputError(f"unknown mode {value!r} (read-only, approval or autonomous)") from None
