"""Pattern 1, Direct API: the resilient client (the lab's one choke point for model calls) and the gateway.

The public face is :class:`ResilientClient` (sync), :class:`AsyncResilientClient`,
:class:`ClientConfig`, :class:`CallResult` and the :class:`ModelClient` protocol the other
patterns are typed against. Each concern has one module:

- :mod:`~labkit.direct.models`: what you configure and what you get back;
- :mod:`~labkit.direct.client`: the call path, step by step, and the one route loop;
- :mod:`~labkit.direct.calls`: per-call bookkeeping and small shared rules;
- :mod:`~labkit.direct.transport`: how a request travels (the official SDK, or lean httpx for the gateway);
- :mod:`~labkit.direct.stream`: reading a streamed route under time-to-first-token and idle limits;
- :mod:`~labkit.direct.embeddings`: embeddings in batches through the same route loop;
- :mod:`~labkit.direct.review`: the human review queue for ``cannot_answer`` calls;
- :mod:`~labkit.direct.aio`: the asyncio wrapper;
- :mod:`~labkit.direct.gateway`: the client's controls behind an OpenAI-compatible HTTP API.

The controls themselves (retry, breaker, cache, budget, ...) live in ``labkit/controls/``.
"""

from labkit.direct.aio import AsyncResilientClient
from labkit.direct.client import ResilientClient
from labkit.direct.models import CANNOT_ANSWER, PATTERNS, CallResult, ClientConfig, ModelClient
from labkit.direct.stream import ChatStream

__all__ = ["CANNOT_ANSWER", "PATTERNS", "AsyncResilientClient", "CallResult", "ChatStream", "ClientConfig",
           "ModelClient", "ResilientClient"]
