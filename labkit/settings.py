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
    """The runtime-state folder (git-ignored), created on first use.

    ``LABKIT_VAR`` wins; otherwise ``var/`` at the repository root (so a notebook running in
    ``notebooks/`` and the CLI at the root share one state), or in the working directory when
    labkit is installed outside a checkout.
    """
    default = REPO_ROOT / "var" if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / "var"
    path = Path(os.environ.get("LABKIT_VAR", str(default))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    """The folder holding the committed sample data and its data card."""
    return Path(os.environ.get("LABKIT_DATASETS", str(REPO_ROOT / "datasets"))).resolve()


def lab_db_path() -> Path:
    """The lab's DuckDB file (sample data, BM25 index, analytics)."""
    return var_dir() / "lab.duckdb"
