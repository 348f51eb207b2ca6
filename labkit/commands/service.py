"""``labkit serve`` (the lab's HTTP service) and ``labkit loadtest`` (Locust against it)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any

import click
import uvicorn

from labkit.errors import ConfigError
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.service import ServiceSettings
from labkit.service.auth import KeyStore
from labkit.service.loadrun import run_loadtest


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--provider-url", envvar="OPENAI_BASE_URL", default=None,
              help="OpenAI-compatible base URL ending in /v1 (default: $OPENAI_BASE_URL).")
@click.option("--provider-key", envvar="OPENAI_API_KEY", default="lab-key", show_default=True,
              help="API key for the provider (default: $OPENAI_API_KEY).")
@click.option("--embedded-provider", is_flag=True,
              help="Start the local mock provider in this process and use it.")
@click.option("--provider-latency", type=click.Choice(["none", "realistic"]), default="none",
              show_default=True, help="With --embedded-provider: the catalogue's lognormal latency or none.")
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False), default=None,
              help="YAML key file (keys: [{key, user_id, name, role, rm_id}]); default: demo keys lab-key-<role>.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="uvicorn worker processes (replicas sharing the stores).")
@click.option("--embedded-workers", default=2, show_default=True, type=click.IntRange(0, 64),
              help="Job-queue worker threads per service process (0: run `labkit worker` separately).")
@click.option("--jobs-backend", type=click.Choice(["sqlite", "redis"]), default="sqlite", show_default=True)
@click.option("--redis-url", default=None, help="Redis URL for --jobs-backend redis.")
@click.option("--max-body-bytes", default=256 * 1024, show_default=True, type=click.IntRange(1024))
def serve(host: str, port: int, provider_url: str | None, provider_key: str, embedded_provider: bool,
          provider_latency: str, keys_file: str | None, workers: int, embedded_workers: int,
          jobs_backend: str, redis_url: str | None, max_body_bytes: int) -> None:
    """Serve the four patterns, the copilot and the gateway over HTTP (FastAPI on uvicorn).

    Authenticate with `Authorization: Bearer lab-key-<role>` (roles: employee, support_agent,
    relationship_manager, hr, legal, finance, engineering, admin). Probes: /healthz, /readyz,
    /metrics. OpenAPI docs at /docs.
    """
    with contextlib.ExitStack() as stack:
        if embedded_provider:
            running = stack.enter_context(serve_in_thread(ProviderConfig(latency=provider_latency)))
            provider_url = running.base_url
            click.echo(f"embedded provider on {running.base_url}", err=True)
        if not provider_url:
            raise ConfigError("no provider: pass --provider-url URL, set OPENAI_BASE_URL, or use --embedded-provider")
        settings = ServiceSettings(provider_url=provider_url, provider_key=provider_key, keys_file=keys_file,
                                   embedded_workers=embedded_workers, jobs_backend=jobs_backend,
                                   redis_url=redis_url, max_body_bytes=max_body_bytes)
        if keys_file:  # fail now with a clear message, not in every worker

            KeyStore.from_file(keys_file)
        # worker processes rebuild the settings from the environment (uvicorn's app factory)
        os.environ.update(settings.to_env())
        click.echo(f"labkit service on http://{host}:{port} ({workers} worker(s)); provider {provider_url}",
                   err=True)
        uvicorn.run("labkit.service:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _echo_check(check: dict[str, Any]) -> None:
    """Locust's figures beside the server's own histogram, the generator's CPU, any warning."""
    client, server = check.get("client_http") or {}, check.get("server")
    click.echo(f"client (Locust, all HTTP requests): p50 {_ms(client.get('p50_ms'))}  "
               f"p95 {_ms(client.get('p95_ms'))}  p99 {_ms(client.get('p99_ms'))} ms")
    if server:
        click.echo(f"server (/metrics histogram):        p50 {_ms(server['p50_ms'])}  p95 {_ms(server['p95_ms'])}  "
                   f"p99 {_ms(server['p99_ms'])} ms  ({server['requests']} requests)")
    if check.get("server_note"):
        click.echo(f"server: {check.get('server_note')}")
    gen = check.get("generator") or {}
    if gen.get("max_share") is not None:
        click.echo(f"load generator: busiest Locust process used {gen['max_share']:.0%} of a core")
    for flag in check.get("disagreements") or []:
        click.echo(f"DISAGREEMENT: {flag}")
    for warning in check.get("warnings") or []:
        click.echo(f"WARNING: {warning}")


@click.command()
@click.option("--profile", "profile_ref", default="smoke", show_default=True,
              help="smoke | rollout | stress, or a path to a profile YAML file.")
@click.option("--service-url", default=None, help="Test a running service (default: start one).")
@click.option("--provider-url", default=None,
              help="Use a running provider for the started service (its faults are set per run via /lab/faults).")
@click.option("--users", type=int, default=None, help="Override the profile's peak user count.")
@click.option("--spawn-rate", type=float, default=None)
@click.option("--run-time", default=None, help="Override the profile's run time, e.g. 30s, 2m.")
@click.option("--workers", "locust_workers", default=0, show_default=True, type=click.IntRange(0, 32),
              help="Distributed mode: one Locust master and this many local workers.")
@click.option("--service-workers", default=1, show_default=True, type=click.IntRange(1, 32),
              help="uvicorn worker processes for the started service.")
@click.option("--run", "run_id", default=None, help="Run id (folder under var/loadtests/).")
@click.option("--pin-generator", is_flag=True,
              help="Pin Locust to the last CPU and the started service to the others (helps only with idle cores).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def loadtest(profile_ref: str, service_url: str | None, provider_url: str | None, users: int | None,
             spawn_rate: float | None, run_time: str | None, locust_workers: int, service_workers: int,
             run_id: str | None, pin_generator: bool, as_json: bool) -> None:
    """Run Locust headless against the service and gate on the profile's SLOs.

    Starts the provider (with the profile's latency) and the service unless URLs are given,
    writes CSV + HTML under var/loadtests/<run>/, loads the results into var/loadtests.duckdb,
    and exits 1 when the SLO gate (failure ratio, p95 per endpoint vs budget) fails.
    """
    result = run_loadtest(profile_ref, service_url=service_url, provider_url=provider_url, users=users,
                          run_time=run_time, spawn_rate=spawn_rate, workers=locust_workers,
                          service_workers=service_workers, run_id=run_id, pin_generator=pin_generator)
    if as_json:
        click.echo(json.dumps({"run_id": result.run_id, "run_dir": str(result.run_dir),
                               "exit_code": result.exit_code, "verdict": result.verdict,
                               "stats": result.stats, "check": result.check}, indent=2, default=str))
    else:
        click.echo(f"{'type':6} {'name':42} {'reqs':>6} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'rps':>6}")
        for row in result.stats:
            click.echo(f"{row['type'][:6]:6} {row['name'][:42]:42} {row['requests'] or 0:6.0f} "
                       f"{row['failures'] or 0:5.0f} {row['p50_ms'] or 0:7.0f} {row['p95_ms'] or 0:7.0f} "
                       f"{row['p99_ms'] or 0:7.0f} {row['rps'] or 0:6.1f}")
        _echo_check(result.check)
        for v in result.verdict.get("violations", []):
            click.echo(f"SLO violated: {v['name']}: {v['reason']}")
        click.echo(f"SLO gate: {'PASS' if result.passed else 'FAIL'}; results in {result.run_dir} "
                   f"and var/loadtests.duckdb (run {result.run_id})")
    if result.exit_code != 0:
        sys.exit(result.exit_code)
