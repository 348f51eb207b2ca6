"""Writes off the request path: a background thread that writes what callers queue.

The gateway records two things per request besides answering it: telemetry events
(:func:`labkit.telemetry.events.emit`) and cost-ledger rows (:class:`QueuedLedger`). Written on
the request path they cost a few syscalls and an SQLite commit each; here the caller only puts
the item in a queue and one thread writes what accumulated, in batches, every ``interval_s``.

Guarantees:

- nothing is dropped: the queue is bounded (``max_pending``); a caller that finds it full
  wakes the writer and waits for room (back-pressure, not loss);
- :meth:`BackgroundWriter.flush` returns once everything queued before it is written;
  :meth:`BackgroundWriter.close` flushes, then stops the thread; an ``atexit`` hook closes
  writers still open when the interpreter exits normally, so a clean stop loses nothing;
- a batch that fails to write is reported on stderr with its size (never silently).

It does not order writes across processes or retry a failed write. Why not the standard
library's ``logging.handlers.QueueListener``: it wakes its thread for every record (a GIL
hand-off per event, the cost being removed) and has no flush-and-wait.

Example:
    >>> written = []
    >>> writer = BackgroundWriter("demo", written.extend)
    >>> writer.put(1), writer.put(2), writer.flush(), written
    (True, True, True, [1, 2])
    >>> writer.close()
"""

from __future__ import annotations

import atexit
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_open_writers: weakref.WeakSet[BackgroundWriter[object]] = weakref.WeakSet()
DEFAULT_INTERVAL_S = 0.05  # how often a writer wakes to write its queue (read at construction)


class BackgroundWriter(Generic[T]):
    """One thread that passes queued items, in batches, to ``write_batch``."""

    def __init__(self, name: str, write_batch: Callable[[list[T]], object], *,
                 max_pending: int = 10_000, interval_s: float | None = None) -> None:
        self.name = name
        self._write_batch = write_batch
        self.max_pending = max_pending
        self.interval_s = DEFAULT_INTERVAL_S if interval_s is None else interval_s
        self._items: list[T] = []
        self._cond = threading.Condition()
        self._queued = 0    # items put so far
        self._written = 0   # items handed to write_batch so far (written or reported failed)
        self._closing = False
        self.failed = 0     # items in batches that raised
        self._thread = threading.Thread(target=self._run, name=f"labkit-writer-{name}", daemon=True)
        self._thread.start()
        _open_writers.add(self)  # type: ignore[arg-type]

    def put(self, item: T) -> bool:
        """Queue ``item`` (True); waits only while ``max_pending`` items are already waiting.

        False, and nothing queued, once the writer is closing: the caller writes it itself.
        """
        with self._cond:
            if self._closing:
                return False
            while len(self._items) >= self.max_pending:
                self._cond.notify_all()  # wake the writer now, then wait for room
                self._cond.wait(0.1)
            self._items.append(item)
            self._queued += 1
            # no notify: the writer wakes every interval_s and takes the whole batch (waking
            # it for every item would cost a thread switch per item)
            return True

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued before this call was written; False on timeout."""
        with self._cond:
            target = self._queued
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._written >= target or not self._thread.is_alive(),
                                       timeout_s)

    def close(self, timeout_s: float = 30.0) -> None:
        """Write everything queued, then stop the thread (idempotent)."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout_s)
        _open_writers.discard(self)  # type: ignore[arg-type]

    def pending(self) -> int:
        """Items queued and not yet written."""
        with self._cond:
            return self._queued - self._written

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._items and not self._closing:
                    self._cond.wait(self.interval_s)
                batch, self._items = self._items, []
                closing = self._closing
                self._cond.notify_all()  # room for callers waiting in put()
            if batch:
                try:
                    self._write_batch(batch)
                except Exception as exc:  # reported, never silent; the writer keeps running
                    self.failed += len(batch)
                    print(f"labkit writer {self.name}: {len(batch)} item(s) not written: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
                with self._cond:
                    self._written += len(batch)
                    self._cond.notify_all()  # flush() waiters
            elif closing:
                return


@atexit.register
def _close_open_writers() -> None:
    """A clean interpreter exit writes what is still queued."""
    for writer in list(_open_writers):
        writer.close()
