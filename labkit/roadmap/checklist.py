"""The source document's readiness checklist, kept as data, and its "more than four" rule.

The article ("Can Your Current Architecture Support Enterprise AI Integration?") lists four
groups — data, infrastructure, security and governance readiness — and ends with one rule:
*if more than four checklist items are unclear or incomplete, the project is not ready for
production*. Each group's prose is split here into separately checkable items. An item is
either checked from evidence the lab can gather itself (``evidence`` names the check, see
:mod:`labkit.roadmap.assessment`) or answered by the team.

Statuses: ``done``, ``mitigated`` (evidence failed but the team recorded a mitigation; counts
as done and is shown in the ADR), ``incomplete`` and ``unclear`` (both count as open).

This module holds no I/O; it is the list and the rule.

Example:
    >>> statuses = {item.id: "done" for item in CHECKLIST}
    >>> readiness(statuses).ready
    True
    >>> for item_id in list(statuses)[:5]:
    ...     statuses[item_id] = "unclear"
    >>> readiness(statuses).ready
    False
"""

from __future__ import annotations

from dataclasses import dataclass

from labkit.errors import InputError

MAX_OPEN_ITEMS = 4  # the source: "more than four ... unclear or incomplete" means not ready
STATUSES = ("done", "mitigated", "incomplete", "unclear")
OPEN_STATUSES = ("incomplete", "unclear")


@dataclass(frozen=True)
class ChecklistItem:
    """One readiness question; ``evidence`` names the automatic check, or None (team answers)."""

    id: str
    category: str
    text: str
    evidence: str | None = None


CHECKLIST: tuple[ChecklistItem, ...] = (
    # 1. Data readiness
    ChecklistItem("data.systems_identified", "data",
                  "The systems the AI solution works with (CRM, ERP, warehouse, ticketing, document repository) "
                  "are identified.", "profiled_sources"),
    ChecklistItem("data.access_path", "data",
                  "The data can be accessed through APIs, queries or approved connectors.", "catalogue_queryable"),
    ChecklistItem("data.quality_validated", "data",
                  "Data quality (completeness, duplicates, conflicts, links) is validated for the sources the "
                  "design uses.", "profile_quality"),
    ChecklistItem("data.freshness_validated", "data",
                  "Freshness is validated for the sources the design uses.", "profile_freshness"),
    ChecklistItem("data.ownership", "data", "Every record the design relies on has an owner.", "profile_owners"),
    ChecklistItem("data.privacy_rules", "data",
                  "Privacy rules are known: every column holding PII is identified and declared.", "profile_pii"),
    # 2. Infrastructure readiness
    ChecklistItem("infra.max_latency", "infrastructure",
                  "The maximum time for the AI-assisted workflow is defined, and the client's deadline fits it.",
                  "latency_budget"),
    ChecklistItem("infra.fallback", "infrastructure",
                  "It is defined what happens when the provider is slow or unavailable (a fallback path exists).",
                  "client_fallback"),
    ChecklistItem("infra.rate_limits", "infrastructure", "Rate limits are planned.", "client_rate_limits"),
    ChecklistItem("infra.cost_controls", "infrastructure",
                  "Cost controls are planned (budgets that stop spend).", "client_budget"),
    ChecklistItem("infra.monitoring", "infrastructure",
                  "Monitoring dashboards and alerts are planned.", "alert_rules"),
    # 3. Security readiness
    ChecklistItem("security.rbac", "security",
                  "Role-based access is defined: the AI gets no unlimited access to enterprise systems.",
                  "access_rules"),
    ChecklistItem("security.redaction", "security",
                  "Sensitive data is redacted before external model calls.", "pii_redaction"),
    ChecklistItem("security.injection_tested", "security",
                  "User-input flows are tested for prompt-injection risk.", "injection_eval"),
    ChecklistItem("security.audit_logs", "security",
                  "AI-generated actions are written to an audit log.", "audit_log"),
    # 4. Governance readiness
    ChecklistItem("governance.quality_owner", "governance", "An owner of model quality is named."),
    ChecklistItem("governance.escalation_owner", "governance", "An owner of error escalation is named."),
    ChecklistItem("governance.cost_owner", "governance", "An owner of cost monitoring is named."),
    ChecklistItem("governance.refresh_owner", "governance",
                  "An owner of model refresh and retraining decisions is named."),
    ChecklistItem("governance.human_review", "governance",
                  "Cases that need human review (high value, rare) are defined, with a reviewer."),
)
ITEMS = {item.id: item for item in CHECKLIST}


