"""Loading the datasets into DuckDB: fast cached loads, and clear errors for bad input files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from labkit.data.catalogue import SCHEMA, connect, ensure_loaded, read_jsonl
from labkit.errors import DataError
from labkit.settings import datasets_dir, lab_db_path

ROOT = Path(__file__).resolve().parents[1]
LABKIT = ROOT / ".venv" / "bin" / "labkit"


@pytest.fixture
def own_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of datasets/ that a test may damage; the cache is private too."""
    copy = tmp_path / "datasets"
    shutil.copytree(datasets_dir(), copy)
    monkeypatch.setenv("LABKIT_DATASETS", str(copy))
    monkeypatch.setenv("LABKIT_DATA_CACHE", str(tmp_path / "cache"))
    return copy


def test_ensure_loaded_builds_every_table_with_the_manifest_counts(lab_db: Path) -> None:
    path = ensure_loaded()
    assert path == lab_db_path() and path.is_file()
    manifest = json.loads((datasets_dir() / "manifest.json").read_text())
    con = connect(read_only=True)
    for info in manifest["files"].values():
        if info["table"]:
            assert con.execute(f"SELECT count(*) FROM {info['table']}").fetchone()[0] == info["rows"]
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'kb_documents'").fetchall())
    assert types["roles"] == "VARCHAR[]" and types["updated_at"] == "TIMESTAMP" and types["version"] == "INTEGER"
    assert con.execute("SELECT truth->>'currency' FROM batch_invoices LIMIT 1").fetchone()[0] in ("EUR", "GBP", "USD")
    assert set(SCHEMA) <= {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()


def test_second_call_reuses_the_database(lab_db: Path) -> None:
    path = ensure_loaded()
    before = path.stat().st_mtime_ns
    assert ensure_loaded() == path
    assert path.stat().st_mtime_ns == before


def test_reload_keeps_other_features_tables(own_datasets: Path) -> None:
    path = ensure_loaded()
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE bm25_terms AS SELECT 'x' AS term")
    con.execute("UPDATE _labkit_data_meta SET value = 'old' WHERE key = 'datasets_digest'")
    con.execute("DELETE FROM tickets")
    con.close()
    ensure_loaded()
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] >= 2000
    assert con.execute("SELECT term FROM bm25_terms").fetchone()[0] == "x"
    con.close()


def test_missing_file_is_a_clear_error_and_no_database_is_written(own_datasets: Path) -> None:
    (own_datasets / "tickets" / "tickets.jsonl").unlink()
    with pytest.raises(DataError, match=r"tickets\.jsonl is missing; run `labkit data build`"):
        ensure_loaded()
    assert not lab_db_path().exists()


def test_missing_manifest_is_a_clear_error(own_datasets: Path) -> None:
    (own_datasets / "manifest.json").unlink()
    with pytest.raises(DataError, match=r"manifest\.json is missing"):
        ensure_loaded()


def test_edited_file_fails_its_checksum(own_datasets: Path) -> None:
    path = own_datasets / "crm" / "accounts.jsonl"
    path.write_text(path.read_text()[:-200])
    with pytest.raises(DataError, match="does not match its checksum"):
        ensure_loaded()
    assert not lab_db_path().exists()


def test_corrupt_json_with_a_matching_checksum_leaves_no_half_written_database(own_datasets: Path) -> None:
    import hashlib

    path = own_datasets / "kb" / "sections.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    manifest = json.loads((own_datasets / "manifest.json").read_text())
    manifest["files"]["kb/sections.jsonl"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (own_datasets / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"sections\.jsonl could not be loaded into kb_sections"):
        ensure_loaded()
    assert not lab_db_path().exists()
    assert not list((own_datasets.parent / "cache").glob("*.duckdb"))
    assert not list((own_datasets.parent / "cache").glob("*building*"))


def test_cli_reports_a_corrupt_dataset_in_one_line(own_datasets: Path, lab_var: Path) -> None:
    (own_datasets / "batch" / "invoices.jsonl").write_text("garbage\n")
    proc = subprocess.run([str(LABKIT), "data", "profile"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "invoices.jsonl" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_build_writes_a_scale_to_its_own_folder(tmp_path: Path, lab_var: Path) -> None:
    out = tmp_path / "built"
    proc = subprocess.run([str(LABKIT), "data", "build", "--out", str(out), "--seed", "7"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert (out / "manifest.json").read_bytes() == (datasets_dir() / "manifest.json").read_bytes()
    assert (out / "README.md").is_file()
    assert "loaded into" in proc.stdout


def test_read_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"qid": "1", "question": "x"}\n\n{"qid": 2}\n[1]\n')
    with pytest.raises(DataError, match=r"q\.jsonl:3: missing field\(s\) question"):
        read_jsonl(path, required=("qid", "question"))
    path.write_text('{"qid": "1"}\n{oops\n')
    with pytest.raises(DataError, match=r"q\.jsonl:2: not valid JSON"):
        read_jsonl(path)
    with pytest.raises(DataError, match="does not exist"):
        read_jsonl(tmp_path / "nope.jsonl")


def test_concurrent_first_loads_in_several_processes_agree(lab_db: Path, lab_var: Path) -> None:
    code = ("from labkit.data.catalogue import ensure_loaded, connect; ensure_loaded(); "
            "print(connect(read_only=True).execute('select count(*) from tickets').fetchone()[0])")
    procs = [subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-c", code], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-300:] for o in outs]
    assert len({o[0].strip() for o in outs}) == 1
    assert not list(lab_var.glob("*.copying"))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_lab_database_names_that_file_not_reset(lab_db: Path, lab_var: Path, damage: str) -> None:
    path = ensure_loaded()
    if damage == "garbage":
        path.write_bytes(b"not a duckdb file\n" * 100)
    else:
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 3)
    with pytest.raises(DataError) as info:
        connect(read_only=True)
    message = str(info.value)
    assert str(path) in message and "reset" not in message and "delete that one file" in message
    out = subprocess.run([str(LABKIT), "data", "profile", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and str(path) in out.stderr and "reset" not in out.stderr
    path.unlink()  # the advice works: the file comes back on its own
    assert connect(read_only=True).execute("SELECT count(*) FROM tickets").fetchone()[0] > 0
