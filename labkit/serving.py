"""Serve an ASGI app on uvicorn in a daemon thread for the length of a ``with`` block.

The mock provider, the gateway and the HTTP service each offer ``serve_in_thread()`` (tests,
notebooks, benchmarks, the lab runner); this is the one copy of the part they share: bind a
listening socket (``port=0`` lets the OS pick a free port, with no window in which another
process can take it), start ``uvicorn.Server`` in a daemon thread, wait until it accepts
connections (failing fast when the thread dies), and on exit ask it to stop and join the thread.

uvicorn has no "serve in a background thread" helper of its own, hence this small one. It does
not build the app, choose uvicorn's settings or release the app's resources: the callers do.

For servers run as separate processes (``labkit serve``, redis-server, ``chroma run``, Locust),
which bind a port by number, it also holds the small process helpers the lab, its roadmap checks
and the benchmarks share: :func:`free_port`, :func:`on_cpus`, :func:`stop_process` and
:func:`stop_processes`.

Example:
    >>> import httpx
    >>> from starlette.applications import Starlette
    >>> from starlette.responses import PlainTextResponse
    >>> from starlette.routing import Route
    >>> app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hi"))])
    >>> with serve_app(app, thread_name="demo", log_level="warning") as served:
    ...     httpx.get(f"http://127.0.0.1:{served.port}/").text
    'hi'
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import uvicorn

from labkit.errors import ConfigError


class ServedApp(NamedTuple):
    """What :func:`serve_app` yields: the started server, the bound port and the server's thread."""

    server: uvicorn.Server
    port: int
    thread: threading.Thread


@contextlib.contextmanager
def serve_app(app: Any, host: str = "127.0.0.1", port: int = 0, *, thread_name: str = "labkit-server",
              startup_timeout_s: float = 20.0, **config_kwargs: Any) -> Iterator[ServedApp]:
    """Run ``app`` on uvicorn in a daemon thread; yields ``ServedApp(server, port, thread)``.

    ``port=0`` picks a free port. The thread is named ``f"{thread_name}-{bound_port}"``.
    ``config_kwargs`` go to ``uvicorn.Config`` (host and port come from the bound socket).
    Raises ConfigError when the address cannot be bound, or when the server thread dies or
    does not accept connections within ``startup_timeout_s``.

    Example:
        >>> from starlette.applications import Starlette
        >>> with serve_app(Starlette(), thread_name="labkit-demo", log_level="warning") as served:
        ...     served.port > 0 and served.thread.name == f"labkit-demo-{served.port}"
        True
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=bound_port, **config_kwargs))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"{thread_name}-{bound_port}")
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"{thread_name} did not start on {host}:{bound_port}")
            time.sleep(0.01)
        yield ServedApp(server, bound_port, thread)
    finally:
        # idempotent: callers may already have stopped the server in their own clean-up
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago, for a server in another process that binds by number.

    In this process prefer ``serve_app(port=0)``: it keeps the socket, so nothing can take the
    port between the choice and the bind.

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def on_cpus(cpus: set[int] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess`` that pins the child to ``cpus`` (None: no pinning; Linux)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Ask ``proc`` to stop (SIGTERM) and reap it; SIGKILL when it has not exited after ``timeout`` s."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_processes(procs: Iterable[subprocess.Popen[Any]], timeout: float = 10.0) -> None:
    """:func:`stop_process` for several children, all signalled first so they stop in parallel
    (one after another, N children that each take a while to drain would take N times as long)."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        stop_process(proc, timeout)
