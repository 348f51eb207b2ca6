"""The roadmap phase helpers, directly: lab handle, prototype, rollout, governance, runner.

Fast tests against the real mock provider (fixture ``provider``), real SQLite, DuckDB and
telemetry files; the notebooks themselves are covered by tests/test_notebooks.py and nbval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labkit.errors import GateFailed, InputError
from labkit.roadmap import governance, prototype, rollout
from labkit.roadmap.lab import PROVIDER_ENV, LabProvider, attach_provider, environment_check, setup


@pytest.fixture
def lab(provider: Any) -> LabProvider:
    return attach_provider(provider.base_url)


# --- the lab handle -----------------------------------------------------------------------


def test_attached_provider_faults_and_alias_over_http(lab: LabProvider, provider: Any) -> None:
    assert lab.embedded is None and lab.is_mock
    lab.set_fault("lab-mini-2026-03", "status=503")
    assert lab.faults() == {"lab-mini-2026-03": "status=503"}
    lab.clear_faults()
    assert lab.faults() == {}
    assert lab.move_alias("lab-chat") == "lab-chat-2026-06" == provider.state.aliases["lab-chat"]
    lab.move_alias("lab-chat", "lab-chat-2026-01")
    assert lab.aliases()["lab-chat"] == "lab-chat-2026-01"
    with pytest.raises(InputError, match="unknown alias"):
        lab.move_alias("no-such-alias")


def test_setup_attaches_to_the_exported_provider_and_says_so(
        provider: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(PROVIDER_ENV, provider.base_url)
    lab = setup("", seed=3)
    assert lab.embedded is None and lab.base_url == provider.base_url
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "attached" in out[0] and PROVIDER_ENV in out[0]


def test_setup_explicit_url_wins_over_the_environment(provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROVIDER_ENV, "http://127.0.0.1:9/v1")
    with setup(provider.base_url) as lab:
        assert lab.base_url == provider.base_url and lab.is_mock


def test_setup_starts_the_embedded_provider_and_sets_readable_tables(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import matplotlib
    import pandas as pd

    monkeypatch.delenv(PROVIDER_ENV, raising=False)
    backend = matplotlib.get_backend()
    with setup("", seed=1) as lab:
        assert lab.embedded is not None and lab.is_mock
        assert "embedded" in capsys.readouterr().out
        # numbers for people, not 1.5e+03
        assert "1,500" in pd.DataFrame({"p95 ms": [1500.0]}).to_string()
    assert matplotlib.get_backend() == backend  # outside a kernel nothing is switched


def test_setup_draws_inline_in_a_kernel_even_when_agg_is_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trap of issue 16: a kernel on Agg shows no plot, silently. setup() makes it inline."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv(PROVIDER_ENV, raising=False)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from labkit.roadmap.lab import setup\nlab = setup()"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()"),
        nbformat.v4.new_code_cell("lab.close()"),
    ])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert any("image/png" in o.get("data", {}) for o in outputs), outputs


def test_readable_tables_have_no_raw_containers() -> None:
    from labkit.roadmap.lab import record, table

    frame = table([{"served": ["m-1", "m-2"], "outcomes": {"ok": 3}, "why": None, "rate": 0.5}])
    assert frame.iloc[0].tolist() == ["m-1, m-2", "ok: 3", "–", 0.5]
    rec = record({"p95_ms": 1520.0, "reasons": ["a", "b"], "ok": True}, {"p95_ms": "p95 (ms)", "reasons": "why",
                                                                            "ok": "ok"})
    assert rec["value"].tolist() == ["1,520", "a, b", "yes"] and list(rec.index) == ["p95 (ms)", "why", "ok"]


def test_with_progress_returns_the_value_or_raises_the_error() -> None:
    from labkit.roadmap.lab import with_progress

    assert with_progress("sum", sum, [1, 2, 3], expected_s=1) == 6
    with pytest.raises(InputError, match="boom"):
        with_progress("fail", lambda: (_ for _ in ()).throw(InputError("boom")), expected_s=1)


def test_attach_rejects_a_url_without_v1() -> None:
    with pytest.raises(InputError, match="must end in /v1"):
        attach_provider("http://127.0.0.1:1")


def test_environment_check_reports_rows_without_importing_locust() -> None:
    import subprocess
    import sys

    code = ("import sys; from labkit.roadmap.lab import environment_check; environment_check(); "
            "print('locust' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False"  # find_spec only; see the module docstring
    rows = {r["what"]: r for r in environment_check()}
    assert rows["module openai"]["ok"] and rows["var/ writable"]["ok"]
    assert all(isinstance(r["required"], bool) for r in rows.values())


# --- Phase 1 ------------------------------------------------------------------------------


def test_scope_explains_failed_data_criteria_beside_zero_open_items() -> None:
    """ "7 of 18 data criteria pass" and "0 checklist items open" are both true: say why."""
    import copy

    from labkit.roadmap.assessment import EXAMPLE_ANSWERS, criteria_scope, run_assessment, scope_summary

    result = run_assessment(copy.deepcopy(EXAMPLE_ANSWERS))
    scope = criteria_scope(result)
    assert (scope[~scope["use case reads it"]]["item status"] == "not counted").all()
    failed_in_scope = scope[scope["use case reads it"] & ~scope["passed"]]
    assert len(failed_in_scope) and (failed_in_scope["item status"] == "mitigated").all()
    text = scope_summary(result)
    assert f"{int(scope['passed'].sum())} of {len(scope)} data criteria pass" in text
    assert "do not count" in text and text.endswith("Checklist items open: 0.")
    bare = copy.deepcopy(EXAMPLE_ANSWERS)
    bare["mitigations"] = {}
    unmitigated = run_assessment(bare, report=result.data_report)
    assert "stay open" in scope_summary(unmitigated) and not unmitigated.go


# --- Phase 2 ------------------------------------------------------------------------------


def test_retrieval_quality_evaluates_every_stage(lab: LabProvider) -> None:
    out = prototype.retrieval_quality(lab.client(), questions=5, distractors=2, answer_limit=2, progress=False)
    assert [c.strategy for c in out.report.configs] == ["dense", "lexical", "hybrid"]
    assert out.report.leakage["checked"] > 0 and out.report.leakage["leaks"] == 0
    assert out.report.end_to_end is not None and out.report.end_to_end.questions == 2
    assert out.best.metrics["recall@5"] is not None and set(out.frames) >= {"retrieval", "abstention"}


def test_benchmark_success_rate_falls_under_injected_errors(lab: LabProvider) -> None:
    client = lab.client()
    clean = prototype.latency_benchmark(client, calls=6, progress=False)
    assert clean.summary["success_rate"] == 1.0 and clean.summary["attempts_per_call"] == 1.0
    assert clean.summary["consistent"] is True
    lab.set_fault("*", "error_rate=503:0.6")
    try:
        noisy = prototype.latency_benchmark(lab.client(), calls=12, seed=3, progress=False)
    finally:
        lab.clear_faults()
    # retries, then the breaker opens and calls fail fast to the documented "cannot answer"
    assert noisy.summary["success_rate"] < 0.9
    frame = noisy.frame()
    assert len(frame) == 12 and (frame["status"] == "cannot_answer").any()


def test_fallback_drill_matches_the_documented_paths_and_clears_faults(lab: LabProvider) -> None:
    rows = prototype.fallback_drill(lab)
    assert [r["scenario"] for r in rows] == [p[0] for p in prototype.FALLBACK_PATHS]
    assert all(r["as_documented"] for r in rows), rows
    assert rows[0]["model_served"] == "lab-mini-2026-03"
    assert lab.faults() == {}


def test_agent_run_needs_an_approval_for_every_write(lab: LabProvider) -> None:
    out = prototype.agent_run(lab.client())
    run = out["run"]
    assert run.status == "done" and out["audit_ok"]
    assert run.counters["writes_executed"] == out["approvals"] == run.counters["approvals_requested"] >= 1
    assert run.counters["unapproved_writes"] == 0
    assert [s["outcome"] for s in out["trace"]].count("pending_approval") == out["approvals"]


# --- Phase 3 ------------------------------------------------------------------------------


def test_staged_rollout_widens_monotonically_and_kill_reaches_everyone() -> None:
    from labkit.controls.flags import FlagStore

    stages = rollout.staged_rollout(FlagStore(), "copilot", users=300, pilot=5, percents=(5, 20, 50))
    props = rollout.rollout_properties(stages)
    assert props == {"monotonic": True, "kill_effective": True}
    shares = [s["share"] for s in stages if s["stage"].endswith("rollout")]
    assert shares == sorted(shares) and 0.3 < shares[-1] < 0.7
    assert stages[0]["exposed"] == 5  # the pilot group only


def test_rollout_properties_catch_a_kill_switch_that_does_not_kill() -> None:
    stages = [{"stage": "5% rollout", "exposed": 3, "share": 0.03, "lost_since_previous": 0},
              {"stage": "kill switch", "exposed": 2, "share": 0.02, "lost_since_previous": 0}]
    assert rollout.rollout_properties(stages)["kill_effective"] is False


def test_rule_based_reviewer_is_labelled_and_rejects_what_it_should() -> None:
    ok = rollout.rule_based_reviewer({"input": "Printer broken since Monday, please help.", "output": "Printer broken.",
                                      "status": "ok"})
    assert ok["verdict"] == "approve" and "rule-based" in ok["reviewer"]
    card = rollout.rule_based_reviewer({"input": "x" * 80, "output": "Card 4111 1111 1111 1111 charged.", "status": "ok"})
    assert card["verdict"] == "reject" and "CARD" in card["reasons"]
    failed = rollout.rule_based_reviewer({"input": "abc", "output": "", "status": "cannot_answer"})
    assert failed["verdict"] == "reject" and "no usable output" in failed["reasons"]


def test_shadow_compare_reads_agreement_from_telemetry(lab: LabProvider) -> None:
    from labkit.controls.flags import FlagStore

    tickets = rollout.pick_tickets(4)
    out = rollout.shadow_compare(FlagStore(), lab.client(), tickets)
    assert out["compared"] == 4 and 0.0 <= out["agreement"] <= 1.0
    assert len(out["served"]) == 4


def test_rollout_gate_fails_on_errors_and_writes_nothing_it_claims(tmp_path: Path) -> None:
    class Load:
        passed, verdict, run_id = True, {}, "r1"

    stages = [{"stage": "5% rollout", "exposed": 5, "share": 0.05, "lost_since_previous": 0},
              {"stage": "kill switch", "exposed": 0, "share": 0.0, "lost_since_previous": 0}]
    mon = {"provider_error_rate": 0.4, "attempts": 50, "alerts": []}
    reviews = [{"verdict": "approve"}]
    gate = rollout.rollout_gate(stages=stages, shadow={"agreement": 1.0}, load=Load(), mon=mon, reviews=reviews,
                                report=tmp_path / "missing.md", max_exposure=0.3, min_shadow_agreement=0.5,
                                max_provider_error_rate=0.05, min_review_approval=0.8)
    assert {c.name for c in gate.criteria if not c.passed} == {"provider attempt error rate",
                                                               "quality review report written"}
    with pytest.raises(GateFailed, match="NO-GO for 03_controlled_rollout: 2 of 8"):
        gate.enforce()


def _evidence() -> dict[str, Any]:
    class Load:
        passed, verdict, run_id = True, {}, "r1"

    return {"stages": [{"stage": "5% rollout", "exposed": 5, "share": 0.05, "lost_since_previous": 0},
                       {"stage": "kill switch", "exposed": 0, "share": 0.0, "lost_since_previous": 0}],
            "shadow": {"agreement": 1.0, "compared": 4, "new_errors": 0}, "load": Load(),
            "mon": {"provider_error_rate": 0.0, "attempts": 10, "alerts": []}}


THRESHOLDS = {"max_exposure": 0.3, "min_shadow_agreement": 0.5, "max_provider_error_rate": 0.05,
              "min_review_approval": 0.8}
ITEMS = [{"kind": "ticket summary", "input": "Printer broken since Monday, please help us.", "output": "Printer broken.",
          "status": "ok"},
         {"kind": "ticket summary", "input": "Refund please, charged twice this month.", "output": "Refund request.",
          "status": "ok"}]


def test_review_decisions_given_up_front_replace_the_reviewers_and_reach_the_gate() -> None:
    reviews = rollout.review_outputs(ITEMS, decisions={"1": "reject"})
    assert [r["verdict"] for r in reviews] == ["approve", "reject"]
    assert "person" in reviews[1]["reviewer"] and "rule-based" in reviews[0]["reviewer"]
    decision = rollout.RolloutDecision(_evidence(), reviews, THRESHOLDS)
    gate = decision.recompute()
    failed = [c for c in gate.criteria if not c.passed]
    assert [c.name for c in failed] == ["reviewed outputs approved"] and failed[0].value == 0.5
    assert "person" in failed[0].detail and "Approved 1 of 2" in decision.report.read_text()
    for bad, message in (({5: "reject"}, "there are 2 items"), ({0: "maybe"}, "not one of approve, reject"),
                         ({"x": "reject"}, "not an item number")):
        with pytest.raises(InputError, match=message):
            rollout.review_outputs(ITEMS, decisions=bad)


def test_review_buttons_recompute_the_report_and_the_gate() -> None:
    """The widgets change what they control: a click rewrites the report and re-decides the gate."""
    import ipywidgets as widgets

    from labkit.roadmap.gates import load_gate_results

    decision = rollout.RolloutDecision(_evidence(), rollout.review_outputs(ITEMS), THRESHOLDS)
    assert decision.recompute().passed
    seen: list[bool] = []
    decision.on_change.append(lambda d: seen.append(d.gate.passed))
    toggles = [w for w in decision.panel().children for w in w.children if isinstance(w, widgets.ToggleButtons)]
    assert [t.value for t in toggles] == ["approve", "approve"]
    toggles[0].value = "reject"
    assert seen == [False] and not decision.gate.passed
    assert "Approved 1 of 2" in decision.report.read_text() and "person (notebook widget)" in decision.report.read_text()
    assert load_gate_results()[0]["passed"] is False  # saved: the run summary sees the person's decision
    toggles[0].value = "approve"
    assert seen == [False, True] and load_gate_results()[0]["passed"] is True


def test_in_a_kernel_a_review_click_redraws_the_report_and_the_gate_in_place() -> None:
    """What the learner sees: the report and the gate shown earlier change when a button is clicked."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "from types import SimpleNamespace\n"
            "from labkit.roadmap import rollout\n"
            "items = [{'input': 'Printer broken since Monday, please help us.', 'output': 'Printer broken.', 'status': 'ok'},\n"
            "         {'input': 'Refund please, charged twice this month.', 'output': 'Refund request.', 'status': 'ok'}]\n"
            "evidence = {'stages': [{'stage': '5% rollout', 'exposed': 5, 'share': 0.05, 'lost_since_previous': 0},\n"
            "                       {'stage': 'kill switch', 'exposed': 0, 'share': 0.0, 'lost_since_previous': 0}],\n"
            "            'shadow': {'agreement': 1.0, 'compared': 2, 'new_errors': 0},\n"
            "            'load': SimpleNamespace(passed=True, verdict={}, run_id='r1'),\n"
            "            'mon': {'provider_error_rate': 0.0, 'attempts': 2, 'alerts': []}}\n"
            f"decision = rollout.RolloutDecision(evidence, rollout.review_outputs(items), {THRESHOLDS!r})\n"
            "decision.recompute(); decision.show_report(); decision.gate.show()"),
        nbformat.v4.new_code_cell(
            "import ipywidgets as widgets\n"
            "panel = decision.panel()\n"
            "toggles = [w for box in panel.children for w in box.children if isinstance(w, widgets.ToggleButtons)]\n"
            "toggles[0].value = 'reject'  # what a click does"),
    ])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown = nb.cells[0].outputs
    report = next(o for o in shown if "text/markdown" in o.get("data", {}))
    gate = next(o for o in shown if "text/html" in o.get("data", {}))
    assert "Approved 1 of 2" in report["data"]["text/markdown"]
    assert "NO-GO" in gate["data"]["text/html"] and "person (notebook widget)" in gate["data"]["text/html"]


