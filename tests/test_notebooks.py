"""The roadmap notebooks: committed clean, thin, and each gate able to fail.

nbval (``--nbval-lax``, see pyproject) runs every notebook with its defaults; here papermill
runs each phase with hostile parameters that must make that phase's gate raise GateFailed,
and the main job (``labkit run``) writes its summary and exits non-zero on a NO-GO.
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


def test_every_listed_notebook_exists_and_nothing_else() -> None:
    on_disk = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
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
    assert params["interactive"]["default"] == "False"
    assert params["provider_url"]["default"] == '""'
    # literal defaults only: no calls in the parameters cell
    assert "(" not in "".join(line.split("#")[0] for line in tagged[0].source.splitlines())
    assert "gate.enforce()" in code[-1].source
    # widgets only behind `interactive`
    for c in code:
        if "ipywidgets" in c.source:
            assert "if interactive" in c.source


def _hostile(name: str, tmp: Path, **parameters: Any) -> dict[str, Any]:
    """Run ``name`` with ``parameters``; it must raise GateFailed; return the saved gate."""
    out = tmp / f"{name}.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(out), parameters=parameters,
                            kernel_name="python3", cwd=str(ROOT), progress_bar=False, execution_timeout=300)
    assert info.value.ename == "GateFailed", info.value.evalue
    from labkit.settings import var_dir

    return json.loads((var_dir() / "gates" / f"{name}.json").read_text())


def _failed(gate: dict[str, Any]) -> set[str]:
    return {c["name"] for c in gate["criteria"] if not c["passed"]}


def test_assessment_gate_fails_without_mitigations(tmp_path: Path) -> None:
    gate = _hostile("01_integration_assessment", tmp_path, record_mitigations=False)
    assert not gate["passed"]
    assert _failed(gate) == {"Phase 1 blockers (data, access, integration points)", "assessment says go"}


def test_prototype_gate_fails_at_a_60_percent_provider_error_rate(tmp_path: Path) -> None:
    gate = _hostile("02_prototype", tmp_path, error_rate=0.6, rag_questions=10, batch_documents=5)
    failed = _failed(gate)
    assert "call success rate" in failed
    # the rest of the prototype is healthy: only the failure-driven criteria fail
    assert failed <= {"retry amplification (attempts per call)", "call success rate", "p95 latency (direct)"}


def test_rollout_gate_fails_at_a_60_percent_provider_error_rate(tmp_path: Path) -> None:
    gate = _hostile("03_controlled_rollout", tmp_path, error_rate=0.6, review_sample=3)
    assert "provider attempt error rate" in _failed(gate)


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
    assert (tmp_path / "ok" / "00_start_here.ipynb").exists()

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
