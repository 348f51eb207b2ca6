"""``labkit run``, ``labkit lab`` and ``labkit reset``: the lab's main job and its housekeeping.

``run`` is the main job (:func:`labkit.roadmap.runner.run_lab`): the roadmap notebooks,
headless with papermill, against the embedded provider and service, into
``var/runs/<timestamp>/`` with ``summary.md`` / ``summary.html``; exit status 1 when a gate
said no-go or a notebook failed. ``run --tour`` is the short provider tour through the
official ``openai`` SDK (no notebooks). ``lab`` starts JupyterLab with the mock provider and
the lab service running in the background; the notebooks attach to them (``LABKIT_LAB_*``
variables); like ``run``, each session first archives earlier telemetry
(:func:`labkit.roadmap.runner.archive_telemetry`). ``reset`` empties ``var/`` (all runtime
state) only when it carries the marker the lab writes when it creates the folder
(:data:`labkit.settings.VAR_MARKER`); anything else is refused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import yaml

from labkit.errors import ConfigError, InputError, LabkitError
from labkit.provider.demo import tour
from labkit.provider.server import serve_in_thread
from labkit.roadmap.runner import archive_telemetry, run_lab, run_stamp
from labkit.service import ServiceSettings
from labkit.service import serve_in_thread as serve_service
from labkit.settings import REPO_ROOT, VAR_MARKER, is_marked, var_dir


def _parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise InputError(f"--param needs NAME=VALUE, got {item!r}")
        params[key] = yaml.safe_load(value) if value else ""
    return params


def _tour(provider_url: str | None) -> None:
    def show(base_url: str) -> None:
        result = tour(base_url, api_key=os.environ.get("OPENAI_API_KEY", "lab-key"))
        c, s, t, e = result["completion"], result["stream"], result["tool_call"], result["embedding"]
        click.echo(f"completion  [{c['model']}] {c['content']}")
        click.echo(f"            usage {c['usage']['prompt_tokens']} in / {c['usage']['completion_tokens']} out")
        click.echo(f"stream      {s['chunks']} chunks: {s['content']}")
        click.echo(f"tool call   {t['name']}({t['arguments']})")
        click.echo(f"embedding   {len(e)} dims: [{', '.join(f'{x:+.3f}' for x in e[:5])}, ...]")

    if provider_url:
        show(provider_url)
        return
    with serve_in_thread() as provider:
        click.echo(f"mock provider on {provider.base_url}")
        show(provider.base_url)
    click.echo("mock provider stopped")


@click.command()
@click.option("--provider-url", default=None, help="Use this OpenAI-compatible base URL instead of the embedded provider.")
@click.option("--notebook", "notebooks", multiple=True, help="Run only this notebook (repeatable), e.g. 02_prototype.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Override a notebook parameter wherever it is declared (YAML value), e.g. seed=1.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Run folder (default var/runs/<timestamp>).")
@click.option("--timeout", "timeout_s", default=600, show_default=True, help="Per-cell timeout in seconds.")
@click.option("--no-service", is_flag=True, help="Do not start the lab service (the rollout then starts its own).")
@click.option("--tour", is_flag=True, help="Only the short provider tour through the openai SDK (no notebooks).")
@click.pass_context
def run(ctx: click.Context, provider_url: str | None, notebooks: tuple[str, ...], params: tuple[str, ...],
        out_dir: Path | None, timeout_s: int, no_service: bool, tour: bool) -> None:
    """The lab's main job: every roadmap notebook headless, a summary of every gate."""
    if tour:
        _tour(provider_url)
        return

    summary = run_lab(list(notebooks) or None, parameters=_parse_params(params), provider_url=provider_url,
                      out_dir=out_dir, timeout_s=timeout_s, service=not no_service)
    for gate in summary.gates:
        click.echo(f"{'GO   ' if gate['passed'] else 'NO-GO'} {gate['phase']}")
    click.echo(f"summary: {summary.run_dir / 'summary.md'} (and summary.html)")
    if not summary.passed:
        click.echo("the lab run failed: see the summary for the failed gate(s)", err=True)
        ctx.exit(1)


