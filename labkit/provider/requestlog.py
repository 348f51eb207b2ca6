"""The provider's log of every attempt it saw, faulted ones included.

Tests and notebooks use it to count attempts, measure the gaps between retries, and prove
what reached the provider (``prompt_text``, ``pii_seen``). Entries live in memory (the last
``size`` of them) and, when a path is configured, are appended as JSON lines.

The file is appended in batches (at most 0.2 s or 256 entries behind; flushed on read,
on server stop and at exit). ``pii_seen`` uses the provider's own deliberately simple regexes, not
``labkit.controls.pii``: a bug in the control under test must not be able to hide itself.
They over-match on purpose (any 13-19 digit run counts as a card).

Example:
    >>> log = RequestLog(size=2)
    >>> _ = log.add({"status": 200, "prompt_text": "mail me at a@b.co"})
    >>> log.entries()[0]["pii_seen"]
    True
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import orjson

PII_SHAPES = {
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone": re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{3,4}[ .-]\d{3,4}(?:[ .-]\d{2,4})?"),
    "card": re.compile(r"\b(?:\d[ -]?){13,19}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "nino": re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
    "ip": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
}


_DIGIT = re.compile(r"\d")


def pii_shapes(text: str) -> list[str]:
    """Names of the PII shapes found in ``text`` (empty list: none)."""
    return [name for name, rx in PII_SHAPES.items() if rx.search(text)]


def pii_seen(text: str) -> bool:
    """True when ``text`` contains any PII-shaped string.

    Cheap checks first (this runs on every request): every shape but e-mail needs a digit.
    """
    if "@" in text and PII_SHAPES["email"].search(text):
        return True
    if not _DIGIT.search(text):
        return False
    return any(rx.search(text) for name, rx in PII_SHAPES.items() if name != "email")


class RequestLog:
    """A bounded, thread-safe list of request records, optionally mirrored to a JSONL file."""

    def __init__(self, size: int = 100_000, path: str | Path | None = None) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0
        self.path = Path(path) if path else None
        self._buffer: list[bytes] = []
        self._flushed = time.monotonic()
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atexit.register(self.flush)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Record one attempt; fills ``seq``, ``time`` and ``pii_seen`` if missing.

        Keys starting with ``_`` are the server's private bookkeeping and are not kept.
        """
        entry = {k: v for k, v in entry.items() if not k.startswith("_")}
        entry.setdefault("time", time.time())
        if "pii_seen" not in entry:
            entry["pii_seen"] = pii_seen(entry.get("prompt_text") or "")
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            if self.path:
                self._buffer.append(orjson.dumps(entry, default=str) + b"\n")
                now = time.monotonic()
                # batch the appends: one write per request costs more than the request itself
                if len(self._buffer) >= 256 or now - self._flushed >= 0.2:
                    self._flush_locked(now)
        return entry

    def _flush_locked(self, now: float) -> None:
        if self._buffer and self.path:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, b"".join(self._buffer))
            finally:
                os.close(fd)
            self._buffer.clear()
        self._flushed = now

    def flush(self) -> None:
        """Write any buffered lines to the JSONL file now."""
        with self._lock:
            self._flush_locked(time.monotonic())

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        """Copies of the records with ``seq`` greater than ``since``, oldest first."""
        with self._lock:
            self._flush_locked(time.monotonic())
            return [dict(e) for e in self._entries if e["seq"] > since]

    def clear(self) -> None:
        """Forget the in-memory records (the JSONL file, if any, is kept)."""
        with self._lock:
            self._entries.clear()
