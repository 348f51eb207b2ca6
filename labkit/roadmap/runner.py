"""The lab's main job: run every roadmap notebook headless and summarise the gates.

``labkit run`` (and ``make run``) calls :func:`run_lab`: it starts the embedded mock provider
and the lab service (in this process, on free ports), executes the notebooks in phase order
with papermill into ``var/runs/<timestamp>/`` — each notebook gets only the parameters it
declares, so ``provider_url`` reaches all of them and ``service_url`` only the rollout — then
writes ``summary.md`` and ``summary.html`` with every gate's decision and key figures, links to
each executed notebook and the first plots each one drew. The exit status is non-zero when a
gate failed or a notebook raised.

The terminal shows one line per notebook and per gate. What the kernels print about themselves
(``Kernel is running over TCP without encryption``, ``KeyboardInterrupt caught in kernel`` at
shutdown) and the log lines of papermill, nbclient and jupyter_client go to ``run.log`` in the
run folder; a failed notebook's line names its error, the executed notebook and that log.

It does not retry notebooks or skip phases: a failed phase is reported, and the later phases
still run so the summary shows the whole picture.
"""

from __future__ import annotations

import base64
import contextlib
import html
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.errors import InputError
from labkit.provider.server import serve_in_thread
from labkit.roadmap.gates import Criterion, format_value, load_gate_results
from labkit.service import ServiceSettings
from labkit.service import serve_in_thread as serve_service
from labkit.settings import REPO_ROOT, var_dir

NOTEBOOKS: list[str] = [
    "00_start_here",
    "01_integration_assessment",
    "02_prototype",
    "03_controlled_rollout",
    "04_scale_and_govern",
]


RUN_LOG = "run.log"  # kernels' own output and jupyter/papermill log lines, per run folder
PLOTS_PER_NOTEBOOK = 3  # the first plots of each executed notebook go into the summary
_QUIET_LOGGERS = ("papermill", "nbclient", "jupyter_client", "traitlets")


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
                and all(n.name in ran for n in self.notebooks))


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
            urls["provider_url"] = stack.enter_context(serve_in_thread()).base_url
        if service:
            settings = ServiceSettings(provider_url=urls["provider_url"], rag_ingest_limit=rag_ingest_limit)
            urls["service_url"] = stack.enter_context(serve_service(settings)).url
        yield urls


def logged_kernel_manager(log_path: Path) -> type:
    """A kernel manager class whose kernels write their own stdout/stderr to ``log_path``.

    Cell outputs still reach the notebook (they travel over the kernel's messages, not its
    standard streams); only what the kernel process prints about itself is moved off the
    terminal. papermill passes the class on to nbclient (``kernel_manager_class``).
    """
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            with open(log_path, "ab") as log:  # the child gets its own descriptor; ours can close
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggedKernelManager


@contextlib.contextmanager
def _logs_to(path: Path) -> Iterator[None]:
    """Send papermill/nbclient/jupyter_client log records to ``path`` instead of the terminal."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = []
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)
        handler.close()


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
    log_path = run_dir / RUN_LOG
    kernel_manager = logged_kernel_manager(log_path)
    with _logs_to(log_path), lab_services(provider_url, service=service) as urls:
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
                    kernel_manager_class=kernel_manager,
                )
            except pm.PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}".strip()
            except Exception as exc:  # a kernel that dies or times out is a failed phase, not a crashed run
                error = f"{type(exc).__name__}: {exc}".strip()
            outcome = NotebookOutcome(name, target, time.perf_counter() - started, error)
            summary.notebooks.append(outcome)
            print(f"{'ok  ' if error is None else 'FAIL'} {name} ({outcome.seconds:.1f} s)"
                  + (f"\n     {error.splitlines()[0]}\n     notebook: {target}; kernel log: {log_path}"
                     if error else ""), flush=True)

    summary.gates = load_gate_results(gates_dir) if gates_dir.exists() else []
    write_summary(summary)
    return summary


def run_stamp() -> str:
    """A UTC timestamp naming a run folder or a telemetry archive, e.g. ``20261129T140501Z``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


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


def collect_plots(notebook: Path, folder: Path, limit: int = PLOTS_PER_NOTEBOOK) -> list[Path]:
    """Save the first ``limit`` ``image/png`` outputs of an executed notebook into ``folder``.

    The files are named ``<notebook>-<n>.png``; returns their paths (none when the notebook is
    missing, unreadable or drew no inline image).
    """
    import nbformat

    try:
        book = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):  # a notebook that never got written is reported elsewhere
        return []
    found: list[Path] = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png") if output.get("output_type") in (
                "display_data", "execute_result") else None
            if not png or len(found) >= limit:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{notebook.stem}-{len(found) + 1}.png"
            path.write_bytes(base64.b64decode(png if isinstance(png, str) else "".join(png)))
            found.append(path)
    return found


