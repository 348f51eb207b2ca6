"""``labkit rag``: ingest the knowledge base, ask questions as a role, evaluate retrieval.

Thin wrappers over :class:`labkit.rag.pipeline.RagPipeline`; the provider is reached through
``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` and Chroma through ``LABKIT_CHROMA_URL`` (embedded
``var/chroma`` when unset). Bad input (empty or oversized question, unknown role, malformed
questions file) ends with a one-line ``error: ...`` and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from labkit.data.access import ROLES, caller_roles
from labkit.rag.evaluate import load_questions, summary_table
from labkit.rag.pipeline import RagPipeline
from labkit.rag.retrieve import MAX_K, RETRIEVERS, check_question

if TYPE_CHECKING:
    from labkit.rag.pipeline import RagPipeline


def _pipeline() -> RagPipeline:
    return RagPipeline.from_env()


@click.group()
def rag() -> None:
    """Pattern 2: ingest, ask and evaluate retrieval."""


@rag.command()
@click.option("--limit", type=int, default=None, help="Only the first N documents (all versions).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def ingest(limit: int | None, as_json: bool) -> None:
    """Chunk, embed and index the knowledge base (incremental on re-runs)."""
    pipe = _pipeline()
    try:
        report = pipe.ingest(limit=limit, progress=not as_json)
    finally:
        pipe.close()
    if as_json:
        click.echo(json.dumps({**report.model_dump(), "chunks_per_s": round(report.chunks_per_s, 1)}, indent=2))
        return
    click.echo(f"{report.documents} document versions in {report.seconds:.1f} s ({report.chunks_per_s:.0f} chunks/s)")
    for name, s in report.strategies.items():
        click.echo(f"  {name:<8} chunks {s.chunks:>5}  added {s.added}  re-embedded {s.reembedded}  "
                   f"metadata-only {s.metadata_only}  unchanged {s.unchanged}  deleted {s.deleted}")


@rag.command()
@click.argument("question")
@click.option("--role", required=True, help=f"The caller's role: {', '.join(ROLES)}.")
@click.option("--strategy", type=click.Choice(RETRIEVERS), default="hybrid", show_default=True)
@click.option("--chunking", type=click.Choice(["section", "fixed"]), default="section", show_default=True)
@click.option("--k", type=click.IntRange(1, MAX_K), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable answer.")
def ask(question: str, role: str, strategy: str, chunking: str, k: int, as_json: bool) -> None:
    """Answer QUESTION as ROLE with cited chunks, or abstain and say why."""
    check_question(question)  # refuse bad input before touching any store
    caller_roles(role)
    pipe = _pipeline()
    try:
        pipe.ensure_ingested(progress=not as_json)
        result = pipe.ask(question, role, strategy=strategy, chunking=chunking, k=k)
    finally:
        pipe.close()
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    click.echo(f"retrieved ({strategy}, {chunking}, k={k}) in {result.retrieval_ms:.1f} ms:")
    for h in result.hits:
        raw = []
        if h.dense_score is not None:
            raw.append(f"cos {h.dense_score:.3f}")
        if h.lexical_score is not None:
            raw.append(f"bm25 {h.lexical_score:.2f}")
        flag = "  [injection flagged]" if h.chunk_id in result.injection_flagged_chunks else ""
        click.echo(f"  {h.rank}. {h.chunk_id:<24} {h.doc_id}  score {h.score:.4f} ({', '.join(raw)}){flag}")
    click.echo("")
    if result.status == "answered":
        click.echo(result.text)
        click.echo(f"\ncitations: {', '.join(result.citations)}")
    else:
        click.echo(result.text)
        click.echo(f"why: {result.reason}")


@rag.command(name="eval")
@click.option("--questions", "questions_path", type=click.Path(path_type=Path), default=None,
              help="JSON-lines questions file (default: datasets/eval/retrieval_questions.jsonl).")
@click.option("--answers", type=int, default=40, show_default=True,
              help="Questions also answered end to end (0: retrieval only).")
@click.option("--no-leakage", is_flag=True, help="Skip the every-role permission sweep.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable metrics.")
def eval_(questions_path: Path | None, answers: int, no_leakage: bool, as_json: bool) -> None:
    """Measure retrieval, abstention, leakage and citations on a questions file."""
    questions = load_questions(questions_path) if questions_path is not None else None
    pipe = _pipeline()
    try:
        pipe.ensure_ingested(progress=not as_json)
        report = pipe.evaluate(questions, answer_limit=answers, check_leakage=not no_leakage)
    finally:
        pipe.close()
    if as_json:
        data = report.model_dump()
        for c in data["configs"]:
            c.pop("per_question", None)
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(summary_table(report))
