"""The sample dataset's contract: its files, the tables they load into, and each table's columns.

The generator (:mod:`labkit.data.generate`) writes these files and the catalogue
(:mod:`labkit.data.catalogue`) loads them into DuckDB; both read this one list, so a file the
generator writes is a table the catalogue loads. The lab's fixed "today" (``AS_OF``), the
default seed and the scales live here too, because the readiness profile measures freshness
against the same day the data was generated for. No I/O.

Example:
    >>> FILES["tickets/tickets.jsonl"], list(SCHEMA["users"])[:2]
    ('tickets', ['user_id', 'name'])
"""

from __future__ import annotations

from datetime import datetime

# The lab's fixed "today": freshness, SLA breaches and staleness are measured against it.
AS_OF = datetime(2026, 11, 1, 0, 0, 0)
DEFAULT_SEED = 7
SCALES: dict[str, int] = {"small": 1, "medium": 5, "large": 20}

# relative path -> table it loads into (None: read directly by the tools, not loaded)
FILES: dict[str, str | None] = {
    "kb/documents.jsonl": "kb_documents",
    "kb/sections.jsonl": "kb_sections",
    "kb/defects.jsonl": "kb_defects",
    "crm/accounts.jsonl": "crm_accounts",
    "crm/account_truth.jsonl": "crm_account_truth",
    "crm/contacts.jsonl": "crm_contacts",
    "crm/relationship_managers.jsonl": "relationship_managers",
    "crm/users.jsonl": "users",
    "tickets/tickets.jsonl": "tickets",
    "tickets/ticket_truth.jsonl": "ticket_truth",
    "batch/invoices.jsonl": "batch_invoices",
    "eval/retrieval_questions.jsonl": None,
    "eval/pii_cases.jsonl": None,
    "eval/injection_cases.jsonl": None,
}

# table -> DuckDB column types (order = column order)
SCHEMA: dict[str, dict[str, str]] = {
    "kb_documents": {"doc_id": "VARCHAR", "version": "INTEGER", "title": "VARCHAR", "doc_type": "VARCHAR",
                     "department": "VARCHAR", "owner": "VARCHAR", "roles": "VARCHAR[]", "status": "VARCHAR",
                     "updated_at": "TIMESTAMP", "body": "VARCHAR"},
    "kb_sections": {"doc_id": "VARCHAR", "version": "INTEGER", "section_id": "VARCHAR", "ordinal": "INTEGER",
                    "heading": "VARCHAR", "text": "VARCHAR"},
    "kb_defects": {"doc_id": "VARCHAR", "version": "INTEGER", "defect": "VARCHAR", "detail": "VARCHAR"},
    "crm_accounts": {"account_id": "VARCHAR", "source_system": "VARCHAR", "golden_id": "VARCHAR",
                     "name": "VARCHAR", "industry": "VARCHAR", "country": "VARCHAR", "owner_rm": "VARCHAR",
                     "email": "VARCHAR", "phone": "VARCHAR", "annual_revenue": "DOUBLE",
                     "updated_at": "TIMESTAMP"},
    "crm_account_truth": {"account_id": "VARCHAR", "golden_id": "VARCHAR", "defects": "VARCHAR[]"},
    "crm_contacts": {"contact_id": "VARCHAR", "account_id": "VARCHAR", "name": "VARCHAR", "email": "VARCHAR",
                     "phone": "VARCHAR", "title": "VARCHAR", "source_system": "VARCHAR",
                     "updated_at": "TIMESTAMP"},
    "relationship_managers": {"rm_id": "VARCHAR", "name": "VARCHAR", "email": "VARCHAR"},
    "users": {"user_id": "VARCHAR", "name": "VARCHAR", "email": "VARCHAR", "role": "VARCHAR",
              "department": "VARCHAR"},
    "tickets": {"ticket_id": "VARCHAR", "account_id": "VARCHAR", "category": "VARCHAR", "priority": "VARCHAR",
                "status": "VARCHAR", "subject": "VARCHAR", "notes": "VARCHAR", "created_at": "TIMESTAMP",
                "first_response_due": "TIMESTAMP", "resolution_due": "TIMESTAMP",
                "first_response_at": "TIMESTAMP", "resolved_at": "TIMESTAMP"},
    "ticket_truth": {"ticket_id": "VARCHAR", "pii": "STRUCT(type VARCHAR, value VARCHAR)[]",
                     "sla_first_response_breached": "BOOLEAN", "sla_resolution_breached": "BOOLEAN",
                     "injection": "BOOLEAN"},
    "batch_invoices": {"doc_id": "VARCHAR", "text": "VARCHAR", "truth": "JSON", "malformed": "BOOLEAN",
                       "defect": "VARCHAR"},
}
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "kb_documents": ("doc_id", "version"), "kb_sections": ("doc_id", "version", "section_id"),
    "crm_accounts": ("account_id",), "crm_contacts": ("contact_id",), "relationship_managers": ("rm_id",),
    "users": ("user_id",), "tickets": ("ticket_id",), "batch_invoices": ("doc_id",),
}
