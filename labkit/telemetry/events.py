"""Structured telemetry events as JSON lines under ``var/telemetry/``.

Every part of the lab reports what happened through :func:`emit`: one JSON object per line,
one file per event kind and day (``var/telemetry/<kind>-YYYY-MM-DD.jsonl``), appended with a
single ``write`` so lines from several threads or processes do not interleave. DuckDB reads
them with ``read_json_auto`` (see ``labkit.telemetry.views``).

A server can move the writing off its request path (:func:`start_background_writer`, used by
the gateway): :func:`emit` then builds and serialises the event as before and queues the line;
one thread appends the queued lines (a batch per file, one ``write`` each) every 50 ms.
:func:`flush` waits for them; :func:`read_events` and the views flush first, so a reader in
the same process sees every event emitted before it read.

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
import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from labkit.settings import var_dir
from labkit.telemetry.writer import BackgroundWriter

_lock = threading.Lock()
# kind -> (path, fd): each event file stays open for appending (one write per event instead of
# open + write + close; about a third of an event's cost on the client's hot path)
_open: dict[str, tuple[Path, int]] = {}
# the background writer while some server asked for one (see start_background_writer)
_writer: BackgroundWriter[tuple[str, Path, bytes]] | None = None
_writer_users = 0


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


# Event ids: random version-4 UUIDs (32 hex digits, as uuid4().hex) drawn from a generator
# seeded from the OS once per process (and again in a forked child), not from os.urandom per
# event: that is a system call per event, ~3% of a gateway request's CPU (py-spy). Ids only
# need to be unique, not unpredictable.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A random version-4 UUID as 32 hex digits, like ``uuid.uuid4().hex`` without the system call.

    Used for event ids and for the resilient client's call ids (one per request each).

    Example:
        >>> i = new_id(); len(i), i[12], i[16] in "89ab"  # version 4, RFC 4122 variant
        (32, '4', True)
    """
    return f"{(_ids.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"


# (LABKIT_VAR as set, kind, UTC day number) -> the event file's path: strftime and a Path join
# per event cost more than the write itself. Keyed by the variable's text, not by the folder:
# the folder's lookup (telemetry_dir: an lru_cache call, then hashing a Path) cost about as much
# as the rest of the path step, twice per gateway request (round 15); the folder follows from
# the text, so the key still changes exactly when the folder does.
_paths: dict[tuple[str, str, int], Path] = {}


def _event_path(kind: str, now: float) -> Path:
    key = (os.environ.get("LABKIT_VAR", ""), kind, int(now // 86400))
    path = _paths.get(key)
    if path is None:
        if len(_paths) > 4096:  # many days or folders in one process (tests): start again
            _paths.clear()
        day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")
        path = _paths[key] = _telemetry_dir_for(key[0]) / f"{kind}-{day}.jsonl"
    return path


# (whole second, its ISO 8601 text to the seconds): every event of the same second shares the
# date and time part, so only the microseconds are formatted per event (a datetime and its
# isoformat() per event cost ~4 us, a quarter of an event's CPU)
_second: tuple[int, str] = (-1, "")


def iso_utc(now: float) -> str:
    """``now`` (Unix seconds) as ISO 8601 UTC with microseconds, like ``datetime.isoformat()``
    (which leaves out a zero microsecond; this always writes six digits).

    Example:
        >>> iso_utc(1767225600.25)
        '2026-01-01T00:00:00.250000+00:00'
    """
    global _second
    sec = int(now)
    micro = round((now - sec) * 1e6)  # half to even, as datetime.fromtimestamp rounds
    if micro >= 1_000_000:
        sec, micro = sec + 1, micro - 1_000_000
    cached = _second
    if cached[0] != sec:
        cached = _second = (sec, datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{cached[1]}.{micro:06d}+00:00"


def emit(kind: str, **fields: Any) -> dict[str, Any]:
    """Append one event of ``kind`` with ``fields``; returns the event as written."""
    return emit_fields(kind, fields)


def emit_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """:func:`emit` with the fields as one dict (the resilient client's events: not re-packed)."""
    now = time.time()
    event: dict[str, Any] = {
        "event_id": new_id(),
        "kind": kind,
        "ts": iso_utc(now),
        "unix_ts": now,
        **fields,
    }
    # orjson: ~10x json.dumps; numbers stay numbers (numpy's too), anything else str(), as before
    line = orjson.dumps(event, default=_plain, option=_ORJSON_OPTIONS)
    path = _event_path(kind, now)
    writer = _writer
    if writer is not None and writer.put((kind, path, line)):
        return event  # a server's request path: the writer thread writes the line
    with _lock:
        # one write() per line with O_APPEND: lines of several threads or processes never interleave
        os.write(_fd_for(kind, path), line)
    return event


def _write_lines(batch: list[tuple[str, Path, bytes]]) -> None:
    """The writer thread's job: each file's queued lines in one ``write`` (O_APPEND)."""
    by_file: dict[tuple[str, Path], list[bytes]] = {}
    for kind, path, line in batch:
        by_file.setdefault((kind, path), []).append(line)
    with _lock:
        for (kind, path), lines in by_file.items():
            os.write(_fd_for(kind, path), b"".join(lines))


def start_background_writer() -> None:
    """Queue events for a writer thread from now on (counted: each start needs a stop)."""
    global _writer, _writer_users
    with _lock:
        _writer_users += 1
        if _writer is None:
            _writer = BackgroundWriter("telemetry", _write_lines)


def stop_background_writer() -> None:
    """Undo one :func:`start_background_writer`; the last one writes the queue and stops the thread."""
    global _writer, _writer_users
    with _lock:
        _writer_users = max(0, _writer_users - 1)
        writer = _writer if _writer_users == 0 else None
        if writer is not None:
            _writer = None  # new events are written directly again
    if writer is not None:
        writer.close()  # outside _lock: the writer thread takes it to write


def flush() -> None:
    """Wait until every event emitted so far is in its file (immediate without a writer)."""
    writer = _writer
    if writer is not None:
        writer.flush()


def read_events(kind: str) -> list[dict[str, Any]]:
    """All events of ``kind`` written so far (oldest first); for tests and small reports."""
    flush()
    events: list[dict[str, Any]] = []
    for path in sorted(telemetry_dir().glob(f"{kind}-*.jsonl")):
        with path.open() as fh:
            events.extend(json.loads(line) for line in fh if line.strip())
    return events
