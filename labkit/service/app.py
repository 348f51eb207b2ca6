"""The lab's HTTP service: the four patterns, the copilot flow and the gateway over HTTP.

``create_app(settings)`` builds a FastAPI app with:

- API keys -> users and roles (:mod:`labkit.service.auth`); 401 without a valid key, 403
  when the role may not do what it asks; every error in one JSON shape
  (:mod:`labkit.service.errors`);
- a request size limit (413, :mod:`labkit.service.limits`) and pydantic validation of
  every body (422 with a one-line message);
- ``/healthz`` (the process is up), ``/readyz`` (provider reachable, DuckDB data loaded,
  SQLite writable, and each pattern's own readiness: the RAG index warmed, the embedded job
  workers alive) and ``/metrics`` (Prometheus text format);
- one router per pattern (``labkit/service/routes_*.py``), imported explicitly: a pattern
  that cannot be imported stops the service at start, loudly, rather than serving without it.

State lives in the stores (DuckDB read-only for sample data, SQLite/Redis for jobs, approvals
and ownership, Chroma for vectors), none in process memory, so several replicas
(``labkit serve --workers N``, or several hosts behind a load balancer with the Redis job
backend and a Chroma server) serve the same state. Caches inside the resilient client are
per process by design: they only save work, they never hold state a replica needs.

It does not terminate TLS or rate-limit callers per key; put a reverse proxy in front for that.

Example:
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(ServiceSettings(provider_url="http://127.0.0.1:9/v1")))
    >>> client.get("/healthz").json()["status"]
    'ok'
    >>> client.post("/direct/classify", json={}).status_code
    401
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import duckdb
import httpx
from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse

import labkit.controls.injection_model as injection_model
import labkit.controls.pii as pii
import labkit.controls.secrets as secrets
import labkit.service.routes_agent as routes_agent
import labkit.service.routes_copilot as routes_copilot
import labkit.service.routes_direct as routes_direct
import labkit.service.routes_gateway as routes_gateway
import labkit.service.routes_jobs as routes_jobs
import labkit.service.routes_rag as routes_rag
from labkit.service.auth import KeyStore, Principal, current_principal
from labkit.service.config import ServiceSettings, service_dir
from labkit.service.errors import install_handlers
from labkit.service.limits import BodySizeLimit
from labkit.service.metrics import MetricsMiddleware, ServiceMetrics
from labkit.serving import serve_app
from labkit.settings import lab_db_path

# Route modules, mounted in this order; each ``mount(app)`` adds its router, its startup and
# shutdown hooks, and (rag, jobs) a readiness check of its own.
ROUTES = {"direct": routes_direct, "rag": routes_rag, "jobs": routes_jobs, "agent": routes_agent,
          "copilot": routes_copilot, "gateway": routes_gateway}


def _check_provider(settings: ServiceSettings) -> tuple[bool, str]:
    if not settings.provider_url:
        return False, "no provider URL configured (OPENAI_BASE_URL or --provider-url)"
    try:
        r = httpx.get(settings.provider_url.rstrip("/") + "/models", timeout=2.0,
                      headers={"Authorization": f"Bearer {settings.provider_key}"})
    except httpx.HTTPError as exc:
        return False, f"provider unreachable: {type(exc).__name__}"
    return (r.status_code == 200, f"GET /models -> {r.status_code}")


def _check_duckdb() -> tuple[bool, str]:
    path = lab_db_path()
    if not path.exists():
        return False, f"{path} missing (run `labkit data build`)"
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            n = con.execute("select count(*) from kb_documents").fetchone()[0]
        finally:
            con.close()
    except Exception as exc:  # a lock held by a writer or a missing table: not ready
        return False, f"duckdb: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return True, f"{n} documents"


def _check_sqlite() -> tuple[bool, str]:
    path = service_dir() / "service.sqlite"
    try:
        con = sqlite3.connect(path, timeout=2)
        con.execute("select 1")
        con.close()
    except sqlite3.Error as exc:
        return False, f"sqlite: {exc}"
    return True, str(path)


def _warm_controls(app: FastAPI) -> None:
    """Load the controls' lazy data before the first request: every pattern's model calls pass
    the PII redactor (its lists take ~3 s of CPU to load), the injection classifier and, in
    agent answers, the secret scanner."""
    pii.warm_up()
    injection_model.load_model()
    secrets.warm_up()


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service app. Without ``settings``, read them from the environment."""
    settings = settings or ServiceSettings.from_env()
    keys = KeyStore.from_file(settings.keys_file) if settings.keys_file else KeyStore.demo()
    metrics = ServiceMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # Sync handlers (the resilient client is sync) run in AnyIO's thread pool; its default
        # of 40 would cap concurrency at 40 in-flight model calls per process.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        for hook in app.state.startup_hooks:
            hook(app)
        try:
            yield
        finally:
            for hook in reversed(app.state.shutdown_hooks):
                with contextlib.suppress(Exception):
                    hook(app)

    app = FastAPI(title="labkit service", version="0.1.0", lifespan=lifespan,
                  description="The Enterprise AI Integration Lab's four patterns over HTTP. "
                              "Authenticate with `Authorization: Bearer lab-key-<role>`.")
    app.state.settings = settings
    app.state.keys = keys
    app.state.metrics = metrics
    app.state.mounted = list(ROUTES)
    app.state.ready_checks = {}
    app.state.startup_hooks = [_warm_controls]  # first: the patterns' hooks may call a model
    app.state.shutdown_hooks = []
    app.state.resources = {}
    app.state.resource_lock = threading.RLock()  # factories may build other resources
    install_handlers(app)

    @app.get("/healthz", tags=["probes"])
    def healthz() -> dict[str, Any]:
        """Liveness: the process answers."""
        return {"status": "ok", "patterns": app.state.mounted}

    @app.get("/readyz", tags=["probes"])
    def readyz() -> JSONResponse:
        """Readiness: provider reachable, DuckDB data loaded, SQLite writable, each pattern's own check."""
        checks: dict[str, dict[str, Any]] = {}
        for name, check in (("provider", lambda: _check_provider(settings)),
                            ("duckdb", _check_duckdb), ("sqlite", _check_sqlite)):
            ok, detail = check()
            checks[name] = {"ok": ok, "detail": detail}
        for name, check in app.state.ready_checks.items():
            ok, detail = check(app)
            checks[f"pattern:{name}"] = {"ok": ok, "detail": detail}
        ready = all(c["ok"] for c in checks.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                            status_code=200 if ready else 503)

    @app.get("/whoami", tags=["auth"])
    def whoami(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        """The caller behind the API key: user id, role, roles used for documents."""
        return {"user_id": principal.user_id, "name": principal.name, "role": principal.role,
                "roles": principal.roles, "rm_id": principal.rm_id}

    @app.get("/metrics", tags=["probes"])
    def prometheus_metrics() -> Response:
        """Prometheus text format: request counts, latency histograms per route, in flight."""
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    for module in ROUTES.values():
        module.mount(app)

    # Outermost first: the size limit refuses before metrics or routing see the body.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


@dataclass
class RunningService:
    """A service started by :func:`serve_in_thread`."""

    url: str
    port: int
    app: FastAPI
    settings: ServiceSettings


@contextlib.contextmanager
def serve_in_thread(settings: ServiceSettings | None = None, host: str = "127.0.0.1",
                    port: int = 0) -> Iterator[RunningService]:
    """Run the service on uvicorn in a background thread (tests, notebooks, the loadtest).

    ``port=0`` picks a free port.

    Example:
        >>> with serve_in_thread(ServiceSettings(provider_url="http://127.0.0.1:9/v1")) as svc:
        ...     httpx.get(svc.url + "/healthz").status_code
        200
    """
    settings = settings or ServiceSettings.from_env()
    app = create_app(settings)
    # startup may ingest the RAG index when it is empty: allow minutes (a crash still fails fast)
    with serve_app(app, host, port, thread_name="labkit-service", startup_timeout_s=600,
                   log_level="warning", access_log=False, lifespan="on") as served:
        yield RunningService(url=f"http://{host}:{served.port}", port=served.port, app=app, settings=settings)