def test_measurement_check_puts_locust_beside_the_server() -> None:
    from types import SimpleNamespace

    load = SimpleNamespace(check={
        "client_http": {"p50_ms": 25.0, "p95_ms": 40.0, "p99_ms": 60.0, "requests": 100},
        "server": {"p50_ms": 0.5, "p50_upper_ms": 1.0, "p95_ms": 2.0, "p99_ms": 4.0, "p99_upper_ms": 5.0,
                   "requests": 100},
        "disagreements": ["all HTTP requests: client p50 25.0 ms > server p50 (<= 1.0 ms) + 2 ms"],
        "generator": {"max_share": 0.93}, "warnings": ["load generator saturated: ..."]})
    frame, notes = rollout.measurement_check(load)
    assert frame.loc["p50 latency (ms)"].tolist() == [25.0, 1.0]  # the server's bucket upper bound
    assert frame.loc["p95 latency (ms)"].tolist() == [40.0, 2.0]
    assert notes[0].startswith("all HTTP requests: client p50") and "93% of a core" in notes[1]
    assert rollout.measurement_check(None)[1][-1] == "the generator's CPU was not recorded"


# --- Phase 4 ------------------------------------------------------------------------------


def test_injection_probe_shows_an_obeyed_injection_failing_the_suite(lab: LabProvider) -> None:
    cases = governance.regression_cases(24, seed=0)
    with_injection = [c for c in cases if governance.injected_sentence(c)]
    assert with_injection, "the suite should hold at least one source with an injected instruction"
    client = lab.client(cache={"enabled": False})
    lab.set_fault("lab-chat-2026-01", "obey_injection")
    try:
        rows = governance.injection_probe(client, cases, model="lab-chat-2026-01")
    finally:
        lab.clear_faults()
    assert len(rows) == len(with_injection)
    assert all(r["looks obeyed"] and not r["passes the suite"] for r in rows), rows


