"""Pattern 3 over HTTP: submit a job, poll its status, fetch its result, inspect the DLQ.

``POST /jobs`` answers 202 at once with the job id (the caller does not wait for the model);
workers (``labkit worker``, or the service's embedded worker threads) do the work. Every job
belongs to its submitter (:mod:`labkit.service.ownership`): another user gets 404 for it,
and the dead-letter listing shows only the caller's jobs (all of them for admins).
Idempotency keys are scoped per user, so one user's key can never return another's job.

Which roles may submit which kinds is :data:`JOB_KINDS`.

It does not run handlers; see ``labkit.jobs`` for the queue and the workers.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from labkit.jobs.queue import JobQueue, default_url, open_queue
from labkit.jobs.worker import Worker
from labkit.service.auth import ROLES, Principal, current_principal, require_roles
from labkit.service.config import service_dir
from labkit.service.deps import model_client, resource
from labkit.service.job_handlers import KINDS, PUBLIC_KIND
from labkit.service.ownership import RedisOwnership, SqliteOwnership, check_owner

# kind -> roles allowed to submit it
JOB_KINDS: dict[str, tuple[str, ...]] = {
    "summarise": ROLES,                       # any text: meeting notes, uploads, tickets
    "analyse_upload": ROLES,                  # the copilot's uploaded file (summary + fields)
    "extract_invoice": ("finance",),          # the batch invoice workload
}
JobKind = Literal["summarise", "analyse_upload", "extract_invoice"]


class JobSubmit(BaseModel):
    """A job to queue."""

    model_config = ConfigDict(extra="forbid")
    kind: JobKind
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=128)
    priority: int = Field(0, ge=-10, le=10)


class JobAccepted(BaseModel):
    job_id: str
    status: str
    kind: str


def queue(request: Request) -> JobQueue:
    return jobs_queue(request.app)


def jobs_queue(app: FastAPI) -> JobQueue:
    """The app's queue (SQLite under var/jobs, or Redis), opened once."""
    settings = app.state.settings
    url = settings.redis_url if settings.jobs_backend == "redis" else default_url("sqlite")
    return resource(app, "jobs_queue", lambda: open_queue(url))


def ownership(app: FastAPI) -> SqliteOwnership | RedisOwnership:
    """The ownership store that matches the job backend."""
    settings = app.state.settings
    if settings.jobs_backend == "redis" and settings.redis_url:
        return resource(app, "ownership", lambda: RedisOwnership(settings.redis_url))
    return resource(app, "ownership", lambda: SqliteOwnership(service_dir() / "service.sqlite"))


def submit_job(app: FastAPI, principal: Principal, body: JobSubmit) -> Any:
    """Queue ``body`` as ``principal`` (used by POST /jobs and by the copilot)."""
    require_roles(principal, JOB_KINDS[body.kind], f"submit {body.kind} jobs")
    key = f"{principal.user_id}:{body.idempotency_key}" if body.idempotency_key else None
    # the owner rides in the payload too: handlers charge the model budget to the submitter
    payload = {**body.payload, "_owner": principal.user_id}
    job = jobs_queue(app).submit(KINDS[body.kind], payload, priority=body.priority,
                                 idempotency_key=key)
    ownership(app).record("job", job.id, principal.user_id, principal.role)
    app.state.metrics.pattern_calls.labels("jobs", "submitted").inc()
    return job


def _summary(job: Any) -> dict[str, Any]:
    return {**job.summary(), "kind": PUBLIC_KIND.get(job.kind, job.kind)}


def _view(job: Any) -> dict[str, Any]:
    return {**_summary(job), "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "result_expires_at": job.result_expires_at,
            "history": [a.model_dump() for a in job.history]}


router = APIRouter(tags=["jobs"])


@router.post("/jobs", status_code=202, response_model=JobAccepted)
def post_job(body: JobSubmit, request: Request,
             principal: Principal = Depends(current_principal)) -> JSONResponse:
    """Queue a job; answers 202 with its id at once."""
    job = submit_job(request.app, principal, body)
    return JSONResponse({"job_id": job.id, "status": job.status, "kind": body.kind}, status_code=202,
                        headers={"Location": f"/jobs/{job.id}"})


@router.get("/jobs")
def list_my_jobs(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The caller's jobs, newest first (ids and statuses)."""
    q = queue(request)
    out = []
    for job_id in ownership(request.app).owned_by("job", principal.user_id, limit=100):
        try:
            job = q.get(job_id)
        except Exception:  # expired and swept: the ownership row outlives the job
            continue
        out.append(_summary(job))
    return {"jobs": out}


@router.get("/jobs/dlq")
def dead_letters(request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Dead-lettered jobs with reason and last error: the caller's own, or all for admins."""
    own = ownership(request.app)
    rows = []
    for job in queue(request).dead_letters(limit=500):
        found = own.owner("job", job.id)
        if principal.is_admin or (found is not None and found[0] == principal.user_id):
            rows.append(_summary(job))
    return {"dead": rows}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Status, attempts and timestamps of one of the caller's jobs (404 for anyone else's)."""
    check_owner(ownership(request.app), "job", job_id, principal)
    return _view(queue(request).get(job_id))


@router.get("/jobs/{job_id}/result")
def get_result(job_id: str, request: Request, principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The result of a succeeded job (404 while unfinished, after expiry, or for anyone else)."""
    check_owner(ownership(request.app), "job", job_id, principal)
    return {"job_id": job_id, "result": queue(request).result(job_id)}


def _start_workers(app: FastAPI) -> None:
    """Embedded queue workers (threads in this process) when ``embedded_workers`` > 0."""
    n = app.state.settings.embedded_workers
    if n <= 0:
        return
    jobs_queue(app)  # open (and create) the queue before the workers poll it
    worker = Worker(jobs_queue(app).url, concurrency=n, grace_s=5.0, poll_s=0.05,
                    extras={"client": model_client(app)})
    thread = threading.Thread(target=worker.run, name="labkit-embedded-worker", daemon=True)
    thread.start()
    app.state.resources["embedded_worker"] = (worker, thread)


def _stop_workers(app: FastAPI) -> None:
    found = app.state.resources.pop("embedded_worker", None)
    if found is not None:
        worker, thread = found
        worker.stop()
        thread.join(timeout=10)


def ready(app: FastAPI) -> tuple[bool, str]:
    """Ready when the embedded workers' thread is alive (or none are configured)."""
    n = app.state.settings.embedded_workers
    found = app.state.resources.get("embedded_worker")
    if n <= 0:
        return True, "no embedded workers (jobs run on `labkit worker` processes)"
    if found is None or not found[1].is_alive():
        return False, "embedded workers not running"
    return True, f"{n} embedded worker thread(s)"


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.state.startup_hooks.append(_start_workers)
    app.state.shutdown_hooks.append(_stop_workers)
    app.state.ready_checks["jobs"] = ready
