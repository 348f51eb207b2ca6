"""The service's job kinds, registered with the jobs pattern and run by any queue worker.

``@job_kind`` registers each handler when this module is imported: the service imports it
(its routes submit these kinds, its embedded workers run them) and so does ``labkit worker``
(:mod:`labkit.commands.jobs` imports every module that registers kinds), so a separately
started worker process runs them too. Each handler calls the model through the resilient
client (the worker's shared one, :func:`labkit.jobs.handlers.shared_client`, unless the
worker was given its own), with ``pattern="jobs"`` and the submitter's user id as the budget
key; a "not now" from the client (every route skipped) defers the job
(:func:`labkit.jobs.handlers.answered`), as the jobs pattern's own handlers do. It imports no
web framework, so workers stay light.

Example:
    >>> from labkit.jobs.handlers import HANDLERS
    >>> KINDS["extract_invoice"], "summarise" in HANDLERS
    ('invoice_extract', True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

import labkit.jobs.batch  # noqa: F401  (registers invoice_extract, exposed here as extract_invoice)
from labkit.errors import NonRetryableJobError
from labkit.jobs.handlers import JobContext, answered, job_kind, shared_client

if TYPE_CHECKING:  # typing only: the client (openai) loads when a job first calls a model
    from labkit.direct.models import ModelClient

# the kind a caller of POST /jobs names -> the registered job kind it runs
KINDS: dict[str, str] = {
    "summarise": "summarise",
    "analyse_upload": "analyse_upload",
    "extract_invoice": "invoice_extract",  # the jobs pattern's own batch handler (labkit.jobs.batch)
}
PUBLIC_KIND = {v: k for k, v in KINDS.items()}


def summarise_messages(text: str, max_words: int) -> list[dict[str, str]]:
    """The summarising prompt, shared by ``POST /direct/summarise`` and the ``summarise`` job."""
    return [{"role": "system", "content": f"Summarise the user's text in at most {max_words} words."},
            {"role": "user", "content": text}]


def _model_client(ctx: JobContext) -> ModelClient:
    given: ModelClient | None = ctx.extras.get("client")
    return given if given is not None else shared_client()


def _text(ctx: JobContext) -> str:
    text = ctx.payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise NonRetryableJobError("payload.text must be a non-empty string")
    return text


@job_kind("summarise")
def summarise(ctx: JobContext) -> dict[str, Any]:
    """Summarise ``payload.text`` (at most ``payload.max_words`` words)."""
    max_words = int(ctx.payload.get("max_words", 60))
    # answered(): "not now" (every route skipped) waits in the queue instead of failing
    r = answered(_model_client(ctx).chat(summarise_messages(_text(ctx), max_words), pattern="jobs",
                                         key=str(ctx.payload.get("_owner", "default"))))
    if r.status == "cannot_answer":
        raise NonRetryableJobError("no model could summarise the text (queued for human review)")
    return {"summary": r.content, "status": r.status, "model": r.model_served, "cost": r.cost}


class UploadFields(BaseModel):
    """Fields the copilot pulls out of an uploaded file (each may be missing)."""

    account_id: str | None = None
    ticket_id: str | None = None
    email: str | None = None
    subject: str | None = None


@job_kind("analyse_upload")
def analyse_upload(ctx: JobContext) -> dict[str, Any]:
    """The copilot's uploaded file: a summary plus validated fields (account, ticket, e-mail)."""
    text = _text(ctx)
    client = _model_client(ctx)
    key = str(ctx.payload.get("_owner", "default"))
    summary = answered(client.chat(summarise_messages(text, 50), pattern="jobs", key=key))
    fields = answered(client.chat([{"role": "system", "content": "Extract the fields of the schema from the document."},
                                   {"role": "user", "content": text}], pattern="jobs", key=key,
                                  output_model=UploadFields))
    parsed = fields.parsed.model_dump() if fields.parsed is not None else {}
    return {"filename": ctx.payload.get("filename"), "summary": summary.content, "fields": parsed,
            "status": "ok" if summary.status == "ok" and fields.status == "ok" else "degraded",
            "cost": summary.cost + fields.cost}
