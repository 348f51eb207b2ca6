"""Pattern 4's moving parts: enterprise systems, tools, policy, approvals, audit, breaker.

The agent loop itself lives in :mod:`labkit.patterns.agent`; this package holds the controls
it is composed from, one module each, so each can be read and tested alone:

- :mod:`labkit.agent.systems` — CRM, ticketing, e-mail outbox and knowledge base on SQLite;
- :mod:`labkit.agent.tools` — the tool catalogue (schema, risk, scope, compensation);
- :mod:`labkit.agent.policy` — roles, scopes, modes and the approval rule;
- :mod:`labkit.agent.approvals` — persisted pending actions and run state (SQLite WAL);
- :mod:`labkit.agent.audit` — the append-only, hash-chained audit log;
- :mod:`labkit.agent.breaker` — the per-run breaker (errors, writes, repeats, steps, spend);
- :mod:`labkit.agent.redteam` — injection cases planted in each place and scored.
"""
