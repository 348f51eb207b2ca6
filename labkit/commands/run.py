"""``labkit run``, ``labkit lab`` and ``labkit reset``: the lab's main job and its housekeeping.

``run`` is the interim main job until the roadmap notebooks land: it starts the embedded
mock provider, makes a completion, a streamed completion, a tool call and an embedding
through the official ``openai`` SDK, prints them and stops the provider. ``lab`` starts
JupyterLab with the provider running in the background and ``OPENAI_BASE_URL`` set for the
kernels. ``reset`` empties ``var/`` (all runtime state), refusing paths that do not look
like a lab state folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from labkit.errors import ConfigError, LabkitError


@click.command()
@click.option("--provider-url", default=None, help="Use this OpenAI-compatible base URL instead of the embedded provider.")
def run(provider_url: str | None) -> None:
    """The lab's main job, headless (interim: a tour of the provider through the openai SDK)."""
    from labkit.provider.demo import tour
    from labkit.provider.server import serve_in_thread

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
@click.option("--port", default=8888, show_default=True, help="JupyterLab port.")
@click.option("--provider-port", default=8100, show_default=True, help="Mock provider port (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def lab(port: int, provider_port: int, no_browser: bool) -> None:
    """JupyterLab with the mock provider running in the background."""
    from labkit.provider.server import serve_in_thread
    from labkit.settings import REPO_ROOT

    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which("jupyter")
    if jupyter is None:
        raise LabkitError("jupyter is not installed in this environment (run `make install`)")
    with serve_in_thread(port=provider_port) as provider:
        env = dict(os.environ, OPENAI_BASE_URL=provider.base_url,
                   OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY", "lab-key"),
                   LABKIT_PROVIDER_URL=provider.url)
        notebooks = REPO_ROOT / "notebooks"
        cmd = [jupyter, "lab", f"--port={port}", f"--notebook-dir={notebooks if notebooks.is_dir() else REPO_ROOT}"]
        if no_browser:
            cmd.append("--no-browser")
        click.echo(f"mock provider on {provider.base_url} (OPENAI_BASE_URL is set for the kernels)")
        proc = subprocess.Popen(cmd, env=env)
        try:
            proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait(timeout=30)


def _check_resettable(path: Path) -> None:
    from labkit.settings import REPO_ROOT

    home = Path.home().resolve()
    if path in (Path("/"), home, REPO_ROOT.resolve()) or path in REPO_ROOT.resolve().parents:
        raise ConfigError(f"refusing to empty {path}: it is not a lab state folder")
    markers = [m for m in (".git", "pyproject.toml", "labkit") if (path / m).exists()]
    if markers:
        raise ConfigError(f"refusing to empty {path}: it contains {', '.join(markers)}")


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Empty var/ (all runtime state: databases, queues, telemetry, logs)."""
    from labkit.settings import var_dir

    path = var_dir()
    _check_resettable(path)
    children = list(path.iterdir())
    if not children:
        click.echo(f"{path} is already empty")
        return
    if not yes:
        click.confirm(f"Delete {len(children)} item(s) in {path}?", abort=True)
    for child in children:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    click.echo(f"emptied {path} ({len(children)} item(s) removed)")
