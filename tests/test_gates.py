"""Go/no-go gates: pass, fail loudly, refuse to pass when empty, and persist the outcome."""

from __future__ import annotations

import math

import pytest

from labkit.errors import GateFailed, InputError
from labkit.roadmap.gates import Gate, load_gate_results


def test_gate_passes_when_every_criterion_holds() -> None:
    gate = Gate("01_assessment")
    gate.check("open checklist items", 3, "<=", 4)
    gate.require("ADR written", True)
    gate.enforce()
    [saved] = load_gate_results()
    assert saved["passed"] is True and len(saved["criteria"]) == 2


def test_gate_failure_names_every_failed_criterion() -> None:
    gate = Gate("02_prototype")
    gate.check("p95 latency", 1200.0, "<=", 800.0, unit="ms")
    gate.check("recall@5", 0.95, ">=", 0.9)
    gate.require("fallback exercised", False, detail="no fallback seen")
    with pytest.raises(GateFailed) as info:
        gate.enforce()
    message = str(info.value)
    assert "NO-GO" in message and "2 of 3" in message
    assert "p95 latency" in message and "fallback exercised" in message
    assert load_gate_results()[0]["passed"] is False


def test_a_gate_without_criteria_cannot_pass() -> None:
    gate = Gate("03_rollout")
    assert not gate.passed
    with pytest.raises(GateFailed, match="no criteria"):
        gate.enforce()


def test_missing_values_fail_and_bad_operators_are_rejected() -> None:
    gate = Gate("04_scale")
    assert not gate.check("quality", None, ">=", 0.8).passed
    assert not gate.check("quality", math.nan, ">=", 0.8).passed
    assert not gate.check("quality", "n/a", ">=", 0.8).passed
    with pytest.raises(InputError, match="unknown comparison"):
        gate.check("x", 1, "=>", 1)


def test_figures_are_saved_for_the_run_summary() -> None:
    gate = Gate("02_prototype")
    gate.check("errors", 0, "==", 0)
    gate.figure("p50 latency ms", 12.5)
    gate.save()
    assert load_gate_results()[0]["figures"] == {"p50 latency ms": 12.5}
    assert list(gate.table().columns)[:3] == ["name", "value", "op"]


def test_no_go_is_one_line_with_values_for_people() -> None:
    gate = Gate("02_prototype")
    gate.check("p95 latency", 1520.0, "<=", 1500.0, unit="ms")
    gate.check("success rate", 0.99, ">=", 0.95)
    with pytest.raises(GateFailed) as info:
        gate.enforce()
    message = str(info.value)
    assert "\n" not in message and "1.5e+03" not in message
    assert message == "NO-GO for 02_prototype: 1 of 2 criteria failed — p95 latency (1,520 ms, needs <= 1,500 ms)"
    # IPython renders this instead of a traceback: one line
    assert info.value._render_traceback_() == [f"\x1b[1;31mGateFailed\x1b[0m: {message}"]


def test_gate_html_is_coloured_and_readable() -> None:
    gate = Gate("03_controlled_rollout")
    gate.check("p95 latency", 1500.0, "<=", 2000.0, unit="ms")
    gate.require("kill switch reached every user", False, detail="3 users still exposed")
    html = gate._repr_html_()
    assert "NO-GO" in html and "#ffebe9" in html and "✘ FAIL" in html and "✔ pass" in html
    assert "1,500 ms" in html and "&lt;= 2,000 ms" in html and "must hold" in html and "1.5e+03" not in html
    assert "3 users still exposed" in html
    ok = Gate("00_start_here")
    ok.check("errors", 0, "==", 0)
    assert "#dafbe1" in ok._repr_html_() and "NO-GO" not in ok._repr_html_()


def test_in_a_kernel_the_gate_shows_once_and_a_no_go_has_no_traceback() -> None:
    """What a learner sees: one coloured table, then one red line — not the report three times."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from labkit.roadmap.gates import Gate\n"
        "gate = Gate('02_prototype')\n"
        "gate.check('call success rate', 0.4, '>=', 0.95)\n"
        "gate.check('p95 latency', 12.5, '<=', 1500.0, unit='ms')\n"
        "gate.enforce()")])
    with pytest.raises(CellExecutionError) as info:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert info.value.ename == "GateFailed"
    outputs = nb.cells[0].outputs
    shown = [o for o in outputs if o.output_type == "display_data"]
    assert len(shown) == 1 and "NO-GO" in shown[0].data["text/html"]
    assert not [o for o in outputs if o.output_type == "stream"]  # the report is not printed as well
    [error] = [o for o in outputs if o.output_type == "error"]
    assert len(error.traceback) == 1 and "call success rate (0.4, needs >= 0.95)" in error.traceback[0]