def test_score_case_rules() -> None:
    case = {"kind": "answerable", "relevant": ["DOC-1#s1"]}
    assert governance.score_case(case, "Refunds take 5 days [DOC-1#s1].")["passed"]
    filler = governance.score_case(case, "Refunds take 5 days [DOC-1#s1]. Many teams like this.")
    assert not filler["passed"] and filler["uncited"] == 1
    assert not governance.score_case(case, "Refunds take 5 days [DOC-9#s1].")["passed"]
    assert not governance.score_case(case, "I cannot answer that from the sources.")["passed"]
    un = {"kind": "unanswerable", "relevant": []}
    assert governance.score_case(un, "I cannot answer that from the sources.")["passed"]
    assert not governance.score_case(un, "Sure, 5 days [DOC-1#s1].")["passed"]


def _run(served: str, pass_rate: float, uncited: float) -> dict[str, Any]:
    return {"served": [served], "pass_rate": pass_rate, "uncited_rate": uncited}


def test_refresh_rule_blocks_regressions_and_approves_within_tolerance() -> None:
    base = _run("m-1", 1.0, 0.0)
    blocked = governance.refresh_decision(base, _run("m-2", 0.8, 0.0), tolerance=0.05, max_uncited_rate=0.05)
    assert blocked["drift"] and not blocked["approved"] and blocked["serve_version"] == "m-1"
    ok = governance.refresh_decision(base, _run("m-2", 0.97, 0.01), tolerance=0.05, max_uncited_rate=0.05)
    assert ok["approved"] and ok["decision"] == "approve refresh" and ok["serve_version"] == "m-2"
    same = governance.refresh_decision(base, _run("m-1", 1.0, 0.0), tolerance=0.05, max_uncited_rate=0.05)
    assert same["decision"] == "no change" and not same["drift"]


