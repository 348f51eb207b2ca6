"""The agent's tools: what each may do, how risky it is, what it touches and how to undo it.

Every tool declares
- a pydantic argument schema (also sent to the model as the OpenAI ``parameters`` schema),
- a risk class: ``read``, ``write``, ``destructive`` or ``external_send``,
- a resource scope (``account``, ``ticket``, ``outbox``, ``kb``) that the policy checks,
- whether it is idempotent (safe to repeat with the same arguments),
- its compensating action, by name, and whether its output is untrusted data.

A tool's handler returns a :class:`ToolOutcome`: the result the model sees and the
:class:`~labkit.agent.systems.Change` records it made. Every named compensation is carried out
the same way — the systems put the recorded before-images back in reverse order — because
that is the one undo that restores the exact prior state; the name says what it means for the
business (e.g. ``recall_email`` cannot unsend a real e-mail, it reopens the draft and the
audit log keeps the fact that it went out).

It does not decide who may call what (see :mod:`labkit.agent.policy`) or whether to ask a
person first (the agent loop asks the policy).

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.agent.systems import Systems
    >>> s = Systems(); _ = s.seed(source="fixture")
    >>> tool = TOOLS["update_crm_field"]
    >>> tool.risk.value, tool.compensation
    ('write', 'restore_crm_field')
    >>> alice = Principal(user_id="RM-001", role="relationship_manager", rm_id="RM-001")
    >>> out = tool.run(s, alice, {"account_id": "ACC-00001", "field": "stage", "value": "won"})
    >>> out.result["stage"], len(out.changes)
    ('won', 1)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labkit.agent.systems import EDITABLE_ACCOUNT_FIELDS, Change, Systems
from labkit.data.access import caller_roles
from labkit.errors import InputError


class Risk(str, Enum):
    """How much harm a wrong call can do; decides approval in each mode."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"
    EXTERNAL_SEND = "external_send"


class Principal(BaseModel):
    """Who the agent acts for: a user of the systems, their role and (for RMs) their RM id."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    role: str
    rm_id: str | None = None

    @property
    def roles(self) -> list[str]:
        """The roles whose documents the user may read (see :mod:`labkit.data.access`)."""
        return caller_roles(self.role)


@dataclass
class ToolOutcome:
    """What a tool returned to the model and the rows it changed."""

    result: Any
    changes: list[Change] = field(default_factory=list)


AccountId = Field(pattern=r"^ACC-\d{5}$", description="account id like ACC-00042")
TicketId = Field(pattern=r"^TCK-[0-9A-Z]{6,10}$", description="ticket id like TCK-000123")


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountArgs(_Args):
    account_id: str = AccountId


class SearchAccountsArgs(_Args):
    query: str = Field(min_length=1, max_length=200)


class TicketArgs(_Args):
    ticket_id: str = TicketId


class SearchKbArgs(_Args):
    query: str = Field(min_length=1, max_length=500)


class DocumentArgs(_Args):
    doc_id: str = Field(pattern=r"^DOC-\d{4}$")


class UpdateCrmFieldArgs(_Args):
    account_id: str = AccountId
    field: Literal[EDITABLE_ACCOUNT_FIELDS]  # type: ignore[valid-type]
    value: str = Field(min_length=1, max_length=300)


class AddNoteArgs(_Args):
    account_id: str = AccountId
    text: str = Field(min_length=1, max_length=2000)


class CreateTicketArgs(_Args):
    account_id: str = AccountId
    subject: str = Field(min_length=1, max_length=300)
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class CommentTicketArgs(_Args):
    ticket_id: str = TicketId
    text: str = Field(min_length=1, max_length=2000)


class UpdateTicketArgs(_Args):
    ticket_id: str = TicketId
    status: Literal["open", "pending", "resolved", "closed"] | None = None
    priority: Literal["low", "medium", "high", "urgent"] | None = None


class DraftEmailArgs(_Args):
    # the recipient is a contact id, never a free e-mail address: the agent can only write to
    # people the CRM knows, whatever an injected instruction asks for; the account is the
    # contact's own, so scope checks follow the contact
    contact_id: str = Field(pattern=r"^CON-\w+$", description="the recipient's contact id")
    subject: str = Field(default="Follow-up", min_length=1, max_length=300)
    body: str = Field(default="", max_length=5000)


class MessageArgs(_Args):
    message_id: str = Field(pattern=r"^MSG-[0-9A-F]{10}$")


class ContactArgs(_Args):
    contact_id: str = Field(pattern=r"^CON-\w+$")


Handler = Callable[[Systems, Principal, Any], ToolOutcome]


@dataclass(frozen=True)
class Tool:
    """One tool: schema, risk, scope, idempotency, compensation and the code that runs it."""

    name: str
    description: str
    args: type[BaseModel]
    risk: Risk
    scope: str
    idempotent: bool
    compensation: str | None
    handler: Handler
    low_risk: bool = False  # may run without approval in autonomous mode (within limits)
    untrusted_output: bool = False  # output is data from outside: it taints the context

    @property
    def is_write(self) -> bool:
        """Whether the tool changes state (anything but a read)."""
        return self.risk is not Risk.READ

    def parse(self, arguments: str | dict[str, Any]) -> BaseModel:
        """Validate raw arguments (JSON text or dict) into the schema, or ``InputError``."""
        try:
            data = json.loads(arguments or "{}") if isinstance(arguments, str) else arguments
            return self.args.model_validate(data)
        except (ValueError, ValidationError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"msg": str(exc)}
            where = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
            raise InputError(f"{self.name}: invalid {where}: {first['msg']}") from None

    def run(self, systems: Systems, principal: Principal,
            arguments: str | dict[str, Any] | BaseModel) -> ToolOutcome:
        """Validate and execute (no policy check here: the agent loop does that first)."""
        args = arguments if isinstance(arguments, BaseModel) else self.parse(arguments)
        return self.handler(systems, principal, args)

    def openai_schema(self) -> dict[str, Any]:
        """The tool as OpenAI's ``tools`` entry (built once, then shared: do not mutate it)."""
        return _openai_schema(self.name, self.description, self.args)


