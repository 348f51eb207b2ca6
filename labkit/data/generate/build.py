"""``labkit data build``: generate the fictional company's data, deterministically, as files.

One seed and one scale fully determine every byte written: each part draws from its own RNG
(:func:`labkit.data.generate.common.rng_for`), Faker is seeded per instance, the clock is the constant
``AS_OF`` and JSON is written with sorted keys. The default scale (``small``) is committed under
``datasets/``; ``medium`` (x5) and ``large`` (x20) go to ``var/datasets-<scale>/`` unless an
output folder is given.

Files are JSON lines (diffable, hold lists and multi-line text). ``manifest.json`` records the
seed, scale, row counts, the SHA-256 of every file and the planted-defect counts; the loader
checks files against it, and the data card (``README.md``, rendered from the manifest by
:mod:`labkit.data.generate.card`) quotes it. Each file is
written to a temporary name and renamed, so an interrupted build never leaves a half-written
file under the final name. Files of other features in the same folder are left alone.

This module writes files only; :mod:`labkit.data.catalogue` loads them into DuckDB.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> manifest = generate(out, seed=7, scale="small")
    >>> manifest["counts"]["tickets"] >= 2000
    True
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labkit.data.generate.card import render_card
from labkit.data.generate.common import make_people, ts
from labkit.data.generate.crm import RATES as CRM_RATES
from labkit.data.generate.crm import build_crm
from labkit.data.generate.evalsets import build_injection_cases, build_pii_cases
from labkit.data.generate.invoices import build_invoices
from labkit.data.generate.kb import build_kb
from labkit.data.generate.tickets import build_tickets
from labkit.data.schema import AS_OF, DEFAULT_SEED, FILES, SCALES
from labkit.errors import InputError
from labkit.settings import datasets_dir, var_dir

GENERATOR_VERSION = "2"  # 2: retrieval questions no longer label the #s1 intro


def dumps(row: dict[str, Any]) -> str:
    """The one JSON-lines encoding of the committed files (sorted keys, no spaces, UTF-8)."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(dumps(r) + "\n" for r in rows).encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data.count(b"\n"), hashlib.sha256(data).hexdigest()


def default_out_dir(scale: str) -> Path:
    """Where a scale's files go by default: committed datasets/ for small, var/ otherwise."""
    return datasets_dir() if scale == "small" else var_dir() / f"datasets-{scale}"


def build_tables(seed: int = DEFAULT_SEED, scale: str = "small") -> dict[str, list[dict[str, Any]]]:
    """Every file's rows in memory, keyed by relative path (no I/O)."""
    if scale not in SCALES:
        raise InputError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    factor = SCALES[scale]
    people = make_people(seed, factor)
    owners: dict[str, list[str]] = {}
    for p in people:
        owners.setdefault(p.department, []).append(p.name)
    rm_people = [p for p in people if p.role == "relationship_manager"]
    rms = [(f"RM-{i:03d}", p.name, p.email) for i, p in enumerate(rm_people, start=1)]
    docs, sections, kb_defects, questions = build_kb(seed, factor, owners)
    accounts, contacts, account_truth, _ = build_crm(seed, factor, rms)
    products = sorted({d["title"].removesuffix(" Product Manual") for d in docs
                       if d["doc_type"] == "product_manual" and d["title"].endswith(" Product Manual")})
    tickets, ticket_truth = build_tickets(seed, factor, [a["account_id"] for a in accounts], products)
    return {
        "kb/documents.jsonl": docs,
        "kb/sections.jsonl": sections,
        "kb/defects.jsonl": kb_defects,
        "crm/accounts.jsonl": accounts,
        "crm/account_truth.jsonl": account_truth,
        "crm/contacts.jsonl": contacts,
        "crm/relationship_managers.jsonl": [{"rm_id": r, "name": n, "email": e} for r, n, e in rms],
        "crm/users.jsonl": [{"user_id": p.user_id, "name": p.name, "email": p.email, "role": p.role,
                             "department": p.department} for p in people],
        "tickets/tickets.jsonl": tickets,
        "tickets/ticket_truth.jsonl": ticket_truth,
        "batch/invoices.jsonl": build_invoices(seed, factor),
        # evaluation sets stay the same size at every scale: they are labelled test sets
        "eval/retrieval_questions.jsonl": questions,
        "eval/pii_cases.jsonl": build_pii_cases(seed, 1),
        "eval/injection_cases.jsonl": build_injection_cases(seed, 1),
    }


