"""labkit: the Enterprise AI Integration Lab — four integration patterns and their production controls.

The public API, one folder per pattern of the source document:

=========================  ================  =====================================================
pattern                    folder            public face
=========================  ================  =====================================================
1. Direct API              ``labkit/direct``  :class:`ResilientClient`, :class:`AsyncResilientClient`,
                                             :class:`ClientConfig`, :class:`CallResult`, :class:`ModelClient`
2. RAG                     ``labkit/rag``     :class:`RagPipeline`
3. Event-driven / async    ``labkit/jobs``    :class:`BackgroundJobs`, :func:`open_queue`, :func:`job_kind`
4. Agentic                 ``labkit/agent``   :class:`Agent`, :class:`AgentConfig`
=========================  ================  =====================================================

plus the service (:func:`create_app`, :class:`ServiceSettings`) and the error tree rooted at
:class:`LabkitError` (drawn in :mod:`labkit.errors`).

``import labkit`` stays cheap (the ``labkit`` command imports it on every start): the
pattern classes load on first use (PEP 562 ``__getattr__``), because importing them pulls
openai, chromadb and DuckDB. The errors load at once; they are plain classes.

Example:
    >>> import labkit
    >>> labkit.ClientConfig().routes_for("lab-chat-2026-01")
    ['lab-chat-2026-01', 'lab-mini-2026-03']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from labkit.errors import (
    AgentPaused,
    ApprovalRequired,
    BudgetExceeded,
    CallDeferred,
    ConfigError,
    DataError,
    InputError,
    JobError,
    LabkitError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RedactionFailed,
    StreamInterrupted,
    ToolNotPermitted,
    ValidationFailed,
)

if TYPE_CHECKING:
    from labkit.agent import Agent, AgentConfig
    from labkit.direct import AsyncResilientClient, CallResult, ClientConfig, ModelClient, ResilientClient
    from labkit.jobs import BackgroundJobs, job_kind, open_queue
    from labkit.rag import RagPipeline
    from labkit.service import ServiceSettings, create_app

# name -> the module that defines it, imported on first use
_LAZY: dict[str, str] = {
    "ResilientClient": "labkit.direct", "AsyncResilientClient": "labkit.direct", "ClientConfig": "labkit.direct",
    "CallResult": "labkit.direct", "ModelClient": "labkit.direct",
    "RagPipeline": "labkit.rag",
    "BackgroundJobs": "labkit.jobs", "open_queue": "labkit.jobs", "job_kind": "labkit.jobs",
    "Agent": "labkit.agent", "AgentConfig": "labkit.agent",
    "ServiceSettings": "labkit.service", "create_app": "labkit.service",
}

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentPaused",
    "ApprovalRequired",
    "AsyncResilientClient",
    "BackgroundJobs",
    "BudgetExceeded",
    "CallDeferred",
    "CallResult",
    "ClientConfig",
    "ConfigError",
    "DataError",
    "InputError",
    "JobError",
    "LabkitError",
    "ModelClient",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RagPipeline",
    "RateLimited",
    "RedactionFailed",
    "ResilientClient",
    "ServiceSettings",
    "StreamInterrupted",
    "ToolNotPermitted",
    "ValidationFailed",
    "create_app",
    "job_kind",
    "open_queue",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # next time, a plain attribute
        return value
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
