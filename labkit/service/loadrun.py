"""``labkit loadtest``: run the Locust file headless against the service, gate, keep results.

One run:

1. reads the profile (users, run time, traffic mix, provider latency, SLO budgets);
2. starts what is not given by URL: the mock provider in this process with the profile's
   latency (catalogue lognormal profiles and/or per-model faults such as
   ``ttft=lognormal:0.2:0.4``), and the service as a ``labkit serve`` subprocess. A provider
   given by URL gets the run's faults through its admin path ``POST /lab/faults``;
3. runs ``locust --headless`` as a subprocess (optionally one master and N workers on this
   machine) writing ``stats.csv``, ``stats_history.csv``, ``failures.csv``, ``report.html``
   and the SLO gate's ``slo.json`` under ``var/loadtests/<run>/``;
4. checks the measurement (:mod:`labkit.service.loadcheck`): the service's own latency
   histogram, scraped from ``/metrics`` before and after, beside Locust's figures, with a
   flag where they disagree; each Locust process's CPU, with a warning near saturation.
   ``check.json`` holds it (also in ``run.json`` and ``loadtest_runs.meta``);
5. loads the CSV files into DuckDB (``var/loadtests.duckdb``: tables ``loadtest_runs``,
   ``loadtest_stats``, ``loadtest_history``) for the notebooks. A file of its own, because
   ``var/lab.duckdb`` is held read-only by running services and DuckDB allows one writer.

``pin_generator=True`` pins Locust to the last CPU and the service it starts to the others
(``sched_setaffinity``, Linux). Off by default: on a shared machine whose cores are all busy,
pinning took the scheduler's freedom away and cost 2-4 ms p50 (``loadtests/RESULTS.md``).

The exit code is Locust's: 1 when the SLO gate failed, 0 when it passed.

It does not run Locust in this process: Locust monkey-patches the standard library with gevent,
which must not leak into the CLI or the embedded provider.

Example:
    >>> cmd = locust_command(Path("x.py"), "http://h:1", Path("/tmp/r"), users=2, spawn_rate=2,
    ...                      run_time="5s", role="standalone")
    >>> cmd[1:4]
    ['-m', 'locust', '-f']
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from labkit.data.catalogue import ensure_loaded
from labkit.errors import ConfigError, LabkitError
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.service.loadcheck import run_check
from labkit.service.loadprofile import LoadProfile, load_profile, profile_path
from labkit.serving import free_port, on_cpus, stop_process, stop_processes
from labkit.settings import REPO_ROOT, var_dir

LOCUSTFILE = REPO_ROOT / "loadtests" / "locustfile.py"


def loadtests_db_path() -> Path:
    """The DuckDB file holding every load-test run's results."""
    return var_dir() / "loadtests.duckdb"


