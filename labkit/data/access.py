"""Who may read which knowledge-base document: the one rule every pattern applies.

A document lists the roles that may read it (``kb_documents.roles``); ``employee`` means all
staff. A caller holds their role plus ``employee``. A caller may read a document when the
two sets share a role — nothing more: ``admin`` is a role like any other and reads only
documents that list ``admin`` or ``employee`` (least privilege; an administrator of the
systems is not thereby entitled to HR's files). A document with no roles is readable by
nobody.

RAG applies the rule inside each store's query (DuckDB ``list_has_any``, a Chroma ``where``
over the caller's roles) for speed; the agent's knowledge-base tools call :func:`can_read`.
Both get the caller's roles from :func:`caller_roles`. This module does not know where
documents are stored.

Example:
    >>> caller_roles("admin")
    ['admin', 'employee']
    >>> can_read(["hr"], caller_roles("admin")), can_read(["employee"], caller_roles("admin"))
    (False, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labkit.errors import UnknownRole

# The lab's roles (see datasets/README.md). "employee" means all staff: every caller has it.
ROLES: tuple[str, ...] = ("employee", "support_agent", "relationship_manager", "hr", "legal",
                          "finance", "engineering", "admin")
ALL_STAFF_ROLE = "employee"


def caller_roles(role: str | Sequence[str]) -> list[str]:
    """The roles a caller holds: the named ones plus ``employee``; unknown roles are refused.

    Example:
        >>> caller_roles("hr")
        ['employee', 'hr']
    """
    names = [role] if isinstance(role, str) else list(role)
    if not names:
        raise UnknownRole("no role given; choose one of " + ", ".join(ROLES))
    for name in names:
        if name not in ROLES:
            raise UnknownRole(f"unknown role {name!r}; choose one of {', '.join(ROLES)}")
    return sorted(set(names) | {ALL_STAFF_ROLE})


def can_read(doc_roles: Iterable[str], held_roles: Iterable[str]) -> bool:
    """Whether a caller holding ``held_roles`` (see :func:`caller_roles`) may read a document.

    Example:
        >>> can_read(["engineering", "admin"], ["admin", "employee"])
        True
    """
    return not set(doc_roles).isdisjoint(held_roles)
