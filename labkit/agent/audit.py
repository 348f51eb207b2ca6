"""The agent's audit log: append-only, hash-chained, PII-redacted, readable from DuckDB.

Every tool call — run, refused, failed, paused for approval, rejected, compensated — becomes
one row in ``var/agent/audit.sqlite`` with actor, role, run id, step, tool, arguments and a
result summary (both PII-redacted with :func:`labkit.controls.pii.redact` before they are
stored), start and end timestamps, duration, approval id and approver.

Tamper evidence: each row's ``hash`` is SHA-256 over its own content and the previous row's
hash, so editing a row, deleting one or swapping two breaks the chain at that row; the head
(row count and last hash) is also written to ``audit.head`` beside the database, which catches
the one thing a chain alone cannot — cutting rows off the end. SQLite triggers refuse
``UPDATE`` and ``DELETE`` so honest code cannot change history by mistake; someone with the
file can still drop the triggers, which is exactly what :meth:`AuditLog.verify` detects. (A
chain proves tampering, it does not prevent it: anchor the head elsewhere — a ticket, a
WORM bucket — for stronger guarantees.)

Appends from several processes and threads are safe: each thread has its own connection
(one connection shared by threads would interleave their transactions), and each append
takes SQLite's write lock (``BEGIN IMMEDIATE``) before reading the previous hash, so the
chain has one strict order whoever writes.

DuckDB reads it without the ``sqlite_scanner`` extension (which needs a download): the log is
exported to JSON lines and a view is created over ``read_json_auto`` (:meth:`to_duckdb`).

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> log = AuditLog()
    >>> _ = log.append(actor="RM-001", role="relationship_manager", run_id="r1", step=1,
    ...                tool="draft_email", arguments={"to": "ana@x.example.com"},
    ...                outcome="ok", result_summary="MSG-1 drafted")
    >>> log.rows()[0]["arguments"]
    '{"to": "<EMAIL_1>"}'
    >>> log.verify().ok
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.controls.pii import redact
from labkit.errors import AuditTampered, DataError
from labkit.settings import var_dir
from labkit.sqlitewal import ThreadConnections

OUTCOMES = ("ok", "refused", "failed", "pending_approval", "rejected", "paused", "compensated")

# the columns the hash covers, in order; ``seq`` is included so reordering breaks the chain
FIELDS = ("seq", "ts_start", "ts_end", "duration_ms", "actor", "role", "run_id", "step", "tool",
          "arguments", "outcome", "result_summary", "approval_id", "approver", "prev_hash")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, ts_start TEXT NOT NULL, ts_end TEXT NOT NULL,
    duration_ms REAL NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, run_id TEXT,
    step INTEGER, tool TEXT NOT NULL, arguments TEXT NOT NULL, outcome TEXT NOT NULL,
    result_summary TEXT, approval_id TEXT, approver TEXT, prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""

GENESIS = "0" * 64
SUMMARY_CHARS = 500


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="microseconds")


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the row's hashed fields (canonical JSON) — includes the previous hash."""
    payload = json.dumps([row[f] for f in FIELDS], separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _redacted_json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return redact(text).text


@dataclass
class Verification:
    """The result of checking the chain: ok, rows checked, and every problem found."""

    ok: bool
    rows: int
    problems: list[str] = field(default_factory=list)


class AuditLog:
    """The append-only, hash-chained audit log on SQLite."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else var_dir() / "agent" / "audit.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.head_path = self.path.with_suffix(".head")
        # one connection per thread (see the module docstring); all are closed by close()
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE in append)
        self._conns = ThreadConnections(self.path, isolation_level=None)
        self._lock = threading.Lock()  # guards the head file
        try:
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._conns.close()
            raise DataError(f"{self.path} is not a readable SQLite database ({exc}): the audit log is "
                            "truncated or corrupt and cannot be verified or appended to") from None
        # kept open and overwritten in place: opening a file per append cost more than the
        # SQLite commit itself on this machine's file system
        self._head_fd: int | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        return self._conns.get()

    def close(self) -> None:
        """Close every thread's connection and the head file."""
        self._conns.close()
        with self._lock:
            if self._head_fd is not None:
                os.close(self._head_fd)
                self._head_fd = None

    def _write_head(self, seq: int, digest: str) -> None:
        if self._head_fd is None:
            with self._lock:
                if self._head_fd is None:
                    self._head_fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o644)
        # fixed width, so an in-place overwrite never leaves a longer old record's tail behind
        os.pwrite(self._head_fd, f"{seq:020d} {digest}\n".encode(), 0)

    def append(self, *, actor: str, role: str, tool: str, arguments: Any, outcome: str,
               run_id: str | None = None, step: int | None = None,
               result_summary: Any = None, approval_id: str | None = None,
               approver: str | None = None, started: float | None = None,
               ended: float | None = None) -> dict[str, Any]:
        """Append one tool-call record (arguments and summary are redacted here); return it."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown audit outcome {outcome!r}")
        ended = time.time() if ended is None else ended
        started = ended if started is None else started
        summary = None if result_summary is None else _redacted_json(result_summary)
        if summary is not None and len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS] + "…"
        row: dict[str, Any] = {
            "ts_start": _iso(started), "ts_end": _iso(ended),
            "duration_ms": round((ended - started) * 1000, 3), "actor": actor, "role": role,
            "run_id": run_id, "step": step, "tool": tool, "arguments": _redacted_json(arguments),
            "outcome": outcome, "result_summary": summary, "approval_id": approval_id,
            "approver": approver,
        }
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            row["seq"] = (last["seq"] + 1) if last else 1
            row["prev_hash"] = last["hash"] if last else GENESIS
            row["hash"] = row_hash(row)
            cols = ", ".join(row)
            conn.execute(f"INSERT INTO audit ({cols}) VALUES ({', '.join('?' * len(row))})",
                         tuple(row.values()))
            # written under the lock, so the head always matches the last committed row
            self._write_head(row["seq"], row["hash"])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return row

    def rows(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Rows in chain order (optionally one run's)."""
        sql, params = "SELECT * FROM audit", tuple[str, ...]()
        if run_id is not None:
            sql, params = sql + " WHERE run_id = ?", (run_id,)
        return [dict(r) for r in self._conn.execute(sql + " ORDER BY rowid", params)]

    def verify(self) -> Verification:
        """Recompute the chain in physical order; report edits, deletions, reorders, truncation."""
        problems: list[str] = []
        prev, expected_seq, n = GENESIS, 1, 0
        try:
            for r in self._conn.execute("SELECT * FROM audit ORDER BY rowid"):
                row = dict(r)
                n += 1
                if row["seq"] != expected_seq:
                    problems.append(f"row {n}: seq {row['seq']} where {expected_seq} was expected "
                                    "(a row was deleted or rows were reordered)")
                if row["prev_hash"] != prev:
                    problems.append(f"seq {row['seq']}: previous-hash link broken")
                if row_hash(row) != row["hash"]:
                    problems.append(f"seq {row['seq']}: content does not match its hash (edited)")
                prev, expected_seq = row["hash"], row["seq"] + 1
        except sqlite3.DatabaseError as exc:
            # a file cut short can open fine and fail only on the page a row lives in
            problems.append(f"{self.path.name} is unreadable after {n} row(s) ({exc}): truncated or corrupt")
            return Verification(ok=False, rows=n, problems=problems)
        if self.head_path.exists() or self.head_path.is_symlink():
            head = self._read_head()
            if isinstance(head, str):
                problems.append(head)
            elif head != (expected_seq - 1, prev):
                head_seq, head_hash = head
                problems.append(f"head says {head_seq} rows ending {head_hash[:12]}, the log "
                                f"ends at {expected_seq - 1} ({prev[:12]}): rows cut off the end")
        elif n:
            problems.append("audit.head is missing")
        return Verification(ok=not problems, rows=n, problems=problems)

    def _read_head(self) -> tuple[int, str] | str:
        """The head file's (row count, last hash), or a problem saying why it cannot be read."""
        name = self.head_path.name
        try:
            text = self.head_path.read_bytes()[:4096].decode("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            return f"{name} is unreadable ({type(exc).__name__}): it was replaced or damaged"
        seq, _, digest = text.strip().partition(" ")
        if not text.strip():
            return f"{name} is empty: it was truncated or replaced"
        if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return f"{name} does not hold '<rows> <sha256>' (starts {text[:20]!r}): it was replaced or damaged"
        return int(seq), digest

    def verify_or_raise(self) -> Verification:
        """:meth:`verify`, raising ``AuditTampered`` with the first problem when it fails."""
        result = self.verify()
        if not result.ok:
            raise AuditTampered(f"audit log tampered: {result.problems[0]} "
                                f"({len(result.problems)} problem(s))")
        return result

    def export_jsonl(self, path: Path | None = None) -> Path:
        """Write every row as JSON lines (atomically: temp file then rename); return the path."""
        path = Path(path) if path else self.path.with_suffix(".jsonl")
        tmp = path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            for row in self.rows():
                fh.write(json.dumps(row, default=str) + "\n")
        tmp.replace(path)
        return path

    def to_duckdb(self, con: Any, view: str = "audit_log") -> str:
        """Export to JSON lines and create (or replace) a DuckDB view over it; return its name.

        Example:
            >>> import duckdb
            >>> con = duckdb.connect()
            >>> AuditLog().to_duckdb(con)
            'audit_log'
        """
        path = self.export_jsonl()
        if path.stat().st_size == 0:
            # read_json_auto cannot infer columns from an empty file: give it the schema
            cols = ", ".join(f"NULL::VARCHAR AS {c}" for c in (*FIELDS, "hash"))
            con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {cols} WHERE false")
        else:
            con.execute(f"CREATE OR REPLACE VIEW {view} AS "
                        f"SELECT * FROM read_json_auto('{path.as_posix()}')")
        return view
