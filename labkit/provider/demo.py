"""A first tour of the mock provider through the official ``openai`` SDK.

:func:`tour` makes a completion, a streamed completion, a tool call and an embedding against
a provider (the embedded one unless a base URL is given) and returns what it saw, so the
interim ``labkit run``, the start-here notebook and a smoke test can all show the same
thing. It does not apply any production control: that is ``labkit.direct``'s job.

Example:
    >>> from labkit.provider.server import serve_in_thread
    >>> with serve_in_thread() as p:
    ...     result = tour(p.base_url)
    >>> result["tool_call"]["name"], len(result["embedding"])
    ('get_account', 256)
"""

from __future__ import annotations

import json
from typing import Any

from openai import OpenAI

TOUR_SOURCES = (
    '<source id="DOC-0001#s1">Employees may carry over up to five days of annual leave. '
    "Requests are approved by the line manager.</source>\n"
    '<source id="DOC-0002#s3">Expense claims must be submitted within 30 days of purchase.</source>'
)
TOUR_TOOLS = [{"type": "function", "function": {
    "name": "get_account", "description": "Look up a CRM account by its account id",
    "parameters": {"type": "object", "properties": {"account_id": {"type": "string"}},
                   "required": ["account_id"]}}}]


def tour(base_url: str, api_key: str = "lab-key", model: str = "lab-chat") -> dict[str, Any]:
    """Completion, stream, tool call and embedding through the openai SDK; returns the results."""
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=1, timeout=30)
    question = TOUR_SOURCES + "\nQuestion: How many days of annual leave can I carry over?"
    completion = client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}])
    stream_parts: list[str] = []
    usage = None
    for chunk in client.chat.completions.create(
            model=model, stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": TOUR_SOURCES + "\nQuestion: When are expense claims due?"}]):
        stream_parts.extend(c.delta.content or "" for c in chunk.choices)
        usage = chunk.usage or usage
    tool = client.chat.completions.create(
        model=model, tools=TOUR_TOOLS, messages=[{"role": "user", "content": "Look up account ACC-00042"}])
    call = tool.choices[0].message.tool_calls[0]
    emb = client.embeddings.create(model="lab-embed", input="annual leave carry-over")
    return {
        "completion": {"model": completion.model, "content": completion.choices[0].message.content,
                       "usage": completion.usage.model_dump() if completion.usage else None},
        "stream": {"chunks": len(stream_parts), "content": "".join(stream_parts),
                   "usage": usage.model_dump() if usage else None},
        "tool_call": {"name": call.function.name, "arguments": json.loads(call.function.arguments)},
        "embedding": emb.data[0].embedding,
    }
