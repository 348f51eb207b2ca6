"""The roadmap notebooks: committed clean, one set-up call, plots on screen, each gate able to fail.

nbval (``--nbval-lax``, see pyproject) runs every notebook with its defaults; here papermill
runs each phase with hostile parameters that must make that phase's gate raise GateFailed
(briefly: one line, no traceback), every executed phase notebook must carry inline plots
(``image/png`` outputs), and the main job (``labkit run``) writes its summary and exits
non-zero on a NO-GO.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import pytest
from click.testing import CliRunner

from labkit.roadmap.runner import NOTEBOOKS, notebooks_dir, run_lab

ROOT = Path(__file__).resolve().parents[1]


def _book(name: str) -> Any:
    return nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4)


def _images(notebook: Path) -> int:
    """How many inline plots (``image/png`` outputs) an executed notebook carries."""
    book = nbformat.read(notebook, as_version=4)
    return sum("image/png" in o.get("data", {}) for c in book.cells for o in c.get("outputs", []))


def test_every_listed_notebook_exists_and_nothing_else() -> None:
    # the guided pattern notebooks (pattern*.ipynb) are not roadmap phases; tested at the end
    on_disk = sorted(p.stem for p in notebooks_dir().glob("*.ipynb") if not p.stem.startswith("pattern"))
    assert on_disk == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name: str) -> None:
    book = _book(name)
    code = [c for c in book.cells if c.cell_type == "code"]
    dirty = [i for i, c in enumerate(code) if c.outputs or c.execution_count is not None]
    assert not dirty, f"{name}: code cells {dirty} carry outputs; strip them before committing"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_thin_shape_parameters_first_gate_last(name: str) -> None:
    book = _book(name)
    code = [c for c in book.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and code[0] is tagged[0], f"{name}: the first code cell must be the tagged parameters cell"
    params = pm.inspect_notebook(str(notebooks_dir() / f"{name}.ipynb"))
    if "interactive" in params:
        assert params["interactive"]["default"] == "False"
    assert params["provider_url"]["default"] == '""'
    # literal defaults only: no calls in the parameters cell
    assert "(" not in "".join(line.split("#")[0] for line in tagged[0].source.splitlines())
    # the set-up cell is the one setup() call, and nothing picks a plot backend (Agg hid every plot)
    assert "setup(provider_url" in code[1].source
    assert not [c for c in code if "matplotlib.use" in c.source or "attach_provider(" in c.source]
    assert "gate.enforce()" in code[-1].source and code[-1].source.count("display(") == 0
    # widgets only behind `interactive`
    for c in code:
        if "ipywidgets" in c.source or ".panel()" in c.source:
            assert "if interactive" in c.source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_teaches_objectives_exercises_recap(name: str) -> None:
    text = "\n".join(c.source for c in _book(name).cells if c.cell_type == "markdown")
    assert "By the end" in text
    assert text.count("<details><summary>Solution</summary>") >= 2
    assert "## Recap" in text


def _hostile(name: str, tmp: Path, **parameters: Any) -> dict[str, Any]:
    """Run ``name`` with ``parameters``; it must raise GateFailed; return the saved gate.

    Every cell before the gate ran, so the executed notebook must show its plots inline, the
    gate once (one coloured table) and the NO-GO as one line without a traceback.
    """
    out = tmp / f"{name}.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(out), parameters=parameters,
                            kernel_name="python3", cwd=str(ROOT), progress_bar=False, execution_timeout=300)
    assert info.value.ename == "GateFailed", info.value.evalue
    assert _images(out) >= 1, f"{name}: no inline plot (image/png) in the executed notebook"
    gate_cell = [c for c in nbformat.read(out, as_version=4).cells if "gate.enforce()" in c.source][-1]
    shown = [o for o in gate_cell.outputs if "NO-GO" in o.get("data", {}).get("text/html", "")]
    errors = [o for o in gate_cell.outputs if o.output_type == "error"]
    assert len(shown) == 1 and len(errors) == 1 and len(errors[0].traceback) == 1
    from labkit.settings import var_dir

    return json.loads((var_dir() / "gates" / f"{name}.json").read_text())


def _failed(gate: dict[str, Any]) -> set[str]:
    return {c["name"] for c in gate["criteria"] if not c["passed"]}


def test_assessment_gate_fails_without_mitigations(tmp_path: Path) -> None:
    gate = _hostile("01_integration_assessment", tmp_path, record_mitigations=False)
    assert not gate["passed"]
    assert _failed(gate) == {"Phase 1 blockers (data, access, integration points)", "assessment says go"}


def test_prototype_gate_fails_at_a_60_percent_provider_error_rate(tmp_path: Path) -> None:
    # rag_questions=15: with 10 (8 answerable) one abstention is 12.5 % and a small sample decides the test
    gate = _hostile("02_prototype", tmp_path, error_rate=0.6, rag_questions=15, batch_documents=5)
    failed = _failed(gate)
    assert "call success rate" in failed
    # the rest of the prototype is healthy: only the failure-driven criteria fail
    assert failed <= {"retry amplification (attempts per call)", "call success rate", "p95 latency (direct)"}


def test_rollout_gate_fails_at_a_60_percent_provider_error_rate_and_on_rejected_reviews(tmp_path: Path) -> None:
    # review_decisions: a person's verdicts given up front (the widgets' headless twin) feed the gate
    gate = _hostile("03_controlled_rollout", tmp_path, error_rate=0.6, review_sample=3,
                    review_decisions={0: "reject", 1: "reject", 2: "reject"})
    failed = _failed(gate)
    assert {"provider attempt error rate", "reviewed outputs approved"} <= failed
    reviewed = next(c for c in gate["criteria"] if c["name"] == "reviewed outputs approved")
    assert reviewed["value"] == 0 and "person" in reviewed["detail"]


def test_governance_gate_fails_when_the_audit_log_was_tampered_with(tmp_path: Path) -> None:
    gate = _hostile("04_scale_and_govern", tmp_path, tamper_audit=True, regression_cases=8, check_redis=False)
    assert _failed(gate) == {"audit chain verifies"}
    audit = next(c for c in gate["criteria"] if c["name"] == "audit chain verifies")
    assert "edited" in audit["detail"]


def test_main_job_summary_and_exit_status(tmp_path: Path) -> None:
    summary = run_lab(["00_start_here"], out_dir=tmp_path / "ok", service=False)
    assert summary.passed
    text = (tmp_path / "ok" / "summary.md").read_text()
    assert "# labkit run — GO" in text and "| first call status | ok | == ok | pass |" in text
    assert (tmp_path / "ok" / "summary.html").read_text().startswith("<!doctype html>")
    assert _images(tmp_path / "ok" / "00_start_here.ipynb") >= 1  # plots inline in the executed notebook

    from labkit.cli import cli

    result = CliRunner().invoke(cli, ["run", "--notebook", "00_start_here", "--no-service", "--out",
                                      str(tmp_path / "bad"), "--param", "model=lab-nonexistent-2099"])
    assert result.exit_code == 1, result.output
    assert "NO-GO 00_start_here" in result.output
    bad = (tmp_path / "bad" / "summary.md").read_text()
    assert "# labkit run — NO-GO" in bad and "**FAIL**" in bad and "GateFailed" in bad


def test_main_job_rejects_unknown_notebooks_and_bad_params() -> None:
    import subprocess
    import sys

    for args, message in ((["--notebook", "99_nope"], "error: unknown notebook(s) 99_nope"),
                          (["--param", "no-equals-sign"], "error: --param needs NAME=VALUE")):
        proc = subprocess.run([sys.executable, "-m", "labkit.cli", "run", *args], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(message) and "Traceback" not in proc.stderr


# --- the guided pattern notebooks (issue 16 item 1) ------------------------------------------
# Workshop labs, one per pattern: mechanism before abstraction, exercises, a recap; no gate.
# nbval runs them with their defaults like every notebook; here papermill runs each and checks
# that it drew its plots and that what its prose claims actually happened.

PATTERN_NOTEBOOKS = ["pattern1_direct_api", "pattern2_rag", "pattern3_async_jobs", "pattern4_agentic"]


def _run_pattern(name: str, tmp: Path, **parameters: Any) -> Any:
    out = tmp / f"{name}.ipynb"
    pm.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(ROOT), progress_bar=False, execution_timeout=300)
    book = nbformat.read(out, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no image/png output; plots must render inline"
    return book


def _text(book: Any) -> str:
    """Everything the executed notebook printed or displayed as text."""
    parts: list[str] = []
    for cell in book.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("name", PATTERN_NOTEBOOKS)
def test_pattern_notebook_is_a_workshop(name: str) -> None:
    """Committed clean; parameters first, then the one set-up call; objectives, exercises, recap."""
    book = _book(name)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert not [c for c in code if c.outputs or c.execution_count is not None], f"{name}: strip outputs"
    assert "parameters" in code[0].metadata.get("tags", []), f"{name}: first code cell must be tagged parameters"
    assert "(" not in "".join(line.split("#")[0] for line in code[0].source.splitlines())
    assert pm.inspect_notebook(str(notebooks_dir() / f"{name}.ipynb"))["provider_url"]["default"] == '""'
    assert "setup(provider_url=provider_url" in code[1].source
    assert "matplotlib.use(" not in "".join(c.source for c in code)
    prose = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    assert "By the end you will" in prose
    assert prose.count("Try this") >= 2 and prose.count("<summary>Solution</summary>") >= 2
    assert "## Recap" in prose


def _trails() -> dict[str, list[str]]:
    """call_id -> its attempts as 'route outcome', in order (from the kernel's telemetry)."""
    from labkit.telemetry.events import read_events

    trails: dict[str, list[str]] = {}
    for a in sorted(read_events("attempt"), key=lambda e: e["unix_ts"]):
        outcome = a.get("http_status") or a.get("error_kind") or a["status"]
        trails.setdefault(a["call_id"], []).append(f"{a['route']} {outcome}")
    return trails


def test_pattern1_direct_api_runs_and_shows_each_control(tmp_path: Path) -> None:
    from labkit.telemetry.events import read_events

    book = _run_pattern("pattern1_direct_api", tmp_path, burst=6)
    text = _text(book)
    # what the bare SDK caller sees: an exception per fault
    assert "InternalServerError (HTTP 503)" in text and "RateLimitError (HTTP 429)" in text
    assert "APITimeoutError" in text
    # the kernel shares this test's LABKIT_VAR: its telemetry shows each rescue
    trails = list(_trails().values())
    chat, mini = "lab-chat-2026-01", "lab-mini-2026-03"
    assert [f"{chat} 503", f"{chat} 503", f"{chat} ok"] in trails                      # retried
    assert [f"{chat} 503"] * 3 + [f"{mini} ok"] in trails                             # fell back
    assert [f"{chat} 429", f"{chat} ok"] in trails                                    # waited, retried
    assert [f"{chat} timeout", f"{mini} ok"] in trails                                # failed over at once
    assert [f"{chat} breaker_open", f"{mini} ok"] in trails                           # breaker skipped it
    transitions = [(e["old"], e["new"]) for e in read_events("breaker") if e["route"] == chat]
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert any(c["status"] == "budget_exceeded" for c in read_events("call"))
    assert "requests the provider saw during the refused call: 0" in text
    assert "Empty DataFrame" not in text  # every telemetry table the prose reads has rows
    # streaming through the gateway: pass-through loses the stream cut after output, retry-safe
    # rescues it (so three streamed calls were rescued by the fallback: two cut=0, one cut=3)
    streamed = [c for c in read_events("call") if c.get("stream")]
    assert sum(c["status"] == "interrupted" for c in streamed) == 1
    assert sum(c["status"] == "fallback" for c in streamed) == 3


def test_pattern2_rag_runs_and_shows_each_step(tmp_path: Path) -> None:
    book = _run_pattern("pattern2_rag", tmp_path, questions=16, distractors=5, answer_limit=6)
    text = _text(book)
    # both embedding models' shapes, the prompt's fences, the cited answer
    assert "256 floats" in text and "384 floats" in text
    assert '<<<UNTRUSTED source="DOC-0006#s3@v1:c0"' in text
    assert "answered · model" in text and "[DOC-0006#s3@v1:c0]" in text
    # the HR policy is hidden from an employee and shown without the filter
    assert "hidden from the employee" in text and "DOC-0005#s3@v1:c0" in text
    # the abstentions: the three tricky questions abstain, the PrismSense twin is answered
    assert text.count("abstained") >= 3 and "the same question about PrismSense: answered" in text
    assert ", 0 leaks, 0 superseded versions returned" in text
    assert "Empty DataFrame" not in text


def test_pattern3_async_jobs_runs_and_shows_each_failure(tmp_path: Path) -> None:
    from labkit.jobs.queue import open_queue
    from labkit.settings import var_dir

    book = _run_pattern("pattern3_async_jobs", tmp_path, burst=16)
    text = _text(book)
    assert "exit code -9" in text                             # a real worker process was SIGKILLed
    assert "queue_depth" in text and "job_age_sla" in text    # both alerts fired during the burst
    # the kernel shares this test's LABKIT_VAR: read the queue it left behind
    q = open_queue(f"sqlite:///{var_dir() / 'workshop' / 'pattern3' / 'queue.db'}")
    jobs = q.list_jobs(limit=500)

    def outcomes(job: Any) -> list[str | None]:
        return [a.outcome for a in job.history]

    # the killed worker's job: its lease expired and another worker finished it
    [killed] = [j for j in jobs if j.kind == "sleep" and j.payload.get("seconds") == 2.0]
    assert killed.status == "succeeded" and outcomes(killed) == ["lease_expired", "succeeded"]
    assert killed.history[0].worker_id != killed.history[1].worker_id
    [flaky] = [j for j in jobs if j.kind == "flaky"]
    assert outcomes(flaky) == ["failed", "failed", "succeeded"]
    gaps = [b.started_at - a.ended_at for a, b in zip(flaky.history, flaky.history[1:])]
    assert all(gap >= 0.3 * 0.5 * 2 ** i - 0.01 for i, gap in enumerate(gaps))   # backoff with jitter
    [hopeless] = [j for j in jobs if j.kind == "fail"]
    assert (hopeless.status, hopeless.dead_reason, hopeless.attempts) == ("dead", "max_attempts", 3)
    replayed = next(j for j in jobs if j.kind == "enrich_invoice" and j.payload["customer"] == "C-999")
    assert replayed.status == "succeeded" and outcomes(replayed) == ["dead", "succeeded"]
    # two executions of the refund job, one effect
    [refund] = [j for j in jobs if j.idempotency_key == "refund-R-7"]
    assert outcomes(refund) == ["lease_expired", "succeeded"]
    assert q.effect_counts() == {"applied": 1, "ledger": 1, "duplicates": 0}
    # "not now": deferred while the breakers were open, finished on its only attempt
    [once] = [j for j in jobs if j.kind == "chat" and j.max_attempts == 1]
    assert (once.status, once.attempts) == ("succeeded", 1) and once.deferrals >= 1
    assert outcomes(once)[0] == "deferred"
    assert sum(j.kind == "sleep" and j.status == "succeeded" for j in jobs) == 16 + 1
    q.close()


def test_pattern4_agentic_runs_and_shows_each_control(tmp_path: Path) -> None:
    import re

    from labkit.agent import AgentStore, AuditLog
    from labkit.agent.systems import Systems
    from labkit.settings import var_dir

    book = _run_pattern("pattern4_agentic", tmp_path, redteam_per_channel=1)
    text = _text(book)
    assert "Forbidden" in text and "(separation of duties)" in text
    assert "chain verified: True" in text and "content does not match its hash (edited)" in text
    assert re.search(r"writes without approval\s+0\n", text) and re.search(r"cases leaking a planted secret\s+0", text)
    # the kernel shares this test's LABKIT_VAR: read the stores it left behind
    root = var_dir() / "workshop" / "pattern4"
    audit = AuditLog(root / "audit.sqlite")
    assert audit.verify().ok                                    # the tamper drill worked on a copy
    audit.close()
    store = AgentStore(root / "agent.sqlite")
    decided = {(a["tool"], a["arguments"].get("value"), a["status"], a["decided_by"]) for a in store.approvals()}
    assert ("update_crm_field", "won", "approved", "ada") in decided
    # the injected write: proposed in a tainted run, waited for a person, rejected
    rejected = store.approvals(status="rejected")
    assert rejected and all(a["tool"] == "update_crm_field" and "untrusted" in a["why"] for a in rejected)
    paused = [store.run(r["run_id"]) for r in store.runs()]
    paused = [r for r in paused if any(s.get("event") == "paused" for s in r["state"]["trace"])]
    assert paused and paused[0]["status"] == "done"
    store.close()
    systems = Systems(root / "systems")
    assert systems.get_account("ACC-00001")["stage"] == "won"   # approved once, injection rejected
    systems.close()
