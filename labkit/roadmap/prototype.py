"""Phase 2, integration prototype: each pattern measured on the lab's data, then one gate.

The source document's Phase 2 proves the design "with real data and real connections" and
measures response time, retrieval accuracy, output consistency, security enforcement and
failure behaviour, ending in benchmark results and documented fallback paths. This module is
what notebook ``02_prototype`` calls for each of those:

- :func:`latency_benchmark`: the resilient client against the provider (optionally with a
  latency profile and an injected error rate): latency percentiles, success rate and retry
  amplification (attempts per call), and output consistency (same input, same answer);
- :func:`retrieval_quality`: RAG on a seeded sample of the labelled questions, the documents
  they need plus distractors ingested into a separate index under ``var/roadmap/`` (so it
  never fights the service for the main index), evaluated with
  :func:`labkit.rag.evaluate.evaluate` (quality, abstention, permission leakage, citations);
- :func:`fallback_drill`: the documented fallback paths, each exercised by a provider fault;
- :func:`batch_run`: the overnight invoice batch through the job queue, with its dead letters;
- :func:`agent_run`: the sales-copilot scenario with every write approved by a person;
- :func:`prototype_gate`: the go/no-go criteria over all of the above.

It does not pick thresholds: the notebook's parameters do.

Example:
    >>> from labkit.roadmap.lab import attach_provider
    >>> with attach_provider("") as lab:
    ...     bench = latency_benchmark(lab.client(), calls=5, progress=False)
    >>> bench.summary["success_rate"], bench.summary["consistent"]
    (1.0, True)
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

from labkit.agent.approvals import AgentStore
from labkit.agent.audit import AuditLog
from labkit.agent.loop import Agent
from labkit.agent.systems import Systems
from labkit.controls.retry import RetryPolicy
from labkit.data.catalogue import connect, ensure_loaded
from labkit.direct import ClientConfig, ResilientClient
from labkit.errors import InputError
from labkit.jobs.batch import QUEUE, run_batch
from labkit.jobs.queue import open_queue
from labkit.rag.dense import persistent_client
from labkit.rag.evaluate import EvalReport, end_to_end, frames, leakage, load_questions, run_config
from labkit.rag.pipeline import RagPipeline
from labkit.rag.retrieve import Retriever
from labkit.roadmap.gates import Gate
from labkit.settings import datasets_dir, var_dir

CLASSIFY_LABELS = "billing, technical, account, shipping, other"


@dataclass
class Benchmark:
    """Per-call rows and the summary figures of one latency benchmark."""

    rows: list[dict[str, Any]]
    summary: dict[str, Any]

    def frame(self) -> Any:
        """The per-call rows as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)


def _ticket_texts(n: int, seed: int) -> list[str]:
    ensure_loaded()
    con = connect(read_only=True)
    try:
        rows = con.execute("SELECT subject, notes FROM tickets ORDER BY ticket_id LIMIT 400").fetchall()
    finally:
        con.close()
    rng = random.Random(seed)
    picked = rng.sample(rows, min(n, len(rows)))
    return [f"{s}\n{(nt or '')[:300]}" for s, nt in picked]


