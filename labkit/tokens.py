"""A deterministic tokenizer that needs no download.

tiktoken fetches its encodings at run time, which fails offline, so the lab counts tokens
with a fixed rule: runs of word characters, and each other non-space character, are one
token; long words count one token per started 4 characters, roughly like a BPE vocabulary
would split them. It is used everywhere a token count matters (the mock provider's usage,
the client's cost estimate and rate limiter, RAG chunking), so the numbers agree end to end.

It is not a real model's tokenizer: counts are close to, not equal to, tiktoken's.

Example:
    >>> count_tokens("Hello, world!")
    4
    >>> [t for t in tokenize("AI rocks")]
    ['AI', 'rocks']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_PIECE = 4


def tokenize(text: str) -> Iterator[str]:
    """Yield the tokens of ``text``; words longer than 8 characters are split in pieces of 4."""
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        if len(word) <= 2 * _PIECE:
            yield word
        else:
            for i in range(0, len(word), _PIECE):
                yield word[i : i + _PIECE]


def count_tokens(text: str) -> int:
    """Number of tokens in ``text``."""
    return sum(1 for _ in tokenize(text))


def count_message_tokens(messages: Iterable[dict]) -> int:
    """Tokens of a chat prompt: each message's content plus 4 tokens of framing per message."""
    total = 0
    for message in messages:
        content = message.get("content") or ""
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        total += 4 + count_tokens(str(content))
        for call in message.get("tool_calls") or []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            total += count_tokens(str(fn.get("name", ""))) + count_tokens(str(fn.get("arguments", "")))
    return total + 2
