"""Open a job queue from a URL: :func:`open_queue` picks the backend.

- ``sqlite:///path/queue.db`` — embedded: one SQLite file in WAL mode, no server; several
  local worker processes share it (:mod:`labkit.jobs.sqlite_backend`).
- ``redis://host:port/db`` — distributed: Redis Streams consumer groups, for work that
  outgrows one machine (:mod:`labkit.jobs.redis_backend`).

Both implement :class:`~labkit.jobs.base.JobQueue` (the interface and its guarantees are
described there). Backend options ride on the URL's query string, so every worker process
opened from the same URL behaves the same: ``retry_base``, ``retry_max``, ``jitter``
(backoff, seconds), ``retention`` (failure retention, seconds), ``max_attempts`` and, for
Redis, ``ns`` (key namespace).

Example:
    >>> import tempfile, os
    >>> q = open_queue("sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db"))
    >>> job = q.submit("noop", {"n": 1}, idempotency_key="order-1")
    >>> q.submit("noop", {"n": 1}, idempotency_key="order-1").id == job.id
    True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

from labkit.errors import ConfigError
from labkit.jobs.base import DEFAULT_REDIS_URL, JobQueue
from labkit.jobs.models import DEFAULT_FAILURE_RETENTION_S, RetryPolicy
from labkit.jobs.sqlite_backend import SQLiteQueue
from labkit.settings import var_dir

__all__ = ["DEFAULT_REDIS_URL", "JobQueue", "default_url", "open_queue"]


def default_url(backend: str | None = None) -> str:
    """The URL for a backend name ('sqlite' or 'redis'), honouring LABKIT_JOBS_URL / LABKIT_REDIS_URL."""
    if backend is None:
        env = os.environ.get("LABKIT_JOBS_URL")
        if env:
            return env
        backend = "sqlite"
    if backend == "sqlite":
        path = var_dir() / "jobs" / "queue.db"
        return f"sqlite:///{path}"
    if backend == "redis":
        return os.environ.get("LABKIT_REDIS_URL", DEFAULT_REDIS_URL)
    if "://" in backend:
        return backend
    raise ConfigError(f"unknown job backend {backend!r}: use 'sqlite', 'redis' or a URL")


def open_queue(url: str | None = None, clock: Callable[[], float] | None = None) -> JobQueue:
    """Open the queue at ``url`` (``sqlite:///…`` or ``redis://…``; a bare backend name works too).

    ``clock`` (default :func:`time.time`) stamps leases, backoff and TTLs; tests pass a fake.

    Example:
        >>> import tempfile, os
        >>> open_queue("sqlite:///" + os.path.join(tempfile.mkdtemp(), "q.db")).url.startswith("sqlite")
        True
    """
    url = default_url(url) if (url is None or "://" not in url) else url
    parsed = urlparse(url)
    opts = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    try:
        retry = RetryPolicy(base_delay_s=float(opts.pop("retry_base", 1.0)),
                            max_delay_s=float(opts.pop("retry_max", 300.0)),
                            jitter=float(opts.pop("jitter", 0.5)))
        retention = float(opts.pop("retention", DEFAULT_FAILURE_RETENTION_S))
        max_attempts = int(opts.pop("max_attempts", 5))
    except ValueError as exc:
        raise ConfigError(f"bad option in job queue URL {url!r}: {exc}") from None
    common: dict[str, Any] = dict(retry=retry, failure_retention_s=retention, default_max_attempts=max_attempts,
                  clock=clock)
    if parsed.scheme == "sqlite":
        path = parsed.path
        if parsed.netloc:      # sqlite://relative/path
            path = parsed.netloc + path
        if not path:
            raise ConfigError(f"sqlite job queue URL {url!r} has no file path")
        return SQLiteQueue(path, url=url, **common)
    if parsed.scheme in ("redis", "rediss"):
        # lazy: the redis client only for redis:// URLs
        from labkit.jobs.redis_backend import RedisQueue

        namespace = opts.pop("ns", "labkit")
        base = url.split("?", 1)[0]
        return RedisQueue(base, namespace=namespace, url=url, **common)
    raise ConfigError(f"unknown job queue URL scheme {parsed.scheme!r} in {url!r}")
