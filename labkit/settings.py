"""Where the lab keeps things: runtime state under ``var/``, sample data under ``datasets/``.

Both can be moved with environment variables (``LABKIT_VAR``, ``LABKIT_DATASETS``); tests
point ``LABKIT_VAR`` at a temporary folder so no test touches another's state.

Example:
    >>> from labkit.settings import var_dir
    >>> (var_dir() / "telemetry").name
    'telemetry'
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def var_dir() -> Path:
    """The runtime-state folder (git-ignored), created on first use."""
    path = Path(os.environ.get("LABKIT_VAR", str(Path.cwd() / "var"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    """The folder holding the committed sample data and its data card."""
    return Path(os.environ.get("LABKIT_DATASETS", str(REPO_ROOT / "datasets"))).resolve()


def lab_db_path() -> Path:
    """The lab's DuckDB file (sample data, BM25 index, analytics)."""
    return var_dir() / "lab.duckdb"
