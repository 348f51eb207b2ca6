"""Phase 1 data-readiness profiling: is the data good enough for the design we want to build?

Per source (CRM accounts and contacts, knowledge base, tickets, invoices) it measures what the
source document says sinks pilots: completeness per column, exact and near-duplicate records,
freshness, conflicting values across systems, PII per column, owner coverage, access-rule
coverage and links between systems. Each measure becomes a :class:`Criterion` with a
threshold (configurable, see :class:`Thresholds`) and a pass/fail; the :class:`ReadinessReport`
renders as Markdown and HTML for the Architecture Decision Record, and exposes pandas
DataFrames for the notebooks.

It profiles the data as an outsider would: duplicates are found by normalised names and
fuzzy matching, never by the generator's ``golden_id``; the ground-truth tables are used only
by tests to check the profile finds what was planted. Fuzzy matching uses :mod:`difflib`
(standard library) with blocking, because the matching library one would reach for
(rapidfuzz) is not among the lab's dependencies and a few thousand rows do not need it.
PII detection is :func:`labkit.controls.pii.detect` — the same detector that guards model calls.

Example:
    >>> report = profile_lab()
    >>> report.frames["completeness"].columns.tolist()[:3]
    ['source', 'column', 'non_null']
    >>> isinstance(report.passed, bool)
    True
"""

from __future__ import annotations

import html as html_lib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from labkit.controls.pii import detect
from labkit.data.access import ROLES
from labkit.data.catalogue import connect
from labkit.data.names import name_similarity, normalise_name
from labkit.data.schema import AS_OF
from labkit.errors import ConfigError
from labkit.settings import var_dir

# columns a consumer of each source relies on (completeness is judged on these)
REQUIRED_COLUMNS: dict[str, list[str]] = {
    "crm_accounts": ["account_id", "source_system", "name", "industry", "country", "owner_rm", "email",
                     "phone", "annual_revenue", "updated_at"],
    "crm_contacts": ["contact_id", "account_id", "name", "email", "title", "updated_at"],
    "kb_documents": ["doc_id", "version", "title", "doc_type", "department", "owner", "status", "updated_at",
                     "body"],
    "tickets": ["ticket_id", "account_id", "category", "priority", "status", "subject", "notes", "created_at",
                "first_response_due", "resolution_due"],
    "batch_invoices": ["doc_id", "text"],
}
# free-text or contact columns scanned for PII
PII_COLUMNS: dict[str, list[str]] = {
    "crm_accounts": ["name", "email", "phone"],
    "crm_contacts": ["name", "email", "phone"],
    "kb_documents": ["body"],
    "tickets": ["subject", "notes"],
    "batch_invoices": ["text"],
}
CONFLICT_COLUMNS = ["industry", "country", "owner_rm", "email", "phone", "annual_revenue"]


