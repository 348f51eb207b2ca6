"""``labkit telemetry``: summaries of model calls and the alert rules, from var/telemetry/.

Example:
    labkit telemetry summary --since 3600 --by pattern,model_served
    labkit telemetry alerts --rules alerts.yaml --fail-on-alert
"""

from __future__ import annotations

import json
import sys

import click

from labkit.telemetry.alerts import evaluate, load_rules
from labkit.telemetry.views import summary as run_summary


def _table(rows: list[dict]) -> str:
    if not rows:
        return "(no calls recorded)"
    cols = list(rows[0])
    cells = [[("" if r[c] is None else str(r[c])) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths))
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


@click.group()
def telemetry() -> None:
    """Telemetry summaries and alert rules over var/telemetry/*.jsonl."""


@telemetry.command()
@click.option("--since", "since_s", type=float, default=None, help="Only the last N seconds.")
@click.option("--by", default="pattern, model_served", show_default=True,
              help="Comma-separated columns of the calls view to group by.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def summary(since_s: float | None, by: str, as_json: bool) -> None:
    """Calls, error and fallback rates, p50/p95 latency, tokens and cost per group."""
    rows = run_summary(since_s, by=by)
    click.echo(json.dumps(rows, default=str, indent=2) if as_json else _table(rows))


@telemetry.command()
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), default=None,
              help="YAML list of alert rules (default: the built-in rules).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.option("--fail-on-alert", is_flag=True, help="Exit with status 1 when any rule fires.")
def alerts(rules_path: str | None, as_json: bool, fail_on_alert: bool) -> None:
    """Evaluate the alert rules now; fired alerts are printed and emitted as events."""
    rules = load_rules(rules_path) if rules_path else None
    fired = evaluate(rules)
    if as_json:
        click.echo(json.dumps([a.model_dump() for a in fired], indent=2))
    elif not fired:
        click.echo("no alerts")
    else:
        for alert in fired:
            click.echo(f"ALERT {alert.rule}: {alert.message}")
    if fired and fail_on_alert:
        sys.exit(1)
