"""The embedded job-queue backend: one SQLite file in WAL mode, shared by local processes.

Why plain SQLite and not a library: the queue is a single table, and every state change is one
short write transaction (claim is one ``UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING``),
which SQLite serialises for us across processes. WAL mode lets readers (status, stats) run
while a worker writes. ``synchronous=NORMAL`` survives any process crash (SIGKILL included);
only a power loss can drop the last few transactions — the price of >1000 claims per second.

Leases: ``lease_expires_at`` on running rows. Any claimer first re-queues rows whose lease has
run out (at most every ``reap_interval_s``), so a crashed worker's job is delivered again
without a separate supervisor. On its last attempt such a job goes to the DLQ instead, so a
job that kills its worker every time cannot loop for ever.

Side effects: ``effects`` holds one row per effect key (``INSERT OR IGNORE``); the same
transaction appends to ``effect_log`` only if the insert took. The ledger therefore shows
every real application, and a key appearing twice in it would mean the guard failed. The
``effects`` row also names the job, which is how :meth:`SQLiteQueue.reconcile` finds a dead job
whose effect was applied (one ``UPDATE … FROM effects``).

Time: ``now`` comes from the queue's ``clock`` (see :mod:`labkit.jobs.queue`); ``sweep`` also
takes an explicit ``now``.

It does not shard, replicate or work across machines (use the Redis backend for that), and it
needs a local filesystem (SQLite locking is unreliable on network shares).

Example:
    >>> import tempfile, os
    >>> q = SQLiteQueue(os.path.join(tempfile.mkdtemp(), "q.db"))
    >>> q.submit("noop", priority=1).status
    'queued'
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from labkit.errors import DataError, InputError, JobNotFound
from labkit.jobs.base import JobQueue
from labkit.jobs.models import Job, QueueStats, WorkerInfo, new_job_id
from labkit.sqlitewal import enable_wal

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    deferrals INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    available_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    lease_expires_at REAL,
    worker_id TEXT,
    result TEXT,
    last_error TEXT,
    dead_reason TEXT,
    result_ttl_s REAL NOT NULL,
    result_expires_at REAL,
    expires_at REAL,
    history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS ix_jobs_ready ON jobs(queue, priority DESC, available_at, seq)
    WHERE status IN ('queued', 'failed');
CREATE INDEX IF NOT EXISTS ix_jobs_lease ON jobs(lease_expires_at) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS ix_jobs_status ON jobs(queue, status);
CREATE TABLE IF NOT EXISTS effects (
    effect_key TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    value TEXT,
    applied_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_effects_job ON effects(job_id);
CREATE TABLE IF NOT EXISTS effect_log (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    effect_key TEXT NOT NULL,
    job_id TEXT NOT NULL,
    applied_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at REAL NOT NULL,
    last_heartbeat REAL NOT NULL,
    in_flight INTEGER NOT NULL DEFAULT 0,
    stopped_at REAL
);
"""

_JOB_COLUMNS = ("id", "queue", "kind", "payload", "priority", "idempotency_key", "status",
                "attempts", "max_attempts", "deferrals", "created_at", "available_at", "started_at",
                "finished_at", "lease_expires_at", "worker_id", "result", "last_error",
                "dead_reason", "result_ttl_s", "result_expires_at", "expires_at", "history")
_SELECT = "SELECT " + ", ".join(_JOB_COLUMNS) + " FROM jobs"

# closes the newest attempt in the JSON history (only when it is the attempt we think it is)
_CLOSE_ATTEMPT = ("history = CASE WHEN attempts = :attempt THEN json_set(history, "
                  "'$[#-1].outcome', :outcome, '$[#-1].ended_at', :now, '$[#-1].error', :error) "
                  "ELSE history END")


