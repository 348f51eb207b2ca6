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

import contextlib
import functools
import json
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from labkit.settings import var_dir

_lock = threading.Lock()
# kind -> (path, fd): each event file stays open for appending (one write per event instead of
# open + write + close; about a third of an event's cost on the client's hot path)
_open: dict[str, tuple[Path, int]] = {}


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


def _fd_for(kind: str, path: Path) -> int:
    """An append-only descriptor of ``path`` (held by ``_lock``'s owner).

    Re-opened when the day (so the path) or LABKIT_VAR changed, or when the file at the path is
    no longer the one held: deleted (``labkit reset``) or moved away (the runner archives the
    telemetry folder); writing to it would lose the events or put them in the archive.
    """
    held = _open.get(kind)
    if held is not None:
        held_path, fd = held
        try:
            # the same file still at that path: not deleted, and not moved away (archived)
            held_stat, path_stat = os.fstat(fd), os.stat(path)
            alive = held_path == path and (held_stat.st_dev, held_stat.st_ino) == (path_stat.st_dev, path_stat.st_ino)
        except OSError:
            alive = False
        if alive:
            return fd
        with contextlib.suppress(OSError):
            os.close(fd)
        del _open[kind]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # var/ was reset while we ran
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    _open[kind] = (path, fd)
    return fd


_ORJSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _plain(value: Any) -> Any:
    """What orjson cannot write itself: float/int subclasses as numbers, the rest as str()."""
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


def emit(kind: str, **fields: Any) -> dict[str, Any]:
    """Append one event of ``kind`` with ``fields``; returns the event as written."""
    now = time.time()
    stamp = datetime.fromtimestamp(now, tz=UTC)
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "kind": kind,
        "ts": stamp.isoformat(),
        "unix_ts": now,
        **fields,
    }
    # orjson: ~10x json.dumps; numbers stay numbers (numpy's too), anything else str(), as before
    line = orjson.dumps(event, default=_plain, option=_ORJSON_OPTIONS)
    path = telemetry_dir() / f"{kind}-{stamp.strftime('%Y-%m-%d')}.jsonl"
    with _lock:
        # one write() per line with O_APPEND: lines of several threads or processes never interleave
        os.write(_fd_for(kind, path), line)
    return event


def read_events(kind: str) -> list[dict[str, Any]]:
    """All events of ``kind`` written so far (oldest first); for tests and small reports."""
    events: list[dict[str, Any]] = []
    for path in sorted(telemetry_dir().glob(f"{kind}-*.jsonl")):
        with path.open() as fh:
            events.extend(json.loads(line) for line in fh if line.strip())
    return events