@functools.cache
def _openai_schema(name: str, description: str, args: type[BaseModel]) -> dict[str, Any]:
    # pydantic rebuilds a JSON schema from scratch on every model_json_schema() call (about
    # 0.5 ms per tool here, ~8 ms for admin's 14 tools); tools are fixed at import, so once
    params = args.model_json_schema()
    params.pop("title", None)
    for prop in params.get("properties", {}).values():
        prop.pop("title", None)
    return {"type": "function",
            "function": {"name": name, "description": description, "parameters": params}}


def _read(fn: Callable[..., Any]) -> Handler:
    return lambda s, p, a: ToolOutcome(fn(s, p, a))


def _write(fn: Callable[..., Change]) -> Handler:
    def handler(s: Systems, p: Principal, a: Any) -> ToolOutcome:
        change = fn(s, p, a)
        return ToolOutcome(change.after if change.after is not None
                           else {"deleted": change.key}, [change])
    return handler


TOOLS: dict[str, Tool] = {t.name: t for t in [
    # --- reads ---------------------------------------------------------------------------
    Tool("search_accounts", "Find CRM accounts by name, id or industry.",
         SearchAccountsArgs, Risk.READ, "account", True, None,
         _read(lambda s, p, a: s.search_accounts(
             a.query, owner_rm=p.rm_id if p.role == "relationship_manager" else None)), untrusted_output=True),
    Tool("get_account_history",
         "Review an account's history: CRM record, notes, tickets and e-mails.",
         AccountArgs, Risk.READ, "account", True, None,
         _read(lambda s, p, a: s.account_history(a.account_id)),
         untrusted_output=True),
    Tool("list_contacts", "List the contacts (people, e-mail addresses) of an account.",
         AccountArgs, Risk.READ, "account", True, None,
         _read(lambda s, p, a: s.list_contacts(a.account_id)), untrusted_output=True),
    Tool("get_ticket", "Read a support ticket with its notes and comments.",
         TicketArgs, Risk.READ, "ticket", True, None,
         _read(lambda s, p, a: s.get_ticket(a.ticket_id)), untrusted_output=True),
    Tool("search_knowledge_base", "Search the knowledge base policy documents and guidelines.",
         SearchKbArgs, Risk.READ, "kb", True, None,
         _read(lambda s, p, a: s.search_kb(a.query, p.roles)), untrusted_output=True),
    Tool("get_document", "Read one knowledge-base document by its id.",
         DocumentArgs, Risk.READ, "kb", True, None,
         _read(lambda s, p, a: s.get_document(a.doc_id, p.roles)),
         untrusted_output=True),
    # --- writes --------------------------------------------------------------------------
    Tool("update_crm_field",
         "Fill in or update one CRM field: stage, next_step, industry, phone or country.",
         UpdateCrmFieldArgs, Risk.WRITE, "account", True, "restore_crm_field",
         _write(lambda s, p, a: s.update_account_field(a.account_id, a.field,
                                                                  a.value)), low_risk=True),
    Tool("add_account_note", "Add a note to an account's CRM record.",
         AddNoteArgs, Risk.WRITE, "account", False, "delete_note",
         _write(lambda s, p, a: s.add_note(a.account_id, a.text, p.user_id)),
         low_risk=True),
    Tool("draft_email", "Draft a follow-up e-mail to a customer contact (saved in the outbox, "
         "not sent).",
         DraftEmailArgs, Risk.WRITE, "account", False, "discard_draft",
         _write(lambda s, p, a: s.draft_email(
             s.get_contact(a.contact_id)["account_id"], s.get_contact(a.contact_id)["email"], a.subject, a.body, p.user_id)),
         low_risk=True),
    Tool("create_ticket", "Open a new support ticket for an account.",
         CreateTicketArgs, Risk.WRITE, "account", False, "delete_ticket",
         _write(lambda s, p, a: s.create_ticket(a.account_id, a.subject, a.priority,
                                                           p.user_id))),
    Tool("comment_ticket", "Add a comment to a support ticket.",
         CommentTicketArgs, Risk.WRITE, "ticket", False, "delete_comment",
         _write(lambda s, p, a: s.comment_ticket(a.ticket_id, a.text, p.user_id)),
         low_risk=True),
    Tool("update_ticket", "Change a support ticket's status or priority.",
         UpdateTicketArgs, Risk.WRITE, "ticket", True, "restore_ticket",
         _write(lambda s, p, a: s.update_ticket(a.ticket_id, a.status, a.priority))),
    # --- destructive and external --------------------------------------------------------
    Tool("delete_contact", "Delete a contact person from the CRM.",
         ContactArgs, Risk.DESTRUCTIVE, "account", True, "restore_contact",
         _write(lambda s, p, a: s.delete_contact(a.contact_id))),
    Tool("send_email", "Send a drafted e-mail from the outbox to its recipient.",
         MessageArgs, Risk.EXTERNAL_SEND, "outbox", False, "recall_email",
         _write(lambda s, p, a: s.send_email(a.message_id))),
]}


def get_tool(name: str) -> Tool:
    """The tool called ``name``, or ``InputError`` listing the known ones."""
    try:
        return TOOLS[name]
    except KeyError:
        raise InputError(f"unknown tool {name!r}") from None


def compensate(systems: Systems, changes: list[Change]) -> None:
    """Run a compensating action: put the recorded before-images back, newest first."""
    systems.restore(changes)


def account_of(tool: Tool, args: BaseModel, systems: Systems) -> str | None:
    """The account a call touches (resolved through tickets, contacts and messages), if any."""
    data = args.model_dump()
    found: Any = None
    if data.get("account_id"):
        found = data["account_id"]
    elif data.get("ticket_id"):
        found = systems.get_ticket(data["ticket_id"])["account_id"]
    elif data.get("contact_id"):
        found = systems.get_contact(data["contact_id"])["account_id"]
    elif data.get("message_id"):
        found = systems.get_message(data["message_id"])["account_id"]
    return str(found) if found is not None else None

