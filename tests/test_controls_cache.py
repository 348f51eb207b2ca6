"""Response cache: keys cover everything that changes the output; TTL; size bound."""

from __future__ import annotations

import pytest

from labkit.controls.cache import ResponseCache, cache_key, is_cacheable

BASE = dict(model="lab-chat-2026-01", messages=[{"role": "user", "content": "hi"}], tools=None,
            response_format=None, temperature=0.0, seed=None, max_tokens=None)


@pytest.mark.parametrize("field,value", [
    ("model", "lab-chat-2026-06"), ("messages", [{"role": "user", "content": "hi!"}]),
    ("tools", [{"type": "function", "function": {"name": "f"}}]),
    ("response_format", {"type": "json_object"}), ("temperature", 0.5), ("seed", 7), ("max_tokens", 10),
])
def test_key_changes_with_every_output_relevant_field(field, value):
    assert cache_key(**BASE) != cache_key(**{**BASE, field: value})


def test_key_is_deterministic_and_order_independent():
    a = cache_key(**BASE)
    b = cache_key(**dict(reversed(list(BASE.items()))))
    assert a == b and len(a) == 64


def test_only_deterministic_requests_are_cacheable():
    assert is_cacheable(0.0, None) and is_cacheable(0.7, 42)
    assert not is_cacheable(0.7, None) and not is_cacheable(None, None)


def test_ttl_and_lru_bound():
    clock = [0.0]
    c = ResponseCache(ttl_s=10, max_entries=2, clock=lambda: clock[0])
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now most recently used
    c.put("c", 3)           # evicts b
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3
    clock[0] = 11
    assert c.get("a") is None and len(c) == 1
    assert c.hits == 3 and c.misses == 2