@click.command()
@click.option("--port", default=8888, show_default=True, help="JupyterLab port.")
@click.option("--provider-port", default=8100, show_default=True, help="Mock provider port (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--notebook-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Serve this folder instead of the repository's notebooks/ (e.g. a copy to scribble in).")
def lab(port: int, provider_port: int, no_browser: bool, notebook_dir: Path | None) -> None:
    """JupyterLab with the mock provider and the lab service running in the background.

    Each session starts from a clean telemetry slate, as ``labkit run`` does: earlier events move
    to ``var/telemetry-archive/<timestamp>/`` before the service starts (it emits events while
    it indexes), so an earlier run's alerts cannot fire in this session's notebooks.
    """
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        raise LabkitError("jupyter is not installed in this environment (run `make install`)")
    archived = archive_telemetry(run_stamp())
    if archived is not None:
        click.echo(f"earlier telemetry moved to {archived}")
    # A SIGTERM (CI, a supervisor, `kill`) must stop JupyterLab too, not orphan it: treat it as ^C.
    sigterm = _SigtermAsInterrupt()
    signal.signal(signal.SIGTERM, sigterm)
    with serve_in_thread(port=provider_port) as provider:
        click.echo(f"mock provider on {provider.base_url}; starting the lab service ...")
        with serve_service(ServiceSettings(provider_url=provider.base_url, rag_ingest_limit=40)) as service:
            env = dict(os.environ, OPENAI_BASE_URL=provider.base_url,
                       OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY", "lab-key"),
                       LABKIT_PROVIDER_URL=provider.url,
                       # the notebooks attach to these instead of starting their own
                       LABKIT_LAB_PROVIDER_URL=provider.base_url, LABKIT_LAB_SERVICE_URL=service.url)
            notebooks = notebook_dir or REPO_ROOT / "notebooks"
            cmd = [jupyter, "lab", f"--port={port}", f"--notebook-dir={notebooks if notebooks.is_dir() else REPO_ROOT}"]
            if no_browser:
                cmd.append("--no-browser")
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")  # workshop containers often run as root; Jupyter refuses otherwise
            click.echo(f"lab service on {service.url} (OPENAI_BASE_URL is set for the kernels)")
            proc: subprocess.Popen[bytes] | None = None
            try:
                with sigterm.deferred():  # never interrupt Popen half-way: the child would be orphaned
                    proc = subprocess.Popen(cmd, env=env)
                proc.wait()
            except KeyboardInterrupt:
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)


class _SigtermAsInterrupt:
    """A SIGTERM handler raising KeyboardInterrupt, held back while a child is being started."""

    def __init__(self) -> None:
        self._defer = False
        self._pending = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self._defer:
            self._pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold SIGTERM back inside the block; raise KeyboardInterrupt at its end if one came."""
        self._defer = True
        try:
            yield
        finally:
            self._defer = False
        if self._pending:
            raise KeyboardInterrupt


def _check_resettable(path: Path) -> None:
    home = Path.home().resolve()
    if path in (Path("/"), home, REPO_ROOT.resolve()) or path in REPO_ROOT.resolve().parents:
        raise ConfigError(f"refusing to empty {path}: it is not a lab state folder")
    # The marker is the only thing that makes a folder resettable; the checks above and below
    # stay as a second line of defence for a folder someone marked by hand.
    if not is_marked(path):
        raise ConfigError(f"refusing to empty {path}: it has no {VAR_MARKER} marker, so the lab did not create it"
                          " (nothing deleted)")
    markers = [m for m in (".git", "pyproject.toml", "labkit") if os.path.lexists(path / m)]
    if markers:
        raise ConfigError(f"refusing to empty {path}: it contains {', '.join(markers)}")


def _remove(child: Path) -> None:
    # Symlinks are removed, never followed: a link inside var/ to a folder elsewhere loses the
    # link only (rmtree does not descend through symlinks either).
    if child.is_dir() and not child.is_symlink():
        shutil.rmtree(child)
    else:
        child.unlink()


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Empty var/ (all runtime state: databases, queues, telemetry, logs); only a folder the lab
    created and marked (.labkit-var) is emptied."""
    path = var_dir()
    _check_resettable(path)
    children = [c for c in path.iterdir() if c.name != VAR_MARKER]
    if not children:
        click.echo(f"{path} is already empty")
        return
    if not yes:
        click.confirm(f"Delete {len(children)} item(s) in {path}?", abort=True)
    for child in children:
        _remove(child)
    click.echo(f"emptied {path} ({len(children)} item(s) removed)")
