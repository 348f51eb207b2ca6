"""Remember message texts the PII redactor found clean, so repeated ones are not scanned again.

Most of a chat request repeats from call to call: the system prompt, few-shot examples, the
instructions of a pattern. The redactor (:mod:`labkit.controls.pii`) is deterministic, so a
text it found clean stays clean in this process; :func:`redact_known` scans only the messages
it has not seen clean and leaves the rest untouched, which keeps redaction's cost close to the
size of what is new in a request (in the gateway: about half of redaction's CPU for a system
prompt plus one user turn).

What it remembers: plain ``{"role", "content": str}`` messages whose content came back from
the redactor unchanged, up to ``max_chars`` characters, at most ``max_entries`` texts (then it
starts again empty: a bounded memory, not a cache to tune). Texts that held PII, tool calls and
content-part lists are never remembered and are always scanned. It is per process and is not
shared or persisted: raw text never leaves memory.

Example:
    >>> memo = CleanTexts()
    >>> msgs = [{"role": "system", "content": "You are a helpful assistant."},
    ...         {"role": "user", "content": "Mail me at a@x.io"}]
    >>> out, mapping = redact_known(msgs, memo)
    >>> out[1]["content"], memo.known("You are a helpful assistant."), memo.known("Mail me at a@x.io")
    ('Mail me at <EMAIL_1>', True, False)
"""

from __future__ import annotations

from typing import Any

from labkit.controls.pii import redact_messages

_PLAIN_KEYS = frozenset({"role", "content", "name"})


class CleanTexts:
    """A bounded set of texts the redactor returned unchanged (thread-safe under the GIL)."""

    def __init__(self, max_entries: int = 4096, max_chars: int = 16_384) -> None:
        self.max_entries, self.max_chars = max_entries, max_chars
        self._texts: set[str] = set()

    def known(self, text: str) -> bool:
        """Whether ``text`` was seen clean before."""
        return text in self._texts

    def remember(self, text: str) -> None:
        """Note ``text`` as clean (if it is not too long)."""
        if len(text) > self.max_chars:
            return
        if len(self._texts) >= self.max_entries:
            self._texts = set()  # start again rather than track recency on every call
        self._texts.add(text)

    def __len__(self) -> int:
        return len(self._texts)


def _plain_text(message: Any) -> str | None:
    """The content of a plain text message, or None for anything else."""
    if type(message) is not dict or not message.keys() <= _PLAIN_KEYS:
        return None
    content = message.get("content")
    return content if isinstance(content, str) else None


def redact_known(messages: list[dict[str, Any]], memo: CleanTexts
                 ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """:func:`~labkit.controls.pii.redact_messages`, skipping messages ``memo`` knows are clean.

    Same result as ``redact_messages(messages)``: a clean message contributes nothing to the
    placeholder mapping, so leaving it out does not change the numbering of the others.
    """
    if not isinstance(messages, list):
        return redact_messages(messages)  # its own one-line error for a bad shape
    todo = [i for i, m in enumerate(messages) if (text := _plain_text(m)) is None or not memo.known(text)]
    if not todo:
        return [dict(m) for m in messages], {}
    redacted, mapping = redact_messages([messages[i] for i in todo])
    out = [dict(m) for m in messages] if len(todo) < len(messages) else redacted
    for i, new in zip(todo, redacted, strict=True):
        out[i] = new
        text = _plain_text(messages[i])
        if text is not None and new.get("content") == text:
            memo.remember(text)
    return out, mapping
