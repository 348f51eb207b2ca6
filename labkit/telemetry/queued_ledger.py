"""The cost ledger with its rows written off the request path (the gateway's ledger).

:class:`QueuedLedger` is :class:`labkit.controls.budget.CostLedger` (same table, same insert,
same budget check) whose :meth:`~QueuedLedger.record` queues the row for a
:class:`~labkit.telemetry.writer.BackgroundWriter` instead of committing it on the caller's
thread. What the budget sees does not change: :meth:`~QueuedLedger.spend` adds the billed rows
still queued to what the table holds, under one lock with the writer, so a row is counted
exactly once whether it is queued, being written or stored. :meth:`~QueuedLedger.rows` and
:meth:`~QueuedLedger.close` write the queue first.

Differences from the direct ledger, and why they are acceptable: a row's ``ts`` (and ``day``)
is the time it was written, up to ``interval_s`` (50 ms) after the call (a call in the last
50 ms of a UTC day may be booked on the next day); another process reading the SQLite file
sees a row that much later.

Example:
    >>> import tempfile, pathlib
    >>> ledger = QueuedLedger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> ledger.record(kind="completion", key="k", pattern="direct", model_requested="m",
    ...               model_served="m", tokens_in=10, tokens_out=5, cost=0.25)
    >>> ledger.spend(key="k"), len(ledger.rows())
    (0.25, 1)
    >>> ledger.close()
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from labkit.controls.budget import CostLedger, _today
from labkit.telemetry.writer import BackgroundWriter

_BILLED = {"completion", "embedding"}  # CostLedger.record bills these kinds only


class QueuedLedger(CostLedger):
    """A :class:`CostLedger` whose inserts run on a background writer thread."""

    def __init__(self, path: Path | str | None = None, *, interval_s: float | None = None,
                 max_pending: int = 10_000) -> None:
        super().__init__(path)
        # rows queued or being written, by sequence number (_queue_lock: held for a dict
        # operation only, so record() never waits for an insert). The writer inserts a batch
        # and removes it from _pending while holding _write_lock, which spend() holds too:
        # spend() never counts a row twice (stored and queued) or not at all.
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: dict[int, dict[str, Any]] = {}
        self._seq = 0
        self._writer: BackgroundWriter[tuple[int, dict[str, Any]]] = BackgroundWriter(
            "ledger", self._write_rows, max_pending=max_pending, interval_s=interval_s)

    def record(self, *, kind: str, key: str, pattern: str, model_requested: str | None,
               model_served: str | None, tokens_in: int = 0, tokens_out: int = 0,
               cost: float = 0.0, request_id: str | None = None) -> None:
        """Queue one row (written by the writer thread with :meth:`CostLedger.record`)."""
        row = {"kind": kind, "key": key, "pattern": pattern, "model_requested": model_requested,
               "model_served": model_served, "tokens_in": tokens_in, "tokens_out": tokens_out,
               "cost": cost, "request_id": request_id}
        with self._queue_lock:
            self._seq += 1
            seq = self._seq
            self._pending[seq] = row
        if not self._writer.put((seq, row)):  # closing: write it here
            self._write_rows([(seq, row)])

    def _write_rows(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        """Insert a batch in one transaction with one ``executemany``, then unqueue it.

        Each row's values are made as :meth:`CostLedger.record` makes them (a row it would
        refuse is refused alone); the batch shares one ``ts`` and ``day``, the time it is
        written. One statement for the batch instead of one per row: the writer thread holds
        the GIL for about a third as long (it shares the CPU with the gateway's event loop).
        If the database refuses the batch, each row is tried alone so only the bad one is lost.
        """
        with self._write_lock:
            try:
                ts, day = time.time(), _today()
                refused: list[Exception] = []
                values = []
                for _, row in batch:
                    try:
                        values.append(CostLedger._values(ts, day, **row))
                    except Exception as exc:  # this row only; the rest of the batch is kept
                        refused.append(exc)
                with self._lock:
                    self._conn.execute("BEGIN")
                    try:
                        self._conn.execute("SAVEPOINT batch")
                        try:
                            self._conn.executemany(self._INSERT, values)
                            self._conn.execute("RELEASE batch")
                        except sqlite3.Error:
                            # the batch was refused part-way: undo its rows, then each row alone
                            self._conn.execute("ROLLBACK TO batch")
                            self._conn.execute("RELEASE batch")
                            for one in values:
                                try:
                                    self._conn.execute(self._INSERT, one)
                                except sqlite3.Error as exc:
                                    refused.append(exc)
                    finally:
                        self._conn.execute("COMMIT")
                if refused:  # the writer reports it on stderr
                    raise RuntimeError(f"{len(refused)} of {len(batch)} ledger row(s) refused: {refused[0]}")
            finally:  # stored, or reported by the writer as not written
                with self._queue_lock:
                    for seq, _ in batch:
                        del self._pending[seq]

    def spend(self, *, key: str | None = None, pattern: str | None = None,
              day: str | None = None) -> float:
        """Billed USD for ``day`` (default today): the table's rows plus the queued ones."""
        with self._write_lock:
            stored = super().spend(key=key, pattern=pattern, day=day)
            if day is not None and day != _today():
                return stored  # queued rows are booked today
            with self._queue_lock:
                queued = sum(float(r["cost"]) for r in self._pending.values()
                             if r["kind"] in _BILLED and (key is None or r["key"] == key)
                             and (pattern is None or r["pattern"] == pattern))
        return stored + queued

    def flush(self) -> None:
        """Wait until every queued row is in the table."""
        self._writer.flush()

    def stop_writer(self) -> None:
        """Write the queue and stop the writer thread; later rows are written directly."""
        self._writer.close()

    def rows(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every row (optionally of one kind), oldest first; the queue is written first."""
        self.flush()
        return super().rows(kind)

    def close(self) -> None:
        """Write the queue, stop the writer, close the database."""
        self._writer.close()
        super().close()
