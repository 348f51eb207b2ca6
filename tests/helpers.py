"""Small helpers the tests share (import as ``from helpers import free_port``).

They live here, not in ``conftest.py``: pytest collects ``notebooks/conftest.py`` too, and
``from conftest import ...`` would then resolve to whichever conftest was imported first.
``free_port`` is the package's (:mod:`labkit.serving`), re-exported so the tests keep one import.
"""

from __future__ import annotations

from labkit.serving import free_port

__all__ = ["free_port"]
