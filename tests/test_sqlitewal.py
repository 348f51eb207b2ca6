"""WAL mode on a fresh SQLite file opened by several processes at the same moment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from labkit.sqlitewal import enable_wal


def test_many_processes_switch_one_new_file_to_wal_without_locking_errors(tmp_path: Path) -> None:
    # a bare PRAGMA journal_mode=WAL here fails at once with "database is locked" for the
    # losers of the race; the audit log's two-process test hit it under load
    code = ("import sqlite3, sys\nfrom labkit.sqlitewal import enable_wal\n"
            "conn = sqlite3.connect(sys.argv[1], timeout=30)\n"
            "assert enable_wal(conn) == 'wal'\n"
            "conn.execute('CREATE TABLE IF NOT EXISTS t (x)')\nconn.commit()\n")
    for round_ in range(5):
        db = tmp_path / f"fresh{round_}.db"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE)
                 for _ in range(4)]
        results = [(p.wait(timeout=60), p.stderr.read().decode()) for p in procs]
        assert all(rc == 0 for rc, _ in results), [err for rc, err in results if rc]


def test_other_errors_are_not_swallowed(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    conn = sqlite3.connect(tmp_path / "x.db")
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError):
        enable_wal(conn)
