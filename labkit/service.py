"""The lab's HTTP service: the four patterns, the copilot flow and the gateway over HTTP.

``create_app(settings)`` builds a FastAPI app with:

- API keys -> users and roles (:mod:`labkit.serviceapp.auth`); 401 without a valid key, 403
  when the role may not do what it asks; every error in one JSON shape
  (:mod:`labkit.serviceapp.errors`);
- a request size limit (413, :mod:`labkit.serviceapp.limits`) and pydantic validation of
  every body (422 with a one-line message);
- ``/healthz`` (the process is up), ``/readyz`` (stores and provider reachable, patterns
  importable) and ``/metrics`` (Prometheus text format);
- one router per pattern (``labkit/serviceapp/routes_*.py``), mounted only when its pattern
  imports, so a missing pattern shows on ``/readyz`` instead of breaking the service.

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
import importlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from labkit.errors import ConfigError
from labkit.serviceapp.auth import KeyStore, Principal, current_principal
from labkit.serviceapp.errors import install_handlers
from labkit.serviceapp.limits import BodySizeLimit
from labkit.serviceapp.metrics import MetricsMiddleware, ServiceMetrics
from labkit.settings import lab_db_path, var_dir

log = logging.getLogger("labkit.service")

# Route modules, mounted in this order when their pattern imports.
ROUTE_MODULES: tuple[str, ...] = ("direct", "rag", "jobs", "agent", "copilot", "gateway")


class ServiceSettings(BaseModel):
    """Everything the service needs; ``from_env()`` reads ``LABKIT_SERVICE_*`` variables."""

    provider_url: str | None = Field(None, description="OpenAI-compatible base URL ending in /v1")
    provider_key: str = "lab-key"
    keys_file: str | None = None
    max_body_bytes: int = Field(256 * 1024, gt=0)
    chat_model: str = "lab-chat-2026-01"
    jobs_backend: str = Field("sqlite", pattern="^(sqlite|redis)$")
    redis_url: str | None = None
    embedded_workers: int = Field(2, ge=0, le=64)
    threads: int = Field(128, ge=4, le=2048)  # sync handlers run in a thread pool this big
    copilot_budget_s: float = Field(8.0, gt=0)
    approver_roles: list[str] = Field(default_factory=lambda: ["admin"])
    warm_rag: bool = True  # build the RAG pipeline (ingesting if the index is empty) at startup
    rag_ingest_limit: int | None = Field(None, ge=1)  # ingest only N documents (tests, demos)

    @classmethod
    def from_env(cls) -> "ServiceSettings":
        """Settings from the environment (what ``labkit serve`` passes to each worker process)."""
        env = os.environ
        values: dict[str, Any] = {}
        if env.get("OPENAI_BASE_URL"):
            values["provider_url"] = env["OPENAI_BASE_URL"]
        if env.get("OPENAI_API_KEY"):
            values["provider_key"] = env["OPENAI_API_KEY"]
        for field in cls.model_fields:
            name = f"LABKIT_SERVICE_{field.upper()}"
            if name in env:
                raw = env[name]
                values[field] = raw.split(",") if field == "approver_roles" else raw
        try:
            return cls.model_validate(values)
        except ValidationError as exc:  # pydantic's message is long; keep one line
            err = exc.errors()[0]
            name = f"LABKIT_SERVICE_{'_'.join(str(p) for p in err['loc']).upper()}"
            raise ConfigError(f"invalid setting {name}: {err['msg']}") from None

    def to_env(self) -> dict[str, str]:
        """The inverse of ``from_env`` (for worker processes started by uvicorn)."""
        env: dict[str, str] = {}
        for field, value in self.model_dump().items():
            if value is None:
                continue
            env[f"LABKIT_SERVICE_{field.upper()}"] = ",".join(value) if isinstance(value, list) else str(value)
        if self.provider_url:
            env["OPENAI_BASE_URL"] = self.provider_url
        env["OPENAI_API_KEY"] = self.provider_key
        return env


def service_dir() -> Any:
    """``var/service``: the service's own SQLite store (ownership of jobs and runs)."""
    path = var_dir() / "service"
    path.mkdir(parents=True, exist_ok=True)
    return path


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
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        try:
            n = con.execute("select count(*) from kb_documents").fetchone()[0]
        finally:
            con.close()
    except Exception as exc:  # a lock held by a writer or a missing table: not ready
        return False, f"duckdb: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return True, f"{n} documents"


def _check_sqlite() -> tuple[bool, str]:
    import sqlite3

    path = service_dir() / "service.sqlite"
    try:
        con = sqlite3.connect(path, timeout=2)
        con.execute("select 1")
        con.close()
    except sqlite3.Error as exc:
        return False, f"sqlite: {exc}"
    return True, str(path)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service app. Without ``settings``, read them from the environment."""
    settings = settings or ServiceSettings.from_env()
    keys = KeyStore.from_file(settings.keys_file) if settings.keys_file else KeyStore.demo()
    metrics = ServiceMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        import anyio.to_thread

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
    app.state.missing = {}
    app.state.mounted = []
    app.state.startup_hooks = []
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
        """Readiness: provider reachable, DuckDB data loaded, SQLite writable, patterns mounted."""
        checks: dict[str, dict[str, Any]] = {}
        for name, check in (("provider", lambda: _check_provider(settings)),
                            ("duckdb", _check_duckdb), ("sqlite", _check_sqlite)):
            ok, detail = check()
            checks[name] = {"ok": ok, "detail": detail}
        for name in ROUTE_MODULES:
            ok = name in app.state.mounted
            checks[f"pattern:{name}"] = {"ok": ok, "detail": "mounted" if ok else app.state.missing.get(name, "")}
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

    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(f"labkit.serviceapp.routes_{name}")
            module.mount(app)
        except ImportError as exc:
            app.state.missing[name] = f"not mounted: {exc}"
            log.warning("service: %s routes not mounted: %s", name, exc)
        else:
            app.state.mounted.append(name)

    # Outermost first: the size limit refuses before metrics or routing see the body.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def resource(app: FastAPI, name: str, factory: Any) -> Any:
    """A per-app shared object (client, queue, RAG index), built once on first use.

    Example:
        >>> app = FastAPI(); app.state.resources = {}; app.state.resource_lock = threading.Lock()
        >>> resource(app, "n", lambda: 41) + 1
        42
    """
    found = app.state.resources.get(name)
    if found is not None:
        return found
    with app.state.resource_lock:
        found = app.state.resources.get(name)
        if found is None:
            found = factory()
            app.state.resources[name] = found
    return found


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
    from labkit.serving import serve_app  # imports uvicorn, which only serving needs

    settings = settings or ServiceSettings.from_env()
    app = create_app(settings)
    # startup may ingest the RAG index when it is empty: allow minutes (a crash still fails fast)
    with serve_app(app, host, port, thread_name="labkit-service", startup_timeout_s=600,
                   log_level="warning", access_log=False, lifespan="on") as served:
        yield RunningService(url=f"http://{host}:{served.port}", port=served.port, app=app, settings=settings)
