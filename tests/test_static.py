"""Lint and type checks as tests, so ``make test`` (and CI) runs them: ruff, then mypy.

Both read their configuration from ``pyproject.toml`` (rule set and the reasons for each
ignored rule; which packages mypy checks strictly and the named list still to do). Each test
skips with a message when its tool is not installed (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def test_ruff_finds_nothing() -> None:
    out = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", "labkit", "tests", "loadtests"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-1000:]


def test_mypy_passes_on_the_checked_packages() -> None:
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-1000:]
