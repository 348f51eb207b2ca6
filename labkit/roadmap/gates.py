"""Go/no-go gates: the decision point at the end of every roadmap phase.

The source document asks each phase to end in a clear decision before the team spends more
time, money or trust. A :class:`Gate` collects criteria (a measured value, a comparison, a
threshold), shows them once as a coloured table (``_repr_html_``: green GO, red NO-GO, failed
rows in red; :meth:`Gate.show` displays it in a notebook and updates it in place when a widget
recomputes it), records the outcome under ``var/gates/<phase>.json`` (the main job's summary
reads those files), and :meth:`Gate.enforce` raises :class:`GateFailed` with one short line
naming every failed criterion (IPython shows that line without a traceback; papermill still
stops). A gate with no criteria fails: a gate that cannot fail is a defect.

It does not decide thresholds: the notebooks pass them in as parameters.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> gate = Gate("02_prototype")
    >>> _ = gate.check("p95 latency", 420.0, "<=", 800.0, unit="ms")
    >>> _ = gate.check("recall@5", 0.84, ">=", 0.90)
    >>> gate.passed
    False
    >>> print(gate.headline())
    NO-GO for 02_prototype: 1 of 2 criteria failed — recall@5 (0.84, needs >= 0.9)
"""

from __future__ import annotations

import html
import json
import math
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
        verdict = "pass" if self.passed else "FAIL"
        extra = f" ({self.detail})" if self.detail else ""
        return f"[{verdict}] {self.name}: {self.shown_value()} {self.rule()}{extra}"

    def shown_value(self) -> str:
        """The measured value for people, with its unit: ``1,500 ms``, ``0.95``, ``yes``."""
        return format_value(self.value) + (f" {self.unit}" if self.unit else "")

    def rule(self) -> str:
        """The comparison for people: ``<= 1,500 ms``; a yes/no requirement reads ``must hold``."""
        if self.op == "==" and self.threshold is True:
            return "must hold"
        return f"{self.op} {format_value(self.threshold)}" + (f" {self.unit}" if self.unit else "")


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
        """The criteria as a pandas DataFrame (raw values, for code; people read ``show()``)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.criteria],
                            columns=["name", "value", "op", "threshold", "unit", "passed", "detail"])

    def headline(self) -> str:
        """The decision in one line: GO, or NO-GO with how many criteria failed and which."""
        failed = [c for c in self.criteria if not c.passed]
        if not self.criteria:
            return f"NO-GO for {self.phase}: the gate has no criteria"
        if self.passed:
            return f"GO for {self.phase}: all {len(self.criteria)} criteria passed"
        return (f"NO-GO for {self.phase}: {len(failed)} of {len(self.criteria)} criteria failed — "
                + "; ".join(f"{c.name} ({c.shown_value()}, needs {c.rule()})" for c in failed))

    def report(self) -> str:
        """The decision and every criterion, one per line (plain text: terminals, logs)."""
        return "\n".join([self.headline()] + [c.describe() for c in self.criteria])

    def _repr_html_(self) -> str:
        """The gate as a coloured table: a GO/NO-GO badge, one row per criterion, failures in red."""
        esc = html.escape
        colour = ("#dafbe1", "#116329") if self.passed else ("#ffebe9", "#a40e26")
        rows = []
        for c in self.criteria:
            bg = "" if c.passed else "background:#ffebe9;"
            mark = ("<span style='color:#116329'>✔ pass</span>" if c.passed
                    else "<b style='color:#a40e26'>✘ FAIL</b>")
            rows.append(f"<tr style='{bg}'><td style='text-align:left'>{esc(c.name)}</td>"
                        f"<td style='text-align:right;white-space:nowrap'>{esc(c.shown_value())}</td>"
                        f"<td style='text-align:left;white-space:nowrap'>{esc(c.rule())}</td><td>{mark}</td>"
                        f"<td style='text-align:left;color:#57606a'>{esc(c.detail)}</td></tr>")
        figures = ""
        if self.figures:
            figures = ("<p style='color:#57606a'>Key figures: "
                       + ", ".join(f"{esc(str(k))} = {esc(format_value(v))}" for k, v in self.figures.items())
                       + "</p>")
        return (f"<div class='labkit-gate'><p style='font-size:1.1em'><span style='background:{colour[0]};"
                f"color:{colour[1]};font-weight:600;padding:.15em .6em;border-radius:.4em'>"
                f"{'GO' if self.passed else 'NO-GO'}</span> <b>{esc(self.phase)}</b>: "
                f"{esc(self.headline().split(': ', 1)[1])}</p>"
                "<table><thead><tr><th style='text-align:left'>criterion</th><th>value</th>"
                "<th style='text-align:left'>rule</th><th>result</th><th style='text-align:left'>detail</th>"
                f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{figures}</div>")

    @property
    def display_id(self) -> str:
        """The notebook display this gate occupies (so a recomputed gate replaces it in place)."""
        return f"labkit-gate-{self.phase}"

    def show(self, *, update: bool = False) -> None:
        """Show the gate once: the coloured table in a notebook, the text report elsewhere.

        ``update=True`` replaces the table shown earlier (a widget callback recomputing it).
        """
        if not in_kernel():
            print(self.report())
            return
        from IPython.display import display, update_display

        bundle = {"text/html": self._repr_html_(), "text/plain": self.report()}
        if update:
            update_display(bundle, display_id=self.display_id, raw=True)
        else:
            display(bundle, display_id=self.display_id, raw=True)

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
        """Save the outcome, show the gate once, and raise GateFailed on NO-GO.

        The exception's message is the one-line headline (every failed criterion named, with its
        value and rule); the table above it already shows the rest.
        """
        self.save()
        self.show()
        if not self.passed:
            raise GateFailed(self.headline())


def load_gate_results(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every saved gate outcome under ``var/gates`` (or ``folder``), sorted by phase."""
    folder = folder or var_dir() / "gates"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def format_value(value: Any) -> str:
    """Numbers for people: ``1,500`` not ``1.5e+03``; three significant digits below 1,000.

    Example:
        >>> [format_value(v) for v in (1500.0, 0.9512, 12, True, None, float("nan"), "ok", 1.4e-05)]
        ['1,500', '0.951', '12', 'yes', '–', 'n/a', 'ok', '0.000014']
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "–"
    if not isinstance(value, (int, float)):
        return str(value)
    if value != value:  # NaN: a missing measurement
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return str(int(value))
    if abs(value) < 0.001:  # costs in USD: 0.000014, not 1.4e-05
        decimals = -math.floor(math.log10(abs(value))) + 1
        return f"{value:.{decimals}f}".rstrip("0")
    return f"{value:.3g}"


def in_kernel() -> bool:
    """True inside an IPython kernel (a notebook), where a gate is shown as HTML."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _jsonable(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
