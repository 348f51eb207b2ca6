"""The human review queue: calls that ended as ``cannot_answer``, kept for a person to pick up.

The source document's Direct API pattern asks for "a clear fallback" when no model answers;
the last one is a person. Each line of ``var/review_queue.jsonl`` (or
``ClientConfig.review_queue_path``) is one request, appended in one ``write`` so concurrent
processes never interleave lines. The queued messages are the *redacted* ones: the queue must
not hold raw PII. It does not notify anyone or track who handled an item.

Example:
    >>> import tempfile, os
    >>> q = ReviewQueue(os.path.join(tempfile.mkdtemp(), "review.jsonl"))
    >>> q.add({"call_id": "c1", "reason": "every route failed"})
    >>> [item["call_id"] for item in q.items()]
    ['c1']
"""

from __future__ import annotations

import json
import os
from typing import Any

from labkit.settings import var_dir


class ReviewQueue:
    """An append-only JSON-lines file of requests for human review."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or str(var_dir() / "review_queue.jsonl")

    def add(self, item: dict[str, Any]) -> None:
        """Append one item (one ``write`` of one line, so appends from processes do not interleave)."""
        line = (json.dumps(item, default=str) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def items(self) -> list[dict[str, Any]]:
        """Every queued item, oldest first."""
        if not os.path.exists(self.path):
            return []
        with open(self.path) as fh:
            return [json.loads(line) for line in fh if line.strip()]
