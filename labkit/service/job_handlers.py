"""The service's job kinds, run by any queue worker (``labkit worker`` or embedded threads).

The service submits them by import path (``labkit.service.job_handlers:summarise``), which
:func:`labkit.jobs.handlers.resolve` loads in whatever worker process takes the job, so a
separately started ``labkit worker`` runs them without any registration step. Each handler
calls the model through the resilient client (one per worker process, from
``OPENAI_BASE_URL``), with ``pattern="jobs"`` and the submitter's user id as the budget key.

Example:
    >>> KIND_PATHS["summarise"]
    'labkit.service.job_handlers:summarise'
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel

from labkit.errors import NonRetryableJobError

KIND_PATHS: dict[str, str] = {
    "summarise": "labkit.service.job_handlers:summarise",
    "analyse_upload": "labkit.service.job_handlers:analyse_upload",
    "extract_invoice": "invoice_extract",  # the jobs pattern's own batch handler
}
PUBLIC_KIND = {v: k for k, v in KIND_PATHS.items()}

_client_lock = threading.Lock()
_client: Any = None


def _model_client(ctx: Any) -> Any:
    global _client
    given = ctx.extras.get("client") if hasattr(ctx, "extras") else None
    if given is not None:
        return given
    with _client_lock:
        if _client is None:
            from labkit.patterns.direct import ResilientClient

            _client = ResilientClient.from_env()
    return _client


def _text(ctx: Any) -> str:
    text = ctx.payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise NonRetryableJobError("payload.text must be a non-empty string")
    return text


def summarise(ctx: Any) -> dict[str, Any]:
    """Summarise ``payload.text`` (at most ``payload.max_words`` words)."""
    from labkit.service.routes_direct import summarise_messages

    max_words = int(ctx.payload.get("max_words", 60))
    r = _model_client(ctx).chat(summarise_messages(_text(ctx), max_words), pattern="jobs",
                                key=str(ctx.payload.get("_owner", "default")))
    if r.status == "cannot_answer":
        raise NonRetryableJobError("no model could summarise the text (queued for human review)")
    return {"summary": r.content, "status": r.status, "model": r.model_served, "cost": r.cost}


class UploadFields(BaseModel):
    """Fields the copilot pulls out of an uploaded file (each may be missing)."""

    account_id: str | None = None
    ticket_id: str | None = None
    email: str | None = None
    subject: str | None = None


def analyse_upload(ctx: Any) -> dict[str, Any]:
    """The copilot's uploaded file: a summary plus validated fields (account, ticket, e-mail)."""
    text = _text(ctx)
    client = _model_client(ctx)
    key = str(ctx.payload.get("_owner", "default"))
    from labkit.service.routes_direct import summarise_messages

    summary = client.chat(summarise_messages(text, 50), pattern="jobs", key=key)
    fields = client.chat([{"role": "system", "content": "Extract the fields of the schema from the document."},
                          {"role": "user", "content": text}], pattern="jobs", key=key,
                         output_model=UploadFields)
    parsed = fields.parsed.model_dump() if fields.parsed is not None else {}
    return {"filename": ctx.payload.get("filename"), "summary": summary.content, "fields": parsed,
            "status": "ok" if summary.status == "ok" and fields.status == "ok" else "degraded",
            "cost": summary.cost + fields.cost}
