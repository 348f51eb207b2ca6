"""The sample-data generator: determinism, sizes and rates, contracts other features code against."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import labkit.data.generate.fakes as fakes
from labkit.data.access import ROLES
from labkit.data.generate import FILES, build_tables, generate
from labkit.data.generate.card import render_card
from labkit.errors import InputError
from labkit.settings import datasets_dir

ROOT = Path(__file__).resolve().parents[1]


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(rel: str) -> list[dict]:
    return [json.loads(line) for line in (datasets_dir() / rel).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen-a")
    generate(out, seed=7, scale="small")
    return out


def test_same_seed_gives_byte_identical_files_even_in_another_process(fresh: Path, tmp_path: Path) -> None:
    # another interpreter with another hash seed: set iteration order must not leak into output
    code = f"from labkit.data.generate import generate; generate({str(tmp_path)!r}, seed=7, scale='small')"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert _hashes(fresh) == _hashes(tmp_path)


def test_committed_datasets_are_what_the_generator_writes(fresh: Path) -> None:
    committed = json.loads((datasets_dir() / "manifest.json").read_text())
    regenerated = json.loads((fresh / "manifest.json").read_text())
    assert committed == regenerated, "datasets/ is stale: run `labkit data build` and commit"
    for rel in FILES:
        assert hashlib.sha256((datasets_dir() / rel).read_bytes()).hexdigest() == committed["files"][rel]["sha256"]


def test_another_seed_gives_other_data(fresh: Path) -> None:
    other = build_tables(seed=8, scale="small")
    assert other["crm/accounts.jsonl"][0] != json.loads((fresh / "crm/accounts.jsonl").read_text().splitlines()[0])


def test_bad_seed_or_scale_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown scale 'huge'"):
        build_tables(7, "huge")
    with pytest.raises(InputError, match="non-negative"):
        build_tables(-1, "small")


def test_sizes_meet_the_issue_and_match_the_manifest() -> None:
    manifest = json.loads((datasets_dir() / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["kb_documents"] >= 300
    assert counts["tickets"] >= 2000
    assert counts["retrieval_questions"] >= 200
    assert counts["pii_cases"] >= 300
    assert counts["injection_cases"] >= 200
    for rel, info in manifest["files"].items():
        assert len(_rows(rel)) == info["rows"], rel
    total = sum(p.stat().st_size for p in datasets_dir().rglob("*.jsonl"))
    assert total < 8 * 1024 * 1024, "the committed default scale should stay a few MB"


def test_defect_rates_are_those_on_the_data_card() -> None:
    manifest = json.loads((datasets_dir() / "manifest.json").read_text())
    card = (datasets_dir() / "README.md").read_text(encoding="utf-8")
    assert card == render_card(manifest), "data card out of date: run `labkit data build`"
    d, c = manifest["defects"], manifest["counts"]
    # recount from the files, not from the manifest
    truth = _rows("crm/account_truth.jsonl")
    assert Counter(x for t in truth for x in t["defects"]) == Counter(d["crm_accounts"])
    invoices = _rows("batch/invoices.jsonl")
    malformed = sum(r["malformed"] for r in invoices)
    assert malformed == d["invoices_malformed"] and 0.04 <= malformed / len(invoices) <= 0.10
    assert f"| batch_invoices | malformed | {malformed} ({malformed / len(invoices):.1%})" in card
    t_truth = _rows("tickets/ticket_truth.jsonl")
    with_pii = sum(bool(t["pii"]) for t in t_truth)
    assert with_pii == d["tickets_with_pii"] and 0.1 <= with_pii / c["tickets"] <= 0.3
    kb = Counter(x["defect"] for x in _rows("kb/defects.jsonl"))
    assert kb == Counter(d["kb"])
    assert kb["injection"] >= 3 and kb["near_duplicate"] >= 5 and kb["superseded_conflict"] >= 20


def test_ids_roles_and_columns_follow_the_contract() -> None:
    docs = _rows("kb/documents.jsonl")
    assert all(re.fullmatch(r"DOC-\d{4}", d["doc_id"]) for d in docs)
    assert {d["status"] for d in docs} == {"current", "superseded"}
    assert set(r for d in docs for r in d["roles"]) <= set(ROLES)
    keys = Counter((d["doc_id"], d["version"]) for d in docs)
    assert max(keys.values()) == 1
    assert all(sum(d["status"] == "current" for d in docs if d["doc_id"] == doc_id) == 1
               for doc_id in {d["doc_id"] for d in docs[:50]})
    sections = _rows("kb/sections.jsonl")
    assert all(re.fullmatch(r"DOC-\d{4}#s\d+", s["section_id"]) for s in sections)
    accounts = _rows("crm/accounts.jsonl")
    assert all(re.fullmatch(r"ACC-\d{5}", a["account_id"]) for a in accounts)
    assert {a["source_system"] for a in accounts} == {"salesforce_eu", "legacy_erp"}
    rms = {r["rm_id"] for r in _rows("crm/relationship_managers.jsonl")}
    assert {a["owner_rm"] for a in accounts if a["owner_rm"]} <= rms
    tickets = _rows("tickets/tickets.jsonl")
    assert all(re.fullmatch(r"TCK-\d{6}", t["ticket_id"]) for t in tickets)
    assert {t["account_id"] for t in tickets} <= {a["account_id"] for a in accounts}
    assert {u["role"] for u in _rows("crm/users.jsonl")} == set(ROLES)


def test_planted_sensitive_values_pass_their_validators() -> None:
    for t in _rows("tickets/ticket_truth.jsonl"):
        for p in t["pii"]:
            if p["type"] == "CARD":
                assert fakes.luhn_valid(p["value"].replace(" ", ""))
            if p["type"] == "IBAN":
                assert fakes.iban_valid(p["value"])
    for inv in _rows("batch/invoices.jsonl"):
        assert fakes.iban_valid(inv["truth"]["iban"])
        if not inv["malformed"]:
            assert f"{inv['truth']['total']:,.2f}" in inv["text"]
    assert not fakes.luhn_valid("4111111111111112")


def test_retrieval_questions_point_at_sections_that_hold_their_answers() -> None:
    sections = {(s["section_id"], s["version"]): s["text"] for s in _rows("kb/sections.jsonl")}
    docs = {(d["doc_id"], d["version"]): d for d in _rows("kb/documents.jsonl")}
    questions = _rows("eval/retrieval_questions.jsonl")
    kinds = Counter(q["kind"] for q in questions)
    assert all(kinds[k] >= 20 for k in ("single", "multi", "current_only", "unanswerable", "restricted"))
    for q in questions:
        assert set(q) >= {"qid", "question", "roles", "relevant", "answerable", "kind", "answer"}
        if not q["answerable"]:
            assert q["relevant"] == [] and q["kind"] == "unanswerable"
            continue
        for rel in q["relevant"]:
            doc = docs[(rel["doc_id"], rel["version"])]
            assert doc["status"] == "current"
            assert set(q["roles"]) <= set(doc["roles"]) or q["kind"] == "multi"
        graded = [sections[(r["section_id"], r["version"])] for r in q["relevant"] if r["grade"] == 2]
        assert graded
        if q["kind"] != "multi":
            # the answer's key value is literally in every grade-2 section
            digits = [tok for tok in re.findall(r"[\w,.%-]+", q["answer"]) if any(ch.isdigit() for ch in tok)]
            key = digits[0].rstrip(".,") if digits else q["answer"].split(";")[0]
            assert all(key in text for text in graded), (q["qid"], key)
        if q["kind"] == "current_only":
            old = {(s["section_id"]): s["text"] for s in _rows("kb/sections.jsonl")
                   if s["doc_id"] == q["relevant"][0]["doc_id"] and s["version"] != q["relevant"][0]["version"]}
            sid = q["relevant"][0]["section_id"]
            assert q["stale_answer"] != q["answer"]
            assert q["stale_answer"].split()[0] in old[sid]
        if q["kind"] == "restricted":
            assert "employee" not in q["roles"]


def test_pii_and_injection_sets_are_well_formed() -> None:
    pii = _rows("eval/pii_cases.jsonl")
    types = Counter()
    for case in pii:
        for s in case["spans"]:
            assert 0 <= s["start"] < s["end"] <= len(case["text"])
            assert case["text"][s["start"]:s["end"]].strip() == case["text"][s["start"]:s["end"]]
            types[s["type"]] += 1
    assert set(types) == {"EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB"}
    assert any(not c["spans"] for c in pii)
    inj = _rows("eval/injection_cases.jsonl")
    assert {c["label"] for c in inj} == {"malicious", "benign"}
    assert {c["location"] for c in inj} == {"user_input", "document", "tool_output", "ticket_note"}
    assert any("ignore the previous ticket" in c["text"].lower() and c["label"] == "benign" for c in inj)
    assert len({c["id"] for c in inj}) == len(inj)


def test_medium_scale_multiplies_volumes() -> None:
    small = json.loads((datasets_dir() / "manifest.json").read_text())["counts"]
    tables = build_tables(seed=7, scale="medium")
    assert len(tables["tickets/tickets.jsonl"]) == 5 * small["tickets"]
    assert len({d["doc_id"] for d in tables["kb/documents.jsonl"]}) >= 4 * small["kb_documents"]
    assert len({a["golden_id"] for a in tables["crm/accounts.jsonl"]}) == 5 * small["crm_golden_customers"]
