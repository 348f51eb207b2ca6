"""The lab's DuckDB catalogue: load the committed dataset files into ``var/lab.duckdb``.

``ensure_loaded()`` is what everything else calls: it makes sure ``var/lab.duckdb`` holds the
sample-data tables built from the current ``datasets/`` files and returns its path. It is
cheap to call often: the database records the datasets' digest (a hash of ``manifest.json``,
which itself holds every file's SHA-256), and a built database is kept in a cache folder keyed
by that digest, so a fresh ``var/`` (every test gets one) costs a file copy, not a rebuild.

Loading checks every file against the manifest first and builds into a temporary file that is
renamed only when complete: a missing or corrupt file gives a one-line :class:`DataError` and
never a half-written database. When ``var/lab.duckdb`` already exists (other features keep
their own tables in it, e.g. the BM25 index) but holds older sample data, only the sample-data
tables are replaced, in one transaction.

Types are given explicitly (``read_json`` with ``columns=``) rather than inferred, so a table's
schema does not depend on which values the seed happened to draw.

Example:
    >>> from labkit.data.catalogue import connect, ensure_loaded
    >>> path = ensure_loaded()
    >>> con = connect(read_only=True)
    >>> con.execute("select count(*) from tickets").fetchone()[0] >= 2000
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from labkit.data.schema import FILES, PRIMARY_KEYS, SCHEMA
from labkit.errors import DataError
from labkit.settings import datasets_dir, lab_db_path

LOADER_VERSION = "1"
META_TABLE = "_labkit_data_meta"



def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise DataError(f"{path} is missing; run `labkit data build` to generate the sample data")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["files"].items()
    except (ValueError, KeyError, AttributeError) as exc:
        raise DataError(f"{path} is not a valid dataset manifest ({exc.__class__.__name__}); "
                        "run `labkit data build` to regenerate it") from None
    return manifest


def datasets_digest(folder: Path | None = None) -> str:
    """A digest of the dataset files (via the manifest) and of this loader's schema."""
    folder = Path(folder) if folder else datasets_dir()
    path = folder / "manifest.json"
    if not path.is_file():
        raise DataError(f"{path} is missing; run `labkit data build` to generate the sample data")
    return hashlib.sha256(path.read_bytes() + LOADER_VERSION.encode()).hexdigest()


def verify_files(folder: Path | None = None) -> dict[str, Any]:
    """Check every dataset file exists and matches its SHA-256 in the manifest; return the manifest."""
    folder = Path(folder) if folder else datasets_dir()
    manifest = _manifest(folder)
    for rel in FILES:
        entry = manifest["files"].get(rel)
        path = folder / rel
        if entry is None:
            raise DataError(f"{folder / 'manifest.json'} does not list {rel}; run `labkit data build`")
        if not path.is_file():
            raise DataError(f"{path} is missing; run `labkit data build` to regenerate the sample data")
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            raise DataError(f"{path} does not match its checksum in manifest.json (corrupt or edited); "
                            "run `labkit data build` to regenerate it")
    return manifest


