"""Embeddings through the resilient client: batches, the cache, the same route loop as chat.

The texts are redacted like chat messages (PII never leaves for the provider), identical
texts are served from the cache, the rest are sent in batches (``ClientConfig.
embed_batch_size``), each batch through the client's route loop (deadline, cool-down,
breaker, rate limiter, retries, fail-over) and billed. There is no rule-based stand-in for
a vector: a batch that fails on every route raises
:class:`~labkit.errors.ProviderUnavailable` (or :class:`~labkit.errors.CallDeferred` when no
route could even be tried).

Example:
    >>> embed(client, ["refund policy", "holiday policy"])  # doctest: +SKIP
    [[0.01, ...], [0.03, ...]]
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from labkit.controls.cache import cache_key
from labkit.controls.pii import redact
from labkit.controls.timeouts import Deadline
from labkit.direct.calls import CallContext, finish
from labkit.direct.models import PATTERNS
from labkit.errors import CallDeferred, InputError, LabkitError, ProviderUnavailable, RedactionFailed
from labkit.telemetry.events import new_id
from labkit.tokens import count_tokens

if TYPE_CHECKING:  # the client imports this module; at run time it is passed in
    from labkit.direct.client import ResilientClient


def embed(client: ResilientClient, texts: list[str], model: str = "lab-embed-2026-01", *, pattern: str = "rag",
          key: str = "default", deadline_s: float | None = None, redact_pii: bool = True,
          extra_headers: dict[str, str] | None = None, batch_size: int | None = None) -> list[list[float]]:
    """Vectors for ``texts`` in order, sent in batches, each batch through the route loop."""
    if isinstance(texts, str) or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise InputError("texts must be a list of strings")
    if not texts:
        return []
    if pattern not in PATTERNS:
        raise InputError(f"unknown pattern {pattern!r}; use one of {', '.join(PATTERNS)}")
    sent = list(texts)
    redactions = 0
    if redact_pii:
        try:
            reds = [redact(t) for t in texts]
        except LabkitError:
            raise
        except Exception as exc:
            raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc
        sent = [r.text for r in reds]
        redactions = sum(len(r.mapping) for r in reds)
    ctx = CallContext(call_id=new_id(), pattern=pattern, key=key, model_requested=model,
               deadline=Deadline(deadline_s or client.config.timeouts.deadline_s),
               extra_headers=extra_headers, mapping={}, redactions=redactions)
    out: list[list[float] | None] = [None] * len(sent)
    todo: list[int] = []
    keys: list[str | None] = [None] * len(sent)
    for i, text in enumerate(sent):
        if client.config.cache.enabled:
            keys[i] = key_i = cache_key(kind="embedding", model=model, input=text)
            hit = client.cache.get(key_i)
            if hit is not None:
                out[i] = hit
                continue
        todo.append(i)
    size = batch_size or client.config.embed_batch_size
    tokens_in = 0
    cost_total = 0.0
    served_model = model
    for start in range(0, len(todo), size):
        idx = todo[start:start + size]
        batch = [sent[i] for i in idx]
        est_tokens = sum(count_tokens(t) for t in batch)
        est = client._price(model, est_tokens, 0)
        client.ledger.check(client.config.budget, key=key, pattern=pattern, estimate=est)
        attempts_before, ctx.retry_in = ctx.attempts, None

        def try_route(route: str, batch: list[str] = batch) -> Any:
            return client._run_route(ctx, route, lambda m, tmo: client.transport.embed(
                {"model": m, "input": batch}, tmo, extra_headers))

        # the same route loop as chat: deadline, cool-down, breaker, limiter, retries, fail-over
        found = finish(client._over_routes(ctx, model, est_tokens, try_route, "embedding"))
        if found is None:
            reason = "; ".join(ctx.errors[-3:]) or "no route available"
            client._emit("call", call_id=ctx.call_id, pattern=pattern, key=key, route="none",
                       model_requested=model, model_served=None, status="error",
                       attempts=ctx.attempts, kind_of_call="embedding",
                       latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3), error=reason)
            if ctx.attempts == attempts_before and ctx.retry_in is not None:
                raise CallDeferred(f"embedding {len(batch)} texts with {model}: no route may be "
                                   f"tried for {ctx.retry_in:.2f}s: {reason}", retry_after_s=ctx.retry_in)
            raise ProviderUnavailable(f"embedding {len(batch)} texts with {model} failed: {reason}")
        resp = found[1].data  # the transport's Reply: the parsed body
        served_model = resp.get("model") or model
        tin = int((resp.get("usage") or {}).get("prompt_tokens") or 0)
        cost = client._price(served_model, tin, 0)
        client.ledger.record(kind="embedding", key=key, pattern=pattern, model_requested=model,
                           model_served=served_model, tokens_in=tin, cost=cost,
                           request_id=resp.get("id"))
        tokens_in += tin
        cost_total += cost
        for item in sorted(resp.get("data") or [], key=lambda d: int(d["index"])):
            i = idx[int(item["index"])]
            out[i] = vector = list(item["embedding"])
            stored_as = keys[i]
            if stored_as is not None:
                client.cache.put(stored_as, vector)
    client._emit("call", call_id=ctx.call_id, pattern=pattern, key=key, route=served_model,
               model_requested=model, model_served=served_model, status="ok",
               attempts=ctx.attempts, kind_of_call="embedding", tokens_in=tokens_in,
               tokens_out=0, cost=cost_total, cache_hit=not todo, texts=len(texts),
               redactions=redactions,
               latency_ms=round((time.perf_counter() - ctx.started) * 1000, 3))
    return [v if v is not None else [] for v in out]