def latency_benchmark(client: Any, *, calls: int = 30, model: str = "lab-chat-2026-01", seed: int = 0,
                      progress: bool = True) -> Benchmark:
    """Classify ``calls`` real tickets through the client; then repeat one to check consistency.

    The consistency probe asks the same question twice with the response cache bypassed, so
    two provider answers are compared (a cache hit would make the check unable to fail).
    """
    if calls < 1:
        raise InputError("calls must be at least 1")
    from tqdm.auto import tqdm

    rows: list[dict[str, Any]] = []
    texts = _ticket_texts(calls, seed)
    for i, text in enumerate(tqdm(texts, desc="benchmark", disable=not progress)):
        r = client.chat(messages=[{"role": "system", "content": "Classify the support ticket."},
                                  {"role": "user", "content": f"Labels: {CLASSIFY_LABELS}\n{text}"}],
                        model=model, pattern="direct", seed=seed + i)
        rows.append({"call": i, "status": r.status, "latency_ms": r.latency_ms, "attempts": r.attempts,
                     "model_served": r.model_served, "fallback": r.fallback_used, "cost": r.cost,
                     "answer": r.content})
    # consistency: the same input twice gives the same label (temperature 0, pinned model)
    probe = [{"role": "user", "content": f"Labels: {CLASSIFY_LABELS}\n{texts[0]}"}]
    a = client.chat(messages=probe, model=model, pattern="direct", use_cache=False)
    b = client.chat(messages=probe, model=model, pattern="direct", use_cache=False)
    import numpy as np

    ok = [r for r in rows if r["status"] in ("ok", "fallback")]
    lat = np.asarray([r["latency_ms"] for r in rows], dtype=float)
    summary = {
        "calls": len(rows),
        "success_rate": round(len(ok) / len(rows), 4),
        "fallback_rate": round(sum(r["status"] == "fallback" for r in rows) / len(rows), 4),
        "attempts_per_call": round(sum(r["attempts"] for r in rows) / len(rows), 3),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "mean_ms": round(float(lat.mean()), 1),
        "cost_usd": round(sum(r["cost"] for r in rows), 6),
        "consistent": a.content is not None and a.content == b.content and not (a.cache_hit or b.cache_hit),
    }
    return Benchmark(rows, summary)


@dataclass
class Retrieval:
    """The RAG evaluation of the prototype and the sample it ran on."""

    report: Any
    documents: int
    questions: int
    frames: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> Any:
        """The section/hybrid configuration (the one the service uses)."""
        return self.report.config("section", "hybrid")


def sample_questions(n: int, seed: int = 0) -> list[Any]:
    """A seeded sample of the labelled questions keeping the kinds' proportions roughly."""
    qs = load_questions(datasets_dir() / "eval" / "retrieval_questions.jsonl")
    if n <= 0 or n >= len(qs):
        return qs
    return sorted(random.Random(seed).sample(qs, n), key=lambda q: q.qid)


def retrieval_quality(client: Any, *, questions: int = 40, distractors: int = 20, seed: int = 0,
                      answer_limit: int = 10, strategies: tuple[str, ...] = ("dense", "lexical", "hybrid"),
                      check_leakage: bool = True, progress: bool = True) -> Retrieval:
    """Ingest the sample's documents (+ distractors) into ``var/roadmap/rag`` and evaluate."""
    qs = sample_questions(questions, seed)
    needed = {r.doc_id for q in qs for r in q.relevant}
    ensure_loaded()
    con = connect(read_only=True)
    try:
        all_ids = [r[0] for r in con.execute("SELECT DISTINCT doc_id FROM kb_documents ORDER BY doc_id").fetchall()]
    finally:
        con.close()
    others = [d for d in all_ids if d not in needed]
    doc_ids = sorted(needed | set(random.Random(seed + 1).sample(others, min(distractors, len(others)))))
    folder = var_dir() / "roadmap" / "rag"
    folder.mkdir(parents=True, exist_ok=True)
    rag = RagPipeline(client, chroma=persistent_client(folder / "chroma"), lexical_path=folder / "lexical.duckdb")
    from tqdm.auto import tqdm

    try:
        rag.ingest(doc_ids=doc_ids, progress=progress)
        # evaluate() in stages (what it does in one call), so a learner sees each one finish:
        # the dense strategy and the leakage check take several seconds each
        stages = [*strategies, *(["permission leakage"] if check_leakage else []),
                  *(["answers with citations"] if answer_limit else [])]
        retriever = Retriever(rag.index, thresholds=rag.retriever.thresholds)
        configs = []
        leak: dict[str, Any] = {"checked": 0, "leaks": 0}
        e2e = None
        with tqdm(stages, desc="evaluate", disable=not progress) as bar:
            for stage in bar:
                bar.set_postfix_str(stage)
                if stage in strategies:
                    configs.append(run_config(retriever, qs, "section", stage))
                elif stage == "permission leakage":
                    leak = leakage(rag.index, qs, chunkings=["section"])
                else:
                    e2e = end_to_end(retriever, client, qs[:answer_limit], chunking="section")
        report = EvalReport(questions=len(qs), configs=configs, leakage=leak, end_to_end=e2e,
                            thresholds={k: v.model_dump() for k, v in retriever.thresholds.items()})
    finally:
        rag.close()
    return Retrieval(report, len(doc_ids), len(qs), frames(report))