def _create_tables(con: duckdb.DuckDBPyConnection, folder: Path, digest: str) -> None:
    for rel, table in FILES.items():
        if table is None:
            continue
        columns = SCHEMA[table]
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
        path = str(folder / rel).replace("'", "''")
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_json('{path}', "
                        f"format='newline_delimited', columns={spec})")
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0][:200]
            raise DataError(f"{folder / rel} could not be loaded into {table}: {first}") from None
        keys = PRIMARY_KEYS.get(table)
        if keys:
            dup = con.execute(f"SELECT count(*) - count(DISTINCT ({', '.join(keys)})) FROM {table}").fetchone()[0]
            if dup:
                raise DataError(f"{folder / rel}: {dup} rows repeat the key ({', '.join(keys)})")
    con.execute(f"CREATE OR REPLACE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
    con.execute(f"INSERT INTO {META_TABLE} VALUES ('datasets_digest', ?), ('datasets_dir', ?)",
                [digest, str(folder)])


def build_database(target: Path, folder: Path | None = None) -> Path:
    """Build a fresh DuckDB file with every sample-data table at ``target`` (atomic rename)."""
    folder = Path(folder) if folder else datasets_dir()
    verify_files(folder)
    digest = datasets_digest(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".building", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # duckdb wants to create the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            _create_tables(con, folder, digest)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return target


def cache_dir() -> Path:
    """Where built databases are kept, keyed by datasets digest (env ``LABKIT_DATA_CACHE``)."""
    default = Path(tempfile.gettempdir()) / f"labkit-data-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    path = Path(os.environ.get("LABKIT_DATA_CACHE", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_database(folder: Path | None = None) -> Path:
    """A built database for the current datasets, from the cache (built once if absent)."""
    folder = Path(folder) if folder else datasets_dir()
    digest = datasets_digest(folder)
    cached = cache_dir() / f"lab-{digest[:20]}.duckdb"
    if not cached.is_file():
        build_database(cached, folder)
    return cached


def _open_any(path: Path) -> duckdb.DuckDBPyConnection:
    # read-only first; in-process DuckDB refuses a second connection with another mode, so
    # fall back to read-write when this process already holds the file that way
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        pass
    try:
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise _open_error(path, exc) from None


def _open_error(path: Path, exc: duckdb.Error) -> DataError:
    """One line naming the file and the fix for that file alone.

    Not `labkit reset`: that would also wipe queues, approvals and the audit log, while this
    file is rebuilt from ``datasets/`` on its own.
    """
    reason = str(exc).splitlines()[0][:160]
    if "lock" in reason.lower():
        return DataError(f"{path} is in use by another process ({reason}); close it, or open read-only")
    return DataError(f"{path} is not a readable DuckDB database ({reason}): delete that one file and it is "
                     "rebuilt from datasets/ on next use (or run `labkit data build`); the rest of var/ is fine")


_VERIFIED: dict[str, tuple[str, float, int]] = {}  # db path -> (digest, mtime, size) seen loaded


def _loaded_digest(path: Path) -> str | None:
    con = _open_any(path)
    try:
        row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'datasets_digest'").fetchone()
        return row[0] if row else None
    except duckdb.CatalogException:  # no sample data in it yet: load it
        return None
    except duckdb.Error as exc:
        # a file cut short opens fine and fails on its first read: rebuilding tables inside it
        # would write into a broken file, so say which file it is instead
        raise _open_error(path, exc) from None
    finally:
        con.close()


def ensure_loaded(folder: Path | None = None) -> Path:
    """Make ``var/lab.duckdb`` hold the current sample data; return its path.

    Example:
        >>> ensure_loaded().name
        'lab.duckdb'
    """
    folder = Path(folder) if folder else datasets_dir()
    digest = datasets_digest(folder)
    path = lab_db_path()
    if not path.exists():
        source = cached_database(folder)
        # a unique temporary name: two processes may both find the file missing
        fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".copying", dir=path.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp_name)
            os.replace(tmp_name, path)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return path
    stat = path.stat()
    if _VERIFIED.get(str(path)) == (digest, stat.st_mtime, stat.st_size):
        return path
    if _loaded_digest(path) == digest:
        stat = path.stat()
        _VERIFIED[str(path)] = (digest, stat.st_mtime, stat.st_size)
        return path
    # the file holds other features' tables too: replace only ours, atomically
    verify_files(folder)
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            _create_tables(con, folder, digest)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return path


def connect(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``var/lab.duckdb`` with the sample data loaded.

    One process may hold it read-write; other processes should pass ``read_only=True``.
    """
    path = ensure_loaded()
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise _open_error(path, exc) from None


def tables() -> list[str]:
    """Names of the sample-data tables."""
    return sorted(SCHEMA)


def read_jsonl(path: Path | str, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Read a JSON-lines file (an evaluation set, the lab's or a user's own) with clear errors.

    Example:
        >>> rows = read_jsonl(datasets_dir() / "eval" / "pii_cases.jsonl", required=("id", "text", "spans"))
        >>> len(rows) >= 300
        True
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{n}: expected a JSON object per line")
            missing = [k for k in required if k not in row]
            if missing:
                raise DataError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
            rows.append(row)
    return rows
