"""Pattern 4, Agentic: a tool-calling loop bounded by policy, approvals, breaker and audit.

:class:`Agent` (:mod:`~labkit.agent.loop`) is the public face: it plans with OpenAI
tool-calling through the resilient client and passes every tool call through the controls
below, one module each, so each can be read and tested alone:

- :mod:`~labkit.agent.systems` — CRM, ticketing, e-mail outbox and knowledge base on SQLite;
- :mod:`~labkit.agent.tools` — the tool catalogue (schema, risk, scope, compensation);
- :mod:`~labkit.agent.policy` — roles, scopes, modes and the approval rule;
- :mod:`~labkit.agent.approvals` — persisted pending actions and run state (SQLite WAL);
- :mod:`~labkit.agent.audit` — the append-only, hash-chained audit log;
- :mod:`~labkit.agent.breaker` — the per-run breaker (errors, writes, repeats, steps, spend);
- :mod:`~labkit.agent.loop` — the loop itself;
- :mod:`~labkit.agent.redteam` — injection cases planted in each place and scored.
"""

from labkit.agent.approvals import AgentStore
from labkit.agent.audit import AuditLog
from labkit.agent.loop import Agent, AgentConfig
from labkit.agent.policy import Policy

__all__ = ["Agent", "AgentConfig", "AgentStore", "AuditLog", "Policy"]