# the documented fallback paths: (scenario, model to fault, fault spec, expected outcome)
FALLBACK_PATHS: list[tuple[str, str, str, str]] = [
    ("primary model returns 503", "lab-chat-2026-01", "status=503", "fallback"),
    ("primary rate-limited once (429, Retry-After 0)", "lab-chat-2026-01", "status=429;times=1;retry_after=0", "ok"),
    ("primary connection reset", "lab-chat-2026-01", "reset", "fallback"),
    ("every model down", "*", "status=503", "cannot_answer"),
]


def fallback_drill(lab: Any, *, model: str = "lab-chat-2026-01") -> list[dict[str, Any]]:
    """Exercise each documented fallback path with a provider fault; one row per path.

    The faults are cleared after each scenario, whatever happens.
    """
    rows = []
    for scenario, target, spec, expected in FALLBACK_PATHS:
        # a fresh client per scenario: breaker state from one drill must not decide the next
        client = ResilientClient(ClientConfig(base_url=lab.base_url, api_key=lab.api_key,
                                              retry=RetryPolicy(max_attempts=2, base_s=0.05), telemetry=True))
        try:
            lab.set_fault(target, spec)
            r = client.chat(messages=[{"role": "user", "content": f"Labels: {CLASSIFY_LABELS}\nMy invoice is wrong."}],
                            model=model, pattern="direct", key=f"drill-{scenario}")
        finally:
            lab.clear_faults()
            client.close()
        rows.append({"scenario": scenario, "fault": f"{target}: {spec}", "expected": expected, "status": r.status,
                     "model_served": r.model_served, "attempts": r.attempts, "latency_ms": round(r.latency_ms, 1),
                     "user_sees": (r.content or "")[:60], "as_documented": r.status == expected})
    return rows


def batch_run(provider_url: str, *, limit: int = 30, workers: int = 1, progress: bool = True) -> Any:
    """The invoice batch on ``limit`` documents through the job queue; returns a BatchReport."""
    old = os.environ.get("OPENAI_BASE_URL")
    os.environ["OPENAI_BASE_URL"] = provider_url  # the worker processes inherit it
    try:
        return run_batch(limit=limit, workers=workers, concurrency=4, progress=progress, timeout_s=120)
    finally:
        if old is None:
            os.environ.pop("OPENAI_BASE_URL", None)
        else:
            os.environ["OPENAI_BASE_URL"] = old


def dead_letters(limit: int = 20) -> list[dict[str, Any]]:
    """The batch's dead letters: document id and the reason it was rejected."""
    q = open_queue(None)
    return [{"job": j.id, "document": j.payload.get("doc_id"), "attempts": j.attempts,
             "reason": (j.dead_reason or j.last_error or "")[:120]} for j in q.dead_letters(QUEUE, limit=limit)]


AGENT_SCENARIO = ("Review the account history of {account}, then draft a follow-up email to contact "
                  "{contact}, then update the CRM field next_step to 'Call on Friday'")


