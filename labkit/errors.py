"""One exception tree for the whole lab.

Every error labkit raises on purpose derives from :class:`LabkitError`, so callers (the CLI,
the service, the notebooks) can catch one type and show its one-line message instead of a
traceback from deep inside. Subclasses are named for what went wrong, not where::

    LabkitError
    ├── ConfigError                    a configuration file or option is wrong
    │   └── ModelNotInstalled          a package carrying model weights is missing
    ├── InputError                     a user's or a file's input is invalid
    │   └── UnknownRole
    ├── DataError                      a dataset or database is missing or corrupt
    ├── ProviderError                  model calls (Pattern 1 and all built on it)
    │   ├── ProviderTimeout
    │   ├── ProviderUnavailable        every route failed
    │   │   └── CallDeferred           "not now": no route may be tried yet
    │   ├── StreamInterrupted          a stream broke after text reached the caller
    │   ├── ContextLengthExceeded
    │   ├── ContentPolicyViolation
    │   ├── PinnedVersionMismatch
    │   └── CircuitOpen
    ├── BudgetExceeded                 controls refusing a call before it is sent
    ├── RateLimited
    │   └── RateLimitDeferred
    ├── RedactionFailed
    ├── ValidationFailed
    ├── JobError                       Pattern 3
    │   ├── NonRetryableJobError
    │   └── JobNotFound
    ├── ToolNotPermitted               Pattern 4
    ├── ApprovalRequired
    ├── AgentPaused
    ├── AuditTampered
    ├── NotAuthenticated               the service
    ├── Forbidden
    └── GateFailed                     a roadmap phase gate
"""

from __future__ import annotations


class LabkitError(Exception):
    """Root of every error labkit raises on purpose."""


class ConfigError(LabkitError):
    """A configuration file or option is missing, malformed or inconsistent."""


class InputError(LabkitError):
    """Input from a user or a file is invalid; the message says what and where."""


class DataError(LabkitError):
    """A dataset or database the lab needs is missing, corrupt or incomplete."""


class ModelNotInstalled(ConfigError):
    """A package that carries a model's weights is not installed (the message says which)."""


# --- model calls (Direct API pattern and everything built on it) -----------------------

class ProviderError(LabkitError):
    """The model provider failed in a way the caller must see."""


class ProviderTimeout(ProviderError):
    """The provider did not answer within the call's deadline."""


class ProviderUnavailable(ProviderError):
    """Every route to a model failed (after retries and fallbacks)."""


class StreamInterrupted(ProviderError):
    """A stream broke after part of the answer had already reached the caller."""


class ContextLengthExceeded(ProviderError):
    """The prompt does not fit the model's context window."""


class ContentPolicyViolation(ProviderError):
    """The provider refused the request on content-policy grounds (a decision: never failed over).

    The message is the provider's own reason; ``model`` is the model that refused and
    ``code`` the provider's error code (``content_policy_violation`` unless it said otherwise).
    """

    def __init__(self, message: str, *, model: str | None = None,
                 code: str = "content_policy_violation") -> None:
        super().__init__(message)
        self.model = model
        self.code = code


class PinnedVersionMismatch(ProviderError):
    """The provider served another model version than the pinned one, and drift is refused."""


class CircuitOpen(ProviderError):
    """The circuit breaker for this route is open; the call was not attempted."""


class CallDeferred(ProviderUnavailable):
    """Not now: every route was skipped (open breakers, Retry-After) and none was tried.

    ``retry_after_s`` says when a route may be tried again. A job that meets this error is
    put back on its queue until then without spending an attempt.
    """

    def __init__(self, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after_s = max(0.0, float(retry_after_s))


class BudgetExceeded(LabkitError):
    """The call would exceed a per-key, per-pattern or per-day cost budget."""


class RateLimited(LabkitError):
    """The client-side rate limiter would not admit the call in time."""


class RateLimitDeferred(RateLimited):
    """The client rate limiter would not admit the call in time; ``retry_after_s`` says when it would."""

    def __init__(self, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after_s = max(0.0, float(retry_after_s))


class RedactionFailed(LabkitError):
    """PII redaction failed, so nothing was sent (fail closed)."""


class ValidationFailed(LabkitError):
    """Model output did not validate, even after the repair attempt."""


# --- RAG ------------------------------------------------------------------------------

class UnknownRole(InputError):
    """A caller named a role the lab does not know."""


# --- jobs -----------------------------------------------------------------------------

class JobError(LabkitError):
    """A job failed or a job operation is invalid."""


class NonRetryableJobError(JobError):
    """A job failed in a way retrying cannot fix; it goes straight to the dead-letter queue."""


class JobNotFound(JobError):
    """No job with that id exists (or its result has expired)."""


# --- agent ----------------------------------------------------------------------------

class ToolNotPermitted(LabkitError):
    """The caller's role or scope does not allow this tool call."""


class ApprovalRequired(LabkitError):
    """The action waits for a human approval before it can run."""


class AgentPaused(LabkitError):
    """The agent's breaker paused the run; the message says which threshold tripped."""


class AuditTampered(LabkitError):
    """The audit log's hash chain does not verify."""


# --- service --------------------------------------------------------------------------

class NotAuthenticated(LabkitError):
    """No valid API key was presented."""


class Forbidden(LabkitError):
    """The authenticated caller's role does not allow this operation."""


# --- roadmap --------------------------------------------------------------------------

class GateFailed(LabkitError):
    """A phase's go/no-go gate failed; the message lists every criterion that failed."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: a NO-GO is a decision, not a crash, and
        # the gate's table is already on screen. papermill still stops and records ename/evalue.
        return [f"\x1b[1;31mGateFailed\x1b[0m: {self}"]
