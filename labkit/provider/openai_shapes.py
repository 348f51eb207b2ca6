"""OpenAI wire shapes the mock provider answers with: errors, completions, chunks, embeddings.

Only dict builders and the error table; no I/O. Kept apart from ``server.py`` so the shapes
can be read (and compared with OpenAI's API reference) in one place.

Example:
    >>> status, body = error(404, "The model `x` does not exist", code="model_not_found", param="model")
    >>> status, body["error"]["type"], body["error"]["code"]
    (404, 'invalid_request_error', 'model_not_found')
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

# status -> OpenAI error "type" (529 is Anthropic's "overloaded", seen through gateways)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "requests",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES = {
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The engine is currently overloaded, please try again later.",
    504: "Gateway timeout.",
    529: "Overloaded.",
}
DEFAULT_CODES = {429: "rate_limit_exceeded", 503: "service_unavailable", 529: "overloaded"}


def error(status: int, message: str | None = None, *, code: str | None = None,
          param: str | None = None, type_: str | None = None) -> tuple[int, dict[str, Any]]:
    """``(status, {"error": {message, type, param, code}})`` in OpenAI's shape."""
    return status, {"error": {
        "message": message or DEFAULT_MESSAGES.get(status, f"Error {status}."),
        "type": type_ or ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error"),
        "param": param,
        "code": code if code is not None else DEFAULT_CODES.get(status),
    }}


def completion(cid: str, created: int, model: str, content: str | None, tool_calls: list[dict],
               finish_reason: str, usage: dict[str, int], n: int = 1) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": cid, "object": "chat.completion", "created": created, "model": model,
        "system_fingerprint": "fp_" + model.replace("-", "")[-10:],
        "choices": [{"index": i, "message": message, "logprobs": None, "finish_reason": finish_reason}
                    for i in range(n)],
        "usage": usage,
    }


def chunk(cid: str, created: int, model: str, delta: dict[str, Any] | None,
          finish_reason: str | None = None, usage: dict[str, int] | None = None,
          with_usage_field: bool = False) -> dict[str, Any]:
    """One ``chat.completion.chunk``; ``delta=None`` gives the usage-only chunk (no choices)."""
    out: dict[str, Any] = {
        "id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
        "system_fingerprint": "fp_" + model.replace("-", "")[-10:],
        "choices": [] if delta is None else [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if with_usage_field or usage is not None:
        out["usage"] = usage
    return out


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """The ``usage`` block."""
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def embedding_item(index: int, vector: tuple[float, ...] | list[float], encoding: str) -> dict[str, Any]:
    """One item of an embeddings response, as floats or base64 little-endian float32."""
    if encoding == "base64":
        data: Any = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
    else:
        data = list(vector)
    return {"object": "embedding", "index": index, "embedding": data}
