"""The mock provider's configuration: keys, limits, behaviour rates, drift and faults.

One pydantic model, :class:`ProviderConfig`, is read from a YAML or JSON file
(``labkit provider serve --config FILE``), built from CLI flags, or passed to
``serve_in_thread(config)`` in tests. The defaults are the fast, well-behaved lab server:
no injected latency, no error rates, any non-empty API key, no rate limits; only the
"model" itself is imperfect (it hallucinates and obeys prompt injections at small rates,
as a weak real model would).

It does not read environment variables: the caller decides where configuration comes from.

Example:
    >>> cfg = ProviderConfig.model_validate({"faults": {"lab-mini": "error_rate=503:0.1"}})
    >>> cfg.faults["lab-mini"].error_rates
    {503: 0.1}
    >>> ProviderConfig().latency
    'none'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from labkit.errors import ConfigError
from labkit.provider.faults import FaultSpec, parse_fault


class DriftRule(BaseModel):
    """Move ``alias`` to ``to`` after a number of requests or seconds (whichever comes first)."""

    model_config = ConfigDict(extra="forbid")

    alias: str = "lab-chat"
    to: str | None = None  # default: catalog.ALIAS_NEXT[alias]
    after_requests: int | None = Field(default=None, ge=0)
    after_seconds: float | None = Field(default=None, ge=0)


class ProviderConfig(BaseModel):
    """Everything the mock provider can be told; every field has a safe, fast default."""

    model_config = ConfigDict(extra="forbid")

    # "none": zero injected latency; "realistic": the catalogue's latency profiles
    latency: Literal["none", "realistic"] = "none"
    # accepted API keys; empty list = any non-empty key
    api_keys: list[str] = Field(default_factory=list)
    # per-key limits over a sliding 60-second window; None = unlimited
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # the model's imperfections: rates applied deterministically per request
    hallucination_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    injection_obedience: float = Field(default=0.3, ge=0.0, le=1.0)
    drift: list[DriftRule] = Field(default_factory=list)
    # per-model faults: key is a dated id, an alias or "*" (every model)
    faults: dict[str, FaultSpec] = Field(default_factory=dict)
    # seed of the server's RNG (error rates, latency samples): a run is reproducible
    seed: int = 0
    # append the request log as JSON lines to this file (None: memory only)
    request_log_path: str | None = None
    request_log_size: int = Field(default=100_000, ge=1)
    # the request log's PII audit of every prompt (pii_seen / pii_types): the lab's evidence that
    # no PII reached the provider. False only to measure the provider's own cost (a real provider
    # runs no such audit; it costs ~50 us of CPU a request, a quarter to a third of this mock's): entries then
    # carry pii_seen/pii_types None, "not audited", never False
    pii_audit: bool = True
    # longest a "hang" or "stall" fault keeps a connection open before giving up
    max_hang_s: float = Field(default=300.0, gt=0)

    @field_validator("faults", mode="before")
    @classmethod
    def _faults_from_strings(cls, value: Any) -> Any:
        # a fault may be written in the header grammar ("status=503;times=2") or as a mapping
        if isinstance(value, dict):
            return {k: parse_fault(v) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @classmethod
    def load(cls, path: str | Path) -> ProviderConfig:
        """Read a YAML or JSON config file; :class:`ConfigError` with a one-line reason if bad."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read provider config {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"provider config {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            reason = str(exc).splitlines()[0]
            raise ConfigError(f"provider config {path} is not valid YAML/JSON: {reason}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"provider config {path} must be a mapping, not {type(data).__name__}")
        return cls.parse(data, source=str(path))

    @classmethod
    def parse(cls, data: dict[str, Any], source: str = "config") -> ProviderConfig:
        """Validate a mapping; :class:`ConfigError` naming the first bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(root)"
            raise ConfigError(f"{source}: {where}: {err['msg']}") from None
        except ValueError as exc:  # a fault string that does not parse
            raise ConfigError(f"{source}: {exc}") from None
