"""The agent's audit log: append-only, hash-chained, PII-redacted, readable from DuckDB."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from labkit.agent.audit import AuditLog
from labkit.cli import main
from labkit.errors import AuditTampered


def _fill(log: AuditLog, n: int = 5) -> None:
    for i in range(n):
        log.append(actor="RM-001", role="relationship_manager", run_id="run-1", step=i,
                   tool="draft_email", outcome="ok" if i % 2 else "refused",
                   arguments={"to": f"person{i}@example.com", "phone": "+44 20 7946 0958"},
                   result_summary={"note": f"call +44 20 7946 0958 (row {i})"},
                   approval_id=f"apr-{i}" if i == 3 else None, approver="ada" if i == 3 else None)


def _raw(log: AuditLog) -> sqlite3.Connection:
    """A connection as an attacker with the file would have: triggers dropped."""
    conn = sqlite3.connect(log.path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    return conn


def test_rows_carry_every_field_and_pii_is_redacted() -> None:
    log = AuditLog()
    _fill(log, 4)
    rows = log.rows()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    r = rows[3]
    for col in ("ts_start", "ts_end", "duration_ms", "actor", "role", "run_id", "step", "tool",
                "arguments", "outcome", "result_summary", "approval_id", "approver", "hash"):
        assert r[col] is not None, col
    assert (r["approval_id"], r["approver"]) == ("apr-3", "ada")
    dumped = json.dumps(rows)
    assert "@example.com" not in dumped and "7946" not in dumped
    assert "<EMAIL_1>" in r["arguments"] and "<PHONE_1>" in r["result_summary"]
    assert log.verify().ok


def test_the_log_refuses_updates_and_deletes() -> None:
    log = AuditLog()
    _fill(log, 2)
    conn = sqlite3.connect(log.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit SET outcome = 'ok'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit")


def test_verify_catches_an_edited_row() -> None:
    log = AuditLog()
    _fill(log)
    _raw(log).execute("UPDATE audit SET outcome = 'failed' WHERE seq = 2")
    result = log.verify()
    assert not result.ok and any("seq 2" in p and "edited" in p for p in result.problems)
    with pytest.raises(AuditTampered):
        log.verify_or_raise()


def test_verify_catches_a_deleted_row() -> None:
    log = AuditLog()
    _fill(log)
    _raw(log).execute("DELETE FROM audit WHERE seq = 3")
    result = log.verify()
    assert not result.ok and any("deleted" in p for p in result.problems)


def test_verify_catches_reordered_rows() -> None:
    log = AuditLog()
    _fill(log)
    conn = _raw(log)
    # swap the contents of rows 2 and 4, hashes included: every row still matches its own hash
    rows = {r[0]: r for r in conn.execute("SELECT * FROM audit WHERE seq IN (2, 4)")}
    cols = [d[1] for d in conn.execute("PRAGMA table_info(audit)")][1:]
    for seq, other in ((2, 4), (4, 2)):
        conn.execute(f"UPDATE audit SET {', '.join(c + ' = ?' for c in cols)} WHERE seq = ?",
                     (*rows[other][1:], seq))
    result = log.verify()
    assert not result.ok and any("link broken" in p for p in result.problems)


def test_verify_catches_rows_cut_off_the_end() -> None:
    log = AuditLog()
    _fill(log)
    _raw(log).execute("DELETE FROM audit WHERE seq = 5")
    result = log.verify()
    assert not result.ok and any("cut off" in p for p in result.problems)


def test_appends_from_two_processes_keep_one_chain(lab_var: Path) -> None:
    code = ("from labkit.agent.audit import AuditLog\nlog = AuditLog()\n"
            "for i in range(40):\n"
            "    log.append(actor='p', role='admin', tool='t', arguments={'i': i}, outcome='ok')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    log = AuditLog()
    result = log.verify()
    assert result.ok, result.problems
    assert result.rows == 80


def test_readable_from_duckdb() -> None:
    log = AuditLog()
    _fill(log, 5)
    con = duckdb.connect()
    view = log.to_duckdb(con)
    counts = dict(con.execute(f"SELECT outcome, count(*) FROM {view} GROUP BY 1").fetchall())
    assert counts == {"ok": 2, "refused": 3}
    assert con.execute(f"SELECT max(seq) FROM {view}").fetchone()[0] == 5


def test_cli_verify_show_and_tamper_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    log = AuditLog()
    _fill(log, 3)
    main(["audit", "verify"])
    assert "ok" in capsys.readouterr().out
    main(["audit", "show", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert len(shown) == 3
    _raw(log).execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 1")
    with pytest.raises(SystemExit) as exc:
        main(["audit", "verify"])
    assert exc.value.code != 0
    assert "tampered" in capsys.readouterr().err


def test_one_log_shared_by_threads_keeps_one_strict_chain(capsys: pytest.CaptureFixture[str]) -> None:
    # one AuditLog object used by 8 threads at once (the service shares one per process),
    # with another process appending to the same file at the same time
    from concurrent.futures import ThreadPoolExecutor

    log = AuditLog()
    code = ("from labkit.agent.audit import AuditLog\nlog = AuditLog()\n"
            "for i in range(30):\n"
            "    log.append(actor='proc', role='admin', tool='t', arguments={'i': i}, outcome='ok')\n")
    proc = subprocess.Popen([sys.executable, "-c", code])

    def work(t: int) -> None:
        for i in range(25):
            log.append(actor=f"thread-{t}", role="admin", run_id=f"run-{t}", step=i, tool="t",
                       arguments={"i": i}, outcome="ok", result_summary=f"{t}/{i}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))  # re-raises any thread's error
    assert proc.wait(timeout=60) == 0
    result = AuditLog().verify()
    assert result.ok, result.problems
    assert result.rows == 8 * 25 + 30
    # each thread's own rows are in the order it wrote them
    for t in range(8):
        assert [r["step"] for r in log.rows(run_id=f"run-{t}")] == list(range(25))
    main(["audit", "verify"])
    assert "ok" in capsys.readouterr().out
    log.close()


# --- issue 12: a damaged log is a one-line verdict, never a traceback -----------------------

def _verify_cli() -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit.cli", "audit", "verify"], capture_output=True,
                          text=True, timeout=60)


def _assert_one_line_failure(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("content,word", [(b"", "empty"), (b"garbage\n", "replaced"),
                                          (b"\xff\xfe\x00 not ascii", "unreadable"),
                                          (b"00000000000000000003 nothex\n", "replaced")])
def test_cli_verify_reports_an_empty_or_garbage_head_in_one_line(content: bytes, word: str) -> None:
    log = AuditLog()
    _fill(log, 3)
    log.close()
    log.head_path.write_bytes(content)
    result = log.verify()
    assert not result.ok and "audit.head" in result.problems[0]
    _assert_one_line_failure(_verify_cli(), "audit.head", word)


@pytest.mark.parametrize("size", [50, 5000, 8192])
def test_cli_verify_reports_a_truncated_database_in_one_line(size: int) -> None:
    log = AuditLog()
    _fill(log, 60)  # several pages, so a cut at a page boundary still opens
    log.close()
    assert log.path.stat().st_size > size and not log.path.with_name("audit.sqlite-wal").exists()
    with log.path.open("r+b") as fh:
        fh.truncate(size)
    _assert_one_line_failure(_verify_cli(), "audit.sqlite")


def test_cli_verify_warns_when_runs_exist_but_the_log_is_empty(lab_var: Path) -> None:
    from labkit.agent.approvals import AgentStore

    store = AgentStore()
    store.create_run("run-1", "update the CRM", {"user_id": "bob", "role": "admin"}, "approval", "lab-chat", {})
    store.close()
    proc = _verify_cli()  # no audit.sqlite, no audit.head: as if both were deleted
    assert proc.returncode == 0 and "ok: 0 rows" in proc.stdout
    assert proc.stderr.startswith("warning: the audit log is empty but the agent store holds 1 run(s)")
    assert len(proc.stderr.strip().splitlines()) == 1
    as_json = subprocess.run([sys.executable, "-m", "labkit.cli", "audit", "verify", "--json"], capture_output=True,
                             text=True, timeout=60)
    assert json.loads(as_json.stdout)["warnings"]


def test_cli_verify_does_not_warn_without_runs() -> None:
    proc = _verify_cli()
    assert proc.returncode == 0 and proc.stderr == ""
