"""The resilient client for asyncio code: the same methods, as coroutines and async iterators.

:class:`AsyncResilientClient` runs the sync :class:`~labkit.direct.client.ResilientClient` in a
worker thread pool: one implementation of the control flow, not two that drift apart. It
costs one thread per in-flight call. It adds no control of its own.

Example:
    >>> import asyncio
    >>> client = AsyncResilientClient(ClientConfig(base_url="http://127.0.0.1:9/v1"))
    >>> client.config.routes_for("lab-mini-2026-03")
    ['lab-mini-2026-03', 'lab-chat-2026-01']
    >>> asyncio.run(client.aclose())
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from labkit.controls.breaker import BreakerRegistry
from labkit.controls.budget import CostLedger
from labkit.direct.client import ResilientClient
from labkit.direct.models import CallResult, ClientConfig, RuleFallback


class AsyncResilientClient:
    """The resilient client for asyncio code: same methods, as coroutines / async iterators.

    Each call runs the sync client in a worker thread (see the module docstring for why).

    Example:
        >>> async def main():                                                   # doctest: +SKIP
        ...     client = AsyncResilientClient.from_env()
        ...     r = await client.chat([{"role": "user", "content": "hi"}])
        ...     async for delta in client.stream_chat([{"role": "user", "content": "hi"}]):
        ...         print(delta, end="")
    """

    def __init__(self, config: ClientConfig | None = None, *, max_workers: int = 64,
                 rule_fallbacks: dict[str, RuleFallback] | None = None,
                 sync_client: ResilientClient | None = None) -> None:
        self.sync = sync_client or ResilientClient(config, rule_fallbacks=rule_fallbacks)
        self.config = self.sync.config
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="labkit-client")

    @classmethod
    def from_env(cls, **overrides: Any) -> AsyncResilientClient:
        """Like :meth:`ResilientClient.from_env`."""
        return cls(sync_client=ResilientClient.from_env(**overrides))

    @property
    def breakers(self) -> BreakerRegistry:
        """The underlying breakers (for dashboards)."""
        return self.sync.breakers

    @property
    def ledger(self) -> CostLedger:
        """The underlying cost ledger."""
        return self.sync.ledger

    async def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    async def chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01",
                   **kwargs: Any) -> CallResult:
        """Coroutine version of :meth:`ResilientClient.chat`."""
        result: CallResult = await self._run(self.sync.chat, messages, model, **kwargs)
        return result

    async def embed(self, texts: list[str], model: str = "lab-embed-2026-01",
                    **kwargs: Any) -> list[list[float]]:
        """Coroutine version of :meth:`ResilientClient.embed`."""
        vectors: list[list[float]] = await self._run(self.sync.embed, texts, model, **kwargs)
        return vectors

    async def stream_chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01",
                          **kwargs: Any) -> AsyncIterator[str]:
        """Async-iterator version of :meth:`ResilientClient.stream_chat`."""
        stream = await self._run(self.sync.stream_chat, messages, model, **kwargs)
        done = object()
        try:
            while True:
                item = await self._run(next, stream, done)
                if item is done:
                    break
                yield item
        finally:
            await self._run(stream.close)

    async def aclose(self) -> None:
        """Release the worker threads and connections."""
        self._pool.shutdown(wait=False)
        self.sync.close()
