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


def test_plain_fields_skip_the_canonical_step_and_models_still_take_it() -> None:
    # round 15: str/int/float/bool/list/dict fields go into the key as they are (what _canonical
    # returned for them anyway); a pydantic class or instance is still keyed by its JSON form
    import hashlib

    import orjson
    from pydantic import BaseModel

    import labkit.controls.cache as cache

    class Answer(BaseModel):
        label: str

    plain = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.0,
             "seed": 3, "stream": False, "response_format": {"type": "json_object"}}
    expected = hashlib.sha256(orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert cache_key(**plain, tools=None) == expected
    by_class = cache_key(**plain, output_model=Answer)
    assert by_class == cache_key(**plain, output_model={"__model__": Answer.model_json_schema()})
    assert cache_key(**plain, extra=Answer(label="x")) == cache_key(**plain, extra={"label": "x"})
    calls: list[object] = []
    original = cache._canonical
    try:
        cache._canonical = lambda v: calls.append(v) or original(v)  # type: ignore[assignment]
        cache_key(**plain)
        assert calls == []
        cache_key(**plain, output_model=Answer)
        assert calls == [Answer]
    finally:
        cache._canonical = original  # type: ignore[assignment]
