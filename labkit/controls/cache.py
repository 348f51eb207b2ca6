"""Exact-match response cache for deterministic model calls.

"For stable inputs, caching can reduce response time and cost." A cached answer must be the
answer the model would have given, so:

- the key is a SHA-256 over a canonical JSON of *everything that changes the output*: the
  dated model version, messages, tools, tool choice, response format, temperature, seed,
  max tokens, and any extra parameter the caller passes (:func:`cache_key`);
- only deterministic requests are cached (:func:`is_cacheable`: temperature 0, or a seed);
- entries expire after ``ttl_s`` and the cache holds at most ``max_entries`` (least recently
  used goes first).

It is an in-process dict (an ``OrderedDict`` as LRU) because a lookup must cost microseconds
on the hot path; a shared cache (Redis) would be a drop-in behind the same three methods.
It does not do semantic (similar-prompt) matching: a near miss is a miss.

Example:
    >>> c = ResponseCache(ttl_s=60, max_entries=2)
    >>> k = cache_key(model="lab-chat-2026-01", messages=[{"role": "user", "content": "hi"}], temperature=0)
    >>> c.get(k) is None
    True
    >>> c.put(k, {"content": "hello"}); c.get(k)
    {'content': 'hello'}
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

try:
    import orjson
except ImportError:  # pragma: no cover - orjson ships with the lab's dependencies
    orjson = None  # type: ignore[assignment]


class CachePolicy(BaseModel):
    """Cache switches and bounds."""

    enabled: bool = True
    ttl_s: float = Field(600.0, gt=0)
    max_entries: int = Field(2048, ge=1)


def _canonical(value: Any) -> Any:
    # pydantic classes (output models) change the output: key them by their JSON schema
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return {"__model__": value.model_json_schema()}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


# values _canonical returns unchanged: a request's fields are almost always these (a
# temperature, the messages), so the per-field checks of _canonical are skipped for them
_PLAIN = frozenset({str, int, float, bool, list, dict})


def cache_key(**request: Any) -> str:
    """Deterministic hash of a request (keys sorted, ``None`` values dropped)."""
    clean = {k: v if type(v) in _PLAIN else _canonical(v) for k, v in request.items() if v is not None}
    if orjson is not None:  # ~5x faster than json on the hot path; same canonical form rules
        try:
            blob = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS, default=str)
            return hashlib.sha256(blob).hexdigest()
        except TypeError:  # e.g. non-string dict keys: fall back to json below
            pass
    text = json.dumps(clean, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def is_cacheable(temperature: float | None, seed: int | None) -> bool:
    """Only deterministic requests may be served from cache."""
    return seed is not None or (temperature is not None and float(temperature) == 0.0)


class ResponseCache:
    """A TTL + LRU bounded map from request hash to a stored response; thread-safe."""

    def __init__(self, ttl_s: float = 600.0, max_entries: int = 2048,
                 clock: Callable[[], float] | None = None) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: str) -> Any | None:
        """The stored value, or ``None`` if absent or expired."""
        with self._lock:
            item = self._data.get(key)
            if item is None or item[0] <= self._clock():
                if item is not None:
                    del self._data[key]
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: str, value: Any) -> None:
        """Store ``value``; evicts the least recently used entry beyond the size bound."""
        with self._lock:
            self._data[key] = (self._clock() + self.ttl_s, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