def test_regression_suite_catches_the_alias_move(lab: LabProvider) -> None:
    cases = governance.regression_cases(8, seed=1)
    client = lab.client(cache={"enabled": False})
    before = governance.run_regression(client, cases, label="baseline")
    lab.move_alias("lab-chat")
    try:
        after = governance.run_regression(client, cases, label="candidate")
    finally:
        lab.move_alias("lab-chat", "lab-chat-2026-01")
    assert before["served"] == ["lab-chat-2026-01"] and after["served"] == ["lab-chat-2026-06"]
    assert before["pass_rate"] > after["pass_rate"] and after["uncited_rate"] > before["uncited_rate"]
    decision = governance.refresh_decision(before, after, tolerance=0.05, max_uncited_rate=0.05)
    assert decision["decision"] == "block refresh"


def test_audit_review_detects_tampering_on_a_copy(lab: LabProvider) -> None:
    prototype.agent_run(lab.client())
    clean = governance.audit_review()
    assert clean["ok"] and clean["rows"] >= 3
    drill = governance.audit_review(tamper=True)
    assert not drill["ok"] and any("edited" in p for p in drill["problems"])
    assert governance.audit_review()["ok"]  # the real log is untouched


def test_audit_review_without_a_log_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="no audit log"):
        governance.audit_review()


