"""The overnight batch: supplier invoices to validated JSON, through the queue and the client.

The sample data's ``batch_invoices`` table holds 300 invoices as OCR/e-mail text, ~7% of them
malformed on purpose (total missing, text garbled or cut off), each with the generator's
ground truth. :func:`submit_batch` queues one ``invoice_extract`` job per invoice (the
idempotency key is the document id, so re-running the batch queues nothing twice);
:func:`extract_invoice` is the handler; :func:`score_batch` compares results to the truth.

The handler:

1. calls the model through the resilient client (``pattern="jobs"``) with
   ``output_model=Invoice``: the client validates the JSON (types, dates, arithmetic
   ``subtotal + tax == total``) and makes one repair attempt per model route;
2. checks the rehydrated IBAN with mod-97 (the client redacts IBANs before sending, so this
   business rule can only run on the rehydrated answer);
3. posts the invoice once (:meth:`JobContext.apply_effect` keyed by document id) — a
   redelivered job cannot book an invoice twice.

Validation that still fails is not retried — the document itself is bad — so the job goes
straight to the dead-letter queue with the reason; a provider outage (``cannot_answer`` without
a validation failure) is retried with backoff like any transient error.

Example:
    >>> Invoice.model_validate({"vendor": "Acme Ltd", "invoice_number": "INV-1", "invoice_date":
    ...     "2026-01-02", "due_date": "2026-02-01", "currency": "EUR", "subtotal": 10, "tax": 2,
    ...     "total_due": 12, "iban": "IBAN DE00"}).iban
    'DE00'
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import ExitStack
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from labkit.controls.pii import iban_ok
from labkit.errors import DataError, JobError, NonRetryableJobError, ValidationFailed
from labkit.jobs.handlers import JobContext, job_kind, shared_client
from labkit.jobs.queue import JobQueue, open_queue
from labkit.jobs.worker import spawn_worker
from labkit.serving import stop_processes
from labkit.settings import datasets_dir

QUEUE = "invoices"
FIELDS = ("vendor", "invoice_number", "invoice_date", "due_date", "currency", "subtotal", "tax",
          "total", "iban")


class Invoice(BaseModel):
    """The validated extraction of one supplier invoice."""

    # titles name the label a layout may use instead of the field name (Net, VAT, From)
    vendor: str = Field(min_length=2, title="From", description="Supplier name")
    invoice_number: str = Field(min_length=3, description="Invoice number, e.g. INV-12345-0001")
    invoice_date: date = Field(title="Issued", description="Issue date, YYYY-MM-DD")
    due_date: date = Field(title="Payment due", description="Payment due date, YYYY-MM-DD")
    currency: Literal["EUR", "GBP", "USD"]
    subtotal: float = Field(ge=0, title="Net", description="Net amount")
    tax: float = Field(ge=0, title="VAT", description="Tax / VAT amount")
    # "total_due", not "total": a label "Subtotal" must not be read as the total
    total_due: float = Field(gt=0, description="Total amount due")
    iban: str = Field(min_length=4, title="Bank", description="Supplier IBAN")

    @field_validator("iban", mode="before")
    @classmethod
    def _bare_iban(cls, value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"^\s*IBAN\s*", "", value, flags=re.I).replace(" ", "")
        return value

    @field_validator("vendor", mode="before")
    @classmethod
    def _name_only(cls, value: Any) -> Any:
        # an e-mail "From:" line carries the address too: keep the name
        return re.sub(r"\s*<[^>]*>\s*$", "", value).strip() if isinstance(value, str) else value

    @field_validator("invoice_date", "due_date", mode="before")
    @classmethod
    def _first_date(cls, value: Any) -> Any:
        # "2026-10-27 | Payment due: 2026-12-26": the label's own date is the first one
        if isinstance(value, str):
            m = re.search(r"\d{4}-\d{2}-\d{2}", value)
            return m.group(0) if m else value
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Invoice:
        # the arithmetic is the cheapest and strongest check an extraction gets
        if abs(self.subtotal + self.tax - self.total_due) > 0.011:
            raise ValueError(f"subtotal {self.subtotal} + tax {self.tax} != total {self.total_due}")
        # payment terms are never zero days here: equal dates mean one date was read twice
        if self.due_date <= self.invoice_date:
            raise ValueError("due date not after invoice date")
        return self


def invoice_messages(text: str) -> list[dict[str, Any]]:
    """The extraction prompt for one invoice."""
    return [{"role": "system", "content": "Extract the supplier invoice into JSON matching the "
                                          "schema. Use only values present in the document."},
            {"role": "user", "content": text}]


@job_kind("invoice_extract")
def extract_invoice(ctx: JobContext) -> dict[str, Any]:
    """Handler for ``invoice_extract`` jobs: payload ``{"text": ..., "doc_id": ...}``."""
    text = ctx.payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise NonRetryableJobError("payload.text must be a non-empty string")
    doc_id = str(ctx.payload.get("doc_id") or ctx.job.idempotency_key or ctx.job.id)
    client = ctx.extras.get("client") or shared_client()
    r = client.chat(invoice_messages(text), model=ctx.payload.get("model", "lab-mini-2026-03"),
                    pattern="jobs", output_model=Invoice, key=str(ctx.payload.get("_owner", "batch")))
    if r.status == "cannot_answer" or r.parsed is None:
        if r.validation == "failed":
            raise ValidationFailed(f"{doc_id}: extraction did not validate after repair: "
                                   f"{r.validation_error or 'reason not given'}")
        raise JobError(f"{doc_id}: no model answered ({r.status})")   # transient: retry
    # the client validated the redacted answer; validate the rehydrated one again, so the
    # IBAN rule (mod-97) sees the real value
    try:
        invoice = Invoice.model_validate_json(r.content or "")
    except ValueError as exc:
        raise ValidationFailed(f"{doc_id}: rehydrated extraction invalid: {str(exc)[:300]}") from None
    data = invoice.model_dump(mode="json")
    data["total"] = data.pop("total_due")
    if not iban_ok(data["iban"]):
        raise ValidationFailed(f"{doc_id}: IBAN {data['iban']!r} fails the mod-97 check")
    posted = ctx.apply_effect({"doc_id": doc_id, "total": data["total"], "currency": data["currency"]},
                              key=f"invoice:{doc_id}")
    return {"doc_id": doc_id, "invoice": data, "posted": posted, "model": r.model_served,
            "validation": r.validation, "cost": r.cost}


# --- the batch run ------------------------------------------------------------------------

class BatchReport(BaseModel):
    """How the batch went and how good the extractions were."""

    documents: int
    succeeded: int
    dead_lettered: int
    other: int
    malformed: int
    malformed_rejected: int           # malformed documents that ended in the DLQ
    good_rejected: int                # intact documents that ended in the DLQ
    field_accuracy: float             # over intact documents that succeeded, all fields
    document_accuracy: float          # share of intact succeeded documents with every field right
    per_field: dict[str, float]
    seconds: float
    throughput_per_s: float
    dead_reasons: dict[str, int]


def load_invoices(limit: int | None = None) -> list[dict[str, Any]]:
    """Invoices from DuckDB (``batch_invoices``), with ``truth`` parsed.

    If another process holds the DuckDB file read-write (DuckDB then refuses readers from
    other processes), the committed ``datasets/batch/invoices.jsonl`` it was loaded from is
    read instead: the same rows.
    """
    # lazy: DuckDB loads only where the batch is read, not in every worker process that imports
    # this module to learn its job kind (worker start time decides the chaos drill's pace)
    import duckdb

    # lazy: as above (the catalogue imports DuckDB)
    from labkit.data.catalogue import connect, ensure_loaded

    try:
        ensure_loaded()
        con = connect(read_only=True)
    except (DataError, duckdb.Error):
        return _invoices_from_file(limit)
    try:
        sql = "SELECT doc_id, text, truth, malformed FROM batch_invoices ORDER BY doc_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    if not rows:
        raise DataError("batch_invoices is empty: run `labkit data build`")
    return [{"doc_id": d, "text": t, "truth": json.loads(tr) if isinstance(tr, str) else tr,
             "malformed": bool(m)} for d, t, tr, m in rows]


def _invoices_from_file(limit: int | None) -> list[dict[str, Any]]:
    # lazy: as in load_invoices (the catalogue imports DuckDB)
    from labkit.data.catalogue import read_jsonl

    path = datasets_dir() / "batch" / "invoices.jsonl"
    if not path.is_file():
        raise DataError(f"no invoices: {path} is missing; run `labkit data build`")
    rows = sorted(read_jsonl(path, required=("doc_id", "text", "truth", "malformed")),
                  key=lambda r: r["doc_id"])
    return [{k: r[k] for k in ("doc_id", "text", "truth", "malformed")} for r in rows[:limit or None]]


def submit_batch(q: JobQueue, invoices: list[dict[str, Any]], max_attempts: int = 4) -> dict[str, str]:
    """Queue one job per invoice (idempotent per doc id); returns doc_id -> job id."""
    ids = q.submit_many([{"kind": "invoice_extract", "queue": QUEUE,
                          "payload": {"doc_id": inv["doc_id"], "text": inv["text"]},
                          "idempotency_key": f"invoice:{inv['doc_id']}", "max_attempts": max_attempts}
                         for inv in invoices])
    return {inv["doc_id"]: job_id for inv, job_id in zip(invoices, ids)}


def _same(field: str, got: Any, want: Any) -> bool:
    if isinstance(want, (int, float)):
        try:
            return abs(float(got) - float(want)) < 0.011
        except (TypeError, ValueError):
            return False
    return str(got).strip() == str(want).strip()


def score_batch(q: JobQueue, invoices: list[dict[str, Any]], job_ids: dict[str, str],
                seconds: float) -> BatchReport:
    """Compare each job's outcome with the generator's ground truth."""
    succeeded = dead = other = mal = mal_rej = good_rej = 0
    right = {f: 0 for f in FIELDS}
    scored = all_right = 0
    reasons: dict[str, int] = {}
    for inv in invoices:
        job = q.get(job_ids[inv["doc_id"]])
        mal += inv["malformed"]
        if job.status == "dead":
            dead += 1
            reason = (job.last_error or job.dead_reason or "?").split(":")[0]
            reasons[reason] = reasons.get(reason, 0) + 1
            if inv["malformed"]:
                mal_rej += 1
            else:
                good_rej += 1
        elif job.status == "succeeded":
            succeeded += 1
            if not inv["malformed"]:
                got = job.result["invoice"]
                ok = [_same(f, got.get(f), inv["truth"][f]) for f in FIELDS]
                for f, hit in zip(FIELDS, ok):
                    right[f] += hit
                scored += 1
                all_right += all(ok)
        else:
            other += 1
    n = len(invoices)
    per_field = {f: round(right[f] / scored, 4) if scored else 0.0 for f in FIELDS}
    return BatchReport(
        documents=n, succeeded=succeeded, dead_lettered=dead, other=other, malformed=mal,
        malformed_rejected=mal_rej, good_rejected=good_rej,
        field_accuracy=round(sum(right.values()) / (scored * len(FIELDS)), 4) if scored else 0.0,
        document_accuracy=round(all_right / scored, 4) if scored else 0.0, per_field=per_field,
        seconds=round(seconds, 2), throughput_per_s=round(n / seconds, 2) if seconds else 0.0,
        dead_reasons=reasons)


def run_batch(url: str | None = None, limit: int | None = None, workers: int = 2,
              concurrency: int = 4, progress: bool = True, timeout_s: float = 600.0) -> BatchReport:
    """Queue the batch, run ``workers`` worker processes until it drains, score it.

    Uses the provider at ``OPENAI_BASE_URL``; without one, starts the mock provider in this
    process for the duration.

    Example:
        >>> report = run_batch(limit=20, workers=1, progress=False)     # doctest: +SKIP
        >>> report.malformed_rejected <= report.malformed               # doctest: +SKIP
        True
    """
    q = open_queue(url)
    invoices = load_invoices(limit)
    with ExitStack() as stack:
        env: dict[str, str] = {}
        if not os.environ.get("OPENAI_BASE_URL"):
            # lazy: the mock provider (fastapi, uvicorn) only when no provider URL is given
            from labkit.provider.server import serve_in_thread

            running = stack.enter_context(serve_in_thread())
            env["OPENAI_BASE_URL"] = running.base_url
        t0 = time.perf_counter()
        job_ids = submit_batch(q, invoices)
        # the client is built before claiming, so no invoice holds a lease meanwhile
        preload = ["labkit.jobs.batch", "labkit.jobs.handlers:warm_client"]
        procs = [spawn_worker(q.url, queue=QUEUE, concurrency=concurrency, burst=True, env=env,
                              preload=preload) for _ in range(workers)]
        try:
            bar = None
            if progress:
                from tqdm.auto import tqdm

                bar = stack.enter_context(tqdm(total=len(invoices), desc="invoices", unit="doc"))
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                s = q.stats(QUEUE)
                done = s.succeeded + s.dead + s.expired
                if bar is not None:
                    bar.n = min(done, len(invoices))
                    bar.refresh()
                if s.depth == 0 and s.running == 0:
                    break
                if all(p.poll() is not None for p in procs) and s.depth:
                    procs = [spawn_worker(q.url, queue=QUEUE, concurrency=concurrency, burst=True,
                                          env=env, preload=preload) for _ in range(workers)]
                time.sleep(0.2)
            seconds = time.perf_counter() - t0
        finally:
            stop_processes(procs, timeout=15)
    return score_batch(q, invoices, job_ids, seconds)
