"""API keys -> users and roles, and the FastAPI dependencies that enforce them.

Every request but the probes (``/healthz``, ``/readyz``, ``/metrics``) carries one API key, as
``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` (on ``/v1/*`` too); two keys, or two
headers that disagree, are refused (401), so no caller is authenticated as one user and billed
as another. A key maps to a :class:`Principal`: a user
id, a name, one role of the sample data (employee, support_agent, relationship_manager, hr,
legal, finance, engineering, admin) and, for relationship managers, their ``rm_id``. Everyone is
also an ``employee`` for document access, as in the sample data.

The key table is a YAML file (``--keys FILE`` / ``LABKIT_SERVICE_KEYS``); without one the lab's
documented demo keys are used (``lab-key-<role>``, e.g. ``lab-key-hr``). Keys are compared by
their SHA-256 digest so the table could hold digests instead of secrets; the YAML accepts either
``key:`` or ``key_sha256:``.

It does not do OAuth, sessions or key rotation: a real deployment puts an identity provider in
front and passes the verified identity on.

Example:
    >>> store = KeyStore.demo()
    >>> p = store.lookup("lab-key-hr")
    >>> p.role, sorted(p.roles)
    ('hr', ['employee', 'hr'])
    >>> store.lookup("nope") is None
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request
from pydantic import BaseModel, Field, ValidationError

from labkit.apikeys import presented_key
from labkit.errors import ConfigError, Forbidden, NotAuthenticated

ROLES: tuple[str, ...] = (
    "employee", "support_agent", "relationship_manager", "hr", "legal", "finance",
    "engineering", "admin",
)

# The demo relationship manager owns real accounts in the sample data (owner_rm = RM-001),
# so the agent's "only your own accounts" scope has something to allow and something to refuse.
DEMO_RM_ID = "RM-001"


class Principal(BaseModel):
    """An authenticated caller."""

    user_id: str
    name: str
    role: str
    rm_id: str | None = None
    email: str | None = None

    @property
    def roles(self) -> list[str]:
        """The roles used for document access: the caller's role plus ``employee``."""
        return sorted({self.role, "employee"})

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class KeyEntry(BaseModel):
    """One row of the key file."""

    key: str | None = None
    key_sha256: str | None = None
    user_id: str
    name: str = ""
    role: str
    rm_id: str | None = None
    email: str | None = None


class KeyFile(BaseModel):
    """The key file: ``keys: [{key, user_id, name, role, rm_id?}, ...]``."""

    keys: list[KeyEntry] = Field(min_length=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """Looks keys up by digest; built from a YAML file or the demo table."""

    def __init__(self, entries: list[KeyEntry]) -> None:
        self._by_digest: dict[str, Principal] = {}
        for entry in entries:
            if entry.role not in ROLES:
                raise ConfigError(f"key for {entry.user_id!r} names unknown role {entry.role!r}; "
                                  f"known roles: {', '.join(ROLES)}")
            digest = entry.key_sha256 or (_digest(entry.key) if entry.key else None)
            if not digest:
                raise ConfigError(f"key entry for {entry.user_id!r} has neither key nor key_sha256")
            self._by_digest[digest] = Principal(
                user_id=entry.user_id, name=entry.name or entry.user_id, role=entry.role,
                rm_id=entry.rm_id, email=entry.email)

    @classmethod
    def demo(cls) -> KeyStore:
        """The documented demo keys: ``lab-key-<role>`` for every role (plus a second employee and RM)."""
        entries = [
            KeyEntry(key=f"lab-key-{role}", user_id=f"u-{role}", name=f"Demo {role.replace('_', ' ')}",
                     role=role, rm_id=DEMO_RM_ID if role == "relationship_manager" else None,
                     email=f"{role}@lab.example")
            for role in ROLES
        ]
        # a second user with the same role, so per-user isolation (jobs, runs) can be shown
        entries.append(KeyEntry(key="lab-key-employee-2", user_id="u-employee-2",
                                name="Demo employee two", role="employee"))
        # a second relationship manager (RM-002's accounts), so the agent's per-RM scope shows
        entries.append(KeyEntry(key="lab-key-relationship_manager-2", user_id="u-relationship_manager-2",
                                name="Demo relationship manager two", role="relationship_manager",
                                rm_id="RM-002"))
        return cls(entries)

    @classmethod
    def from_file(cls, path: str | Path) -> KeyStore:
        """Load a YAML key file; a malformed file is a one-line ConfigError."""
        path = Path(path)
        try:
            raw: Any = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read key file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"key file {path} is not valid YAML: {exc}") from None
        try:
            return cls(KeyFile.model_validate(raw).keys)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"key file {path}: {where}: {first['msg']}") from None

    def lookup(self, key: str) -> Principal | None:
        """The principal for ``key``, or None."""
        return self._by_digest.get(_digest(key))

    def principals(self) -> list[Principal]:
        return list(self._by_digest.values())


def principal_from_headers(keys: KeyStore, headers: Iterable[tuple[bytes, bytes]]) -> Principal:
    """The caller that raw ``headers`` authenticate, or NotAuthenticated (401).

    The one place the service turns headers into a caller: every route (and the ``/v1``
    gateway routes, for authentication and billing alike) uses its result. Ambiguous
    credentials — two keys, or two that disagree — are refused (:func:`labkit.apikeys.presented_key`).
    """
    key = presented_key(headers)
    if key is None:
        raise NotAuthenticated("missing API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
    principal = keys.lookup(key)
    if principal is None:
        raise NotAuthenticated("invalid API key")
    return principal


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller, or NotAuthenticated (401)."""
    principal = principal_from_headers(request.app.state.keys, request.headers.raw)
    request.state.principal = principal
    return principal


def require_roles(principal: Principal, allowed: tuple[str, ...] | list[str], action: str) -> None:
    """Raise Forbidden (403) unless the caller's role is in ``allowed`` (admin always passes)."""
    if principal.role not in allowed and not principal.is_admin:
        raise Forbidden(f"role {principal.role!r} may not {action} (allowed: {', '.join(allowed)})")
