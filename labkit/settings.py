"""Where the lab keeps things: runtime state under ``var/``, sample data under ``datasets/``.

Both can be moved with environment variables (``LABKIT_VAR``, ``LABKIT_DATASETS``); tests
point ``LABKIT_VAR`` at a temporary folder so no test touches another's state.

The state folder carries a marker file, ``.labkit-var``, written when the lab creates the
folder (or first finds it empty). ``labkit reset`` empties only a folder carrying that marker,
so pointing ``LABKIT_VAR`` at a folder of your own (a checkout, your home, notebooks) can never
get it wiped. This module does not delete anything; ``labkit.commands.run`` does.

Example:
    >>> from labkit.settings import var_dir
    >>> (var_dir() / "telemetry").name
    'telemetry'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

VAR_MARKER = ".labkit-var"
_MARKER_TEXT = (
    "This folder is labkit's runtime state (LABKIT_VAR). The lab created it and `labkit reset`\n"
    "may empty it (everything here except this file). Delete this file to stop that.\n"
)


def var_dir() -> Path:
    """The runtime-state folder (git-ignored), created on first use.

    ``LABKIT_VAR`` wins; otherwise ``var/`` at the repository root (so a notebook running in
    ``notebooks/`` and the CLI at the root share one state), or in the working directory when
    labkit is installed outside a checkout.
    """
    default = REPO_ROOT / "var" if (REPO_ROOT / "pyproject.toml").exists() else Path.cwd() / "var"
    path = Path(os.environ.get("LABKIT_VAR", str(default))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    if not is_marked(path):
        # A folder that already holds files of unknown origin is never marked: the marker is
        # what lets `labkit reset` empty it. The one exception is the checkout's own git-ignored
        # var/ (a real folder, not a symlink), which earlier versions made without a marker.
        legacy = "LABKIT_VAR" not in os.environ and path == REPO_ROOT / "var" and not (REPO_ROOT / "var").is_symlink()
        if legacy or not any(path.iterdir()):
            mark(path)
    return path


def is_marked(path: Path) -> bool:
    """True when ``path`` carries the lab's state-folder marker as a regular file (not a
    symlink, not a folder)."""
    try:
        return stat.S_ISREG(os.lstat(path / VAR_MARKER).st_mode)
    except OSError:
        return False


def mark(path: Path) -> None:
    """Write the state-folder marker into ``path`` (no-op if something by that name exists).

    Never follows a symlink: a marker name that points elsewhere is left alone, and
    :func:`is_marked` then says no.
    """
    try:
        fd = os.open(path / VAR_MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        return  # another process marked it first, or something else holds the name
    with os.fdopen(fd, "w") as f:
        f.write(_MARKER_TEXT)


def datasets_dir() -> Path:
    """The folder holding the committed sample data and its data card."""
    return Path(os.environ.get("LABKIT_DATASETS", str(REPO_ROOT / "datasets"))).resolve()


def lab_db_path() -> Path:
    """The lab's DuckDB file (sample data, BM25 index, analytics)."""
    return var_dir() / "lab.duckdb"
