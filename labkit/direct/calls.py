"""Per-call bookkeeping and the small rules every call path shares (chat, streaming, embeddings).

:class:`CallContext` travels with one call across its attempts and routes: the deadline, the
PII mapping, the errors met so far (the last ones become the ``cannot_answer`` reason), the
soonest a skipped route may be tried again. The helpers below answer small questions: does
the output match the schema, how large is a model's context window, is a model id pinned.
It does not call the provider.

Example:
    >>> is_pinned("lab-chat-2026-01"), is_pinned("lab-chat")
    (True, False)
    >>> context_window("lab-large-2026-04") > context_window("lab-chat-2026-01")
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from labkit.controls.timeouts import Deadline
from labkit.controls.validation import validate_output
from labkit.provider.catalog import ALIASES, MODELS, resolve

T = TypeVar("T")

# failure kinds that say the route is unhealthy (they count against its breaker)
HEALTH_FAILURES = {"timeout", "connection", "rate_limited", "server", "conflict", "stream"}


@dataclass
class CallContext:
    """Per-call bookkeeping shared by the attempts (and routes) of one call."""

    call_id: str
    pattern: str
    key: str
    model_requested: str
    deadline: Deadline
    extra_headers: dict[str, str] | None
    mapping: dict[str, str]
    redactions: int
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    validation: str | None = None
    validation_error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    retry_in: float | None = None  # soonest a skipped route may be tried again (seconds)
    # the caller's list for this call's attempt and call events (telemetry and metrics
    # observers), recorded once it has answered; None: recorded as they happen
    deferred: list[Callable[[], None]] | None = None

    def skipped(self, wait_s: float) -> None:
        """Note a route skipped for ``wait_s`` more seconds (breaker open, Retry-After)."""
        self.retry_in = wait_s if self.retry_in is None else min(self.retry_in, wait_s)


def validate(text: str | None, output_model: Any) -> Any:
    """Parse ``text`` with the output validator (a pydantic class or a JSON schema)."""
    return validate_output(text or "", output_model)


def response_format_for(output_model: Any) -> dict[str, Any]:
    """The ``response_format`` that asks the model for JSON matching ``output_model``."""
    if isinstance(output_model, dict):
        schema, name = output_model, str(output_model.get("title", "output"))
    else:
        schema, name = output_model.model_json_schema(), output_model.__name__
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def context_window(model: str) -> int | None:
    """The catalogue's context window of a dated id or alias; None for unknown models."""
    try:
        return resolve(model).context_window
    except KeyError:
        return None


def is_pinned(model: str) -> bool:
    """A dated model id pins itself; an alias does not."""
    return model in MODELS and model not in ALIASES


def finish(call: Generator[str, None, T]) -> T:
    """Run a call path that streams no text (a plain chat, an embedding) to its end; its value."""
    try:
        next(call)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("a plain call yielded text")
