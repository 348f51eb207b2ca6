"""``labkit data build|profile`` and ``labkit assess``: Phase 1 on the command line.

Thin wrappers: the work happens in :mod:`labkit.data.generate`, :mod:`labkit.data.catalogue`,
:mod:`labkit.data.profile` and :mod:`labkit.roadmap.assessment`. Errors raised there
(``DataError``, ``InputError``, ``ConfigError``) reach the user as one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import duckdb

from labkit.data.catalogue import build_database, ensure_loaded
from labkit.data.generate import default_out_dir, generate
from labkit.data.profile import Thresholds, profile, profile_lab
from labkit.data.schema import DEFAULT_SEED, SCALES
from labkit.errors import DataError, InputError
from labkit.settings import datasets_dir, var_dir


@click.group()
def data() -> None:
    """Build and profile the sample enterprise data."""


@data.command("build")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Generator seed.")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="small is committed under datasets/; medium (x5) and large (x20) go under var/.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: datasets/ for small, var/datasets-<scale>/ otherwise).")
@click.option("--no-load", is_flag=True, help="Write the files only; do not load var/lab.duckdb.")
def build(seed: int, scale: str, out: Path | None, no_load: bool) -> None:
    """Generate the dataset files (deterministic) and load them into var/lab.duckdb."""
    folder = out or default_out_dir(scale)
    manifest = generate(folder, seed=seed, scale=scale)
    counts = manifest["counts"]
    click.echo(f"wrote {len(manifest['files'])} files to {folder} (seed {seed}, scale {scale})")
    for name, n in counts.items():
        click.echo(f"  {name:<24} {n:>7}")
    if no_load:
        return
    if folder.resolve() == datasets_dir():
        path = ensure_loaded(folder)
    else:
        # another scale or folder: its own database, so the default one stays intact
        path = build_database(var_dir() / f"lab-{scale}-{seed}.duckdb", folder)
    click.echo(f"loaded into {path}")


@data.command("profile")
@click.option("--thresholds", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="YAML/JSON file overriding the pass/fail thresholds.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for readiness.md and readiness.html (default: var/reports/).")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Profile another DuckDB file (e.g. var/lab-medium-7.duckdb) instead of var/lab.duckdb.")
@click.option("--json", "as_json", is_flag=True, help="Print the criteria as JSON.")
def profile_cmd(thresholds: Path | None, out: Path | None, db: Path | None, as_json: bool) -> None:
    """Data-readiness profile: completeness, duplicates, freshness, conflicts, PII, owners, access."""
    limits = Thresholds.load(thresholds) if thresholds else Thresholds()
    if db is None:
        report = profile_lab(limits)
    else:
        try:
            con = duckdb.connect(str(db), read_only=True)
            report = profile(con, limits)
        except duckdb.Error as exc:
            raise DataError(f"{db}: cannot profile ({str(exc).splitlines()[0][:160]})") from None
        con.close()
    md, html = report.write(out)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        click.echo(report.summary_table())
        click.echo(f"report: {md}\n        {html}")
    click.echo(f"data readiness: {'PASS' if report.passed else 'FAIL'} "
               f"({sum(c.passed for c in report.criteria)}/{len(report.criteria)} criteria)")


@click.command()
@click.option("--answers", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="YAML/JSON file with the team's answers (checklist items and decision questions).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the ADR (default: var/adr/ADR-001-integration-pattern.md).")
@click.option("--example", is_flag=True, help="Use the lab's example answers (a RAG support copilot).")
@click.option("--print-example", is_flag=True, help="Print the example answers as YAML and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def assess(answers: Path | None, out: Path | None, example: bool, print_example: bool, as_json: bool) -> None:
    """Phase 1: readiness checklist, pattern choice and the Architecture Decision Record."""
    # lazy: the assessment imports every pattern (openai, chromadb); `labkit data build` needs none
    from labkit.roadmap.assessment import (
        EXAMPLE_ANSWERS,
        example_answers_yaml,
        load_answers,
        run_assessment,
    )

    if print_example:
        click.echo(example_answers_yaml(), nl=False)
        return
    if answers and example:
        raise InputError("give either --answers FILE or --example, not both")
    result = run_assessment(load_answers(answers) if answers else EXAMPLE_ANSWERS if example else None)
    path = result.write_adr(out)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        click.echo(result.summary())
    click.echo(f"ADR written to {path}")
    click.echo(f"decision: {'GO' if result.go else 'NO-GO'}")
