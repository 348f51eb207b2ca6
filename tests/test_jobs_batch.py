"""The overnight invoice batch: real worker processes, the real mock provider, the sample data.

What must hold: malformed invoices end in the dead-letter queue with a specific reason, no
invoice that succeeded carries a wrong field (validation catches what the model got wrong),
every posted invoice is posted once, and re-running the batch queues nothing twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labkit.jobs import open_queue
from labkit.jobs.batch import QUEUE, load_invoices, run_batch, submit_batch


def test_invoice_batch_accuracy_dlq_and_single_posting(lab_db: Path, provider, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", provider.base_url)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    report = run_batch(url=url, limit=60, workers=2, concurrency=4, progress=False, timeout_s=240)
    assert report.documents == 60 and report.other == 0
    assert report.succeeded + report.dead_lettered == 60
    assert report.malformed >= 3
    assert report.malformed_rejected == report.malformed          # every bad document caught
    assert report.succeeded > 0
    assert report.document_accuracy == 1.0                        # no silent wrong extraction
    assert set(report.dead_reasons) == {"ValidationFailed"}
    q = open_queue(url)
    dead = q.dead_letters(QUEUE, limit=100)
    assert all(j.dead_reason == "non_retryable" and j.attempts == 1 for j in dead)
    assert all("does not match" in j.last_error or "!=" in j.last_error or "IBAN" in j.last_error
               or "due date" in j.last_error for j in dead), [j.last_error for j in dead][:3]
    effects = q.effect_counts()
    assert effects["applied"] == report.succeeded and effects["duplicates"] == 0
    # re-running the batch: the idempotency keys return the same jobs, nothing new is queued
    again = submit_batch(q, load_invoices(60))
    assert q.stats(QUEUE).depth == 0 and len(set(again.values())) == 60


def test_dead_letter_reason_comes_from_the_result_not_telemetry(lab_db: Path, provider,
                                                                tmp_path: Path) -> None:
    """The DLQ reason is the client's own validation error, even with telemetry off."""
    from labkit.direct import ClientConfig, ResilientClient
    from labkit.errors import ValidationFailed
    from labkit.jobs.batch import extract_invoice
    from labkit.jobs.handlers import JobContext
    from labkit.telemetry.events import read_events

    client = ResilientClient(ClientConfig(base_url=provider.base_url, api_key="lab-key",
                                          telemetry=False))
    q = open_queue(f"sqlite:///{tmp_path / 'q.db'}")
    reasons = []
    for inv in [i for i in load_invoices() if i["malformed"]][:6]:
        job = q.submit("invoice_extract", {"doc_id": inv["doc_id"], "text": inv["text"]})
        try:
            extract_invoice(JobContext(job=job, queue=q, worker_id="t", extras={"client": client}))
        except ValidationFailed as exc:
            reasons.append(str(exc))
    after_repair = [r for r in reasons if "after repair" in r]
    assert after_repair, reasons                     # at least one failed the client's validation
    assert read_events("validation") == []           # nothing could have been read back
    assert not any("reason not" in r for r in after_repair), after_repair
    # "<doc>: ... after repair: <last route>: <the validator's message>"
    assert all(re.search(r"after repair: lab-[a-z]+-\d{4}-\d{2}: output does not match Invoice", r)
               for r in after_repair), after_repair