def test_cost_alert_fires_over_budget(lab: LabProvider) -> None:
    prototype.latency_benchmark(lab.client(), calls=3, progress=False)
    assert governance.cost_alerts(1000.0) == []
    fired = governance.cost_alerts(0.000001)
    assert [a["rule"] for a in fired] == ["cost-per-hour"]


def test_scale_out_plan_rows_and_redis_check() -> None:
    rows = {r["component"]: r for r in governance.scale_out_plan(check_redis=True)}
    assert set(rows) == {"Redis job queue", "Chroma server", "distributed Locust", "service replicas"}
    assert rows["distributed Locust"]["ok"] and "--master" in rows["distributed Locust"]["config"]
    redis = rows["Redis job queue"]
    assert redis["ok"] is (True if redis["checked"] else None)


# --- runner -------------------------------------------------------------------------------


def test_declared_parameters_and_param_parsing() -> None:
    from labkit.commands.run import _parse_params
    from labkit.roadmap.runner import declared_parameters, notebooks_dir

    assert "service_url" in declared_parameters(notebooks_dir() / "03_controlled_rollout.ipynb")
    assert "service_url" not in declared_parameters(notebooks_dir() / "02_prototype.ipynb")
    assert _parse_params(("seed=3", "error_rate=0.6", "rollout_percents=[1, 2]", "model=lab-mini")) == {
        "seed": 3, "error_rate": 0.6, "rollout_percents": [1, 2], "model": "lab-mini"}
    with pytest.raises(InputError):
        _parse_params(("1x=2",))