def agent_run(client: Any, *, approver: str = "pilot-reviewer", request: str = AGENT_SCENARIO,
              max_approvals: int = 5) -> dict[str, Any]:
    """The sales-copilot scenario in approval mode; every proposed write approved by ``approver``.

    The systems are a throwaway seeded copy under ``var/roadmap/agent`` so the prototype
    never touches the service's state. Returns the run, the trace and the audit verification.
    """
    folder = var_dir() / "roadmap" / "agent"
    folder.mkdir(parents=True, exist_ok=True)

    agent = Agent(client, systems=Systems(folder / "systems"), store=AgentStore(folder / "agent.sqlite"),
                  audit=AuditLog(folder / "audit.sqlite"))
    if "{account}" in request:
        # an account the acting relationship manager owns, and one of its contacts, from the lab's data
        principal = agent.principal_for("relationship_manager")
        owned = [a for a in agent.systems.search_accounts("", owner_rm=principal.rm_id)
                 if agent.systems.list_contacts(a["account_id"])]
        if not owned:
            raise InputError(f"no account with contacts is owned by {principal.user_id}")
        account = owned[0]["account_id"]
        request = request.format(account=account, contact=agent.systems.list_contacts(account)[0]["contact_id"])
    run = agent.run(request, role="relationship_manager", mode="approval")
    approvals = 0
    while run.status == "awaiting_approval" and approvals < max_approvals:
        run = agent.approve(run.pending_approvals[0]["approval_id"], approver, reason="prototype review")
        approvals += 1
    verification = agent.audit.verify()
    trace = [{"step": s.get("step"), "tool": s.get("tool"), "outcome": s.get("outcome"),
              "approval": s.get("approval_id")} for s in run.steps if "tool" in s]
    return {"run": run, "request": request, "trace": trace, "approvals": approvals, "audit_ok": bool(verification.ok),
            "audit_rows": len(agent.audit.rows(run.run_id))}


def prototype_gate(*, bench: Benchmark, retrieval: Retrieval, drill: list[dict[str, Any]], batch: Any,
                   agent: dict[str, Any], max_p95_ms: float, min_success_rate: float,
                   max_attempts_per_call: float, min_recall_at_5: float, min_citation_validity: float,
                   max_false_abstention: float, max_good_rejected_rate: float) -> Gate:
    """The Phase 2 go/no-go criteria (call ``.enforce()``)."""
    gate = Gate("02_prototype")
    s = bench.summary
    gate.check("p95 latency (direct)", s["p95_ms"], "<=", max_p95_ms, unit="ms")
    gate.check("call success rate", s["success_rate"], ">=", min_success_rate)
    gate.check("retry amplification (attempts per call)", s["attempts_per_call"], "<=", max_attempts_per_call)
    gate.require("output consistency (same input, same answer)", s["consistent"])
    best = retrieval.best
    gate.check("recall@5 (section/hybrid)", best.metrics.get("recall@5"), ">=", min_recall_at_5)
    gate.check("false abstention (section/hybrid)", best.false_abstention, "<=", max_false_abstention)
    gate.check("permission leaks", retrieval.report.leakage.get("leaks"), "==", 0)
    e2e = retrieval.report.end_to_end
    gate.check("citation validity", e2e.citation_validity if e2e else None, ">=", min_citation_validity)
    gate.require("every fallback path as documented", bool(drill) and all(r["as_documented"] for r in drill),
                 detail=", ".join(r["scenario"] for r in drill if not r["as_documented"]))
    intact = max(1, batch.documents - batch.malformed)
    gate.check("intact invoices dead-lettered", round(batch.good_rejected / intact, 4), "<=", max_good_rejected_rate)
    gate.check("malformed invoices caught", batch.malformed_rejected, "==", batch.malformed)
    gate.check("agent writes without approval", agent["run"].counters.get("unapproved_writes"), "==", 0)
    gate.require("audit chain verifies", agent["audit_ok"])
    for k in ("p50_ms", "p95_ms", "cost_usd"):
        gate.figure(k, s[k])
    gate.figure("recall@5", best.metrics.get("recall@5"))
    gate.figure("batch field accuracy", batch.field_accuracy)
    return gate