@dataclass(frozen=True)
class Readiness:
    """The checklist's verdict: open items and whether they are few enough."""

    open_items: tuple[str, ...]
    ready: bool
    max_open: int = MAX_OPEN_ITEMS

    @property
    def reason(self) -> str:
        """One line saying why."""
        n = len(self.open_items)
        if self.ready:
            return f"{n} checklist item(s) open; at most {self.max_open} allowed"
        return f"{n} checklist items open (unclear or incomplete); more than {self.max_open} means not ready"


def readiness(statuses: dict[str, str], max_open: int = MAX_OPEN_ITEMS) -> Readiness:
    """Apply the source's rule to item statuses (every checklist item must have one).

    Example:
        >>> s = {i.id: "done" for i in CHECKLIST}
        >>> s.update({k: "incomplete" for k in list(s)[:4]})
        >>> readiness(s).ready, len(readiness(s).open_items)
        (True, 4)
    """
    missing = [item.id for item in CHECKLIST if item.id not in statuses]
    if missing:
        raise InputError(f"checklist items without a status: {', '.join(missing)}")
    bad = {k: v for k, v in statuses.items() if v not in STATUSES}
    if bad:
        k, v = next(iter(bad.items()))
        raise InputError(f"checklist item {k}: status {v!r} is not one of {', '.join(STATUSES)}")
    open_items = tuple(item.id for item in CHECKLIST if statuses[item.id] in OPEN_STATUSES)
    return Readiness(open_items, len(open_items) <= max_open, max_open)


# The source's pattern decision table, also data: the ADR renders it, the assessment applies it.
# (id, name, decision question) in order of risk, least risky first — the source's table
PATTERNS: list[tuple[str, str, str]] = [
    ("direct", "Direct API Integration", "Does the workflow need a simple AI response inside the application?"),
    ("rag", "RAG Integration", "Does the AI need approved internal knowledge before answering?"),
    ("async", "Event-Driven / Async AI Integration", "Can the task run in the background instead of in real time?"),
    ("agent", "Embedded Agent / Agentic Integration", "Does the AI need to call tools or update enterprise systems?"),
]
QUESTION_KEYS = {"direct": "simple_response", "rag": "internal_knowledge", "async": "background",
                 "agent": "tool_actions"}
# the sample-data sources each pattern reads in the lab
PATTERN_SOURCES: dict[str, list[str]] = {
    "direct": ["tickets"], "rag": ["kb_documents"], "async": ["batch_invoices"],
    "agent": ["crm_accounts", "crm_contacts", "tickets"],
}
# the source's controls per pattern, restated in the ADR's consequences
PATTERN_CONTROLS: dict[str, list[str]] = {
    "direct": ["timeouts sized to the user experience, with a clear fallback", "retries with exponential backoff",
               "caching for stable inputs", "a pinned model version",
               "monitoring of latency, errors, tokens, cost and output quality"],
    "rag": ["retrieval tested on real questions with precision@k and recall@k targets",
            "chunking, metadata, embeddings and ranking tested together",
            "a confidence threshold: say it cannot answer instead of guessing",
            "permissions enforced inside retrieval"],
    "async": ["dead-letter queue for failed jobs", "a maximum retry count", "a result expiry rule",
              "queue-depth alerts before users feel the delay"],
    "agent": ["read-only mode for the pilot", "human approval for every high-risk write",
              "least-privilege tool permissions", "every tool call logged (input, output, timestamp, result)",
              "a circuit breaker on error rates or unusual behaviour"],
}
