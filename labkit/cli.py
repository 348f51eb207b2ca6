"""The ``labkit`` command.

Each sub-command lives in its own module under ``labkit/commands/`` and is imported only when
it runs, so ``labkit --help`` stays fast and one broken feature cannot break the others.
Every error labkit raises on purpose (:class:`labkit.errors.LabkitError`) is shown as one
line on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from labkit.errors import LabkitError

# name -> ("module:attribute" of a click command or group, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "provider": ("labkit.commands.provider:provider", "The local OpenAI-compatible mock provider."),
    "gateway": ("labkit.commands.gateway:gateway", "The resilient client as an OpenAI-compatible gateway."),
    "data": ("labkit.commands.data:data", "Build and profile the sample enterprise data."),
    "assess": ("labkit.commands.data:assess", "Phase 1: readiness checklist, pattern choice and ADR."),
    "pii": ("labkit.commands.safety:pii", "PII redaction: evaluate on labelled cases."),
    "injection": ("labkit.commands.safety:injection", "Prompt-injection detector: evaluate on labelled cases."),
    "telemetry": ("labkit.commands.telemetry:telemetry", "Telemetry summaries and alert rules."),
    "rag": ("labkit.commands.rag:rag", "Pattern 2: ingest, ask and evaluate retrieval."),
    "jobs": ("labkit.commands.jobs:jobs", "Pattern 3: the job queue, dead letters and the chaos drill."),
    "worker": ("labkit.commands.jobs:worker", "Run queue workers."),
    "agent": ("labkit.commands.agent:agent", "Pattern 4: run the agent, approvals, red-team cases."),
    "audit": ("labkit.commands.agent:audit", "The hash-chained audit log."),
    "serve": ("labkit.commands.service:serve", "The lab's HTTP service (all four patterns)."),
    "loadtest": ("labkit.commands.service:loadtest", "Locust load tests against the service."),
    "run": ("labkit.commands.run:run", "The lab's main job: run every roadmap notebook headless."),
    "lab": ("labkit.commands.run:lab", "JupyterLab with the provider and service running."),
    "reset": ("labkit.commands.run:reset", "Empty var/ (all runtime state)."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # static help: listing commands must not import every feature
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)])


@click.group(cls=LazyGroup)
@click.version_option(package_name="labkit")
def cli() -> None:
    """The Enterprise AI Integration Lab: patterns, controls and roadmap phases."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning LabkitError into a one-line message and exit code 2."""
    try:
        # standalone_mode=False makes click *return* the code of ctx.exit(n) instead of
        # exiting; pass it on, or `labkit run` would exit 0 on a NO-GO
        code = cli.main(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LabkitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
