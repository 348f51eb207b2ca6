"""The lab's main job: run every roadmap notebook headless and summarise the gates.

``labkit run`` (and ``make run``) calls :func:`run_lab`: it starts the embedded mock provider
and the lab service (in this process, on free ports), executes the notebooks in phase order
with papermill into ``var/runs/<timestamp>/`` — each notebook gets only the parameters it
declares, so ``provider_url`` reaches all of them and ``service_url`` only the rollout — then
writes ``summary.md`` and ``summary.html`` with every gate's decision and key figures. The exit
status is non-zero when a gate failed or a notebook raised.

It does not retry notebooks or skip phases: a failed phase is reported, and the later phases
still run so the summary shows the whole picture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labkit.errors import InputError
from labkit.roadmap.gates import load_gate_results
from labkit.settings import REPO_ROOT, var_dir

NOTEBOOKS: list[str] = [
    "00_start_here",
    "01_integration_assessment",
    "02_prototype",
    "03_controlled_rollout",
    "04_scale_and_govern",
]


@dataclass
class NotebookOutcome:
    """How one notebook's execution ended."""

    name: str
    output: Path
    seconds: float
    error: str | None = None


@dataclass
class RunSummary:
    """Everything the main job produced."""

    run_dir: Path
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every notebook ran and every gate it reached said GO."""
        ran = {g["phase"] for g in self.gates}
        return (all(n.error is None for n in self.notebooks)
                and all(g["passed"] for g in self.gates)
                and all(_phase_of(n.name) in ran for n in self.notebooks))


def notebooks_dir() -> Path:
    """Where the committed notebooks live."""
    return REPO_ROOT / "notebooks"


@contextlib.contextmanager
def lab_services(provider_url: str | None = None, *, service: bool = True,
                 rag_ingest_limit: int | None = 40) -> Iterator[dict[str, str]]:
    """Start the embedded provider (unless a URL is given) and the service; yield their URLs.

    The service indexes only ``rag_ingest_limit`` documents at startup so the main job stays
    within minutes; ``None`` indexes the whole knowledge base.
    """
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        if provider_url:
            urls["provider_url"] = provider_url
        else:
            from labkit.provider.server import serve_in_thread

            urls["provider_url"] = stack.enter_context(serve_in_thread()).base_url
        if service:
            from labkit.service import ServiceSettings
            from labkit.service import serve_in_thread as serve_service

            settings = ServiceSettings(provider_url=urls["provider_url"], rag_ingest_limit=rag_ingest_limit)
            urls["service_url"] = stack.enter_context(serve_service(settings)).url
        yield urls


def declared_parameters(path: Path) -> set[str]:
    """The names a notebook's ``parameters`` cell declares."""
    import papermill as pm

    return set(pm.inspect_notebook(str(path)))


def run_lab(notebooks: list[str] | None = None, parameters: dict[str, Any] | None = None,
            provider_url: str | None = None, out_dir: Path | None = None,
            timeout_s: int = 600, service: bool = True) -> RunSummary:
    """Execute the roadmap notebooks and write the summary; returns what happened.

    ``parameters`` go to every notebook that declares them (e.g. ``{"seed": 1}``).

    Example:
        >>> summary = run_lab(["00_start_here"])           # doctest: +SKIP
        ok   00_start_here (6.1 s)
        >>> summary.passed                                  # doctest: +SKIP
        True
    """
    import papermill as pm

    names = notebooks or NOTEBOOKS
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        raise InputError(f"unknown notebook(s) {', '.join(unknown)}; choose from {', '.join(NOTEBOOKS)}")
    stamp = run_stamp()
    run_dir = out_dir or var_dir() / "runs" / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    gates_dir = var_dir() / "gates"
    shutil.rmtree(gates_dir, ignore_errors=True)  # only this run's decisions count
    archive_telemetry(stamp)

    summary = RunSummary(run_dir)
    with lab_services(provider_url, service=service) as urls:
        for name in names:
            source = notebooks_dir() / f"{name}.ipynb"
            target = run_dir / f"{name}.ipynb"
            declared = declared_parameters(source)
            params = {k: v for k, v in {**urls, **(parameters or {})}.items() if k in declared}
            started = time.perf_counter()
            error = None
            try:
                pm.execute_notebook(
                    str(source), str(target), parameters=params, kernel_name="python3",
                    cwd=str(REPO_ROOT), progress_bar=False, execution_timeout=timeout_s,
                )
            except pm.PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}".strip()
            except Exception as exc:  # a kernel that dies or times out is a failed phase, not a crashed run
                error = f"{type(exc).__name__}: {exc}".strip()
            outcome = NotebookOutcome(name, target, time.perf_counter() - started, error)
            summary.notebooks.append(outcome)
            print(f"{'ok  ' if error is None else 'FAIL'} {name} ({outcome.seconds:.1f} s)"
                  + (f"\n     {error.splitlines()[0]}" if error else ""), flush=True)

    summary.gates = load_gate_results(gates_dir) if gates_dir.exists() else []
    write_summary(summary)
    return summary


