"""Streaming through the resilient client: pass-through, fail-over before output, explicit
interruption after output, prompt finalisation, and the async twin."""

from __future__ import annotations

import asyncio
import time

import pytest

from labkit.controls.retry import RetryPolicy
from labkit.direct import AsyncResilientClient, ClientConfig, ResilientClient
from labkit.errors import StreamInterrupted
from labkit.telemetry.events import read_events

CHAT, MINI = "lab-chat-2026-01", "lab-mini-2026-03"
ASK = [{"role": "user", "content": "Summarise: The lab runs locally on two cores. It needs no cloud "
                                   "account. Every call goes through one client. Faults are injected."}]


def make_client(provider, **overrides) -> ResilientClient:
    data = dict(base_url=provider.base_url, retry=RetryPolicy(max_attempts=3, base_s=0.01),
                timeouts={"connect_s": 1, "deadline_s": 10, "ttft_s": 1.0, "idle_s": 0.5})
    data.update(overrides)
    return ResilientClient(ClientConfig(**data))


def stream_log(provider, until=lambda log: len(log) >= 1) -> list[dict]:
    """The provider's streamed chat entries, once ``until(entries)`` holds (default: one is there).

    The client finishes a stream at its finish reason and usage without waiting for ``[DONE]``,
    so the provider may log the request a moment after the caller has its answer: wait for the
    entry instead of reading once (the deadline is a hang guard, not a speed test).
    """
    deadline = time.monotonic() + 30
    while True:
        log = [e for e in provider.request_log() if e["endpoint"] == "chat" and e["stream"]]
        if until(log) or time.monotonic() > deadline:
            return log
        time.sleep(0.01)


def test_stream_passes_chunks_through_and_reports_usage(provider):
    client = make_client(provider)
    stream = client.stream_chat(ASK, model=CHAT, use_cache=False)
    deltas = list(stream)
    assert len(deltas) > 3
    r = stream.result
    assert r.status == "ok" and r.model_served == CHAT and "".join(deltas) == r.content
    assert r.usage["completion_tokens"] > 0 and r.cost > 0 and r.ttft_ms is not None
    [entry] = stream_log(provider)
    assert entry["cost"] == r.cost


@pytest.mark.parametrize("spec", ["cut=0", "malformed=1", "stall=0", "ttft=3"])
def test_broken_stream_before_any_output_fails_over(provider, spec):
    provider.set_fault(CHAT, spec)
    client = make_client(provider)
    stream = client.stream_chat(ASK, model=CHAT)
    text = "".join(stream)
    assert stream.result.status == "fallback" and stream.result.model_served == MINI
    assert text == stream.result.content and text
    attempts = [(e["route"], e["status"]) for e in read_events("attempt") if e["status"] != "skipped"]
    assert attempts == [(CHAT, "error"), (MINI, "ok")]
    assert MINI in [e["model_served"] for e in stream_log(provider, lambda log: any(
        e["model_served"] == MINI for e in log))]


@pytest.mark.parametrize("spec,limit", [("cut=3", 0.5), ("malformed=3", 0.5), ("stall=3", 2.0)])
def test_broken_stream_after_output_raises_stream_interrupted(provider, spec, limit):
    provider.set_fault(CHAT, spec)
    client = make_client(provider)
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(StreamInterrupted):
        for delta in client.stream_chat(ASK, model=CHAT):
            received.append(delta)
    assert received, "part of the answer reached the caller before the break"
    # the break ended the call, not the deadline (10 s); a hang guard, not a speed test
    assert time.monotonic() - started < 10
    assert len(stream_log(provider)) == 1  # no silent re-send of an answer already half shown
    [call] = [e for e in read_events("call") if e["stream"]]
    assert call["status"] == "interrupted"


def test_stream_without_done_is_finalised_promptly(provider):
    provider.set_fault(CHAT, "no_done")
    # limits far above a normal answer's time: waiting for [DONE] would run into the 20 s idle
    # limit, so "under 20 s" tells the two apart on any machine (a bound, not a speed test)
    client = make_client(provider, timeouts={"connect_s": 5, "deadline_s": 40, "ttft_s": 20, "idle_s": 20})
    started = time.monotonic()
    stream = client.stream_chat(ASK, model=CHAT)
    text = "".join(stream)
    assert stream.result.status == "ok" and text
    assert time.monotonic() - started < 20


def test_stream_retries_a_failed_open_on_the_same_route(provider):
    client = make_client(provider)
    stream = client.stream_chat(ASK, model=CHAT, extra_headers={"X-Lab-Fault": "status=503;times=1"})
    assert "".join(stream) and stream.result.status == "ok" and stream.result.attempts == 2


def test_stream_rehydrates_placeholders_split_across_chunks(provider):
    client = make_client(provider)
    text = "".join(client.stream_chat(
        [{"role": "user", "content": "Summarise: Write to jane.doe@example.com today. The card 4111 1111 1111 1111 "
                                     "was charged twice."}], model=CHAT))
    assert "<EMAIL_" not in text and "<CARD_" not in text
    assert not any(e["pii_seen"] for e in stream_log(provider))


def test_stream_cache_hit_replays_without_provider(provider):
    client = make_client(provider)
    first = "".join(client.stream_chat(ASK, model=CHAT))
    second_stream = client.stream_chat(ASK, model=CHAT)
    assert "".join(second_stream) == first and second_stream.result.cache_hit
    assert len(stream_log(provider)) == 1


def test_async_client_chat_and_stream(provider):
    async def main():
        client = AsyncResilientClient(ClientConfig(base_url=provider.base_url))
        try:
            r = await client.chat(ASK, model=CHAT)
            parts = [d async for d in client.stream_chat(ASK, model=CHAT, use_cache=False)]
            vectors = await client.embed(["hello", "world"])
            results = await asyncio.gather(*(client.chat(ASK, model=MINI, use_cache=False) for _ in range(5)))
            return r, parts, vectors, results
        finally:
            await client.aclose()

    r, parts, vectors, results = asyncio.run(main())
    assert r.status == "ok" and "".join(parts)
    assert len(vectors) == 2 and len(vectors[0]) == 256
    assert all(x.status == "ok" for x in results)


def test_slow_chunks_hit_the_idle_limit(provider):
    provider.set_fault(CHAT, "inter_token=1.5")
    client = make_client(provider)  # idle_s = 0.5
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(StreamInterrupted, match="stream-idle"):
        for delta in client.stream_chat(ASK, model=CHAT):
            received.append(delta)
    # "stream-idle" above is the proof: had the client waited out the 1.5 s gap, the next chunk
    # would have arrived and nothing would have been raised; the time is only a hang guard
    assert len(received) == 1 and time.monotonic() - started < 10
