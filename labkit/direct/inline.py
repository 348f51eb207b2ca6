"""Synchronous code on the event loop: the gateway's resilient-client calls without a thread.

The resilient client is synchronous (one implementation of the controls, used in process by
the lab's patterns). The gateway serves on an asyncio event loop; before this module it handed
every call to a worker thread and back, which on a small machine cost more than the call
itself (two GIL hand-offs and a future per request; with 50 runnable threads the hand-offs
cost more than the work).

:func:`run_inline` runs a synchronous call in a *greenlet* on the event loop's own thread.
Where the call would wait (the upstream request, a retry backoff, a ``Retry-After``
cool-down, the rate limiter), the code it calls asks :func:`await_only` to wait for an
awaitable instead: the greenlet is suspended, the event loop awaits the awaitable and serves
other requests meanwhile, then resumes the greenlet with the result (or the exception). The
controls do not change: only the transport's I/O and the client's injected ``sleep``
(:func:`loop_sleep`) know the difference.

Each call runs in a greenlet taken from a small pool kept per thread, not a new one: a new
greenlet starts with an empty frame stack, so its first call allocated a fresh 16 KB frame chunk
(an ``mmap``, and page faults as it was first touched) and its end freed it (a ``munmap``), two system
calls and the faults on every request; a pooled greenlet keeps its chunk (``strace``: 1 mmap and
1 munmap a request before, none after; old and new alternated in one process: 12.7 -> 4.7 us a
call warm, 179 -> 127 us after touching 32 MB; loadtests/RESULTS.md, round 12).
A greenlet goes back to the pool only after its call finished; one left suspended (its awaiting
task gone) is never reused.

Why greenlets, not a second (async) copy of the client: two copies of the control flow would
drift apart. Why written here, not taken from SQLAlchemy (which uses the same technique for its
asyncio drivers): the whole mechanism is the few short functions below, on the ``greenlet``
package itself (well kept; the basis of gevent and of SQLAlchemy's asyncio support).

The rule this imposes: code run inline must not hold a thread lock while it waits (another
greenlet on the same thread would block on that lock, and so would the loop). The client's
controls hold their locks only for bookkeeping, never across a request or a sleep.

Example:
    >>> import asyncio
    >>> def slow_double(x):
    ...     loop_sleep(0.01)   # suspends this call only; the loop keeps running
    ...     return 2 * x
    >>> async def main():
    ...     return await asyncio.gather(run_inline(slow_double, 1), run_inline(slow_double, 2))
    >>> asyncio.run(main())
    [2, 4]
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import greenlet

T = TypeVar("T")


class _InlineCall(greenlet.greenlet):  # type: ignore[misc]  # greenlet ships no stubs
    """A greenlet running synchronous calls for :func:`run_inline`, one at a time (a marker type)."""


class _Done:
    """What a pooled greenlet hands back when its call has ended: the value or the exception."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value, self.error = value, error


_IDLE_MAX = 256  # idle greenlets kept per thread (one per call in flight is made on demand)
_pools = threading.local()  # a greenlet can only be switched to from the thread that made it


def _serve_calls(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A pooled greenlet's body: run a call, hand its outcome to the parent, wait for the next."""
    while True:
        try:
            done = _Done(fn(*args, **kwargs), None)
        except greenlet.GreenletExit:
            raise  # the greenlet is being thrown away (collected while suspended): let it end
        except BaseException as exc:
            done = _Done(None, exc)
        # the finished call's function and arguments are dropped here; its outcome is emptied
        # by run_inline once read (the switch holds `done` until the next call comes)
        fn = args = kwargs = None  # type: ignore[assignment]
        fn, args, kwargs = greenlet.getcurrent().parent.switch(done)


def _idle() -> list[_InlineCall]:
    idle: list[_InlineCall] | None = getattr(_pools, "idle", None)
    if idle is None:
        idle = _pools.idle = []
    return idle


async def run_inline(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` on this event loop's thread; its waits suspend only it.

    Returns what ``fn`` returns, raises what it raises.
    """
    idle = _idle()
    call = idle.pop() if idle else _InlineCall(_serve_calls)
    call.parent = greenlet.getcurrent()  # where await_only hands its awaitables, as for a new greenlet
    call.gr_context = contextvars.copy_context()  # the caller's context variables, as in a thread
    step = call.switch(fn, args, kwargs)  # runs until fn returns or asks to wait
    while not isinstance(step, _Done):
        # fn is suspended in await_only(awaitable): wait for it here, then resume fn with the outcome
        try:
            value = await step
        except BaseException as exc:
            step = call.throw(exc)
        else:
            step = call.switch(value)
    # fn has ended and its greenlet waits for the next call: back to the pool (cleared of the
    # caller's context), unless the pool is full
    call.gr_context = None
    if len(idle) < _IDLE_MAX:
        idle.append(call)
    value, error = step.value, step.error
    step.value = step.error = None  # the idle greenlet keeps nothing of this call alive
    if error is not None:
        raise error
    return value  # type: ignore[no-any-return]


def inline() -> bool:
    """Whether the current code runs inside :func:`run_inline` (so may call :func:`await_only`)."""
    return isinstance(greenlet.getcurrent(), _InlineCall)


def await_only(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code run by :func:`run_inline`.

    Suspends the calling greenlet; the event loop awaits ``awaitable`` and resumes it with
    the result (or raises its exception here). Outside :func:`run_inline`: RuntimeError.
    """
    current = greenlet.getcurrent()
    if not isinstance(current, _InlineCall):
        if hasattr(awaitable, "close"):
            awaitable.close()  # never awaited: no warning
        raise RuntimeError("await_only() called outside run_inline()")
    return current.parent.switch(awaitable)  # type: ignore[no-any-return]


def loop_sleep(seconds: float) -> None:
    """``time.sleep`` that, inside :func:`run_inline`, suspends only the call (``asyncio.sleep``)."""
    if isinstance(greenlet.getcurrent(), _InlineCall):
        await_only(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)
