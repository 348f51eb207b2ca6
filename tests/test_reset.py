"""`labkit reset`: it empties only a state folder the lab created and marked (.labkit-var).

The decoys here are the folders issue 12 saw emptied: tracked notebooks, a home folder, a
folder of git repositories, any non-empty folder the lab never marked, and `/`. Each must be
refused with one line and keep every file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from labkit.cli import cli
from labkit.settings import VAR_MARKER, is_marked, var_dir


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _reset(var: Path, *, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LABKIT_VAR": str(var)}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "labkit.cli", "reset", "--yes"], capture_output=True, text=True,
                          timeout=60, env=env)


def _assert_refused(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "refusing" in proc.stderr


def test_a_folder_the_lab_creates_is_marked_and_reset_empties_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    var = tmp_path / "fresh" / "var"
    monkeypatch.setenv("LABKIT_VAR", str(var))
    assert var_dir() == var.resolve() and is_marked(var)
    (var / "telemetry").mkdir()
    (var / "telemetry" / "call.jsonl").write_text("{}\n")
    (var / "lab.duckdb").write_text("x")
    result = CliRunner().invoke(cli, ["reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in var.iterdir()] == [VAR_MARKER]  # the marker stays, so reset works again
    assert "2 item(s) removed" in result.output
    assert CliRunner().invoke(cli, ["reset", "--yes"]).exit_code == 0


def test_an_empty_existing_folder_is_marked_on_first_use(lab_var: Path) -> None:
    assert list(lab_var.iterdir()) == []
    var_dir()
    assert is_marked(lab_var)


def test_tracked_notebooks_like_folder_is_refused(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("00_start_here.ipynb", "01_assess.ipynb"):
        (notebooks / name).write_text('{"cells": []}')
    before = _snapshot(notebooks)
    _assert_refused(_reset(notebooks))
    assert _snapshot(notebooks) == before and not is_marked(notebooks)


def test_decoy_home_folder_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / ".bashrc").write_text("export X=1\n")
    (home / "Documents" / "thesis.txt").write_text("years of work")
    before = _snapshot(home)
    _assert_refused(_reset(home, home=home))
    _assert_refused(_reset(home))  # not our HOME either: still unmarked, still refused
    assert _snapshot(home) == before


def test_folder_of_git_repositories_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("alpha", "beta"):
        repo = src / name
        (repo / ".git").mkdir(parents=True)
        (repo / "README.md").write_text(name)
    before = _snapshot(src)
    _assert_refused(_reset(src))
    assert _snapshot(src) == before


def test_non_empty_unmarked_folder_is_refused_and_not_marked(tmp_path: Path) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    _assert_refused(_reset(folder))
    assert (folder / "keep.txt").read_text() == "mine" and not is_marked(folder)


def test_root_is_refused() -> None:
    _assert_refused(_reset(Path("/")))


@pytest.mark.parametrize("kind", ["directory", "symlink"])
def test_a_marker_that_is_not_a_regular_file_does_not_count(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    if kind == "directory":
        (folder / VAR_MARKER).mkdir()
    else:
        real = tmp_path / "elsewhere.txt"
        real.write_text("not a marker")
        (folder / VAR_MARKER).symlink_to(real)
    (folder / "data.txt").write_text("x")
    _assert_refused(_reset(folder))
    assert (folder / "data.txt").exists() and os.path.lexists(folder / VAR_MARKER)
    if kind == "symlink":
        assert (tmp_path / "elsewhere.txt").read_text() == "not a marker"


def test_symlinks_inside_var_are_removed_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "precious.txt").write_text("keep")
    (outside / "sub" / "deep.txt").write_text("keep")
    var = tmp_path / "var2"
    monkeypatch.setenv("LABKIT_VAR", str(var))
    var_dir()
    (var / "link-to-dir").symlink_to(outside, target_is_directory=True)
    (var / "link-to-file").symlink_to(outside / "precious.txt")
    (var / "real").mkdir()
    (var / "real" / "inner-link").symlink_to(outside / "sub", target_is_directory=True)
    result = CliRunner().invoke(cli, ["reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in var.iterdir()] == [VAR_MARKER]
    assert _snapshot(outside) == ["precious.txt", "sub", "sub/deep.txt"]


def test_a_symlinked_var_folder_is_judged_by_its_target(tmp_path: Path) -> None:
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "file.txt").write_text("x")
    link = tmp_path / "var-link"
    link.symlink_to(decoy, target_is_directory=True)
    _assert_refused(_reset(link))
    assert (decoy / "file.txt").exists()