def summarise(tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Sizes and planted-defect counts: what the data card and the profile tests compare to."""
    accounts = tables["crm/accounts.jsonl"]
    truth = tables["crm/account_truth.jsonl"]
    docs = tables["kb/documents.jsonl"]
    tickets = tables["tickets/tickets.jsonl"]
    t_truth = tables["tickets/ticket_truth.jsonl"]
    invoices = tables["batch/invoices.jsonl"]
    crm_defects = Counter(d for t in truth for d in t["defects"])
    pii_types = Counter(p["type"] for t in t_truth for p in t["pii"])
    counts = {
        "kb_documents": len({d["doc_id"] for d in docs}),
        "kb_document_versions": len(docs),
        "kb_sections": len(tables["kb/sections.jsonl"]),
        "crm_accounts": len(accounts),
        "crm_golden_customers": len({a["golden_id"] for a in accounts}),
        "crm_contacts": len(tables["crm/contacts.jsonl"]),
        "relationship_managers": len(tables["crm/relationship_managers.jsonl"]),
        "users": len(tables["crm/users.jsonl"]),
        "tickets": len(tickets),
        "batch_invoices": len(invoices),
        "retrieval_questions": len(tables["eval/retrieval_questions.jsonl"]),
        "pii_cases": len(tables["eval/pii_cases.jsonl"]),
        "injection_cases": len(tables["eval/injection_cases.jsonl"]),
    }
    exact = crm_defects["exact_duplicate"]
    defects = {
        "kb": dict(sorted(Counter(d["defect"] for d in tables["kb/defects.jsonl"]).items())),
        "crm_accounts": dict(sorted(crm_defects.items())),
        "crm_exact_duplicate_records": exact,
        "crm_near_duplicate_records": len(accounts) - counts["crm_golden_customers"] - exact,
        "tickets_with_pii": sum(bool(t["pii"]) for t in t_truth),
        "ticket_pii_by_type": dict(sorted(pii_types.items())),
        "tickets_first_response_breached": sum(t["sla_first_response_breached"] for t in t_truth),
        "tickets_resolution_breached": sum(t["sla_resolution_breached"] for t in t_truth),
        "tickets_with_injection": sum(t["injection"] for t in t_truth),
        "invoices_malformed": sum(r["malformed"] for r in invoices),
        "invoice_defects": dict(sorted(Counter(r["defect"] for r in invoices if r["defect"]).items())),
        "retrieval_question_kinds": dict(sorted(Counter(q["kind"] for q in tables["eval/retrieval_questions.jsonl"]).items())),
        "injection_labels": dict(sorted(Counter(f'{c["location"]}:{c["label"]}' for c in tables["eval/injection_cases.jsonl"]).items())),
        "pii_case_types": dict(sorted(Counter(s["type"] for c in tables["eval/pii_cases.jsonl"] for s in c["spans"]).items())),
    }
    return {"counts": counts, "defects": defects, "crm_rates": CRM_RATES}


def generate(out_dir: Path | str | None = None, seed: int = DEFAULT_SEED, scale: str = "small") -> dict[str, Any]:
    """Write every dataset file and ``manifest.json`` under ``out_dir``; return the manifest."""
    out = Path(out_dir) if out_dir is not None else default_out_dir(scale)
    tables = build_tables(seed, scale)
    files: dict[str, dict[str, Any]] = {}
    for rel, rows in tables.items():
        n, digest = _write_jsonl(out / rel, rows)
        files[rel] = {"rows": n, "sha256": digest, "table": FILES[rel]}
    manifest = {"generator_version": GENERATOR_VERSION, "seed": seed, "scale": scale, "as_of": ts(AS_OF),
                "files": files, **summarise(tables)}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    tmp = out / "README.md.tmp"
    tmp.write_text(render_card(manifest), encoding="utf-8")
    os.replace(tmp, out / "README.md")
    return manifest
