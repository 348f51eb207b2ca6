"""Load profiles for the Locust runs: users, traffic mix, think time, provider latency, SLOs.

A profile is a YAML file under ``loadtests/profiles/`` (``smoke``, ``rollout``, ``stress``) or
any path. ``loadtests/locustfile.py`` reads it (``LABKIT_LOAD_PROFILE``) for the user-class
weights, the think time, the rollout stages and the SLO gate; ``labkit loadtest`` reads it for
the user count, the run time and the provider's latency for the run.

The SLO gate (:func:`evaluate_slo`) is pure: it takes per-endpoint rows (name, requests,
failures, p95) and returns violations, so it is tested without running Locust.

Example:
    >>> p = load_profile("smoke")
    >>> p.name, p.weights["rag"] > 0
    ('smoke', True)
    >>> rows = [{"name": "POST /rag/ask", "requests": 10, "failures": 0, "p95_ms": 9000}]
    >>> [v["reason"] for v in evaluate_slo(rows, p.slo)]
    ['p95 9000 ms > budget 2000 ms']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labkit.errors import ConfigError
from labkit.settings import REPO_ROOT

PROFILES_DIR = REPO_ROOT / "loadtests" / "profiles"
USER_KINDS: tuple[str, ...] = ("direct", "rag", "jobs", "agent", "copilot", "gateway")


class Stage(BaseModel):
    """One rollout phase: hold ``users`` of the listed classes until ``duration`` s from the start."""

    model_config = ConfigDict(extra="forbid")
    name: str
    duration: float = Field(gt=0)  # cumulative end time in seconds from the start of the run
    users: int = Field(ge=0)
    spawn_rate: float = Field(gt=0)
    classes: list[str] = Field(default_factory=lambda: list(USER_KINDS))


class SLO(BaseModel):
    """Latency budgets (p95 per endpoint, ms) and the largest tolerated failure ratio."""

    model_config = ConfigDict(extra="forbid")
    max_failure_ratio: float = Field(0.01, ge=0, le=1)
    default_p95_ms: float = Field(5000, gt=0)
    p95_ms: dict[str, float] = Field(default_factory=dict)
    min_requests: int = Field(1, ge=0)  # entries with fewer requests are reported, not gated


class ProviderLoad(BaseModel):
    """The provider's behaviour for the run: catalogue latency profiles and/or faults per model."""

    model_config = ConfigDict(extra="forbid")
    latency: str = Field("none", pattern="^(none|realistic)$")
    faults: dict[str, str] = Field(default_factory=dict)


class LoadProfile(BaseModel):
    """A whole profile file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    users: int = Field(4, ge=1)
    spawn_rate: float = Field(4, gt=0)
    run_time: str = "20s"
    think_time: tuple[float, float] = (0.1, 0.5)
    # seconds between one user's iterations on an absolute schedule (replaces think_time)
    pacing: float | None = Field(None, gt=0)
    weights: dict[str, int] = Field(default_factory=lambda: {k: 1 for k in USER_KINDS})
    provider: ProviderLoad = Field(default_factory=ProviderLoad)
    stages: list[Stage] = Field(default_factory=list)
    slo: SLO = Field(default_factory=SLO)

    def model_post_init(self, __context: Any) -> None:
        unknown = (set(self.weights) | {c for s in self.stages for c in s.classes}) - set(USER_KINDS)
        if unknown:
            raise ValueError(f"unknown user classes {sorted(unknown)}; known: {', '.join(USER_KINDS)}")
        if self.think_time[0] > self.think_time[1] or self.think_time[0] < 0:
            raise ValueError("think_time must be [min, max] with 0 <= min <= max")

    def budget_ms(self, name: str) -> float:
        return self.slo.p95_ms.get(name, self.slo.default_p95_ms)


def profile_path(name_or_path: str) -> Path:
    """A profile name (``smoke``) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return PROFILES_DIR / f"{name_or_path}.yaml"


def load_profile(name_or_path: str) -> LoadProfile:
    """Load and validate a profile; ConfigError with a one-line reason when it is bad."""
    path = profile_path(name_or_path)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise ConfigError(f"no load profile {name_or_path!r} (known: {known}, or a path to a YAML file)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return LoadProfile.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"load profile {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise ConfigError(f"load profile {path}: {where}: {err['msg']}") from None


def evaluate_slo(rows: list[dict[str, Any]], slo: SLO) -> list[dict[str, Any]]:
    """Violations of ``slo`` by per-endpoint ``rows`` (name, requests, failures, p95_ms).

    A row named ``Aggregated`` is checked only against the failure ratio.
    """
    violations: list[dict[str, Any]] = []
    for row in rows:
        name, requests, failures = row["name"], int(row["requests"]), int(row["failures"])
        if requests < max(slo.min_requests, 1):
            continue
        ratio = failures / requests
        if ratio > slo.max_failure_ratio:
            violations.append({"name": name, "reason":
                               f"failure ratio {ratio:.3f} > {slo.max_failure_ratio:.3f}"})
        if name == "Aggregated":
            continue
        budget = slo.p95_ms.get(name, slo.default_p95_ms)
        if row["p95_ms"] is not None and float(row["p95_ms"]) > budget:
            violations.append({"name": name, "reason": f"p95 {row['p95_ms']:.0f} ms > budget {budget:.0f} ms"})
    return violations
