"""What you configure and what you get back: :class:`ClientConfig`, :class:`CallResult`, :class:`ModelClient`.

:class:`ClientConfig` holds every control's policy (each policy class lives in
``labkit/controls/``); :class:`CallResult` is what a chat call returns; :class:`ModelClient`
is the protocol the other patterns (RAG, jobs, the agent) depend on, so they can be read,
typed and tested without knowing how the resilient client works inside. No I/O here.

Example:
    >>> ClientConfig().routes_for("lab-chat-2026-01")
    ['lab-chat-2026-01', 'lab-mini-2026-03']
    >>> CallResult(content="hi").status
    'ok'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from labkit.controls.breaker import BreakerPolicy
from labkit.controls.budget import BudgetPolicy
from labkit.controls.cache import CachePolicy
from labkit.controls.ratelimit import RateLimitPolicy
from labkit.controls.retry import RetryPolicy
from labkit.controls.timeouts import TimeoutPolicy

PATTERNS = ("direct", "rag", "jobs", "agent", "service")
CANNOT_ANSWER = ("I cannot answer this safely right now. The request has been queued for "
                 "human review.")
# failure kinds that say the route is unhealthy (they count against its breaker)
_HEALTH_FAILURES = {"timeout", "connection", "rate_limited", "server", "conflict", "stream"}

RuleFallback = Callable[[list[dict[str, Any]]], str | None]


class ClientConfig(BaseModel):
    """Everything the resilient client can be told; defaults suit the local mock provider."""

    base_url: str = "http://127.0.0.1:8100/v1"  # `labkit provider serve` default
    api_key: str = "lab-key"
    timeouts: TimeoutPolicy = Field(default_factory=TimeoutPolicy)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)
    cache: CachePolicy = Field(default_factory=CachePolicy)
    budget: BudgetPolicy = Field(default_factory=BudgetPolicy)
    ratelimit: RateLimitPolicy = Field(default_factory=RateLimitPolicy)
    # model -> models to try next, in order; "*" applies to models without an entry
    fallbacks: dict[str, list[str]] = Field(default_factory=lambda: {
        "*": ["lab-mini-2026-03"], "lab-mini-2026-03": ["lab-chat-2026-01"],
        "lab-large-2026-04": [], "lab-embed-2026-01": []})
    # tried next when a route answers context_length_exceeded
    context_fallback: str | None = "lab-large-2026-04"
    # alias -> the dated version it must resolve to (dated ids always pin themselves)
    pins: dict[str, str] = Field(default_factory=dict)
    refuse_version_drift: bool = False
    # how requests travel (labkit.direct.transport): the official SDK, or lean httpx (the gateway's)
    transport: Literal["sdk", "lean"] = "sdk"
    # SDK transport: wire-format bodies through the SDK's low-level post() instead of create()
    sdk_fast_path: bool = True
    raise_on_failure: bool = False  # True: ProviderUnavailable instead of a cannot_answer result
    embed_batch_size: int = Field(64, ge=1, le=2048)
    prices: dict[str, tuple[float, float]] | None = None  # None: the catalogue's price table
    ledger_path: str | None = None  # None: var/ledger.sqlite
    review_queue_path: str | None = None  # None: var/review_queue.jsonl
    telemetry: bool = True
    default_headers: dict[str, str] = Field(default_factory=dict)

    def routes_for(self, model: str, kind: Literal["chat", "embedding"] = "chat") -> list[str]:
        """The model, then its fallbacks (for a chat call, the ``"*"`` entry when it has none
        of its own: ``"*"`` names chat models, so an embedding model without an entry has none).

        Example:
            >>> ClientConfig().routes_for("lab-embed-minilm-2026-11", "embedding")
            ['lab-embed-minilm-2026-11']
        """
        default = self.fallbacks.get("*", []) if kind == "chat" else []
        chain = [model] + list(self.fallbacks.get(model, default))
        seen: list[str] = []
        for m in chain:
            if m not in seen:
                seen.append(m)
        return seen


@dataclass
class CallResult:
    """What a chat call returns: the answer, who answered, what it cost, how it went."""

    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    parsed: Any = None
    model_requested: str = ""
    model_served: str | None = None
    status: str = "ok"  # ok | fallback | cannot_answer
    fallback_used: str | None = None
    attempts: int = 0
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    cost: float = 0.0
    cache_hit: bool = False
    latency_ms: float = 0.0
    finish_reason: str | None = None
    ttft_ms: float | None = None
    call_id: str = ""
    request_id: str | None = None
    validation: str | None = None  # None | ok | repaired | failed
    # why the answer failed validation after the repair attempt (set with validation="failed"),
    # so callers can record the reason without reading it back from telemetry
    validation_error: str | None = None
    redactions: int = 0
    # set on cannot_answer when no route was tried (breakers open, Retry-After): "not now,
    # ask again in this many seconds" rather than "the model failed"
    retry_after_s: float | None = None
    # the provider's JSON body, when the answer is exactly that body (no re-hydrated PII, no
    # merged repair usage): the gateway relays these bytes instead of re-serialising
    upstream_body: bytes | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly copy (``parsed`` dumped if it is a pydantic model)."""
        out = asdict(self)
        out.pop("upstream_body", None)
        if isinstance(self.parsed, BaseModel):
            out["parsed"] = self.parsed.model_dump(mode="json")
        return out


class ModelClient(Protocol):
    """What the patterns need from a model client; :class:`~labkit.direct.ResilientClient` is one.

    RAG, the jobs and the agent are typed against this protocol, not the class, so a learner
    reads exactly which calls a pattern makes (and a test may pass any object that has them).
    """

    def chat(self, messages: list[dict[str, Any]], model: str = "lab-chat-2026-01", *,
             pattern: str = "direct", tools: list[dict[str, Any]] | None = None, tool_choice: Any = None,
             output_model: Any = None, temperature: float | None = 0.0, max_tokens: int | None = None,
             key: str = "default", use_cache: bool = True) -> CallResult:
        """One chat completion through every control."""
        ...

    def embed(self, texts: list[str], model: str = "lab-embed-2026-01", *, pattern: str = "rag",
              key: str = "default") -> list[list[float]]:
        """Vectors for ``texts``, in order."""
        ...