class Thresholds(BaseModel):
    """Pass/fail thresholds of the readiness criteria (override any from YAML or JSON)."""

    model_config = ConfigDict(extra="forbid")

    completeness_min: float = 0.95          # worst required column, per source
    exact_duplicate_rate_max: float = 0.01
    near_duplicate_rate_max: float = 0.05
    freshness_days: int = 365               # older than this (before the as-of date) is stale
    stale_rate_max: float = 0.10
    conflict_rate_max: float = 0.05         # share of cross-system customers with conflicting values
    owner_coverage_min: float = 0.98
    access_coverage_min: float = 1.0
    link_integrity_min: float = 1.0
    name_similarity: float = 0.88           # fuzzy-name threshold for near-duplicate accounts
    kb_near_duplicate_jaccard: float = 0.55  # 5-word shingle overlap of two documents
    # PII is expected here (declared, protected); PII found anywhere else fails the check
    declared_pii_columns: list[str] = ["crm_accounts.email", "crm_accounts.phone", "crm_contacts.name",
                                       "crm_contacts.email", "crm_contacts.phone", "batch_invoices.text"]
    as_of: datetime = AS_OF

    @classmethod
    def load(cls, path: Path | str) -> Thresholds:
        """Read thresholds from a YAML or JSON file; unknown keys and bad values are errors."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read thresholds ({exc.__class__.__name__})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: thresholds must be a mapping of name: value")
        try:
            return cls(**raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


@dataclass
class Criterion:
    """One readiness check: measured value against its threshold."""

    source: str
    name: str
    value: float
    threshold: float
    comparison: str  # ">=" or "<="
    passed: bool
    detail: str = ""


def _criterion(source: str, name: str, value: float, threshold: float, comparison: str, detail: str = "") -> Criterion:
    ok = value >= threshold if comparison == ">=" else value <= threshold
    return Criterion(source, name, round(float(value), 4), threshold, comparison, bool(ok), detail)


@dataclass
class ReadinessReport:
    """The data readiness report: criteria, DataFrames, and the evidence the checklist uses."""

    criteria: list[Criterion]
    frames: dict[str, pd.DataFrame]
    evidence: dict[str, Any]
    thresholds: Thresholds
    duplicate_groups: list[list[str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every criterion passes."""
        return all(c.passed for c in self.criteria)

    @property
    def failed(self) -> list[Criterion]:
        """The criteria that failed."""
        return [c for c in self.criteria if not c.passed]

    def criteria_frame(self) -> pd.DataFrame:
        """One row per criterion (for notebooks)."""
        return pd.DataFrame([c.__dict__ for c in self.criteria])

    def to_dict(self) -> dict[str, Any]:
        """Plain data: criteria, evidence, pass/fail."""
        return {"passed": self.passed, "criteria": [c.__dict__ for c in self.criteria],
                "evidence": self.evidence}

    def summary_table(self) -> str:
        """A fixed-width table of the criteria for the terminal."""
        lines = [f"{'source':<15} {'criterion':<30} {'value':>9} {'':2} {'threshold':>9}  result"]
        for c in self.criteria:
            lines.append(f"{c.source:<15} {c.name:<30} {c.value:>9.4g} {c.comparison:2} {c.threshold:>9.4g}  "
                         f"{'pass' if c.passed else 'FAIL'}")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report as Markdown."""
        t = self.thresholds
        out = ["# Data readiness report", "",
               f"As of {t.as_of:%Y-%m-%d}. Result: **{'PASS' if self.passed else 'FAIL'}** "
               f"({sum(c.passed for c in self.criteria)} of {len(self.criteria)} criteria pass).", "",
               "## Criteria", "", "| source | criterion | value | threshold | result | detail |",
               "|---|---|---:|---:|---|---|"]
        for c in self.criteria:
            out.append(f"| {c.source} | {c.name} | {c.value:.4g} | {c.comparison} {c.threshold:.4g} | "
                       f"{'pass' if c.passed else '**FAIL**'} | {c.detail} |")
        for name, frame in self.frames.items():
            if frame.empty:
                continue
            out += ["", f"## {name.replace('_', ' ').capitalize()}", "", _md_table(frame)]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        """The report as a standalone HTML page."""
        import markdown

        body = markdown.markdown(self.markdown(), extensions=["tables"])
        return ("<!doctype html><html><head><meta charset='utf-8'><title>Data readiness report</title>"
                "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:"
                "collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>"
                f"{body}</body></html>\n")

    def write(self, out_dir: Path | str | None = None) -> tuple[Path, Path]:
        """Write ``readiness.md`` and ``readiness.html`` (default ``var/reports/``)."""
        folder = Path(out_dir) if out_dir else var_dir() / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        md, page = folder / "readiness.md", folder / "readiness.html"
        md.write_text(self.markdown(), encoding="utf-8")
        page.write_text(self.html(), encoding="utf-8")
        return md, page


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append(f"{v:.4g}")
            else:
                cells.append(html_lib.escape(str(v)).replace("|", "\\|"))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


# ------------------------------------------------------------------------------------------
# measures

def completeness(con: duckdb.DuckDBPyConnection, table: str, where: str = "") -> pd.DataFrame:
    """Non-null share per column of one table (empty strings and empty lists count as missing).

    Example:
        >>> con = duckdb.connect()
        >>> _ = con.execute("create table t as select * from (values (1, 'a'), (2, null)) v(id, name)")
        >>> completeness(con, "t")[["column", "missing"]].values.tolist()
        [['id', 0], ['name', 1]]
    """
    cols = con.execute(f"DESCRIBE {table}").fetchall()
    total = con.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]
    rows = []
    for name, ctype, *_ in cols:
        if ctype.endswith("[]"):
            expr = f"count(*) FILTER (WHERE {name} IS NOT NULL AND len({name}) > 0)"
        elif ctype == "VARCHAR":
            expr = f"count(*) FILTER (WHERE {name} IS NOT NULL AND trim({name}) <> '')"
        else:
            expr = f"count({name})"
        non_null = con.execute(f"SELECT {expr} FROM {table} {where}").fetchone()[0]
        rows.append({"source": table, "column": name, "non_null": non_null, "missing": total - non_null,
                     "completeness": non_null / total if total else 1.0})
    return pd.DataFrame(rows)


def account_clusters(accounts: pd.DataFrame, threshold: float) -> list[list[str]]:
    """Groups of account ids that look like the same customer (fuzzy match on normalised names).

    Blocking: two names are compared only when some word of each starts with the same three
    letters (a one-letter typo rarely hits every word); a union-find joins the matches.
    """
    ids = accounts["account_id"].tolist()
    keys = [normalise_name(n) if isinstance(n, str) else "" for n in accounts["name"]]
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    # block on each word's first three letters: a one-letter typo rarely hits every word
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        for word in set(key.split()):
            if len(word) >= 3:
                blocks[word[:3]].append(i)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                a, b = members[x], members[y]
                if (a, b) in seen or find(a) == find(b):
                    continue
                seen.add((a, b))
                if keys[a] and name_similarity(keys[a], keys[b]) >= threshold:
                    union(a, b)
    groups: dict[int, list[str]] = defaultdict(list)
    for i, account_id in enumerate(ids):
        groups[find(i)].append(account_id)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _shingles(text: str, size: int = 5) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def kb_near_duplicates(docs: pd.DataFrame, threshold: float) -> list[tuple[str, str, float]]:
    """Pairs of different current documents whose bodies overlap (Jaccard of 5-word shingles).

    Candidate pairs must share a *rare* shingle (in at most five documents), so boilerplate
    every policy shares does not make every pair a candidate.
    """
    sh = {row.doc_id: _shingles(row.body) for row in docs.itertuples()}
    postings: dict[str, list[str]] = defaultdict(list)
    for doc_id, shingles in sh.items():
        for s in shingles:
            postings[s].append(doc_id)
    candidates = {tuple(sorted((a, b))) for ids in postings.values() if 1 < len(ids) <= 5
                  for i, a in enumerate(ids) for b in ids[i + 1:]}
    pairs = []
    for a, b in sorted(candidates):
        j = len(sh[a] & sh[b]) / len(sh[a] | sh[b])
        if j >= threshold:
            pairs.append((a, b, round(j, 4)))
    return pairs


def _pii_scan(con: duckdb.DuckDBPyConnection, table: str, column: str, key: str) -> tuple[int, dict[str, int], list[str]]:
    rows_with = 0
    by_type: dict[str, int] = defaultdict(int)
    ids: list[str] = []
    for row_id, value in con.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall():
        found = detect(value)
        if found:
            rows_with += 1
            ids.append(row_id)
            for f in found:
                by_type[f.type] += 1
    return rows_with, dict(sorted(by_type.items())), ids


# ------------------------------------------------------------------------------------------
# the report

def profile(con: duckdb.DuckDBPyConnection, thresholds: Thresholds | None = None) -> ReadinessReport:
    """Profile the sample-data tables in ``con`` and judge them against ``thresholds``."""
    t = thresholds or Thresholds()
    as_of = t.as_of
    stale_before = as_of - timedelta(days=t.freshness_days)
    criteria: list[Criterion] = []
    frames: dict[str, pd.DataFrame] = {}
    evidence: dict[str, Any] = {"as_of": as_of.isoformat()}

    # completeness ---------------------------------------------------------------------
    comp = []
    wheres = {"kb_documents": "WHERE status = 'current'"}
    for table, required in REQUIRED_COLUMNS.items():
        frame = completeness(con, table, wheres.get(table, ""))
        comp.append(frame)
        req = frame[frame["column"].isin(required)]
        worst = req.sort_values(["completeness", "column"]).iloc[0]
        criteria.append(_criterion(table, "completeness (worst column)", worst["completeness"],
                                   t.completeness_min, ">=", f"{worst['column']}: {int(worst['missing'])} missing"))
    frames["completeness"] = pd.concat(comp, ignore_index=True)

    # duplicates and conflicts (CRM accounts) --------------------------------------------
    acc = con.execute("SELECT * FROM crm_accounts ORDER BY account_id").df()
    business = [c for c in acc.columns if c not in ("account_id", "golden_id")]
    exact = int(len(acc) - len(acc.drop_duplicates(subset=business)))
    groups = account_clusters(acc, t.name_similarity)
    near = len(acc) - len(groups) - exact
    criteria.append(_criterion("crm_accounts", "exact duplicate rate", exact / len(acc), t.exact_duplicate_rate_max,
                               "<=", f"{exact} records repeat another record"))
    criteria.append(_criterion("crm_accounts", "near-duplicate rate", near / len(acc), t.near_duplicate_rate_max,
                               "<=", f"{near} records are fuzzy matches of another"))
    by_id = acc.set_index("account_id")
    cross = 0
    conflicted = 0
    conflict_rows = []
    for g in groups:
        if len(g) < 2:
            continue
        sub = by_id.loc[g]
        if sub["source_system"].nunique() < 2:
            continue
        cross += 1
        cols = [c for c in CONFLICT_COLUMNS if sub[c].dropna().nunique() > 1]
        if cols:
            conflicted += 1
            for c in cols:
                conflict_rows.append({"accounts": ", ".join(g), "column": c,
                                      "values": " / ".join(sorted(map(str, sub[c].dropna().unique())))})
    frames["conflicts"] = pd.DataFrame(conflict_rows, columns=["accounts", "column", "values"])
    frames["duplicates"] = pd.DataFrame(
        [{"source": "crm_accounts", "records": len(acc), "customers_found": len(groups), "exact_duplicates": exact,
          "near_duplicates": near, "cross_system_customers": cross, "conflicting_customers": conflicted,
          "conflicting_values": len(conflict_rows)}])
    criteria.append(_criterion("crm_accounts", "cross-system conflict rate", conflicted / cross if cross else 0.0,
                               t.conflict_rate_max, "<=",
                               f"{conflicted} of {cross} customers in both systems disagree ({len(conflict_rows)} values)"))

    docs = con.execute("SELECT doc_id, title, body FROM kb_documents WHERE status = 'current' ORDER BY doc_id").df()
    kb_pairs = kb_near_duplicates(docs, t.kb_near_duplicate_jaccard)
    kb_dups = len({max(a, b) for a, b, _ in kb_pairs})
    frames["kb_near_duplicates"] = pd.DataFrame(kb_pairs, columns=["doc_a", "doc_b", "jaccard"])
    criteria.append(_criterion("kb_documents", "near-duplicate rate", kb_dups / len(docs), t.near_duplicate_rate_max,
                               "<=", f"{kb_dups} documents are near-copies of another"))

    # freshness ------------------------------------------------------------------------
    fresh = []
    for table, where in (("crm_accounts", ""), ("crm_contacts", ""), ("kb_documents", "WHERE status = 'current'")):
        total, stale = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE updated_at < ?) FROM {table} {where}", [stale_before]).fetchone()
        oldest, newest = con.execute(f"SELECT min(updated_at), max(updated_at) FROM {table} {where}").fetchone()
        fresh.append({"source": table, "records": total, "stale": stale, "stale_rate": stale / total,
                      "oldest": str(oldest), "newest": str(newest)})
        criteria.append(_criterion(table, "stale rate", stale / total, t.stale_rate_max, "<=",
                                   f"{stale} not updated in {t.freshness_days} days"))
    superseded = con.execute("SELECT count(DISTINCT doc_id) FROM kb_documents WHERE status = 'superseded'").fetchone()[0]
    evidence["kb_docs_with_superseded_versions"] = superseded
    frames["freshness"] = pd.DataFrame(fresh)

    # PII per column ---------------------------------------------------------------------
    keys = {"crm_accounts": "account_id", "crm_contacts": "contact_id", "kb_documents": "doc_id || '@' || version",
            "tickets": "ticket_id", "batch_invoices": "doc_id"}
    pii_rows = []
    undeclared = []
    for table, columns in PII_COLUMNS.items():
        for column in columns:
            n, by_type, _ = _pii_scan(con, table, column, keys[table])
            qualified = f"{table}.{column}"
            declared = qualified in t.declared_pii_columns
            pii_rows.append({"source": table, "column": column, "rows_with_pii": n,
                             "types": ", ".join(f"{k}:{v}" for k, v in by_type.items()), "declared": declared})
            if n and not declared:
                undeclared.append(qualified)
    frames["pii"] = pd.DataFrame(pii_rows)
    evidence["pii_columns"] = [f"{r['source']}.{r['column']}" for r in pii_rows if r["rows_with_pii"]]
    evidence["pii_undeclared_columns"] = undeclared
    criteria.append(_criterion("all", "undeclared PII columns", len(undeclared), 0, "<=",
                               ", ".join(undeclared) or "every column holding PII is declared"))

    # owner coverage -----------------------------------------------------------------------
    total, owned = con.execute("SELECT count(*), count(owner) FILTER (WHERE trim(owner) <> '') FROM kb_documents "
                               "WHERE status = 'current'").fetchone()
    criteria.append(_criterion("kb_documents", "owner coverage", owned / total, t.owner_coverage_min, ">=",
                               f"{total - owned} documents without an owner"))
    total_a, owned_a = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE owner_rm IN (SELECT rm_id FROM relationship_managers)) "
        "FROM crm_accounts").fetchone()
    criteria.append(_criterion("crm_accounts", "owner coverage", owned_a / total_a, t.owner_coverage_min, ">=",
                               f"{total_a - owned_a} accounts without a known relationship manager"))
    frames["owners"] = pd.DataFrame([
        {"source": "kb_documents", "records": total, "with_owner": owned, "coverage": owned / total},
        {"source": "crm_accounts", "records": total_a, "with_owner": owned_a, "coverage": owned_a / total_a}])

    # access-rule coverage -------------------------------------------------------------------
    role_list = "[" + ", ".join(f"'{r}'" for r in ROLES) + "]"
    total_d, ruled, unknown = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE len(roles) > 0), "
        f"count(*) FILTER (WHERE len(list_filter(roles, lambda r: NOT list_contains({role_list}, r))) > 0) "
        "FROM kb_documents WHERE status = 'current'").fetchone()
    criteria.append(_criterion("kb_documents", "access-rule coverage", (ruled - unknown) / total_d,
                               t.access_coverage_min, ">=",
                               f"{total_d - ruled} documents without roles, {unknown} with unknown roles"))
    frames["access"] = con.execute(
        "SELECT unnest(CASE WHEN len(roles) = 0 THEN ['(none)'] ELSE roles END) AS role, count(*) AS documents "
        "FROM kb_documents WHERE status = 'current' GROUP BY role ORDER BY role").df()

    # links between systems ------------------------------------------------------------------
    links = []
    for table in ("tickets", "crm_contacts"):
        total_l, linked = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE account_id IN (SELECT account_id FROM crm_accounts)) "
            f"FROM {table}").fetchone()
        links.append({"source": table, "records": total_l, "linked": linked})
        criteria.append(_criterion(table, "links to CRM accounts", linked / total_l, t.link_integrity_min, ">=",
                                   f"{total_l - linked} records point at no account"))
    frames["links"] = pd.DataFrame(links)

    evidence.update({
        "sources": sorted(REQUIRED_COLUMNS),
        "exact_duplicates": exact, "near_duplicates": near, "kb_near_duplicates": kb_dups,
        "conflicting_customers": conflicted, "conflicting_values": len(conflict_rows),
        "failed_criteria": [f"{c.source}: {c.name}" for c in criteria if not c.passed],
        "data_passed": all(c.passed for c in criteria),
    })
    return ReadinessReport(criteria, frames, evidence, t, groups)


def profile_lab(thresholds: Thresholds | None = None) -> ReadinessReport:
    """Profile the lab's sample data (loads it first if needed)."""
    con = connect(read_only=False)
    try:
        return profile(con, thresholds)
    finally:
        con.close()

