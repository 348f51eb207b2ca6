"""Per-key request and token limits over a sliding 60-second window, like a real provider's.

The provider asks :meth:`KeyLimits.check` before doing any work; a refusal says how long
until the window frees enough room, which becomes ``Retry-After`` / ``retry-after-ms``,
and the ``x-ratelimit-*`` headers OpenAI sends are built from the same numbers. This is
the provider's side of rate limiting; the client's own limiter is
``labkit.controls.ratelimit``.

It is hand-written (a deque per key) because the server needs the exact reset times for
its headers, which token-bucket libraries do not expose.

Example:
    >>> lim = KeyLimits(rpm=1, tpm=None)
    >>> lim.check("k", 10, now=0.0).allowed, lim.check("k", 10, now=1.0).allowed
    (True, False)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

WINDOW_S = 60.0


@dataclass
class LimitDecision:
    """Whether a request may proceed, and the numbers behind the ``x-ratelimit-*`` headers."""

    allowed: bool
    kind: str = ""  # "requests" or "tokens" when refused
    retry_after_s: float = 0.0
    headers: dict[str, str] | None = None


class KeyLimits:
    """Sliding-window RPM/TPM counters per API key (event-loop only, not thread-safe)."""

    def __init__(self, rpm: int | None, tpm: int | None) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._windows: dict[str, deque[tuple[float, int]]] = {}

    @property
    def enabled(self) -> bool:
        """True when any limit is configured."""
        return self.rpm is not None or self.tpm is not None

    def check(self, key: str, tokens: int, now: float) -> LimitDecision:
        """Admit (and record) a request of ``tokens`` tokens for ``key``, or refuse it."""
        if not self.enabled:
            return LimitDecision(True)
        window = self._windows.setdefault(key, deque())
        while window and window[0][0] <= now - WINDOW_S:
            window.popleft()
        used_req = len(window)
        used_tok = sum(t for _, t in window)
        kind, wait = "", 0.0
        if self.rpm is not None and used_req + 1 > self.rpm:
            kind, wait = "requests", window[0][0] + WINDOW_S - now
        elif self.tpm is not None and used_tok + tokens > self.tpm and window:
            # free tokens oldest-first until this request fits
            need, freed = used_tok + tokens - self.tpm, 0
            for ts, t in window:
                freed += t
                if freed >= need:
                    kind, wait = "tokens", ts + WINDOW_S - now
                    break
            else:
                kind, wait = "tokens", WINDOW_S
        if not kind:
            window.append((now, tokens))
            used_req += 1
            used_tok += tokens
        reset_req = (window[0][0] + WINDOW_S - now) if window else 0.0
        headers: dict[str, str] = {}
        if self.rpm is not None:
            headers["x-ratelimit-limit-requests"] = str(self.rpm)
            headers["x-ratelimit-remaining-requests"] = str(max(0, self.rpm - used_req))
            headers["x-ratelimit-reset-requests"] = f"{max(0.0, reset_req):.3f}s"
        if self.tpm is not None:
            headers["x-ratelimit-limit-tokens"] = str(self.tpm)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, self.tpm - used_tok))
            headers["x-ratelimit-reset-tokens"] = f"{max(0.0, reset_req):.3f}s"
        if kind:
            wait = max(0.001, wait)
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
            return LimitDecision(False, kind, wait, headers)
        return LimitDecision(True, headers=headers)

    def record_extra(self, key: str, tokens: int) -> None:
        """Add completion tokens to the key's latest request once they are known."""
        window = self._windows.get(key)
        if window:
            ts, t = window[-1]
            window[-1] = (ts, t + tokens)
