"""Data-readiness profiling finds the planted defects, and its counts match the ground truth."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from labkit.data.profile import ReadinessReport, Thresholds, profile
from labkit.errors import ConfigError
from labkit.settings import datasets_dir


@pytest.fixture(scope="module")
def report(lab_db: Path) -> ReadinessReport:
    con = duckdb.connect(str(lab_db), read_only=True)
    try:
        return profile(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def truth(lab_db: Path) -> dict:
    manifest = json.loads((datasets_dir() / "manifest.json").read_text())
    con = duckdb.connect(str(lab_db), read_only=True)
    try:
        rows = con.execute("SELECT account_id, golden_id, defects FROM crm_account_truth").fetchall()
        kb = con.execute("SELECT doc_id, defect, detail FROM kb_defects").fetchall()
        ticket_pii = con.execute("SELECT ticket_id FROM ticket_truth WHERE len(pii) > 0").fetchall()
    finally:
        con.close()
    return {"manifest": manifest, "accounts": rows, "kb": kb, "ticket_pii": {r[0] for r in ticket_pii}}


def _crit(report: ReadinessReport, source: str, name: str):
    return next(c for c in report.criteria if c.source == source and c.name == name)


def test_duplicate_groups_equal_the_golden_customers(report: ReadinessReport, truth: dict) -> None:
    golden: dict[str, list[str]] = defaultdict(list)
    for account_id, golden_id, _ in truth["accounts"]:
        golden[golden_id].append(account_id)
    assert sorted(report.duplicate_groups) == sorted(sorted(g) for g in golden.values())
    d = truth["manifest"]["defects"]
    assert report.evidence["exact_duplicates"] == d["crm_exact_duplicate_records"] > 0
    assert report.evidence["near_duplicates"] == d["crm_near_duplicate_records"] > 0


def test_conflicts_completeness_and_staleness_match_the_truth(report: ReadinessReport, truth: dict) -> None:
    planted = Counter(x for _, _, defects in truth["accounts"] for x in defects)
    conflicts = report.frames["conflicts"]
    assert dict(Counter(conflicts["column"])) == {k.split(":")[1]: v for k, v in planted.items()
                                                   if k.startswith("conflict:")}
    comp = report.frames["completeness"]
    acc = comp[comp["source"] == "crm_accounts"].set_index("column")["missing"].to_dict()
    for column in ("industry", "phone", "email", "annual_revenue", "owner_rm"):
        assert acc[column] == planted[f"missing:{column}"], column
    assert acc["name"] == 0 and acc["country"] == 0
    fresh = report.frames["freshness"].set_index("source")["stale"].to_dict()
    assert fresh["crm_accounts"] == planted["stale"]
    kb = Counter(defect for _, defect, _ in truth["kb"])
    assert fresh["kb_documents"] == kb["stale"]


def test_kb_near_duplicates_owners_and_access_match_the_truth(report: ReadinessReport, truth: dict) -> None:
    planted_pairs = {tuple(sorted((doc, detail))) for doc, defect, detail in truth["kb"] if defect == "near_duplicate"}
    found = {(a, b) for a, b, _ in report.frames["kb_near_duplicates"].itertuples(index=False)}
    assert found == planted_pairs
    kb = Counter(defect for _, defect, _ in truth["kb"])
    owners = report.frames["owners"].set_index("source")
    assert owners.loc["kb_documents", "records"] - owners.loc["kb_documents", "with_owner"] == kb["missing_owner"]
    access = report.frames["access"].set_index("role")["documents"].to_dict()
    assert access["(none)"] == kb["no_access_roles"]
    assert not _crit(report, "kb_documents", "access-rule coverage").passed


def test_pii_per_column_matches_the_planted_values(report: ReadinessReport, truth: dict) -> None:
    pii = report.frames["pii"].set_index(["source", "column"])
    assert pii.loc[("tickets", "notes"), "rows_with_pii"] == len(truth["ticket_pii"])
    assert pii.loc[("tickets", "notes"), "types"] == ", ".join(
        f"{k}:{v}" for k, v in truth["manifest"]["defects"]["ticket_pii_by_type"].items())
    assert pii.loc[("tickets", "subject"), "rows_with_pii"] == 0
    assert "tickets.notes" in report.evidence["pii_undeclared_columns"]
    assert "crm_accounts.email" in report.evidence["pii_columns"]


def test_a_new_defect_is_found(lab_db: Path, tmp_path: Path, report: ReadinessReport) -> None:
    copy = tmp_path / "lab.duckdb"
    copy.write_bytes(lab_db.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("INSERT INTO crm_accounts SELECT 'ACC-99999', * EXCLUDE (account_id) FROM crm_accounts "
                "WHERE account_id = 'ACC-00001'")
    con.execute("UPDATE tickets SET notes = notes || ' Card 4111 1111 1111 1111.' WHERE ticket_id = "
                "(SELECT min(ticket_id) FROM ticket_truth WHERE len(pii) = 0)")
    again = profile(con)
    con.close()
    assert again.evidence["exact_duplicates"] == report.evidence["exact_duplicates"] + 1
    assert again.evidence["near_duplicates"] == report.evidence["near_duplicates"]
    notes = again.frames["pii"].set_index(["source", "column"]).loc[("tickets", "notes"), "rows_with_pii"]
    assert notes == report.frames["pii"].set_index(["source", "column"]).loc[("tickets", "notes"), "rows_with_pii"] + 1


def test_thresholds_decide_pass_or_fail(lab_db: Path, report: ReadinessReport, tmp_path: Path) -> None:
    assert not report.passed
    assert not _crit(report, "crm_accounts", "near-duplicate rate").passed
    loose = tmp_path / "t.yaml"
    loose.write_text("near_duplicate_rate_max: 0.5\nexact_duplicate_rate_max: 0.5\n")
    con = duckdb.connect(str(lab_db), read_only=True)
    relaxed = profile(con, Thresholds.load(loose))
    con.close()
    assert _crit(relaxed, "crm_accounts", "near-duplicate rate").passed
    assert _crit(relaxed, "crm_accounts", "exact duplicate rate").passed
    bad = tmp_path / "bad.yaml"
    bad.write_text("near_duplicate_rate: 0.5\n")
    with pytest.raises(ConfigError, match="near_duplicate_rate: Extra inputs are not permitted"):
        Thresholds.load(bad)
    bad.write_text("stale_rate_max: lots\n")
    with pytest.raises(ConfigError, match="stale_rate_max"):
        Thresholds.load(bad)


def test_report_renders_markdown_html_and_frames(report: ReadinessReport, tmp_path: Path) -> None:
    md, html = report.write(tmp_path)
    text = md.read_text()
    assert text.startswith("# Data readiness report") and "**FAIL**" in text
    assert "| crm_accounts | near-duplicate rate |" in text
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<table>" in page
    frame = report.criteria_frame()
    assert {"source", "name", "value", "threshold", "passed"} <= set(frame.columns)
    assert len(frame) == len(report.criteria)


def test_cli_profile_prints_criteria_and_writes_reports(lab_db: Path, lab_var: Path) -> None:
    from click.testing import CliRunner

    from labkit.cli import cli

    result = CliRunner().invoke(cli, ["data", "profile"])
    assert result.exit_code == 0, result.output
    assert "data readiness: FAIL" in result.output
    assert (lab_var / "reports" / "readiness.html").is_file()


def test_cli_profile_reads_another_database(lab_db: Path, lab_var: Path) -> None:
    from click.testing import CliRunner

    from labkit.cli import cli

    result = CliRunner().invoke(cli, ["data", "profile", "--db", str(lab_db), "--json"])
    assert result.exit_code == 0, result.output
    assert '"near_duplicates": ' in result.output
    assert not (lab_var / "lab.duckdb").exists()
