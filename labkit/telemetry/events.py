"""Structured telemetry events as JSON lines under ``var/telemetry/``.

Every part of the lab reports what happened through :func:`emit`: one JSON object per line,
one file per event kind and day (``var/telemetry/<kind>-YYYY-MM-DD.jsonl``), appended with a
single ``write`` so lines from several threads or processes do not interleave. DuckDB reads
them with ``read_json_auto`` (see ``labkit.telemetry.views``).

It does not aggregate, sample or ship events anywhere: dashboards and alert rules read the
files.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> event = emit("call", pattern="direct", status="ok", latency_ms=12.5)
    >>> event["kind"], event["pattern"]
    ('call', 'direct')
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.settings import var_dir

_lock = threading.Lock()


def telemetry_dir() -> Path:
    """The folder the event files live in (created on first use)."""
    return _telemetry_dir_for(os.environ.get("LABKIT_VAR", ""))


@functools.lru_cache(maxsize=16)
def _telemetry_dir_for(_var_env: str) -> Path:
    # Resolving and creating var/ cost about half of each event on the client's hot path;
    # cache per LABKIT_VAR value (tests switch it) and re-create in emit() if it was removed.
    path = var_dir() / "telemetry"
    path.mkdir(parents=True, exist_ok=True)
    return path


def emit(kind: str, **fields: Any) -> dict[str, Any]:
    """Append one event of ``kind`` with ``fields``; returns the event as written."""
    now = time.time()
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "kind": kind,
        "ts": datetime.fromtimestamp(now, tz=UTC).isoformat(),
        "unix_ts": now,
        **fields,
    }
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")
    line = (json.dumps(event, default=str, separators=(",", ":")) + "\n").encode()
    path = telemetry_dir() / f"{kind}-{day}.jsonl"
    with _lock:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except FileNotFoundError:  # var/ was reset while we ran
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return event


def read_events(kind: str) -> list[dict[str, Any]]:
    """All events of ``kind`` written so far (oldest first); for tests and small reports."""
    events: list[dict[str, Any]] = []
    for path in sorted(telemetry_dir().glob(f"{kind}-*.jsonl")):
        with path.open() as fh:
            events.extend(json.loads(line) for line in fh if line.strip())
    return events
