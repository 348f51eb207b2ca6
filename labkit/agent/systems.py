"""The enterprise systems the agent acts on: CRM, ticketing, e-mail outbox, knowledge base.

Each system is a small service layer over its own SQLite file (WAL) under
``var/agent/systems/``, so tools change real state that survives the process and that a test
can snapshot table by table. Every write returns the :class:`Change` records it made — the
row before and after — which is what makes compensation exact: undoing a change puts the
before-image back, and refuses (``DataError``) when the row has moved on since, rather than
overwrite somebody else's later edit.

The stores are seeded once, from the lab's DuckDB sample data when it is available
(:func:`labkit.data.catalogue.ensure_loaded`), otherwise from a small built-in fixture so the
pattern can be learnt and tested on its own. It does not model permissions (that is
:mod:`labkit.agent.policy`) nor decide what may run (the agent loop does).

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> s = Systems(); s.seed(source="fixture")
    'fixture'
    >>> change = s.update_account_field("ACC-00001", "stage", "negotiation")
    >>> s.get_account("ACC-00001")["stage"]
    'negotiation'
    >>> s.restore([change]); s.get_account("ACC-00001")["stage"]
    'qualified'
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.data.access import caller_roles, can_read
from labkit.data.catalogue import connect, ensure_loaded
from labkit.errors import DataError, InputError
from labkit.settings import var_dir
from labkit.sqlitewal import enable_wal

# store -> table -> (primary key column, CREATE TABLE body)
SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "crm": {
        "accounts": ("account_id", """account_id TEXT PRIMARY KEY, name TEXT, industry TEXT,
            country TEXT, owner_rm TEXT, email TEXT, phone TEXT, annual_revenue REAL,
            stage TEXT, next_step TEXT, updated_at TEXT"""),
        "contacts": ("contact_id", """contact_id TEXT PRIMARY KEY, account_id TEXT, name TEXT,
            email TEXT, phone TEXT, title TEXT, updated_at TEXT"""),
        "notes": ("note_id", """note_id TEXT PRIMARY KEY, account_id TEXT, author TEXT,
            text TEXT, created_at TEXT"""),
        "users": ("user_id", """user_id TEXT PRIMARY KEY, name TEXT, email TEXT, role TEXT,
            rm_id TEXT"""),
    },
    "tickets": {
        "tickets": ("ticket_id", """ticket_id TEXT PRIMARY KEY, account_id TEXT, category TEXT,
            priority TEXT, status TEXT, subject TEXT, notes TEXT, created_at TEXT,
            updated_at TEXT"""),
        "comments": ("comment_id", """comment_id TEXT PRIMARY KEY, ticket_id TEXT, author TEXT,
            text TEXT, created_at TEXT"""),
    },
    "outbox": {
        "messages": ("message_id", """message_id TEXT PRIMARY KEY, account_id TEXT,
            to_addr TEXT, subject TEXT, body TEXT, status TEXT, created_by TEXT,
            created_at TEXT, sent_at TEXT"""),
    },
    "kb": {
        "documents": ("doc_id", """doc_id TEXT PRIMARY KEY, title TEXT, department TEXT,
            roles TEXT, status TEXT, body TEXT"""),
    },
}

# CRM fields a tool may change; identity and ownership fields are not among them on purpose
EDITABLE_ACCOUNT_FIELDS = ("industry", "phone", "stage", "next_step", "country")
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
TICKET_PRIORITIES = ("low", "medium", "high", "urgent")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


@dataclass
class Change:
    """One row changed by a write: where, and the row before and after (None = absent)."""

    store: str
    table: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (stored with the action for later rollback)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        """The inverse of :meth:`to_dict`."""
        return cls(**data)


class Systems:
    """CRM, ticketing, outbox and knowledge base, each on its own SQLite file."""

    def __init__(self, root: Path | None = None, *, durable: bool = True) -> None:
        self.root = Path(root) if root else var_dir() / "agent" / "systems"
        # durable=False: a throwaway copy (one red-team case) that skips WAL and fsync
        self.durable = durable
        self.root.mkdir(parents=True, exist_ok=True)
        self._conns: dict[str, sqlite3.Connection] = {}
        for store, tables in SCHEMA.items():
            conn = self._conn(store)
            for table, (_, body) in tables.items():
                conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
            conn.commit()

    # --- plumbing ------------------------------------------------------------------------

    def _conn(self, store: str) -> sqlite3.Connection:
        conn = self._conns.get(store)
        if conn is None:
            conn = sqlite3.connect(self.root / f"{store}.sqlite", timeout=30,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            if self.durable:
                enable_wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
            else:
                conn.execute("PRAGMA journal_mode=MEMORY")
                conn.execute("PRAGMA synchronous=OFF")
            self._conns[store] = conn
        return conn

    def close(self) -> None:
        """Close every store's connection."""
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def _row(self, store: str, table: str, key: str) -> dict[str, Any] | None:
        pk = SCHEMA[store][table][0]
        row = self._conn(store).execute(f"SELECT * FROM {table} WHERE {pk} = ?", (key,)).fetchone()
        return dict(row) if row else None

    def _put(self, store: str, table: str, row: dict[str, Any]) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._conn(store).execute(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({marks})",
                                  tuple(row.values()))

    def _write(self, store: str, table: str, key: str, after: dict[str, Any] | None) -> Change:
        """Replace (or delete, when ``after`` is None) one row in a transaction; return the Change."""
        conn = self._conn(store)
        pk = SCHEMA[store][table][0]
        with conn:
            before = self._row(store, table, key)
            if after is None:
                conn.execute(f"DELETE FROM {table} WHERE {pk} = ?", (key,))
            else:
                self._put(store, table, after)
        return Change(store, table, key, before, after)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, ordered by key: for tests and rollback checks."""
        out: dict[str, list[dict[str, Any]]] = {}
        for store, tables in SCHEMA.items():
            for table, (pk, _) in tables.items():
                rows = self._conn(store).execute(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
                out[f"{store}.{table}"] = [dict(r) for r in rows]
        return out

    def restore(self, changes: Iterable[Change]) -> None:
        """Undo changes in reverse order by putting each before-image back.

        Refuses with ``DataError`` (and changes nothing more) when a row is no longer what the
        change left behind: somebody edited it since, and blind restoring would lose that edit.
        """
        for ch in reversed(list(changes)):
            current = self._row(ch.store, ch.table, ch.key)
            if current != ch.after:
                raise DataError(f"cannot undo {ch.table} {ch.key}: it changed since the action")
            self._write(ch.store, ch.table, ch.key, ch.before)

    # --- seeding -------------------------------------------------------------------------

    def is_seeded(self) -> bool:
        """Whether the CRM already holds accounts."""
        row = self._conn("crm").execute("SELECT count(*) FROM accounts").fetchone()
        return bool(row and row[0] > 0)

    def seed(self, source: str = "auto") -> str:
        """Fill empty stores from the sample data ("catalogue"), the fixture, or whichever works.

        Returns the source used, or "existing" when the stores were already seeded.
        """
        if source not in ("auto", "catalogue", "fixture"):
            raise InputError(f"unknown seed source {source!r} (auto, catalogue or fixture)")
        if self.is_seeded():
            return "existing"
        if source in ("auto", "catalogue"):
            try:
                rows = _catalogue_rows()
            except Exception as exc:
                if source == "catalogue":
                    raise DataError(f"cannot seed from the sample data: {exc}") from exc
                rows = None
            if rows is not None:
                self._load(rows)
                return "catalogue"
        self._load(_fixture_rows())
        return "fixture"

    def _load(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        for name, items in rows.items():
            store, table = name.split(".")
            cols = [c.split()[0] for c in
                    [p.strip() for p in SCHEMA[store][table][1].split(",")]]
            conn = self._conn(store)
            with conn:
                for item in items:
                    self._put(store, table, {c: item.get(c) for c in cols})

    # --- CRM -----------------------------------------------------------------------------

    def get_account(self, account_id: str) -> dict[str, Any]:
        """One account, or ``InputError`` when there is none."""
        row = self._row("crm", "accounts", account_id)
        if row is None:
            raise InputError(f"no account {account_id}")
        return row

    def search_accounts(self, query: str, owner_rm: str | None = None,
                        limit: int = 10) -> list[dict[str, Any]]:
        """Accounts whose id, name or industry contains ``query`` (optionally one RM's only)."""
        sql = ("SELECT account_id, name, industry, country, owner_rm, stage FROM accounts "
               "WHERE (account_id LIKE ? OR name LIKE ? OR industry LIKE ?)")
        params: list[Any] = [f"%{query}%"] * 3
        if owner_rm is not None:
            sql += " AND owner_rm = ?"
            params.append(owner_rm)
        sql += " ORDER BY account_id LIMIT ?"
        params.append(limit)
        return [dict(r) for r in self._conn("crm").execute(sql, params).fetchall()]

    def list_contacts(self, account_id: str) -> list[dict[str, Any]]:
        """An account's contacts."""
        self.get_account(account_id)
        rows = self._conn("crm").execute(
            "SELECT * FROM contacts WHERE account_id = ? ORDER BY contact_id", (account_id,))
        return [dict(r) for r in rows.fetchall()]

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        """One contact, or ``InputError``."""
        row = self._row("crm", "contacts", contact_id)
        if row is None:
            raise InputError(f"no contact {contact_id}")
        return row

    def account_history(self, account_id: str) -> dict[str, Any]:
        """An account with its notes, tickets and e-mails, newest first: the copilot's review."""
        account = self.get_account(account_id)
        notes = [dict(r) for r in self._conn("crm").execute(
            "SELECT * FROM notes WHERE account_id = ? ORDER BY created_at DESC", (account_id,))]
        tickets = [dict(r) for r in self._conn("tickets").execute(
            "SELECT ticket_id, category, priority, status, subject, notes, created_at "
            "FROM tickets WHERE account_id = ? ORDER BY created_at DESC", (account_id,))]
        mails = [dict(r) for r in self._conn("outbox").execute(
            "SELECT message_id, to_addr, subject, status, created_at FROM messages "
            "WHERE account_id = ? ORDER BY created_at DESC", (account_id,))]
        return {"account": account, "notes": notes, "tickets": tickets, "emails": mails}

    def user(self, user_id: str) -> dict[str, Any]:
        """One user of the systems, or ``InputError``."""
        row = self._row("crm", "users", user_id)
        if row is None:
            raise InputError(f"no user {user_id}")
        return row

    def users_with_role(self, role: str) -> list[dict[str, Any]]:
        """Users holding ``role``, by id."""
        rows = self._conn("crm").execute(
            "SELECT * FROM users WHERE role = ? ORDER BY user_id", (role,))
        return [dict(r) for r in rows.fetchall()]

    def update_account_field(self, account_id: str, field: str, value: str) -> Change:
        """Set one editable CRM field (see ``EDITABLE_ACCOUNT_FIELDS``)."""
        if field not in EDITABLE_ACCOUNT_FIELDS:
            raise InputError(f"field {field!r} is not editable "
                             f"(editable: {', '.join(EDITABLE_ACCOUNT_FIELDS)})")
        row = dict(self.get_account(account_id))
        row[field] = value
        row["updated_at"] = _now()
        return self._write("crm", "accounts", account_id, row)

    def add_note(self, account_id: str, text: str, author: str) -> Change:
        """Add a note to an account."""
        self.get_account(account_id)
        note_id = _new_id("NOTE")
        return self._write("crm", "notes", note_id, {
            "note_id": note_id, "account_id": account_id, "author": author, "text": text,
            "created_at": _now()})

    def delete_contact(self, contact_id: str) -> Change:
        """Remove a contact (destructive; compensation puts the row back)."""
        self.get_contact(contact_id)
        return self._write("crm", "contacts", contact_id, None)

    # --- ticketing -----------------------------------------------------------------------

    def get_ticket(self, ticket_id: str) -> dict[str, Any]:
        """One ticket with its comments, or ``InputError``."""
        row = self._row("tickets", "tickets", ticket_id)
        if row is None:
            raise InputError(f"no ticket {ticket_id}")
        comments = [dict(r) for r in self._conn("tickets").execute(
            "SELECT * FROM comments WHERE ticket_id = ? ORDER BY created_at", (ticket_id,))]
        return {**row, "comments": comments}

    def create_ticket(self, account_id: str, subject: str, priority: str, author: str,
                      category: str = "general") -> Change:
        """Open a ticket for an account."""
        self.get_account(account_id)
        if priority not in TICKET_PRIORITIES:
            raise InputError(f"priority must be one of {', '.join(TICKET_PRIORITIES)}")
        ticket_id = _new_id("TCK")
        now = _now()
        return self._write("tickets", "tickets", ticket_id, {
            "ticket_id": ticket_id, "account_id": account_id, "category": category,
            "priority": priority, "status": "open", "subject": subject,
            "notes": f"opened by {author}", "created_at": now, "updated_at": now})

    def comment_ticket(self, ticket_id: str, text: str, author: str) -> Change:
        """Add a comment to a ticket."""
        self.get_ticket(ticket_id)
        comment_id = _new_id("CMT")
        return self._write("tickets", "comments", comment_id, {
            "comment_id": comment_id, "ticket_id": ticket_id, "author": author, "text": text,
            "created_at": _now()})

    def update_ticket(self, ticket_id: str, status: str | None = None,
                      priority: str | None = None) -> Change:
        """Change a ticket's status and/or priority."""
        row = self._row("tickets", "tickets", ticket_id)
        if row is None:
            raise InputError(f"no ticket {ticket_id}")
        if status is not None and status not in TICKET_STATUSES:
            raise InputError(f"status must be one of {', '.join(TICKET_STATUSES)}")
        if priority is not None and priority not in TICKET_PRIORITIES:
            raise InputError(f"priority must be one of {', '.join(TICKET_PRIORITIES)}")
        row = dict(row)
        row["status"] = status or row["status"]
        row["priority"] = priority or row["priority"]
        row["updated_at"] = _now()
        return self._write("tickets", "tickets", ticket_id, row)

    # --- outbox --------------------------------------------------------------------------

    def get_message(self, message_id: str) -> dict[str, Any]:
        """One outbox message, or ``InputError``."""
        row = self._row("outbox", "messages", message_id)
        if row is None:
            raise InputError(f"no message {message_id}")
        return row

    def draft_email(self, account_id: str, to_addr: str, subject: str, body: str,
                    author: str) -> Change:
        """Put a draft in the outbox (nothing leaves the building)."""
        self.get_account(account_id)
        message_id = _new_id("MSG")
        return self._write("outbox", "messages", message_id, {
            "message_id": message_id, "account_id": account_id, "to_addr": to_addr,
            "subject": subject, "body": body, "status": "draft", "created_by": author,
            "created_at": _now(), "sent_at": None})

    def send_email(self, message_id: str) -> Change:
        """Mark a draft sent (the lab's stand-in for handing it to the mail server)."""
        row = dict(self.get_message(message_id))
        if row["status"] != "draft":
            raise InputError(f"message {message_id} is {row['status']}, not a draft")
        row["status"] = "sent"
        row["sent_at"] = _now()
        return self._write("outbox", "messages", message_id, row)

    # --- knowledge base ------------------------------------------------------------------

    def search_kb(self, query: str, roles: Iterable[str], limit: int = 3) -> list[dict[str, Any]]:
        """Current documents the roles may read, ranked by how many query words they contain.

        Access follows the lab's one rule (:func:`labkit.data.access.can_read`, as in RAG).

        Deliberately simple word overlap: the RAG pattern owns real retrieval; the agent only
        needs a tool that returns documents (and so can carry planted instructions).
        """
        held = caller_roles(list(roles))
        words = {w for w in query.lower().split() if len(w) > 2}
        scored = []
        for r in self._conn("kb").execute("SELECT * FROM documents WHERE status = 'current'"):
            if not can_read(json.loads(r["roles"] or "[]"), held):
                continue
            text = f"{r['title']} {r['body']}".lower()
            score = sum(1 for w in words if w in text)
            if score:
                scored.append((score, r["doc_id"], dict(r)))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [{"doc_id": d["doc_id"], "title": d["title"], "text": d["body"][:600]}
                for _, _, d in scored[:limit]]

    def get_document(self, doc_id: str, roles: Iterable[str]) -> dict[str, Any]:
        """One document the roles may read, or ``InputError`` (absent and forbidden look alike)."""
        row = self._row("kb", "documents", doc_id)
        if row is None or not can_read(json.loads(row["roles"] or "[]"), caller_roles(list(roles))):
            raise InputError(f"no document {doc_id}")
        return {"doc_id": row["doc_id"], "title": row["title"], "text": row["body"]}

    def put_document(self, doc_id: str, title: str, body: str,
                     roles: Iterable[str] = ("employee",)) -> Change:
        """Add or replace a knowledge-base document (used to plant red-team payloads)."""
        return self._write("kb", "documents", doc_id, {
            "doc_id": doc_id, "title": title, "department": "general",
            "roles": json.dumps(list(roles)), "status": "current", "body": body})

    def set_ticket_notes(self, ticket_id: str, notes: str) -> Change:
        """Replace a ticket's free-text notes (used to plant red-team payloads)."""
        row = self._row("tickets", "tickets", ticket_id)
        if row is None:
            raise InputError(f"no ticket {ticket_id}")
        return self._write("tickets", "tickets", ticket_id, {**row, "notes": notes})


def _catalogue_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows for every store from the lab's DuckDB sample data (raises when it is missing)."""
    ensure_loaded()
    con = connect(read_only=True)
    try:
        def rows(sql: str) -> list[dict[str, Any]]:
            cur = con.execute(sql)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]

        accounts = rows("SELECT account_id, name, industry, country, owner_rm, email, phone, "
                        "annual_revenue, CAST(updated_at AS VARCHAR) AS updated_at "
                        "FROM crm_accounts")
        for a in accounts:
            a["stage"] = "qualified"
            a["next_step"] = None
        contacts = rows("SELECT contact_id, account_id, name, email, phone, title, "
                        "CAST(updated_at AS VARCHAR) AS updated_at FROM crm_contacts")
        tickets = rows("SELECT ticket_id, account_id, category, priority, status, subject, "
                       "notes, CAST(created_at AS VARCHAR) AS created_at, "
                       "CAST(created_at AS VARCHAR) AS updated_at FROM tickets")
        docs = rows("SELECT doc_id, title, department, to_json(roles)::VARCHAR AS roles, status, "
                    "body FROM kb_documents WHERE status = 'current'")
        rms = rows("SELECT rm_id, name, email FROM relationship_managers")
        users = rows("SELECT user_id, name, email, role FROM users")
    finally:
        con.close()
    rm_by_email = {str(r["email"]).lower(): r["rm_id"] for r in rms}
    for u in users:
        u["rm_id"] = rm_by_email.get(str(u["email"]).lower())
    known = {u["rm_id"] for u in users if u["rm_id"]}
    # every RM who owns accounts can log in, even if the users table does not list them
    users += [{"user_id": r["rm_id"], "name": r["name"], "email": r["email"],
               "role": "relationship_manager", "rm_id": r["rm_id"]}
              for r in rms if r["rm_id"] not in known]
    return {"crm.accounts": accounts, "crm.contacts": contacts, "crm.users": users,
            "tickets.tickets": tickets, "kb.documents": docs}