def write_summary(summary: RunSummary) -> tuple[Path, Path]:
    """Write ``summary.md`` and ``summary.html`` into the run folder.

    Both link each executed notebook (relative to the run folder, so the folder can be moved or
    archived whole) and show the first plots each notebook drew (saved under ``plots/``; the
    HTML embeds them so it stands alone). The HTML colours every decision: green GO, red NO-GO.
    """
    run_dir = summary.run_dir
    plots = {n.name: collect_plots(n.output, run_dir / "plots") for n in summary.notebooks}
    verdict = "GO" if summary.passed else "NO-GO"

    def rel(path: Path) -> str:
        return path.relative_to(run_dir).as_posix() if path.is_relative_to(run_dir) else path.as_uri()

    lines = [f"# labkit run — {verdict}", "", f"Run folder: `{run_dir}`", "",
             "| Notebook | Seconds | Result |", "| --- | ---: | --- |"]
    for n in summary.notebooks:
        result = "ok" if n.error is None else f"error: {n.error.splitlines()[0][:120]}"
        name = f"[{n.name}]({rel(n.output)})" if n.output.exists() else n.name
        lines.append(f"| {name} | {n.seconds:.1f} | {result} |")
    if (run_dir / RUN_LOG).exists():
        lines += ["", f"Kernel and papermill log: [{RUN_LOG}]({RUN_LOG})"]
    for gate in summary.gates:
        lines += ["", f"## {gate['phase']}: {'GO' if gate['passed'] else 'NO-GO'}", "",
                  "| Criterion | Value | Rule | Result |", "| --- | --- | --- | --- |"]
        for c in map(_criterion, gate["criteria"]):
            lines.append(f"| {c.name} | {c.shown_value()} | {c.rule()} | {'pass' if c.passed else '**FAIL**'} |")
        if gate.get("figures"):
            lines += ["", "Key figures: " + ", ".join(f"{k} = {format_value(v)}" for k, v in gate["figures"].items())]
    if any(plots.values()):
        lines += ["", "## Plots"]
        for name, paths in plots.items():
            lines += [f"![{name} plot {i}]({rel(p)})" for i, p in enumerate(paths, 1)]
    md_path = run_dir / "summary.md"
    html_path = run_dir / "summary.html"
    md_path.write_text("\n".join(lines) + "\n")
    html_path.write_text(_summary_html(summary, plots, rel))
    return md_path, html_path


_CSS = """body{font-family:system-ui,sans-serif;max-width:64em;margin:2em auto;color:#1f2328}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}
.num{text-align:right}.num,.rule{white-space:nowrap}.go{background:#dafbe1;color:#116329}.nogo{background:#ffebe9;color:#a40e26}
.badge{display:inline-block;padding:.1em .6em;border-radius:.4em;font-weight:600}
tr.fail td{background:#ffebe9}tr.pass td.result{color:#116329}tr.fail td.result{color:#a40e26;font-weight:600}
.plots img{max-width:30em;margin:.3em;border:1px solid #d0d7de}.detail{color:#57606a;font-size:.9em}"""


def _summary_html(summary: RunSummary, plots: dict[str, list[Path]], rel: Any) -> str:
    esc = html.escape

    def badge(passed: bool) -> str:
        return f"<span class='badge {'go' if passed else 'nogo'}'>{'GO' if passed else 'NO-GO'}</span>"

    out = [f"<!doctype html><meta charset='utf-8'><title>labkit run — {'GO' if summary.passed else 'NO-GO'}</title>",
           f"<style>{_CSS}</style>", f"<h1>labkit run {badge(summary.passed)}</h1>",
           f"<p>Run folder: <code>{esc(str(summary.run_dir))}</code></p>",
           "<table><tr><th>Notebook</th><th class='num'>Seconds</th><th>Result</th></tr>"]
    for n in summary.notebooks:
        name = f"<a href='{esc(rel(n.output))}'>{esc(n.name)}</a>" if n.output.exists() else esc(n.name)
        result = ("<td class='result go'>ok</td>" if n.error is None
                  else f"<td class='result nogo'>error: {esc(n.error.splitlines()[0][:200])}</td>")
        out.append(f"<tr class='{'pass' if n.error is None else 'fail'}'><td>{name}</td>"
                   f"<td class='num'>{n.seconds:.1f}</td>{result}</tr>")
    out.append("</table>")
    if (summary.run_dir / RUN_LOG).exists():
        out.append(f"<p>Kernel and papermill log: <a href='{RUN_LOG}'>{RUN_LOG}</a></p>")
    for gate in summary.gates:
        out += [f"<h2>{esc(gate['phase'])} {badge(gate['passed'])}</h2>",
                "<table class='gate'><tr><th>Criterion</th><th class='num'>Value</th><th>Rule</th>"
                "<th>Result</th><th>Detail</th></tr>"]
        for c in map(_criterion, gate["criteria"]):
            out.append(f"<tr class='{'pass' if c.passed else 'fail'}'><td>{esc(c.name)}</td>"
                       f"<td class='num'>{esc(c.shown_value())}</td>"
                       f"<td class='rule'>{esc(c.rule())}</td>"
                       f"<td class='result'>{'pass' if c.passed else 'FAIL'}</td>"
                       f"<td class='detail'>{esc(str(c.detail or ''))}</td></tr>")
        out.append("</table>")
        if gate.get("figures"):
            out.append("<p>Key figures: " + ", ".join(f"{esc(str(k))} = {esc(format_value(v))}"
                                                       for k, v in gate["figures"].items()) + "</p>")
    if any(plots.values()):
        out.append("<h2>Plots</h2>")
        for name, paths in plots.items():
            if not paths:
                continue
            images = "".join(f"<img alt='{esc(name)} plot {i}' src='data:image/png;base64,"
                             f"{base64.b64encode(p.read_bytes()).decode()}'>" for i, p in enumerate(paths, 1))
            out.append(f"<h3>{esc(name)}</h3><div class='plots'>{images}</div>")
    return "\n".join(out) + "\n"


def _criterion(saved: dict[str, Any]) -> Criterion:
    """A saved criterion (``var/gates/<phase>.json``) back as a Criterion, so the summary shows
    values and rules exactly as the gate's own table does (one formatter: gates.format_value)."""
    return Criterion(saved["name"], saved["value"], saved["op"], saved["threshold"], saved["passed"],
                     saved.get("unit") or "", saved.get("detail") or "")


os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quieter kernels under papermill
