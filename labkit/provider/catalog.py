"""The mock provider's model catalogue: dated versions, moving aliases, prices, latency.

One table serves both sides: the mock provider uses it to decide how each model behaves,
and the resilient client uses its prices as the default price table for cost estimates and
budgets (a real deployment configures its own prices; see ``labkit.controls.budget``).

Aliases move. ``lab-chat`` points at ``lab-chat-2026-01`` until the provider is told to move
it (by time, by request count, or by the admin API) to ``lab-chat-2026-06``, which is more
verbose and grounds its answers less well. The response's ``model`` field always names the
dated version that served the request, so a client that pins versions can see drift.

Example:
    >>> resolve("lab-chat").id
    'lab-chat-2026-01'
    >>> round(MODELS["lab-mini-2026-03"].cost(1_000_000, 0), 2)
    0.15
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LatencyProfile:
    """How long a model takes: time to first token, then a delay per output token (seconds)."""

    ttft_median: float = 0.0
    ttft_sigma: float = 0.0  # lognormal shape; 0 means fixed
    per_token: float = 0.0


@dataclass(frozen=True)
class ModelSpec:
    """One dated model version and everything the lab needs to know about it."""

    id: str
    kind: str  # "chat" or "embedding"
    context_window: int
    max_output_tokens: int
    price_in_per_m: float  # USD per million input tokens
    price_out_per_m: float  # USD per million output tokens
    latency: LatencyProfile = field(default_factory=LatencyProfile)
    # behaviour knobs used by the mock's deterministic "model"
    verbosity: int = 1  # how many extra sentences it adds beyond the evidence
    grounding: float = 1.0  # 1.0 = only supported sentences; lower = more unsupported filler
    embedding_dimensions: int = 0
    # embedding models: "hashed" (embeddings.py, no meaning) or "semantic" (semantic.py, MiniLM)
    embedder: str = "hashed"

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """Price in USD of a call with these token counts."""
        return tokens_in * self.price_in_per_m / 1e6 + tokens_out * self.price_out_per_m / 1e6


MODELS: dict[str, ModelSpec] = {
    m.id: m
    for m in [
        ModelSpec("lab-chat-2026-01", "chat", 8_192, 1_024, 0.50, 1.50,
                  LatencyProfile(0.35, 0.4, 0.012), verbosity=0, grounding=1.0),
        ModelSpec("lab-chat-2026-06", "chat", 8_192, 1_024, 0.40, 1.20,
                  LatencyProfile(0.30, 0.4, 0.010), verbosity=3, grounding=0.6),
        ModelSpec("lab-mini-2026-03", "chat", 4_096, 512, 0.15, 0.60,
                  LatencyProfile(0.12, 0.3, 0.004), verbosity=0, grounding=0.9),
        ModelSpec("lab-large-2026-04", "chat", 131_072, 4_096, 5.00, 15.00,
                  LatencyProfile(0.90, 0.5, 0.030), verbosity=1, grounding=1.0),
        ModelSpec("lab-embed-2026-01", "embedding", 8_192, 0, 0.02, 0.0,
                  LatencyProfile(0.02, 0.2, 0.0), embedding_dimensions=256),
        # all-MiniLM-L6-v2: reads the first 256 word pieces; longer input is refused at 512
        ModelSpec("lab-embed-minilm-2026-11", "embedding", 512, 0, 0.02, 0.0,
                  LatencyProfile(0.02, 0.2, 0.0), embedding_dimensions=384, embedder="semantic"),
    ]
}

# Moving aliases -> the dated version they point at when the provider starts.
ALIASES: dict[str, str] = {
    "lab-chat": "lab-chat-2026-01",
    "lab-mini": "lab-mini-2026-03",
    "lab-large": "lab-large-2026-04",
    "lab-embed": "lab-embed-2026-01",
    "lab-embed-semantic": "lab-embed-minilm-2026-11",
}

# Where an alias moves when the provider's drift is triggered.
ALIAS_NEXT: dict[str, str] = {"lab-chat": "lab-chat-2026-06"}


def resolve(name: str, aliases: dict[str, str] | None = None) -> ModelSpec:
    """The dated model a name (alias or dated id) resolves to; ``KeyError`` if unknown."""
    table = ALIASES if aliases is None else aliases
    return MODELS[table.get(name, name)]


def price_table() -> dict[str, tuple[float, float]]:
    """USD per million (input, output) tokens for every dated model and alias."""
    prices = {m.id: (m.price_in_per_m, m.price_out_per_m) for m in MODELS.values()}
    for alias, target in ALIASES.items():
        prices[alias] = prices[target]
    return prices