@dataclass
class LoadtestResult:
    """What one run produced."""

    run_id: str
    run_dir: Path
    exit_code: int
    verdict: dict[str, Any]
    stats: list[dict[str, Any]] = field(default_factory=list)
    check: dict[str, Any] = field(default_factory=dict)  # server histogram, disagreements, generator CPU

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers (any status below 500), or raise ConfigError (with the process's stderr tail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-800:] if proc.stderr else ""
            raise ConfigError(f"process for {url} exited with {proc.returncode}: {err.strip()}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:  # up, even if it wants a key
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ConfigError(f"{url} did not become healthy within {timeout:.0f} s")


@contextlib.contextmanager
def service_process(provider_url: str, provider_key: str = "lab-key", workers: int = 1,
                    embedded_workers: int = 2, extra_env: dict[str, str] | None = None,
                    on_start: Any = None, cpus: set[int] | None = None) -> Iterator[str]:
    """``labkit serve`` as a subprocess on a free port (on ``cpus`` if given); yields its URL and stops it after."""
    port = free_port()
    cmd = [sys.executable, "-m", "labkit.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--provider-url", provider_url, "--provider-key", provider_key,
           "--workers", str(workers), "--embedded-workers", str(embedded_workers)]
    env = {**os.environ, **(extra_env or {})}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=str(REPO_ROOT), preexec_fn=on_cpus(cpus))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/healthz", timeout=300, proc=proc)
        if on_start is not None:
            on_start(proc)  # e.g. the benchmark's CPU sampler and profiler need the pid
        yield url
    finally:
        stop_process(proc, timeout=20)


def placement(pin_generator: bool) -> tuple[set[int] | None, set[int] | None]:
    """(service CPUs, generator CPUs): the generator on the last CPU, the service on the rest.

    (None, None) when not asked for or when there is one CPU (nothing to pin away from).
    """
    if not pin_generator or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return set(cpus[:-1]), {cpus[-1]}


def scrape_metrics(url: str) -> str | None:
    """The Prometheus text of ``url/metrics``, or None when there is none (not every target has it)."""
    try:
        r = httpx.get(url.rstrip("/") + "/metrics", timeout=5.0)
    except httpx.HTTPError:
        return None
    return r.text if r.status_code == 200 and "# TYPE" in r.text else None


def provider_config_for(profile: LoadProfile) -> Any:
    """The mock provider's config for this run's latency."""
    return ProviderConfig.parse({"latency": profile.provider.latency, "faults": dict(profile.provider.faults)},
                                source=f"profile {profile.name}")


def apply_faults_remote(provider_root: str, profile: LoadProfile, key: str = "lab-key") -> None:
    """Set the run's per-model faults on a running provider (``POST /lab/faults``)."""
    if not profile.provider.faults:
        return
    for model, spec in profile.provider.faults.items():
        r = httpx.post(provider_root.rstrip("/") + "/lab/faults", json={"model": model, "fault": spec},
                       headers={"Authorization": f"Bearer {key}"}, timeout=5)
        if r.status_code >= 400:
            raise ConfigError(f"provider refused fault {model}={spec}: HTTP {r.status_code} {r.text[:200]}")


def locust_command(locustfile: Path, host: str, run_dir: Path, *, users: int, spawn_rate: float,
                   run_time: str, role: str = "standalone", expect_workers: int = 0,
                   master_port: int = 5557) -> list[str]:
    """The ``locust`` command line for one process of a run (standalone, master or worker)."""
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    if role == "worker":
        return cmd + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port),
                      "--loglevel", "WARNING"]
    cmd += ["--headless", "-H", host, "-u", str(users), "-r", str(spawn_rate), "-t", run_time,
            "--csv", str(run_dir / "stats"), "--csv-full-history", "--html", str(run_dir / "report.html"),
            "--only-summary", "--stop-timeout", "10", "--loglevel", "INFO"]
    if role == "master":
        cmd += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(master_port),
                "--expect-workers", str(expect_workers), "--expect-workers-max-wait", "60"]
    return cmd


