"""Go/no-go gates: the decision point at the end of every roadmap phase.

The source document asks each phase to end in a clear decision before the team spends more
time, money or trust. A :class:`Gate` collects criteria (a measured value, a comparison, a
threshold), shows them as a table, records the outcome under ``var/gates/<phase>.json`` (the
main job's summary reads those files), and :meth:`Gate.enforce` raises :class:`GateFailed`
naming every failed criterion. A gate with no criteria fails: a gate that cannot fail is a
defect.

It does not decide thresholds: the notebooks pass them in as parameters.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> gate = Gate("02_prototype")
    >>> _ = gate.check("p95 latency", 420.0, "<=", 800.0, unit="ms")
    >>> _ = gate.check("recall@5", 0.84, ">=", 0.90)
    >>> gate.passed
    False
    >>> print(gate.report().splitlines()[0])
    NO-GO for 02_prototype: 1 of 2 criteria failed
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.errors import GateFailed, InputError
from labkit.settings import var_dir

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass
class Criterion:
    """One go/no-go criterion and its outcome."""

    name: str
    value: Any
    op: str
    threshold: Any
    passed: bool
    unit: str = ""
    detail: str = ""

    def describe(self) -> str:
        """One line: name, value, comparison, threshold and verdict."""
        unit = f" {self.unit}" if self.unit else ""
        verdict = "pass" if self.passed else "FAIL"
        extra = f" ({self.detail})" if self.detail else ""
        return f"[{verdict}] {self.name}: {_fmt(self.value)}{unit} {self.op} {_fmt(self.threshold)}{unit}{extra}"


@dataclass
class Gate:
    """The criteria of one phase's go/no-go decision."""

    phase: str
    criteria: list[Criterion] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, value: Any, op: str, threshold: Any, unit: str = "",
              detail: str = "") -> Criterion:
        """Add a criterion ``value op threshold``; a missing (None/NaN) value fails."""
        if op not in _OPS:
            raise InputError(f"unknown comparison {op!r}; use one of {', '.join(_OPS)}")
        try:
            passed = value is not None and value == value and bool(_OPS[op](value, threshold))
        except TypeError:
            passed = False
        criterion = Criterion(name, value, op, threshold, passed, unit, detail)
        self.criteria.append(criterion)
        return criterion

    def require(self, name: str, condition: bool, detail: str = "") -> Criterion:
        """Add a yes/no criterion that must hold."""
        return self.check(name, bool(condition), "==", True, detail=detail)

    def figure(self, name: str, value: Any) -> None:
        """Record a key figure for the run summary (not a criterion)."""
        self.figures[name] = value

    @property
    def passed(self) -> bool:
        """True when there is at least one criterion and every criterion passed."""
        return bool(self.criteria) and all(c.passed for c in self.criteria)

    def table(self) -> Any:
        """The criteria as a pandas DataFrame (for notebooks)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.criteria],
                            columns=["name", "value", "op", "threshold", "unit", "passed", "detail"])

    def report(self) -> str:
        """The decision and every criterion, one per line."""
        failed = [c for c in self.criteria if not c.passed]
        if not self.criteria:
            head = f"NO-GO for {self.phase}: the gate has no criteria"
        elif self.passed:
            head = f"GO for {self.phase}: all {len(self.criteria)} criteria passed"
        else:
            head = f"NO-GO for {self.phase}: {len(failed)} of {len(self.criteria)} criteria failed"
        return "\n".join([head] + [c.describe() for c in self.criteria])

    def save(self) -> Path:
        """Write the outcome to ``var/gates/<phase>.json`` and return the path."""
        folder = var_dir() / "gates"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.phase}.json"
        payload = {
            "phase": self.phase,
            "passed": self.passed,
            "decided_at": datetime.now(UTC).isoformat(),
            "criteria": [asdict(c) for c in self.criteria],
            "figures": self.figures,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2, default=_jsonable))
        tmp.replace(path)
        return path

    def enforce(self) -> None:
        """Save the outcome, print the report, and raise GateFailed on NO-GO."""
        self.save()
        text = self.report()
        print(text)
        if not self.passed:
            raise GateFailed(text)


def load_gate_results(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every saved gate outcome under ``var/gates`` (or ``folder``), sorted by phase."""
    folder = folder or var_dir() / "gates"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _jsonable(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
