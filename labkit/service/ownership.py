"""Who owns what: jobs and agent runs belong to the user (and role) that created them.

The service checks every read of a job or run against this store, so role A cannot see role
B's jobs (nor user A user B's) through any endpoint, whatever ids they guess. The record lives
in a store, not in process memory, so every replica agrees: SQLite (WAL) under
``var/service/`` for replicas on one machine, or Redis (the same server as the Redis job
backend) for replicas on several.

It does not decide who may see what; :func:`check_owner` applies the rule (owner, or admin).

Example:
    >>> import tempfile, pathlib
    >>> store = SqliteOwnership(pathlib.Path(tempfile.mkdtemp()) / "o.sqlite")
    >>> store.record("job", "j1", "u-hr", "hr")
    >>> store.owner("job", "j1")
    ('u-hr', 'hr')
    >>> store.owner("job", "nope") is None
    True
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from labkit.errors import JobNotFound
from labkit.service.auth import Principal
from labkit.sqlitewal import enable_wal


class SqliteOwnership:
    """Ownership records in one SQLite file (WAL; safe for several local processes)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        con = self._con()
        enable_wal(con)
        con.execute("""create table if not exists owners (kind text not null, object_id text not null,
                       user_id text not null, role text not null, created_at real not null,
                       primary key (kind, object_id))""")
        con.commit()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            con.execute("pragma busy_timeout=30000")
            self._local.con = con
        return con

    def record(self, kind: str, object_id: str, user_id: str, role: str) -> None:
        """Record the owner; the first owner wins (idempotent resubmits keep it)."""
        con = self._con()
        con.execute("insert or ignore into owners values (?, ?, ?, ?, ?)",
                    (kind, object_id, user_id, role, time.time()))
        con.commit()

    def owner(self, kind: str, object_id: str) -> tuple[str, str] | None:
        row = self._con().execute("select user_id, role from owners where kind = ? and object_id = ?",
                                  (kind, object_id)).fetchone()
        return (row[0], row[1]) if row else None

    def owned_by(self, kind: str, user_id: str, limit: int = 1000) -> list[str]:
        rows = self._con().execute("select object_id from owners where kind = ? and user_id = ? "
                                   "order by created_at desc limit ?", (kind, user_id, limit)).fetchall()
        return [r[0] for r in rows]


class RedisOwnership:
    """Ownership records in Redis hashes (``<ns>:owner:<kind>:<id>``) for multi-host replicas."""

    def __init__(self, url: str, ns: str = "labkit:service") -> None:
        import redis

        self.r = redis.Redis.from_url(url, decode_responses=True)
        self.ns = ns

    def record(self, kind: str, object_id: str, user_id: str, role: str) -> None:
        key = f"{self.ns}:owner:{kind}:{object_id}"
        if self.r.hsetnx(key, "user_id", user_id):
            self.r.hset(key, "role", role)
            self.r.zadd(f"{self.ns}:owned:{kind}:{user_id}", {object_id: time.time()})

    def owner(self, kind: str, object_id: str) -> tuple[str, str] | None:
        got = self.r.hgetall(f"{self.ns}:owner:{kind}:{object_id}")
        return (got["user_id"], got.get("role", "")) if got else None

    def owned_by(self, kind: str, user_id: str, limit: int = 1000) -> list[str]:
        return list(self.r.zrevrange(f"{self.ns}:owned:{kind}:{user_id}", 0, limit - 1))


def check_owner(store: SqliteOwnership | RedisOwnership, kind: str, object_id: str,
                principal: Principal) -> None:
    """Raise JobNotFound (404) unless ``principal`` owns the object or is an admin.

    Not-found rather than 403 on purpose: a caller must not learn that another user's job id
    exists.
    """
    found = store.owner(kind, object_id)
    if principal.is_admin and found is not None:
        return
    if found is None or found[0] != principal.user_id:
        raise JobNotFound(f"no {kind} {object_id!r} for this caller")
