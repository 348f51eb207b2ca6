"""The lab's HTTP service: the four patterns, the copilot flow and the gateway over HTTP.

One FastAPI app (:mod:`labkit.service.app`), assembled from modules that each do one job:

- :mod:`~labkit.service.config`: :class:`ServiceSettings` (``LABKIT_SERVICE_*``) and the state folder;
- :mod:`~labkit.service.auth`, :mod:`~labkit.service.ownership`: API keys -> users and roles;
  who owns which job and run;
- :mod:`~labkit.service.errors`, :mod:`~labkit.service.limits`, :mod:`~labkit.service.metrics`:
  one JSON error shape, the body-size limit, Prometheus metrics;
- :mod:`~labkit.service.deps`: the per-process resilient client and other shared objects;
- ``routes_direct``, ``routes_rag``, ``routes_jobs``, ``routes_agent``, ``routes_copilot``,
  ``routes_gateway``: one router per pattern (and the copilot and the OpenAI-compatible gateway);
- :mod:`~labkit.service.job_handlers`: the job kinds the service submits (registered with the jobs pattern);
- :mod:`~labkit.service.loadprofile`, :mod:`~labkit.service.loadrun`: ``labkit service loadtest``
  (load profiles, SLOs, one Locust run stored in DuckDB), also used by the rollout notebook.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.service.app import RunningService, create_app, serve_in_thread
    from labkit.service.config import ServiceSettings

__all__ = ["RunningService", "ServiceSettings", "create_app", "serve_in_thread"]

# PEP 562: the app (FastAPI and every pattern, chromadb included) loads on first use of these
# names, not when a worker process imports labkit.service.job_handlers to learn the job kinds.
_FACE = {"RunningService": "labkit.service.app", "create_app": "labkit.service.app",
         "serve_in_thread": "labkit.service.app", "ServiceSettings": "labkit.service.config"}


def __getattr__(name: str) -> Any:
    if name in _FACE:
        return getattr(importlib.import_module(_FACE[name]), name)
    raise AttributeError(f"module 'labkit.service' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