def run_stamp() -> str:
    """A UTC timestamp naming a run folder or a telemetry archive, e.g. ``20261129T140501Z``."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def archive_telemetry(stamp: str) -> Path | None:
    """Move earlier telemetry to ``var/telemetry-archive/<stamp>/``; returns where, if any.

    The rollout's monitoring and the governance phase's cost-per-hour alert read the event
    files; traffic from a benchmark or an earlier run in the same hour would otherwise count
    against this run's gates. ``labkit run`` and ``labkit lab`` both call it when they start.
    Nothing is deleted; a second archive in the same second gets a ``-2`` suffix.
    """
    source = var_dir() / "telemetry"
    if not source.is_dir() or not any(source.iterdir()):
        return None
    target = var_dir() / "telemetry-archive" / stamp
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while target.exists():  # two starts within one second must not fail or merge
        n += 1
        target = target.with_name(f"{stamp}-{n}")
    source.rename(target)
    return target


def write_summary(summary: RunSummary) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.html`` into the run folder."""
    import markdown

    lines = [
        f"# labkit run — {'GO' if summary.passed else 'NO-GO'}",
        "",
        f"Run folder: `{summary.run_dir}`",
        "",
        "| Notebook | Seconds | Result |",
        "| --- | ---: | --- |",
    ]
    for n in summary.notebooks:
        result = "ok" if n.error is None else f"error: {n.error.splitlines()[0][:120]}"
        lines.append(f"| {n.name} | {n.seconds:.1f} | {result} |")
    for gate in summary.gates:
        lines += ["", f"## {gate['phase']}: {'GO' if gate['passed'] else 'NO-GO'}", "",
                  "| Criterion | Value | Rule | Result |", "| --- | --- | --- | --- |"]
        for c in gate["criteria"]:
            unit = f" {c['unit']}" if c.get("unit") else ""
            lines.append(f"| {c['name']} | {_fmt(c['value'])}{unit} | {c['op']} {_fmt(c['threshold'])}{unit} "
                         f"| {'pass' if c['passed'] else '**FAIL**'} |")
        if gate.get("figures"):
            lines += ["", "Key figures: " + ", ".join(f"{k} = {_fmt(v)}" for k, v in gate["figures"].items())]
    text = "\n".join(lines) + "\n"
    md_path = summary.run_dir / "summary.md"
    html_path = summary.run_dir / "summary.html"
    md_path.write_text(text)
    body = markdown.markdown(text, extensions=["tables"])
    html_path.write_text(f"<!doctype html><meta charset='utf-8'><title>labkit run</title>"
                         f"<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}"
                         f"td,th{{border:1px solid #ccc;padding:.2em .5em}}table{{border-collapse:collapse}}"
                         f"</style>{body}")
    return md_path, html_path


def _phase_of(notebook: str) -> str:
    return notebook


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quieter kernels under papermill
