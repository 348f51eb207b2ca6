"""Shared pytest fixtures: isolated runtime state, the real mock provider, a real Redis.

Every test gets its own ``var/`` (``LABKIT_VAR``), so no test sees another's telemetry,
queues or databases. Fixtures start real servers on free ports; nothing of labkit's own is
mocked.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port


@pytest.fixture(autouse=True)
def lab_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh runtime-state folder for each test."""
    path = tmp_path / "var"
    path.mkdir()
    monkeypatch.setenv("LABKIT_VAR", str(path))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return path




@pytest.fixture
def provider() -> Iterator[object]:
    """The real mock provider on a free port (``.base_url`` ends in ``/v1``)."""
    from labkit.provider.server import serve_in_thread

    with serve_in_thread() as running:
        yield running


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free port, or a skip that says why there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (`.ci/run` installs it with apt-get); "
                    "Redis backend tests skipped")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.skip("redis-server did not start within 10 s; Redis backend tests skipped")
    os.environ.setdefault("LABKIT_TEST_REDIS_PORT", str(port))
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def lab_db() -> Path:
    """The sample data built once per session into a cached DuckDB file (keyed by the datasets'
    hash); call ``labkit.data.catalogue.ensure_loaded()`` in a test to get it copied into that
    test's ``var/lab.duckdb`` (a file copy, not a rebuild). Open the returned path read-only."""
    from labkit.data.catalogue import cached_database

    return cached_database()
