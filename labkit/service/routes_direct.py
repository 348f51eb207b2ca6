"""Pattern 1 over HTTP: summarise and classify in the request flow, streamed or not.

Both endpoints call the resilient client synchronously (the answer is part of the user's
request), with the caller's user id as the budget key. ``POST /direct/summarise`` with
``"stream": true`` answers ``text/event-stream``: ``data: {"delta": ...}`` events as tokens
arrive, then one ``data: {"done": true, ...}`` event with status and model, so the client can
measure time to first token apart from the full latency.

It does not choose models per user or cache per user; the client's controls apply to all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from labkit.errors import LabkitError, StreamInterrupted
from labkit.service.auth import Principal, current_principal
from labkit.service.deps import model_client
from labkit.service.job_handlers import summarise_messages

MAX_TEXT_CHARS = 20_000


class SummariseRequest(BaseModel):
    """Text to summarise."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    max_words: int = Field(60, ge=5, le=400)
    stream: bool = False

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is blank")
        return v


class ClassifyRequest(BaseModel):
    """Text and the labels to choose from."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    labels: list[str] = Field(min_length=2, max_length=30)

    @field_validator("labels")
    @classmethod
    def _clean_labels(cls, v: list[str]) -> list[str]:
        cleaned = [label.strip() for label in v]
        if any(not label or len(label) > 60 or "," in label or "\n" in label for label in cleaned):
            raise ValueError("labels must be non-empty, at most 60 characters, without commas or newlines")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("labels must be distinct")
        return cleaned


def _meta(result: Any) -> dict[str, Any]:
    return {"status": result.status, "model": result.model_served, "fallback_used": result.fallback_used,
            "latency_ms": round(result.latency_ms, 1), "cost": result.cost, "cache_hit": result.cache_hit}


router = APIRouter(tags=["direct"])


@router.post("/direct/summarise")
def summarise(body: SummariseRequest, request: Request,
              principal: Principal = Depends(current_principal)) -> Any:
    """Summarise text (any role). ``stream: true`` answers server-sent events."""
    client = model_client(request.app)
    messages = summarise_messages(body.text, body.max_words)
    metrics = request.app.state.metrics
    if not body.stream:
        result = client.chat(messages, model=request.app.state.settings.chat_model, pattern="direct",
                             key=principal.user_id)
        metrics.pattern_calls.labels("direct", result.status).inc()
        return {"summary": result.content, **_meta(result)}

    stream = client.stream_chat(messages, model=request.app.state.settings.chat_model, pattern="direct",
                                key=principal.user_id)

    def events() -> Iterator[str]:
        try:
            for delta in stream:
                if delta:
                    yield f"data: {json.dumps({'delta': delta})}\n\n"
        except StreamInterrupted as exc:
            metrics.pattern_calls.labels("direct", "interrupted").inc()
            yield f"data: {json.dumps({'error': {'type': 'stream_interrupted', 'message': str(exc)}})}\n\n"
            return
        except LabkitError as exc:
            yield f"data: {json.dumps({'error': {'type': type(exc).__name__, 'message': str(exc)}})}\n\n"
            return
        finally:
            stream.close()
        result = getattr(stream, "result", None)
        done = {"done": True, **(_meta(result) if result is not None else {})}
        if result is not None and result.ttft_ms is not None:
            done["ttft_ms"] = round(result.ttft_ms, 1)
        metrics.pattern_calls.labels("direct", done.get("status", "ok")).inc()
        yield f"data: {json.dumps(done)}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/direct/classify")
def classify(body: ClassifyRequest, request: Request,
             principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """Classify text into one of the given labels (any role)."""
    client = model_client(request.app)
    messages = [{"role": "system", "content": "Classify the user's text. Answer with one label only.\n"
                                               f"Labels: {', '.join(body.labels)}"},
                {"role": "user", "content": body.text}]
    result = client.chat(messages, model=request.app.state.settings.chat_model, pattern="direct",
                         key=principal.user_id)
    answer = (result.content or "").strip().strip(".").strip()
    # the model's word is checked, not trusted: anything but one of the labels is reported as such
    label = next((lab for lab in body.labels if lab.lower() == answer.lower()), None)
    request.app.state.metrics.pattern_calls.labels("direct", result.status).inc()
    return {"label": label, "raw": result.content, "valid": label is not None, **_meta(result)}


def mount(app: FastAPI) -> None:
    app.include_router(router)
