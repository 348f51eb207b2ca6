"""What the subprocess Locust benchmarks share: waiting for a server, one Locust run, its summary, the result file.

``bench_provider.py``, ``bench_gateway.py`` and ``bench_locust_truth.py`` start servers as their
own processes and drive them with headless Locust runs (``python -m locust ... --csv PREFIX``);
this module is the one copy of that plumbing. Each script keeps its own locustfile, probe
request and tables. The process helpers (``free_port``, CPU pinning) are the package's
(:mod:`labkit.serving`, which ``labkit loadtest`` uses too); ``free_port`` is re-exported here.

It does not start servers or build results (:func:`write_result` only stamps and writes the
result each script built). (``labkit.service.loadrun`` runs ``labkit loadtest``: the service's
own Locust file, profiles, master and workers, results in DuckDB; these benchmarks need a run on
their own locustfile that returns its CSV rows, hence this one.)

Example:
    >>> port = free_port()
    >>> 0 < port < 65536
    True
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx

from labkit.serving import free_port, on_cpus

__all__ = ["free_port", "run_locust", "summary_row", "wait_up", "write_result"]


def probe_models(url: str) -> None:
    """A server's readiness probe for :func:`wait_up`: ``GET /v1/models`` (the mock provider, the
    gateway and the relay floor all answer it)."""
    httpx.get(url + "/v1/models", headers={"Authorization": "Bearer k"}, timeout=1)


def labkit_at(ref: str, dest: Path) -> Path:
    """The ``labkit`` package as it was at git ``ref``, extracted under ``dest`` (created); returns
    ``dest``, the folder to put first on a baseline process's ``sys.path``."""
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "labkit"], cwd=repo,
                             capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far, from ``/proc/<pid>/stat`` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_up(url: str, proc: subprocess.Popen, probe: Callable[[str], Any], timeout: float = 30) -> None:
    """Call ``probe(url)`` until it stops raising ``httpx.HTTPError``; RuntimeError if ``proc`` exits or time runs out.

    Example:
        >>> wait_up(url, proc, lambda u: httpx.get(u + "/v1/models", timeout=1), timeout=60)  # doctest: +SKIP
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            probe(url)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def run_locust(locustfile: Path, url: str, workdir: Path, name: str, seconds: int, users: int, *,
               extra_args: Sequence[str] = (), env: dict[str, str] | None = None, grace_s: float = 60,
               require: Iterable[Path] = (), spawn_rate: float | None = None,
               cpus: set[int] | None = None) -> dict[str, dict[str, str]]:
    """One headless Locust run (``users`` spawned at once, ``seconds`` long); its CSV stats rows by name.

    Writes ``workdir/<name>_stats.csv`` (and Locust's other CSVs). ``env`` is added to this
    process's environment; ``require`` lists other files the run must have written. Raises
    RuntimeError with Locust's last stderr line when a file is missing. ``spawn_rate`` (users
    per second; default: all at once) and ``cpus`` (pin Locust and its children to these CPUs,
    e.g. away from the server under test) are for ``bench_locust_truth.py``.

    Example:
        >>> rows = run_locust(workdir / "locustfile.py", url, workdir, "run-0", 15, 16)  # doctest: +SKIP
        >>> summary_row(rows)["rps"]  # doctest: +SKIP
        2412.7
    """
    prefix = workdir / name
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", url,
           "-u", str(users), "-r", str(spawn_rate or users), "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary",
           "--loglevel", "WARNING", *extra_args]
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False, timeout=seconds + grace_s,
                          env={**os.environ, **env} if env is not None else None,
                          preexec_fn=on_cpus(cpus))
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists() or not all(Path(p).exists() for p in require):
        raise RuntimeError(f"locust wrote no stats: {done.stderr.strip().splitlines()[-1:]}")
    with open(stats, newline="") as fh:
        return {r["Name"]: r for r in csv.DictReader(fh)}


def summary_row(rows: dict[str, dict[str, str]]) -> dict[str, float]:
    """Requests, failures, req/s, p50 and p99 of the aggregated row (or the only row).

    Example:
        >>> summary_row({"Aggregated": {"Request Count": "10", "Failure Count": "0", "Requests/s": "5.0",
        ...                             "50%": "3", "99%": "9"}})["p99_ms"]
        9.0
    """
    row = rows.get("Aggregated") or next(iter(rows.values()))
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"]), "p99_ms": float(row["99%"])}


def write_result(result: dict[str, Any], out: Path) -> dict[str, Any]:
    """Stamp ``result`` with the UTC ``time`` (last key), write it to ``out`` as JSON, say where; returns it.

    Example:
        >>> write_result({"benchmark": "provider"}, var_dir() / "bench" / "provider.json")  # doctest: +SKIP
        wrote var/bench/provider.json
        {'benchmark': 'provider', 'time': '2026-11-29T14:05:01Z'}
    """
    result = {**result, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result
