"""Fault injection for the mock provider: the spec, its one-line grammar, and who gets it.

A fault is a :class:`FaultSpec`. The same spec comes from three places and composes:
a per-model entry in the config file (or ``--fault MODEL=SPEC`` on the command line, or
``POST /lab/faults`` on a running server), and a per-request ``X-Lab-Fault`` header. The
header wins field by field over the model's spec.

The grammar (header value, CLI flag and config string are the same)::

    spec    := clause (";" clause)*          e.g.  status=503;times=2
    clause  := name | name "=" value
    DIST    := SECONDS | fixed:S | normal:MEAN:SD | lognormal:MEDIAN:SIGMA

    status=CODE           answer with this HTTP status (400, 429, 500, 502, 503, 529, ...)
    error_rate=C:P[,C:P]  answer with status C at probability P (server RNG, seeded)
    retry_after=S|none    Retry-After seconds on a faulted 429 (default: no header)
    retry_after_ms=MS     retry-after-ms header on a faulted 429
    context_length        400 context_length_exceeded
    content_policy        400 content_policy_violation
    reset                 close the connection (TCP reset) before any header is sent
    hang                  accept the request and never answer (until the client gives up)
    down=S                the model answers 503 for S seconds from the first such request
    latency=DIST          delay before the response headers
    ttft=DIST             delay before the first streamed token (non-streaming: added)
    inter_token=DIST      delay between streamed chunks
    cut=N                 stream: drop the connection after N content chunks, no final chunk
    stall=N               stream: after N content chunks, send nothing and keep it open
    malformed=N           stream: chunk N is not valid JSON
    no_done               stream: end without the ``data: [DONE]`` line
    no_prefill            400 when the conversation ends with an assistant turn (a request to
                          continue a partial answer, "prefill"), as some real models answer
    obey_injection[=P]    obey injected instructions (always, or at rate P)
    hallucinate[=P]       invent an answer instead of abstaining (always, or at rate P)
    times=N               only the first N requests carrying this exact spec get the fault
                          (counted per API key for headers, per model for config faults)
    rate=P                the fault applies to a fraction P of requests (server RNG)

It does not decide what the model says; see ``behaviour.py``.

Example:
    >>> spec = parse_fault("status=503;times=2")
    >>> spec.status, spec.times
    (503, 2)
    >>> parse_fault("latency=lognormal:0.3:0.4").latency.dist
    'lognormal'
    >>> merge(parse_fault("cut=3"), parse_fault("ttft=0.5")).describe()
    'ttft=0.5;cut=3'
"""

from __future__ import annotations

import math
import random
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_DISTS = ("fixed", "normal", "lognormal")