def run_locust(profile_ref: str, host: str, run_dir: Path, *, users: int, spawn_rate: float,
               run_time: str, workers: int = 0, extra_env: dict[str, str] | None = None,
               timeout_s: float | None = None, cpus: set[int] | None = None) -> int:
    """Run Locust headless (standalone, or a master with ``workers`` local workers), on ``cpus`` if given.

    Each Locust process is its own OS process (never this one), so the generator's CPU is
    its own and can be pinned away from the service.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LABKIT_LOAD_PROFILE": str(profile_path(profile_ref)),
           "LABKIT_LOADTEST_DIR": str(run_dir), **(extra_env or {})}
    log = (run_dir / "locust.log").open("ab")
    procs: list[subprocess.Popen] = []
    try:
        if workers <= 0:
            main = subprocess.Popen(locust_command(LOCUSTFILE, host, run_dir, users=users,
                                                   spawn_rate=spawn_rate, run_time=run_time),
                                    env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT),
                                    preexec_fn=on_cpus(cpus))
        else:
            port = free_port()
            main = subprocess.Popen(locust_command(LOCUSTFILE, host, run_dir, users=users,
                                                   spawn_rate=spawn_rate, run_time=run_time,
                                                   role="master", expect_workers=workers,
                                                   master_port=port),
                                    env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT),
                                    preexec_fn=on_cpus(cpus))
            for _ in range(workers):
                procs.append(subprocess.Popen(
                    locust_command(LOCUSTFILE, host, run_dir, users=users, spawn_rate=spawn_rate,
                                   run_time=run_time, role="worker", master_port=port),
                    env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT),
                    preexec_fn=on_cpus(cpus)))
        procs.insert(0, main)
        try:
            return main.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise LabkitError(f"locust did not finish within {timeout_s:.0f} s; see {run_dir}/locust.log") from None
    finally:
        stop_processes(procs, timeout=15)
        log.close()


# Locust's CSV header -> our column names
_STATS_COLUMNS = {
    "Type": "type", "Name": "name", "Request Count": "requests", "Failure Count": "failures",
    "Median Response Time": "median_ms", "Average Response Time": "avg_ms",
    "Min Response Time": "min_ms", "Max Response Time": "max_ms", "Requests/s": "rps",
    "Failures/s": "failures_per_s", "50%": "p50_ms", "90%": "p90_ms", "95%": "p95_ms",
    "99%": "p99_ms", "99.9%": "p999_ms", "100%": "p100_ms",
}
_HISTORY_COLUMNS = {
    "Timestamp": "ts", "User Count": "users", "Type": "type", "Name": "name",
    "Requests/s": "rps", "Failures/s": "failures_per_s", "50%": "p50_ms", "95%": "p95_ms",
    "99%": "p99_ms", "Total Request Count": "requests", "Total Failure Count": "failures",
}


def _read_csv(path: Path, columns: dict[str, str]) -> list[dict[str, Any]]:
    import csv

    if not path.exists():
        return []
    rows = []
    with path.open(newline="") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for src, dst in columns.items():
                value = raw.get(src)
                if dst in ("type", "name"):
                    row[dst] = value or ""
                else:
                    try:
                        row[dst] = float(value) if value not in (None, "", "N/A") else None
                    except ValueError:
                        row[dst] = None
            rows.append(row)
    return rows


def load_results(run_id: str, profile: LoadProfile, run_dir: Path, exit_code: int,
                 meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Load one run's CSV files into ``var/loadtests.duckdb``; returns the stats rows."""
    import duckdb

    stats = _read_csv(run_dir / "stats_stats.csv", _STATS_COLUMNS)
    history = _read_csv(run_dir / "stats_stats_history.csv", _HISTORY_COLUMNS)
    con = duckdb.connect(str(loadtests_db_path()))
    try:
        con.execute("""create table if not exists loadtest_runs (run_id varchar primary key,
            profile varchar, started_at timestamp, users integer, run_time varchar, workers integer,
            exit_code integer, passed boolean, run_dir varchar, meta json)""")
        con.execute("""create table if not exists loadtest_stats (run_id varchar, type varchar,
            name varchar, requests double, failures double, median_ms double, avg_ms double,
            min_ms double, max_ms double, rps double, failures_per_s double, p50_ms double,
            p90_ms double, p95_ms double, p99_ms double, p999_ms double, p100_ms double,
            budget_p95_ms double)""")
        con.execute("""create table if not exists loadtest_history (run_id varchar, ts double,
            users double, type varchar, name varchar, rps double, failures_per_s double,
            p50_ms double, p95_ms double, p99_ms double, requests double, failures double)""")
        con.execute("delete from loadtest_runs where run_id = ?", [run_id])
        con.execute("delete from loadtest_stats where run_id = ?", [run_id])
        con.execute("delete from loadtest_history where run_id = ?", [run_id])
        con.execute("insert into loadtest_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, profile.name, meta.get("started_at"), meta.get("users"), meta.get("run_time"),
                     meta.get("workers", 0), exit_code, exit_code == 0, str(run_dir), json.dumps(meta, default=str)])
        for row in stats:
            budget = None if row["name"] == "Aggregated" else profile.budget_ms(f"{row['type']} {row['name']}")
            con.execute("insert into loadtest_stats values (" + ",".join("?" * 18) + ")",
                        [run_id, *(row[c] for c in _STATS_COLUMNS.values()), budget])
        if history:
            con.executemany("insert into loadtest_history values (" + ",".join("?" * 12) + ")",
                            [[run_id, *(row[c] for c in _HISTORY_COLUMNS.values())] for row in history])
    finally:
        con.close()
    return stats