def _fixture_rows() -> dict[str, list[dict[str, Any]]]:
    """A small, fixed world: two RMs, six accounts, contacts, tickets and policy documents."""
    t0 = "2026-01-15T09:00:00+00:00"
    accounts = []
    specs = [("ACC-00001", "Northwind Traders", "retail", "GB", "RM-001"),
             ("ACC-00002", "Contoso Pharma", "healthcare", "DE", "RM-001"),
             ("ACC-00003", "Fabrikam Logistics", "logistics", "NL", "RM-001"),
             ("ACC-00004", "Tailspin Air", "aviation", "US", "RM-002"),
             ("ACC-00005", "Litware Software", "software", "US", "RM-002"),
             ("ACC-00006", "Adatum Energy", "energy", "FR", "RM-002")]
    for i, (aid, name, industry, country, rm) in enumerate(specs, 1):
        accounts.append({"account_id": aid, "name": name, "industry": industry,
                         "country": country, "owner_rm": rm,
                         "email": f"info@{name.split()[0].lower()}.example.com",
                         "phone": f"+44 20 7946 01{i:02d}", "annual_revenue": 1_000_000.0 * i,
                         "stage": "qualified", "next_step": None, "updated_at": t0})
    contacts = []
    for i, (aid, name, *_rest) in enumerate(specs, 1):
        first = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid"][i - 1]
        contacts.append({"contact_id": f"CON-{i:04d}", "account_id": aid,
                         "name": f"{first} Buyer", "email": f"{first.lower()}.buyer@"
                         f"{name.split()[0].lower()}.example.com",
                         "phone": f"+44 7700 900{i:03d}", "title": "Head of Procurement",
                         "updated_at": t0})
    users: list[dict[str, Any]] = [
        {"user_id": "U-ADMIN", "name": "Ada Admin", "email": "ada@lab.example.com",
         "role": "admin", "rm_id": None},
        {"user_id": "RM-001", "name": "Alice Moreau", "email": "alice@lab.example.com",
         "role": "relationship_manager", "rm_id": "RM-001"},
        {"user_id": "RM-002", "name": "Bram Okafor", "email": "bram@lab.example.com",
         "role": "relationship_manager", "rm_id": "RM-002"},
        {"user_id": "U-SUPPORT", "name": "Sam Support", "email": "sam@lab.example.com",
         "role": "support_agent", "rm_id": None},
        {"user_id": "U-EMPLOYEE", "name": "Eve Employee", "email": "eve@lab.example.com",
         "role": "employee", "rm_id": None},
    ]
    tickets = [
        {"ticket_id": "TCK-000001", "account_id": "ACC-00001", "category": "billing",
         "priority": "high", "status": "open", "subject": "Invoice charged twice in March",
         "notes": "Customer reports a duplicate charge on the March invoice.",
         "created_at": "2026-03-02T10:00:00+00:00", "updated_at": "2026-03-02T10:00:00+00:00"},
        {"ticket_id": "TCK-000002", "account_id": "ACC-00001", "category": "onboarding",
         "priority": "medium", "status": "resolved", "subject": "SSO setup for new team",
         "notes": "SSO configured; customer confirmed it works.",
         "created_at": "2026-02-10T10:00:00+00:00", "updated_at": "2026-02-12T10:00:00+00:00"},
        {"ticket_id": "TCK-000003", "account_id": "ACC-00004", "category": "outage",
         "priority": "urgent", "status": "open", "subject": "API errors since the upgrade",
         "notes": "Errors on the booking API after the 4.2 upgrade.",
         "created_at": "2026-03-05T08:00:00+00:00", "updated_at": "2026-03-05T08:00:00+00:00"},
    ]
    docs = [
        {"doc_id": "DOC-0001", "title": "Refund policy", "department": "finance",
         "roles": json.dumps(["employee"]), "status": "current",
         "body": "Refunds for duplicate charges are issued within 5 working days. "
                 "The account manager confirms the refund to the customer by e-mail."},
        {"doc_id": "DOC-0002", "title": "Follow-up e-mail guidelines", "department": "sales",
         "roles": json.dumps(["relationship_manager", "support_agent"]), "status": "current",
         "body": "Follow-up e-mails go to the customer's named contact, summarise open "
                 "issues and propose one concrete next step with a date."},
        {"doc_id": "DOC-0003", "title": "Salary bands 2026", "department": "hr",
         "roles": json.dumps(["hr"]), "status": "current",
         "body": "Salary bands are confidential to HR."},
    ]
    return {"crm.accounts": accounts, "crm.contacts": contacts, "crm.users": users,
            "tickets.tickets": tickets, "kb.documents": docs}
