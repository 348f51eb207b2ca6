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

import sqlite3
import time


def enable_wal(conn: sqlite3.Connection, timeout_s: float = 30.0) -> str:
    """Run ``PRAGMA journal_mode=WAL``, retrying while another process holds the lock."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