class LatencySpec(BaseModel):
    """A delay distribution in seconds: fixed, normal (mean, sd) or lognormal (median, sigma)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["fixed", "normal", "lognormal"] = "fixed"
    value: float = Field(default=0.0, ge=0.0)  # fixed value, normal mean or lognormal median
    spread: float = Field(default=0.0, ge=0.0)  # normal sd or lognormal sigma

    def sample(self, rng: random.Random) -> float:
        """One delay in seconds, never negative."""
        if self.dist == "fixed" or self.spread == 0.0:
            return self.value
        if self.dist == "normal":
            return max(0.0, rng.gauss(self.value, self.spread))
        if self.value <= 0.0:
            return 0.0
        return rng.lognormvariate(math.log(self.value), self.spread)

    def text(self) -> str:
        """The spec in the header grammar."""
        if self.dist == "fixed":
            return f"{self.value:g}"
        return f"{self.dist}:{self.value:g}:{self.spread:g}"


class FaultSpec(BaseModel):
    """What to break, for whom, and how often. Every field off by default."""

    model_config = ConfigDict(extra="forbid")

    status: int | None = Field(default=None, ge=400, le=599)
    # each probability in [0, 1] (NaN fails the bounds too): 1.5 or -0.1 would silently mean "always"/"never"
    error_rates: dict[Annotated[int, Field(ge=400, le=599)], Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict)
    retry_after: float | None = Field(default=None, ge=0)
    retry_after_ms: int | None = Field(default=None, ge=0)
    context_length: bool = False
    content_policy: bool = False
    reset: bool = False
    hang: bool = False
    down: float | None = Field(default=None, ge=0)
    latency: LatencySpec | None = None
    ttft: LatencySpec | None = None
    inter_token: LatencySpec | None = None
    cut: int | None = Field(default=None, ge=0)
    stall: int | None = Field(default=None, ge=0)
    malformed: int | None = Field(default=None, ge=0)
    no_done: bool = False
    no_prefill: bool = False
    obey_injection: float | None = Field(default=None, ge=0, le=1)
    hallucinate: float | None = Field(default=None, ge=0, le=1)
    times: int | None = Field(default=None, ge=0)
    rate: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _latency_shorthand(cls, data: Any) -> Any:
        # config files may say `latency: 0.2` or `latency: "lognormal:0.3:0.4"`
        if isinstance(data, dict):
            data = dict(data)
            for name in ("latency", "ttft", "inter_token"):
                if isinstance(data.get(name), (int, float, str)):
                    data[name] = parse_dist(str(data[name]))
        return data

    def is_empty(self) -> bool:
        """True when the spec changes nothing."""
        return self == FaultSpec()

    def describe(self) -> str:
        """The spec in the header grammar (only the fields that are set)."""
        parts: list[str] = []
        for name in _ORDER:
            value = getattr(self, name)
            default = FaultSpec.model_fields[name].default
            if name == "error_rates":
                if value:
                    parts.append("error_rate=" + ",".join(f"{c}:{p:g}" for c, p in value.items()))
                continue
            if value is None or value is False or value == default:
                continue
            if value is True:
                parts.append(name)
            elif isinstance(value, LatencySpec):
                parts.append(f"{name}={value.text()}")
            elif isinstance(value, float):
                parts.append(f"{name}={value:g}")
            else:
                parts.append(f"{name}={value}")
        return ";".join(parts)


_ORDER = ["status", "error_rates", "retry_after", "retry_after_ms", "context_length",
          "content_policy", "reset", "hang", "down", "latency", "ttft", "inter_token", "cut",
          "stall", "malformed", "no_done", "no_prefill", "obey_injection", "hallucinate", "times", "rate"]
_FLAGS = {"context_length", "content_policy", "reset", "hang", "no_done", "no_prefill"}
_RATES = {"obey_injection", "hallucinate"}
_INTS = {"status", "retry_after_ms", "cut", "stall", "malformed", "times"}
_FLOATS = {"down", "rate"}
_DIST_FIELDS = {"latency", "ttft", "inter_token"}


def parse_dist(text: str) -> LatencySpec:
    """``"0.2"``, ``"fixed:0.2"``, ``"normal:0.3:0.05"`` or ``"lognormal:0.3:0.4"``."""
    parts = text.strip().split(":")
    try:
        if len(parts) == 1:
            return LatencySpec(dist="fixed", value=float(parts[0]))
        if parts[0] == "fixed" and len(parts) == 2:
            return LatencySpec(dist="fixed", value=float(parts[1]))
        if parts[0] in _DISTS and len(parts) == 3:
            return LatencySpec(dist=parts[0], value=float(parts[1]), spread=float(parts[2]))
    except ValueError:
        pass
    raise ValueError(f"bad latency {text!r}: use SECONDS, fixed:S, normal:MEAN:SD or lognormal:MEDIAN:SIGMA")


def parse_fault(text: str) -> FaultSpec:
    """Parse the header grammar into a :class:`FaultSpec`; ``ValueError`` names the bad clause."""
    fields: dict[str, Any] = {}
    for raw in text.split(";"):
        clause = raw.strip()
        if not clause:
            continue
        name, _, value = clause.partition("=")
        name, value = name.strip().lower().replace("-", "_"), value.strip()
        try:
            if name in _FLAGS:
                fields[name] = value.lower() not in ("0", "false", "no", "off")
            elif name in _RATES:
                fields[name] = float(value) if value else 1.0
            elif name == "retry_after":
                fields[name] = None if value.lower() == "none" else float(value)
            elif name in _INTS:
                fields[name] = int(value)
            elif name in _FLOATS:
                fields[name] = float(value)
            elif name in _DIST_FIELDS:
                fields[name] = parse_dist(value)
            elif name in ("error_rate", "error_rates"):
                rates = {}
                for pair in value.split(","):
                    code, _, prob = pair.partition(":")
                    rates[int(code)] = float(prob)
                fields["error_rates"] = rates
            else:
                raise ValueError(f"unknown fault {name!r}")
        except ValueError as exc:
            if "unknown fault" in str(exc) or "bad latency" in str(exc):
                raise ValueError(f"bad fault clause {clause!r}: {exc}") from None
            raise ValueError(f"bad fault clause {clause!r}: {name} needs a number") from None
    try:
        return FaultSpec(**fields)
    except ValidationError as exc:  # pydantic range errors -> one line
        first = exc.errors()[0]
        raise ValueError(f"bad fault {text!r}: {first['loc'][0]}: {first['msg']}") from None


def merge(base: FaultSpec | None, override: FaultSpec | None) -> FaultSpec:
    """Field-by-field: whatever ``override`` sets wins over ``base``."""
    if base is None:
        return override or FaultSpec()
    if override is None:
        return base
    data = base.model_dump()
    data.update(override.model_dump(exclude_unset=True))
    return FaultSpec(**data)


class FaultState:
    """Counters behind ``times=`` and the clocks behind ``down=``; one per server.

    Not thread-safe on purpose: it is only touched from the server's event loop.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._counts: dict[tuple[str, str], int] = {}
        self._down_since: dict[tuple[str, str], float] = {}

    def selected(self, spec: FaultSpec, scope: str) -> bool:
        """Does this request get the fault? Consumes one of ``times`` and one RNG draw."""
        if spec.times is not None:
            key = (scope, spec.describe())
            used = self._counts.get(key, 0)
            if used >= spec.times:
                return False
            self._counts[key] = used + 1
        return spec.rate >= 1.0 or self.rng.random() < spec.rate

    def is_down(self, spec: FaultSpec, scope: str, now: float | None = None) -> bool:
        """True while the ``down=S`` window opened by the first request in ``scope`` lasts."""
        if spec.down is None:
            return False
        now = time.monotonic() if now is None else now
        since = self._down_since.setdefault((scope, spec.describe()), now)
        return now - since < spec.down

    def pick_error(self, spec: FaultSpec) -> int | None:
        """A status drawn from ``error_rates`` (or None: no error this time)."""
        for code, prob in spec.error_rates.items():
            if self.rng.random() < prob:
                return code
        return None

    def reset_counters(self) -> None:
        """Forget ``times`` counts and ``down`` clocks (e.g. when faults are replaced)."""
        self._counts.clear()
        self._down_since.clear()
