"""Switch a SQLite connection to WAL mode safely when several processes open one new file.

Every embedded store in the lab (job queue, approvals, audit log, agent systems, flags, cost
ledger, service ownership) uses SQLite in WAL mode so local processes can write concurrently.
Turning WAL on needs an exclusive lock, and SQLite answers ``database is locked`` at once —
without waiting for its busy timeout — when two processes open a fresh file at the same
moment and both try. :func:`enable_wal` retries that one statement for a bounded time. It does
not open connections or choose other pragmas: each store keeps its own.

Example:
    >>> import sqlite3, tempfile, os
    >>> conn = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "x.db"))
    >>> enable_wal(conn)
    'wal'
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time


def enable_wal(conn: sqlite3.Connection, timeout_s: float = 30.0) -> str:
    """Run ``PRAGMA journal_mode=WAL``, retrying while another process holds the lock."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class ThreadConnections:
    """One SQLite connection per thread to one file, WAL on, all closed together.

    A connection shared by threads interleaves their transactions (one thread's commit ends
    another's); SQLite's own locking orders writers across threads and processes alike.
    Used by the agent's approvals store and audit log.

    Example:
        >>> import tempfile, os
        >>> conns = ThreadConnections(os.path.join(tempfile.mkdtemp(), "x.db"))
        >>> conns.get() is conns.get()
        True
        >>> conns.close()
    """

    def __init__(self, path: str | os.PathLike[str], *, isolation_level: str | None = "") -> None:
        self.path = path
        self.isolation_level = isolation_level
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=self.isolation_level,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            with self._lock:
                self._all.append(conn)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._local = threading.local()