class SQLiteQueue(JobQueue):
    """The embedded backend (see module docstring)."""

    def __init__(self, path: str | os.PathLike[str], url: str | None = None,
                 reap_interval_s: float = 0.25, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.url = url or f"sqlite:///{self.path}"
        self.reap_interval_s = reap_interval_s
        self._local = threading.local()
        self._last_reap = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._conn()
            columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
            if columns and "deferrals" not in columns:  # a queue file from before deferrals
                conn.execute("ALTER TABLE jobs ADD COLUMN deferrals INTEGER NOT NULL DEFAULT 0")
            conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataError(f"job queue database {self.path} is not usable: {exc}") from None

    # one connection per thread: sqlite3 connections must not be shared across threads
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        data = dict(row)
        data["payload"] = json.loads(data["payload"])
        data["result"] = json.loads(data["result"]) if data["result"] is not None else None
        data["history"] = json.loads(data["history"])
        return Job(**data)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` in one IMMEDIATE transaction (takes the write lock up front)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            out = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return out

    # --- producers ---------------------------------------------------------------------
    def _row_for(self, kind: str, payload: dict[str, Any] | None, queue: str, priority: int,
                 idempotency_key: str | None, max_attempts: int | None,
                 result_ttl_s: float | None, expires_in_s: float | None,
                 delay_s: float, now: float) -> dict[str, Any]:
        body, attempts, ttl = self._checked(kind, payload, queue, max_attempts, result_ttl_s)
        return dict(id=new_job_id(), queue=queue, kind=kind, payload=body, priority=int(priority),
                    idempotency_key=idempotency_key, status="queued", max_attempts=attempts,
                    created_at=now, available_at=now + max(0.0, delay_s), result_ttl_s=ttl,
                    expires_at=(now + expires_in_s) if expires_in_s else None)

    _INSERT = ("INSERT OR IGNORE INTO jobs (id, queue, kind, payload, priority, idempotency_key, "
               "status, max_attempts, created_at, available_at, result_ttl_s, expires_at) VALUES "
               "(:id, :queue, :kind, :payload, :priority, :idempotency_key, :status, "
               ":max_attempts, :created_at, :available_at, :result_ttl_s, :expires_at)")

    def submit(self, kind: str, payload: dict[str, Any] | None = None, *, queue: str = "default",
               priority: int = 0, idempotency_key: str | None = None,
               max_attempts: int | None = None, result_ttl_s: float | None = None,
               expires_in_s: float | None = None, delay_s: float = 0.0) -> Job:
        row = self._row_for(kind, payload, queue, priority, idempotency_key, max_attempts,
                            result_ttl_s, expires_in_s, delay_s, self.now())

        def insert(conn: sqlite3.Connection) -> Job:
            conn.execute(self._INSERT, row)
            if idempotency_key is not None:
                found = conn.execute(_SELECT + " WHERE idempotency_key = ?",
                                     (idempotency_key,)).fetchone()
            else:
                found = conn.execute(_SELECT + " WHERE id = ?", (row["id"],)).fetchone()
            return self._job(found)

        return self._write(insert)

    def submit_many(self, specs: list[dict[str, Any]]) -> list[str]:
        now = self.now()
        rows = []
        for spec in specs:
            spec = dict(spec)
            rows.append(self._row_for(
                spec.pop("kind"), spec.pop("payload", None), spec.pop("queue", "default"),
                spec.pop("priority", 0), spec.pop("idempotency_key", None),
                spec.pop("max_attempts", None), spec.pop("result_ttl_s", None),
                spec.pop("expires_in_s", None), spec.pop("delay_s", 0.0), now))
            if spec:
                raise InputError(f"unknown job fields: {sorted(spec)}")

        def insert(conn: sqlite3.Connection) -> list[str]:
            conn.executemany(self._INSERT, rows)
            ids = []
            for row in rows:
                if row["idempotency_key"] is None:
                    ids.append(row["id"])
                else:
                    ids.append(conn.execute("SELECT id FROM jobs WHERE idempotency_key = ?",
                                            (row["idempotency_key"],)).fetchone()[0])
            return ids

        return self._write(insert)

    # --- workers -----------------------------------------------------------------------
    def _reap(self, conn: sqlite3.Connection, now: float) -> int:
        """Re-queue running jobs whose lease ran out (dead-letter them on their last attempt)."""
        cur = conn.execute(
            "UPDATE jobs SET "
            " status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
            " dead_reason = CASE WHEN attempts >= max_attempts THEN 'lease_expired' ELSE dead_reason END,"
            " last_error = 'lease expired: worker ' || coalesce(worker_id, '?') || ' stopped heartbeating',"
            " finished_at = CASE WHEN attempts >= max_attempts THEN :now ELSE NULL END,"
            " history = json_set(history, '$[#-1].outcome', 'lease_expired', '$[#-1].ended_at', :now),"
            " available_at = :now, worker_id = NULL, lease_expires_at = NULL "
            "WHERE status = 'running' AND lease_expires_at < :now", {"now": now})
        return cur.rowcount

    def claim(self, queue: str, worker_id: str, lease_s: float) -> Job | None:
        now = self.now()
        attempt = json.dumps({"attempt": 0, "worker_id": worker_id, "started_at": now})

        def take(conn: sqlite3.Connection) -> Job | None:
            if now - self._last_reap >= self.reap_interval_s:
                self._reap(conn, now)
                self._last_reap = now
            row = conn.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = :w,"
                " started_at = :now, lease_expires_at = :lease,"
                " history = json_insert(history, '$[#]', json_set(json(:att), '$.attempt', attempts + 1)) "
                "WHERE id = (SELECT id FROM jobs WHERE queue = :q AND status IN ('queued', 'failed')"
                "  AND available_at <= :now AND (expires_at IS NULL OR expires_at > :now)"
                "  ORDER BY priority DESC, available_at, seq LIMIT 1) "
                "RETURNING " + ", ".join(_JOB_COLUMNS),
                {"w": worker_id, "now": now, "lease": now + lease_s, "q": queue, "att": attempt},
            ).fetchone()
            return self._job(row) if row is not None else None

        return self._write(take)

    def heartbeat(self, job_id: str, worker_id: str, attempt: int, lease_s: float) -> bool:
        cur = self._conn().execute(
            "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND worker_id = ? AND attempts = ?"
            " AND status = 'running'", (self.now() + lease_s, job_id, worker_id, attempt))
        return cur.rowcount == 1

    def complete(self, job_id: str, worker_id: str, attempt: int, result: Any) -> bool:
        now = self.now()
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise InputError(f"job result is not JSON-serialisable: {exc}") from None
        # a late worker whose lease was taken over may still finish first: its result counts,
        # and whoever comes second changes nothing (the result is written once)
        cur = self._conn().execute(
            "UPDATE jobs SET status = 'succeeded', result = :result, finished_at = :now,"
            " result_expires_at = :now + result_ttl_s, lease_expires_at = NULL, "
            + _CLOSE_ATTEMPT +
            " WHERE id = :id AND status NOT IN ('succeeded', 'dead', 'expired')",
            {"result": body, "now": now, "id": job_id, "attempt": attempt,
             "outcome": "succeeded", "error": None})
        return cur.rowcount == 1

    def fail(self, job_id: str, worker_id: str, attempt: int, error: str,
             retryable: bool = True) -> str:
        now = self.now()

        def record(conn: sqlite3.Connection) -> str:
            row = conn.execute("SELECT status, attempts, max_attempts, worker_id FROM jobs WHERE id = ?",
                               (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(f"no job {job_id}")
            if row["status"] != "running" or row["attempts"] != attempt:
                return str(row["status"])  # stale report from a worker that lost its lease
            if not retryable or row["attempts"] >= row["max_attempts"]:
                status, reason = "dead", ("non_retryable" if not retryable else "max_attempts")
                available = now
            else:
                status, reason = "failed", None
                available = now + self.retry.delay(row["attempts"])
            conn.execute(
                "UPDATE jobs SET status = :status, dead_reason = :reason, last_error = :error,"
                " available_at = :available, lease_expires_at = NULL, worker_id = NULL,"
                " finished_at = CASE WHEN :status = 'dead' THEN :now ELSE NULL END, "
                + _CLOSE_ATTEMPT + " WHERE id = :id",
                {"status": status, "reason": reason, "error": error[:2000], "available": available,
                 "now": now, "id": job_id, "attempt": attempt,
                 "outcome": "dead" if status == "dead" else "failed"})
            return status

        return self._write(record)

    def release(self, job_id: str, worker_id: str, attempt: int) -> bool:
        now = self.now()
        cur = self._conn().execute(
            "UPDATE jobs SET status = 'queued', attempts = attempts - 1, worker_id = NULL,"
            " lease_expires_at = NULL, available_at = :now, "
            + _CLOSE_ATTEMPT +
            " WHERE id = :id AND worker_id = :w AND attempts = :attempt AND status = 'running'",
            {"now": now, "id": job_id, "w": worker_id, "attempt": attempt,
             "outcome": "released", "error": None})
        return cur.rowcount == 1

    def defer(self, job_id: str, worker_id: str, attempt: int, delay_s: float,
              reason: str = "") -> bool:
        now = self.now()
        cur = self._conn().execute(
            "UPDATE jobs SET status = 'queued', attempts = attempts - 1, deferrals = deferrals + 1,"
            " worker_id = NULL, lease_expires_at = NULL, available_at = :available,"
            " last_error = :error, "
            + _CLOSE_ATTEMPT +
            " WHERE id = :id AND worker_id = :w AND attempts = :attempt AND status = 'running'",
            {"now": now, "available": now + max(0.0, delay_s), "id": job_id, "w": worker_id,
             "attempt": attempt, "outcome": "deferred", "error": reason[:2000] or None})
        return cur.rowcount == 1

    # --- inspection and operations -------------------------------------------------------
    def get(self, job_id: str) -> Job:
        row = self._conn().execute(_SELECT + " WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job {job_id}")
        return self._job(row)

    def list_jobs(self, queue: str | None = None, status: str | None = None,
                  limit: int = 100) -> list[Job]:
        sql = _SELECT + " WHERE 1 = 1"
        args: list[str | int] = []
        if queue:
            sql += " AND queue = ?"
            args.append(queue)
        if status:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(int(limit))
        return [self._job(r) for r in self._conn().execute(sql, args).fetchall()]

    def replay(self, job_ids: list[str] | None = None, queue: str | None = None) -> int:
        now = self.now()
        sql = ("UPDATE jobs SET status = 'queued', attempts = 0, deferrals = 0, available_at = ?,"
               " dead_reason = NULL,"
               " finished_at = NULL, worker_id = NULL WHERE status = 'dead'")
        args: list[Any] = [now]
        if job_ids:
            sql += " AND id IN ({})".format(",".join("?" * len(job_ids)))
            args += list(job_ids)
        elif queue:
            sql += " AND queue = ?"
            args.append(queue)
        else:
            raise InputError("replay needs job ids or a queue name")
        return self._write(lambda conn: conn.execute(sql, args).rowcount)

    def stats(self, queue: str = "default") -> QueueStats:
        conn = self._conn()
        now = self.now()
        counts = dict.fromkeys(("queued", "running", "failed", "succeeded", "dead", "expired"), 0)
        for status, n in conn.execute("SELECT status, count(*) FROM jobs WHERE queue = ? GROUP BY status",
                                      (queue,)):
            counts[status] = n
        oldest = conn.execute("SELECT min(created_at) FROM jobs WHERE queue = ? AND status IN "
                              "('queued', 'failed')", (queue,)).fetchone()[0]
        alive = conn.execute("SELECT count(*) FROM workers WHERE queue = ? AND stopped_at IS NULL"
                             " AND last_heartbeat > ?", (queue, now - 30)).fetchone()[0]
        return QueueStats(queue=queue, depth=counts["queued"] + counts["failed"],
                          oldest_age_s=max(0.0, now - oldest) if oldest else 0.0,
                          workers_alive=alive, **counts)

    def queues(self) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT DISTINCT queue FROM jobs ORDER BY 1")]

    def counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self._conn().execute("SELECT status, count(*) FROM jobs GROUP BY 1")}

    def sweep(self, now: float | None = None) -> dict[str, int]:
        now = self.now() if now is None else now

        def run(conn: sqlite3.Connection) -> dict[str, int]:
            results = conn.execute(
                "UPDATE jobs SET status = 'expired', result = NULL WHERE status = 'succeeded'"
                " AND result_expires_at <= ?", (now,)).rowcount
            stale = conn.execute(
                "UPDATE jobs SET status = 'expired', finished_at = ?, last_error = 'expired before it ran'"
                " WHERE status IN ('queued', 'failed') AND expires_at IS NOT NULL AND expires_at <= ?",
                (now, now)).rowcount
            reconciled = len(self._reconcile(conn, now))
            purged = conn.execute(
                "DELETE FROM jobs WHERE status IN ('dead', 'expired') AND"
                " coalesce(finished_at, created_at) + ? <= ?", (self.failure_retention_s, now)).rowcount
            return {"results_expired": results, "stale_expired": stale, "purged": purged,
                    "reconciled": reconciled}

        return self._write(run)

    @staticmethod
    def _reconcile(conn: sqlite3.Connection, now: float) -> list[str]:
        rows = conn.execute(
            "UPDATE jobs SET status = 'succeeded', finished_at = :now,"
            " result = json_object('reconciled', json('true'), 'was', dead_reason,"
            "   'effect', json(coalesce(e.value, 'null'))),"
            " result_expires_at = :now + result_ttl_s, dead_reason = NULL,"
            " history = json_insert(history, '$[#]', json_object('attempt', attempts,"
            "   'worker_id', 'reconciler', 'started_at', :now, 'ended_at', :now,"
            "   'outcome', 'reconciled', 'error', 'effect applied before the job went dead (' ||"
            "   dead_reason || '); last error: ' || coalesce(last_error, '-'))) "
            "FROM effects AS e WHERE e.job_id = jobs.id AND jobs.status = 'dead'"
            " AND jobs.dead_reason IN ('max_attempts', 'lease_expired') RETURNING jobs.id",
            {"now": now}).fetchall()
        return [r[0] for r in rows]

    def reconcile(self, now: float | None = None) -> list[str]:
        now = self.now() if now is None else now
        return self._write(lambda conn: self._reconcile(conn, now))

    # --- side effects --------------------------------------------------------------------
    def apply_effect(self, effect_key: str, job_id: str, value: Any) -> bool:
        now = self.now()

        def apply(conn: sqlite3.Connection) -> bool:
            took = conn.execute("INSERT OR IGNORE INTO effects (effect_key, job_id, value, applied_at)"
                                " VALUES (?, ?, ?, ?)",
                                (effect_key, job_id, json.dumps(value), now)).rowcount == 1
            if took:
                conn.execute("INSERT INTO effect_log (effect_key, job_id, applied_at) VALUES (?, ?, ?)",
                             (effect_key, job_id, now))
            return took

        return self._write(apply)

    def effect_counts(self) -> dict[str, int]:
        conn = self._conn()
        applied = conn.execute("SELECT count(*) FROM effects").fetchone()[0]
        ledger = conn.execute("SELECT count(*) FROM effect_log").fetchone()[0]
        dups = conn.execute("SELECT count(*) FROM (SELECT effect_key FROM effect_log GROUP BY 1"
                            " HAVING count(*) > 1)").fetchone()[0]
        return {"applied": applied, "ledger": ledger, "duplicates": dups}

    def execution_counts(self) -> dict[str, int]:
        row = self._conn().execute(
            "SELECT count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0) FROM (SELECT (SELECT count(*)"
            " FROM json_each(history) WHERE coalesce(json_extract(value, '$.outcome'), '')"
            " NOT IN ('released', 'deferred', 'reconciled')) AS n"
            " FROM jobs)").fetchone()
        return {"executed_more_than_once": row[0], "executions": row[1]}

    # --- worker registry -------------------------------------------------------------------
    def register_worker(self, info: WorkerInfo) -> None:
        self._conn().execute(
            "INSERT OR REPLACE INTO workers (worker_id, queue, pid, host, started_at, last_heartbeat,"
            " in_flight, stopped_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (info.worker_id, info.queue, info.pid, info.host, info.started_at, info.last_heartbeat,
             info.in_flight, info.stopped_at))

    def worker_heartbeat(self, worker_id: str, in_flight: int) -> None:
        self._conn().execute("UPDATE workers SET last_heartbeat = ?, in_flight = ? WHERE worker_id = ?",
                             (self.now(), in_flight, worker_id))

    def worker_stopped(self, worker_id: str) -> None:
        self._conn().execute("UPDATE workers SET stopped_at = ?, in_flight = 0 WHERE worker_id = ?",
                             (self.now(), worker_id))

    def workers(self, queue: str | None = None) -> list[WorkerInfo]:
        sql, args = "SELECT * FROM workers", []
        if queue:
            sql += " WHERE queue = ?"
            args.append(queue)
        return [WorkerInfo(**dict(r)) for r in self._conn().execute(sql + " ORDER BY started_at", args)]

