"""The gateway against the public 16-fault catalogue (issue 17), through the official openai SDK.

Content policy is a decision, not an outage (never routed to another model, the provider's 400
passed on, a ``safety`` event); retry-safe streaming (config ``streaming.mode`` or the
``X-Labkit-Stream-Mode`` header, and ``stream_chat(retry_safe=True)`` in process) fails over
every break before the caller saw a byte; the fault wall (``loadtests/bench_faultwall.py``)
runs every scenario with the README's gateway config, its time limits scaled down.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import openai
import pytest

from labkit.direct import ClientConfig, ResilientClient
from labkit.direct.gateway import GatewayConfig, serve_in_thread
from labkit.errors import ConfigError, ContentPolicyViolation, StreamInterrupted
from labkit.telemetry.events import read_events

CHAT, CHAT_NEXT, MINI = "lab-chat-2026-01", "lab-chat-2026-06", "lab-mini-2026-03"
ASK = [{"role": "user", "content": "Summarise: The gateway adds controls. Clients need no changes. "
                                   "Every call is logged. Faults are injected on purpose."}]
# the wall's limits: the README's config with time limits short enough for a test (the bench
# uses the documented ones); a hang guard, not a speed test
WALL_TIMEOUTS = {"connect_s": 2.0, "deadline_s": 12.0, "ttft_s": 2.0, "idle_s": 1.0}


def _wall() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "loadtests" / "bench_faultwall.py"
    spec = importlib.util.spec_from_file_location("bench_faultwall", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _gateway(provider, **overrides):
    data = dict(upstream=provider.base_url, retry={"max_attempts": 3, "base_s": 0.01},
                fallbacks={CHAT: [CHAT_NEXT, MINI], "*": [MINI]},
                timeouts={"connect_s": 2, "deadline_s": 10, "ttft_s": 2, "idle_s": 1})
    data.update(overrides)
    return serve_in_thread(GatewayConfig.load(None, **data))


def _sdk(gw) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key="caller-key", max_retries=0, timeout=30)


def _chat_log(provider) -> list[tuple[str, int]]:
    return [(e["model_served"], e["status"]) for e in provider.request_log() if e["endpoint"] == "chat"]


def _stream_text(stream) -> tuple[str, str | None]:
    text, model = "", None
    for chunk in stream:
        model = chunk.model or model
        text += "".join(c.delta.content or "" for c in chunk.choices)
    return text, model


# --- content policy: a decision, not an outage -------------------------------------------

@pytest.mark.parametrize("how", ["plain", "pass-through", "retry-safe"])
def test_content_policy_is_passed_on_never_routed_to_another_model(provider, how):
    provider.set_fault(CHAT, "content_policy")
    with _gateway(provider) as gw, pytest.raises(openai.BadRequestError) as refused:
        if how == "plain":
            _sdk(gw).chat.completions.create(model=CHAT, messages=ASK)
        else:
            _stream_text(_sdk(gw).chat.completions.create(
                model=CHAT, messages=ASK, stream=True, extra_headers={"X-Labkit-Stream-Mode": how}))
    err = refused.value
    assert err.status_code == 400 and err.code == "content_policy_violation"
    assert err.type == "invalid_request_error" and "safety system" in err.message  # the provider's reason
    assert _chat_log(provider) == [(CHAT, 400)]  # no retry, no other model
    [safety] = read_events("safety")
    assert (safety["flag"], safety["source"], safety["route"]) == ("content_policy", "provider", CHAT)
    assert [c["status"] for c in read_events("call")] == ["content_policy"]


def test_in_process_client_records_a_safety_event_for_a_refusal(provider):
    provider.set_fault(CHAT, "content_policy")
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    with pytest.raises(ContentPolicyViolation):
        "".join(client.stream_chat(ASK, model=CHAT))
    assert _chat_log(provider) == [(CHAT, 400)]
    assert [e["flag"] for e in read_events("safety")] == ["content_policy"]


# --- retry-safe streaming ------------------------------------------------------------------

def test_in_process_retry_safe_stream_fails_over_a_cut_unseen(provider):
    provider.set_fault(CHAT, "cut=3")
    client = ResilientClient(ClientConfig(base_url=provider.base_url,
                                          fallbacks={CHAT: [CHAT_NEXT], "*": [MINI]}))
    # pass-through: part of the answer reached the caller, so the break is an interruption
    with pytest.raises(StreamInterrupted):
        list(client.stream_chat(ASK, model=CHAT, use_cache=False))
    stream = client.stream_chat(ASK, model=CHAT, use_cache=False, retry_safe=True)
    deltas = list(stream)
    r = stream.result
    assert r is not None and r.status == "fallback" and r.model_served == CHAT_NEXT
    assert "".join(deltas) == r.content and r.content  # only the fallback's complete answer
    held = [e for e in read_events("attempt") if e.get("held")]
    assert [(e["route"], e["status"]) for e in held] == [(CHAT_NEXT, "ok")]


def test_retry_safe_by_config_and_per_request_header(provider):
    provider.set_fault(CHAT, "stall=2")
    with _gateway(provider, streaming={"mode": "retry_safe"}) as gw:
        raw = _sdk(gw).chat.completions.with_raw_response.create(model=CHAT, messages=ASK, stream=True)
        text, model = _stream_text(raw.parse())
        assert model == CHAT_NEXT and text
        # held until complete, so the answer comes with the x-labkit-* headers
        assert raw.headers["x-labkit-stream-mode"] == "retry_safe"
        assert raw.headers["x-labkit-fallback"] == CHAT_NEXT
        with pytest.raises(openai.APIError, match=r"interrupted|stall"):  # the header wins
            _stream_text(_sdk(gw).chat.completions.create(
                model=CHAT, messages=ASK, stream=True, extra_headers={"X-Labkit-Stream-Mode": "pass-through"}))
        with pytest.raises(openai.BadRequestError, match="stream mode"):
            _sdk(gw).chat.completions.create(model=CHAT, messages=ASK, stream=True,
                                             extra_headers={"X-Labkit-Stream-Mode": "eventually"})


def test_streaming_mode_is_checked_in_the_config():
    with pytest.raises(ConfigError, match=r"streaming\.mode"):
        GatewayConfig.load(None, streaming={"mode": "buffered"})


def test_the_no_prefill_fault_refuses_only_a_continuation(provider):
    provider.set_fault(CHAT_NEXT, "no_prefill")
    sdk = openai.OpenAI(base_url=provider.base_url, api_key="k", max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.chat.completions.create(model=CHAT_NEXT, messages=[*ASK, {"role": "assistant", "content": "The gate"}])
    assert refused.value.code == "prefill_unsupported"
    assert sdk.chat.completions.create(model=CHAT_NEXT, messages=ASK).choices[0].message.content


# --- the wall --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wall() -> ModuleType:
    return _wall()


def test_the_wall_reads_the_documented_config_and_has_sixteen_scenarios(wall):
    assert len(wall.SCENARIOS) == 16 and len({s.key for s in wall.SCENARIOS}) == 16
    cfg = wall.gateway_config("http://127.0.0.1:9/v1", "retry_safe", None)
    assert cfg.streaming.mode == "retry_safe" and cfg.fallbacks[CHAT] == [CHAT_NEXT, MINI]


@pytest.mark.parametrize("transport", ["lean", "sdk"])  # the gateway's default, and the SDK's
@pytest.mark.parametrize("mode", ["retry_safe", "pass_through"])  # plain calls: the bench
def test_fault_wall(wall, mode, transport, monkeypatch):
    documented = wall.gateway_config

    def config(upstream, wall_mode, timeouts):
        return documented(upstream, wall_mode, timeouts).model_copy(update={"transport": transport})

    monkeypatch.setattr(wall, "gateway_config", config)
    rows = wall.run_wall([mode], timeouts=WALL_TIMEOUTS, verbose=False)
    outcome = {r["scenario"]: r["outcome"] for r in rows if r["outcome"] != "n/a"}
    assert not [k for k, v in outcome.items() if v in ("hang", "truncated_success", "routed_around")], outcome
    assert outcome["content_policy"] == "correct_refusal"
    if mode == "retry_safe":  # every scenario rescued (content policy: the provider's 400 passed on)
        assert all(v in ("rescued", "correct_refusal") for v in outcome.values()), outcome
        assert len(outcome) == 16
    elif mode == "pass_through":  # the breaks after output stay clean errors, by design
        broken_after_output = {"stream_cut", "stream_stall", "malformed_chunk", "cut_then_no_prefill"}
        assert {k for k, v in outcome.items() if v == "clean_error"} == broken_after_output, outcome


def test_a_refused_job_is_dead_at_once_not_retried(provider, tmp_path):
    """A job's model call refused on content-policy grounds is not retried by the queue either."""
    import threading
    import time

    from labkit.jobs import open_queue
    from labkit.jobs.worker import Worker

    provider.set_fault(CHAT, "content_policy")
    url = f"sqlite:///{tmp_path / 'queue.db'}?retry_base=0.05&retry_max=0.2&jitter=0.5"
    q = open_queue(url)
    job = q.submit("chat", {"messages": ASK}, max_attempts=3)
    w = Worker(url, concurrency=1, poll_s=0.01, events=False,
               extras={"client": ResilientClient(ClientConfig(base_url=provider.base_url))})
    t = threading.Thread(target=w.run)
    t.start()
    try:
        deadline = time.monotonic() + 30  # a hang guard only
        while q.get(job.id).status not in ("dead", "succeeded") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        w.stop()
        t.join(30)
    got = q.get(job.id)
    assert got.status == "dead" and got.attempts == 1
    assert got.last_error.startswith("ContentPolicyViolation")
    assert _chat_log(provider) == [(CHAT, 400)]
    q.close()