def run_loadtest(profile_ref: str, *, service_url: str | None = None, provider_url: str | None = None,
                 provider_key: str = "lab-key", users: int | None = None, run_time: str | None = None,
                 spawn_rate: float | None = None, workers: int = 0, service_workers: int = 1,
                 run_id: str | None = None, extra_env: dict[str, str] | None = None,
                 pin_generator: bool = False) -> LoadtestResult:
    """One whole load-test run (see the module docstring); never leaves a process behind."""
    profile = load_profile(profile_ref)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    run_id = run_id or f"{profile.name}-{stamp}"
    run_dir = var_dir() / "loadtests" / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    users = users or (max(s.users for s in profile.stages) if profile.stages else profile.users)
    run_time = run_time or (f"{int(profile.stages[-1].duration) + 5}s" if profile.stages else profile.run_time)
    spawn_rate = spawn_rate or profile.spawn_rate
    meta: dict[str, Any] = {"started_at": datetime.now(UTC).replace(tzinfo=None), "users": users,
                            "run_time": run_time, "workers": workers, "profile_file": str(profile_path(profile_ref)),
                            "provider_latency": profile.provider.latency,
                            "provider_faults": profile.provider.faults}
    service_cpus, generator_cpus = placement(pin_generator)
    replicas: int | None = None if service_url is not None else service_workers
    with contextlib.ExitStack() as stack:
        if service_url is None:
            if provider_url is None:
                running = stack.enter_context(serve_in_thread(provider_config_for(profile)))
                provider_url = running.base_url
            else:
                apply_faults_remote(provider_url.rsplit("/v1", 1)[0], profile, provider_key)
            try:
                ensure_loaded()
            except ImportError:
                pass
            service_url = stack.enter_context(service_process(provider_url, provider_key,
                                                              workers=service_workers,
                                                              extra_env=extra_env, cpus=service_cpus))
        meta["service_url"] = service_url
        meta["provider_url"] = provider_url
        meta["placement"] = {"service_cpus": sorted(service_cpus) if service_cpus else None,
                             "generator_cpus": sorted(generator_cpus) if generator_cpus else None}
        metrics_before = scrape_metrics(service_url)
        code = run_locust(profile_ref, service_url, run_dir, users=users, spawn_rate=spawn_rate,
                          run_time=run_time, workers=workers, extra_env=extra_env, cpus=generator_cpus)
        metrics_after = scrape_metrics(service_url)
    slo_file = run_dir / "slo.json"
    verdict = json.loads(slo_file.read_text()) if slo_file.exists() else {
        "passed": False, "violations": [{"name": "locust", "reason": f"locust exited {code} without a verdict; "
                                                                    f"see {run_dir}/locust.log"}]}
    if code not in (0, 1) and verdict.get("passed"):
        verdict["passed"] = False
    check = run_check(verdict, metrics_before, metrics_after, run_dir, replicas=replicas)
    (run_dir / "check.json").write_text(json.dumps(check, indent=2))
    meta["check"] = check
    stats = load_results(run_id, profile, run_dir, code, {k: v for k, v in meta.items()})
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "exit_code": code, **meta}, default=str, indent=2))
    return LoadtestResult(run_id=run_id, run_dir=run_dir, exit_code=code, verdict=verdict, stats=stats, check=check)
