"""One JSON error shape for the whole service, and the map from labkit errors to HTTP statuses.

Every error response is ``{"error": {"type": ..., "message": ...}}`` (the shape OpenAI clients
already parse), with a one-line message and never a traceback. Labkit errors map by class
(most specific first); anything unexpected becomes a 500 whose message carries a request id
to grep the server log for, never the exception text.

Example:
    >>> from labkit.errors import Forbidden
    >>> status_for(Forbidden("no"))
    (403, 'forbidden')
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from labkit import errors as e

log = logging.getLogger("labkit.service")

# (class, status, type) — checked in order, so subclasses come before their parents.
_MAP: list[tuple[type[Exception], int, str]] = [
    (e.NotAuthenticated, 401, "not_authenticated"),
    (e.Forbidden, 403, "forbidden"),
    (e.ToolNotPermitted, 403, "tool_not_permitted"),
    (e.UnknownRole, 400, "unknown_role"),
    (e.InputError, 400, "invalid_request"),
    (e.JobNotFound, 404, "not_found"),
    (e.JobError, 409, "job_error"),
    (e.BudgetExceeded, 429, "budget_exceeded"),
    (e.RateLimited, 429, "rate_limited"),
    (e.ApprovalRequired, 202, "approval_required"),
    (e.AgentPaused, 409, "agent_paused"),
    (e.ContextLengthExceeded, 400, "context_length_exceeded"),
    (e.ContentPolicyViolation, 400, "content_policy_violation"),
    (e.ProviderTimeout, 504, "provider_timeout"),
    (e.CircuitOpen, 503, "circuit_open"),
    (e.ProviderUnavailable, 503, "provider_unavailable"),
    (e.ProviderError, 502, "provider_error"),
    (e.ValidationFailed, 502, "output_validation_failed"),
    (e.RedactionFailed, 500, "redaction_failed"),
    (e.DataError, 503, "data_unavailable"),
    (e.ConfigError, 500, "config_error"),
]


def status_for(exc: Exception) -> tuple[int, str]:
    """The HTTP status and error type for a labkit error."""
    for cls, status, kind in _MAP:
        if isinstance(exc, cls):
            return status, kind
    return 500, "labkit_error"


def error_body(kind: str, message: str, **extra: object) -> dict:
    return {"error": {"type": kind, "message": message, **extra}}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


def install_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one JSON shape."""

    @app.exception_handler(e.LabkitError)
    async def _labkit(request: Request, exc: e.LabkitError) -> JSONResponse:
        status, kind = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status >= 500:
            log.warning("labkit error on %s %s: %r", request.method, request.url.path, exc)
        return JSONResponse(error_body(kind, _one_line(str(exc)) or kind), status_code=status,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:10]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        message = "invalid request: " + "; ".join(problems)
        return JSONResponse(error_body("invalid_request", _one_line(message)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: "not_found", 405: "method_not_allowed", 400: "invalid_request"}
        return JSONResponse(error_body(kinds.get(exc.status_code, "http_error"), _one_line(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", request_id, request.method, request.url.path)
        return JSONResponse(error_body("internal_error", f"internal error (request id {request_id})"),
                            status_code=500)
