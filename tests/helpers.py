"""Small helpers the tests share (import as ``from helpers import free_port``).

They live here, not in ``conftest.py``: pytest collects ``notebooks/conftest.py`` too, and
``from conftest import ...`` would then resolve to whichever conftest was imported first.
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
