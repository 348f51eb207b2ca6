"""The resilient client against the real mock provider: every control against every fault.

Each test asserts on what the caller sees and on what the provider's request log saw.
"""

from __future__ import annotations

import json
import time

import pytest
from pydantic import BaseModel, Field

from labkit.clock import FakeClock
from labkit.controls.budget import BudgetPolicy
from labkit.controls.retry import RetryPolicy
from labkit.direct import CANNOT_ANSWER, ClientConfig, ResilientClient
from labkit.errors import (
    BudgetExceeded,
    CallDeferred,
    ContentPolicyViolation,
    PinnedVersionMismatch,
    ProviderUnavailable,
    RateLimited,
    RedactionFailed,
)
from labkit.provider.catalog import MODELS
from labkit.telemetry.events import read_events

CHAT, MINI, LARGE = "lab-chat-2026-01", "lab-mini-2026-03", "lab-large-2026-04"
ASK = [{"role": "user", "content": "Summarise: The lab runs locally. It needs no cloud account."}]


def make_client(provider, **overrides) -> ResilientClient:
    data = dict(base_url=provider.base_url, api_key="lab-key",
                retry=RetryPolicy(max_attempts=3, base_s=0.01, max_backoff_s=0.05),
                timeouts={"connect_s": 1, "deadline_s": 10, "ttft_s": 2, "idle_s": 1})
    data.update(overrides)
    rule_fallbacks = data.pop("rule_fallbacks", None)
    clock = data.pop("clock", None)
    return ResilientClient(ClientConfig(**data), rule_fallbacks=rule_fallbacks, clock=clock)


def chat_log(provider, model: str | None = None) -> list[dict]:
    return [e for e in provider.request_log() if e["endpoint"] == "chat"
            and (model is None or e["model_served"] == model or e["model_requested"] == model)]


def fault(spec: str) -> dict[str, str]:
    return {"X-Lab-Fault": spec}


def test_ok_call_reports_model_usage_cost_and_bills_the_ledger(provider):
    client = make_client(provider)
    r = client.chat(ASK, model=CHAT)
    assert r.status == "ok" and r.model_served == CHAT and r.model_requested == CHAT
    assert r.attempts == 1 and r.content and not r.cache_hit
    expected = round(MODELS[CHAT].cost(r.usage["prompt_tokens"], r.usage["completion_tokens"]), 8)
    assert r.cost == expected > 0
    [row] = client.ledger.rows("completion")
    assert row["cost"] == expected and row["model_served"] == CHAT
    [call] = read_events("call")
    for name in ("pattern", "route", "model_requested", "model_served", "status", "attempts", "latency_ms",
                 "tokens_in", "tokens_out", "cost", "cache_hit", "fallback_used", "breaker_state",
                 "redactions", "validation"):
        assert name in call


@pytest.mark.parametrize("spec,statuses", [("reset;times=1", [0, 200]), ("status=429;times=1", [429, 200]),
                                          ("status=502;times=1", [502, 200])])
def test_retries_connection_resets_429s_and_5xx(provider, spec, statuses):
    client = make_client(provider)
    r = client.chat(ASK, model=CHAT, extra_headers=fault(spec))
    assert r.status == "ok" and r.model_served == CHAT and r.attempts == 2
    assert [e["status"] for e in chat_log(provider)] == statuses


def test_retries_a_503_then_succeeds(provider):
    client = make_client(provider)
    r = client.chat(ASK, model=CHAT, extra_headers=fault("status=503;times=2"))
    assert r.status == "ok" and r.attempts == 3
    assert [e["status"] for e in chat_log(provider)] == [503, 503, 200]
    assert [a["status"] for a in read_events("attempt")] == ["error", "error", "ok"]


@pytest.mark.parametrize("spec,gap", [("status=429;retry_after=0.4;times=1", 0.4),
                                      ("status=429;retry_after_ms=300;times=1", 0.3)])
def test_retry_after_is_honoured(provider, spec, gap):
    client = make_client(provider)
    r = client.chat(ASK, model=CHAT, extra_headers=fault(spec))
    assert r.status == "ok" and r.attempts == 2
    first, second = chat_log(provider)
    assert first["status"] == 429 and second["status"] == 200
    assert second["time"] - first["time"] >= gap


def test_content_policy_400_is_raised_not_retried_nor_routed_to_another_model(provider):
    provider.set_fault(CHAT, "content_policy")
    client = make_client(provider)
    with pytest.raises(ContentPolicyViolation, match="safety system") as refused:
        client.chat(ASK, model=CHAT)
    assert refused.value.model == CHAT and refused.value.code == "content_policy_violation"
    assert [(e["model_served"], e["status"]) for e in chat_log(provider)] == [(CHAT, 400)]


@pytest.mark.parametrize("model", [CHAT, "lab-chat"])
def test_context_length_goes_to_the_large_context_model_without_retry(provider, model):
    long_text = "word " * 9000  # over lab-chat's 8k window and lab-mini's 4k
    client = make_client(provider)
    r = client.chat([{"role": "user", "content": "Summarise: " + long_text}], model=model)
    assert r.status == "fallback" and r.model_served == LARGE
    log = chat_log(provider)
    assert [(e["model_served"], e["status"]) for e in log] == [(CHAT, 400), (LARGE, 200)]
    # billed to the model that answered
    assert r.cost == round(MODELS[LARGE].cost(r.usage["prompt_tokens"], r.usage["completion_tokens"]), 8)


def test_persistent_429_is_not_hammered(provider):
    provider.set_fault(CHAT, "status=429;retry_after=0.05")
    client = make_client(provider, fallbacks={"*": []},
                         breaker={"min_volume": 4, "error_rate": 0.5, "open_s": 60, "window_s": 60})
    results = [client.chat(ASK, model=CHAT, use_cache=False) for _ in range(6)]
    assert all(r.status == "cannot_answer" for r in results)
    attempts = chat_log(provider, CHAT)
    # 3 attempts per call until the breaker opens after 4 failures, then nothing reaches the provider
    assert len(attempts) <= 6
    gaps = [b["time"] - a["time"] for a, b in zip(attempts, attempts[1:])]
    assert min(gaps) >= 0.05 - 0.005
    assert client.breakers.get(CHAT).state == "open"


def test_silent_provider_fails_over_after_its_first_timeout(provider):
    provider.set_fault(CHAT, "hang")
    # a 30 s deadline: waiting it out (instead of failing over after the 0.5 s first-token
    # timeout) would take 30 s, so "under 30 s" tells the two apart on any machine
    client = make_client(provider, timeouts={"connect_s": 1, "deadline_s": 30, "ttft_s": 0.5, "idle_s": 0.5})
    started = time.monotonic()
    r = client.chat(ASK, model=CHAT)
    elapsed = time.monotonic() - started
    assert r.status == "fallback" and r.model_served == MINI
    assert len(chat_log(provider, CHAT)) == 1  # no second try on the silent route
    [attempt] = [a for a in read_events("attempt") if a["route"] == CHAT]
    assert attempt["error_kind"] == "timeout"
    assert elapsed < 30


def test_deadline_is_a_budget_across_every_attempt_and_fallback(provider):
    provider.set_fault("*", "hang")
    client = make_client(provider, timeouts={"connect_s": 1, "deadline_s": 1.0, "ttft_s": 0.6, "idle_s": 0.5})
    r = client.chat(ASK, model=CHAT)
    assert r.status == "cannot_answer" and r.content == CANNOT_ANSWER
    # counted, not timed: 0.6 s on the first route, the 0.4 s left on the second, then the
    # budget is gone; without a shared budget all three routes would get their 0.6 s
    assert 1 <= len(chat_log(provider)) <= 2


def test_breaker_opens_routes_to_fallback_probes_and_recovers(provider):
    provider.set_fault(CHAT, "status=503")
    client = make_client(provider, retry=RetryPolicy(max_attempts=1),
                         breaker={"min_volume": 3, "error_rate": 0.5, "open_s": 0.5, "window_s": 30})
    for _ in range(3):
        assert client.chat(ASK, model=CHAT, use_cache=False).model_served == MINI
    assert client.breakers.get(CHAT).state == "open"
    before = len(chat_log(provider, CHAT))
    r = client.chat(ASK, model=CHAT, use_cache=False)
    assert r.model_served == MINI and len(chat_log(provider, CHAT)) == before  # straight to fallback
    provider.clear_faults()
    time.sleep(0.6)
    r = client.chat(ASK, model=CHAT, use_cache=False)  # the half-open probe
    assert r.status == "ok" and r.model_served == CHAT
    assert client.breakers.get(CHAT).state == "closed"
    assert [e["new"] for e in read_events("breaker") if e["route"] == CHAT] == ["open", "half_open", "closed"]


def test_deterministic_calls_are_cached_and_others_are_not(provider):
    client = make_client(provider)
    a = client.chat(ASK, model=CHAT)
    b = client.chat(ASK, model=CHAT)
    assert b.cache_hit and b.content == a.content and b.cost == 0.0 and b.attempts == 0
    assert len(chat_log(provider)) == 1
    client.chat(ASK, model=CHAT, max_tokens=50)  # a different request: miss
    client.chat(ASK, model=CHAT, temperature=0.7)
    client.chat(ASK, model=CHAT, temperature=0.7)  # not deterministic: never cached
    assert len(chat_log(provider)) == 4


PII_TEXT = ("Summarise: Customer jane.doe@example.com called from +44 20 7946 0958. "
            "Card 4111 1111 1111 1111 was charged twice. SSN 123-45-6789 is on file.")


def test_no_pii_reaches_the_provider_and_the_answer_is_rehydrated(provider):
    client = make_client(provider)
    r = client.chat([{"role": "user", "content": PII_TEXT}], model=CHAT)
    log = chat_log(provider)
    assert log and not any(e["pii_seen"] for e in log)
    assert "jane.doe@example.com" not in log[0]["prompt_text"]
    assert "<EMAIL_1>" in log[0]["prompt_text"]
    assert r.redactions >= 3
    assert "<EMAIL_" not in (r.content or "") and "<CARD_" not in (r.content or "")


def test_redaction_failure_sends_nothing(provider):
    client = make_client(provider)
    with pytest.raises(RedactionFailed):
        client.chat(["not a message"], model=CHAT)  # type: ignore[list-item]
    assert provider.request_log() == []


def test_tool_calls_come_back_in_openai_shape_with_real_values(provider):
    tools = [{"type": "function", "function": {
        "name": "lookup_contact", "description": "Look up a CRM contact by e-mail address",
        "parameters": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]}}}]
    client = make_client(provider)
    r = client.chat([{"role": "user", "content": "Look up the contact \"jane.doe@example.com\""}],
                    model=CHAT, tools=tools, pattern="agent")
    [call] = r.tool_calls
    assert call["type"] == "function" and call["function"]["name"] == "lookup_contact" and call["id"]
    assert json.loads(call["function"]["arguments"])["email"] == "jane.doe@example.com"
    assert not any(e["pii_seen"] for e in chat_log(provider))


def test_rule_fallback_then_cannot_answer_with_review_queue(provider):
    provider.set_fault("*", "status=500")
    with_rule = make_client(provider, rule_fallbacks={"direct": lambda msgs: "Our team will reply by e-mail."})
    r = with_rule.chat(ASK, model=CHAT)
    assert r.status == "fallback" and r.fallback_used == "rule:direct" and r.model_served == "rule:direct"
    assert r.cost == 0.0
    bare = make_client(provider)
    r = bare.chat([{"role": "user", "content": PII_TEXT}], model=CHAT)
    assert r.status == "cannot_answer" and r.fallback_used == "human_review"
    [item] = bare.review_queue()
    assert item["call_id"] == r.call_id and "500" in item["reason"]
    assert "jane.doe@example.com" not in json.dumps(item)  # queued redacted
    # failed attempts recorded but never billed
    assert bare.ledger.spend() == 0.0 and bare.ledger.rows("failed_attempt")


def test_pinned_version_drift_is_recorded_alerted_and_can_be_refused(provider):
    from labkit.telemetry.alerts import AlertRule, evaluate

    client = make_client(provider, pins={"lab-chat": CHAT})
    assert client.chat(ASK, model="lab-chat").model_served == CHAT
    assert read_events("version_drift") == []
    provider.move_alias("lab-chat")
    r = client.chat(ASK, model="lab-chat", use_cache=False)
    assert r.model_served == "lab-chat-2026-06"  # the caller learns who answered
    [drift] = read_events("version_drift")
    assert drift["model_pinned"] == CHAT and drift["model_served"] == "lab-chat-2026-06"
    fired = evaluate([AlertRule(name="drift", metric="version_drift", threshold=1, window_s=60)])
    assert [a.rule for a in fired] == ["drift"]
    strict = make_client(provider, pins={"lab-chat": CHAT}, refuse_version_drift=True)
    with pytest.raises(PinnedVersionMismatch):
        strict.chat(ASK, model="lab-chat", use_cache=False)


class Invoice(BaseModel):
    invoice_number: str
    total: float


class StrictInvoice(BaseModel):
    invoice_number: str = Field(pattern=r"^NEVER-\d+$")
    total: float


INVOICE = [{"role": "user", "content": "Extract the invoice.\nInvoice number: INV-0042\nTotal: 120.50"}]


def test_output_validation_parses_into_the_model(provider):
    client = make_client(provider)
    r = client.chat(INVOICE, model=CHAT, output_model=Invoice, pattern="jobs")
    assert isinstance(r.parsed, Invoice) and r.validation == "ok" and r.validation_error is None
    assert r.parsed.invoice_number == "INV-0042" and r.parsed.total == 120.5


def test_invalid_output_gets_one_repair_then_the_fallback(provider):
    client = make_client(provider, fallbacks={"*": []})
    r = client.chat(INVOICE, model=CHAT, output_model=StrictInvoice, pattern="jobs")
    assert r.status == "cannot_answer"
    events = read_events("validation")
    assert [(e["route"], e["repair"]) for e in events] == [(CHAT, False), (CHAT, True)]
    # the reason travels on the result itself (the same text the telemetry event records)
    assert r.validation == "failed" and r.validation_error
    assert r.validation_error.startswith(f"{CHAT}: ") and "NEVER" in r.validation_error
    assert events[-1]["error"] in r.validation_error
    repair_request = chat_log(provider)[1]
    assert "did not validate" in repair_request["prompt_text"]


def test_validation_error_is_on_the_result_without_telemetry(provider):
    client = make_client(provider, fallbacks={"*": []}, telemetry=False)
    r = client.chat(INVOICE, model=CHAT, output_model=StrictInvoice, pattern="jobs")
    assert read_events("validation") == []          # nothing to read back: the result carries it
    assert r.validation == "failed" and "NEVER" in (r.validation_error or "")
    # every route that failed validation: the reason is the last route's
    client = make_client(provider, fallbacks={CHAT: [MINI]}, telemetry=False)
    r = client.chat(INVOICE, model=CHAT, output_model=StrictInvoice, pattern="jobs")
    assert r.validation == "failed" and (r.validation_error or "").startswith(f"{MINI}: ")


def test_budget_is_enforced_before_the_call(provider):
    client = make_client(provider, budget=BudgetPolicy(per_key_usd={"team-a": 0.0}))
    with pytest.raises(BudgetExceeded, match="team-a"):
        client.chat(ASK, model=CHAT, key="team-a")
    assert provider.request_log() == []
    client.chat(ASK, model=CHAT, key="team-b")  # other keys are unaffected
    assert len(chat_log(provider)) == 1


def test_client_rate_limiter_keeps_traffic_under_the_limit(provider):
    client = make_client(provider, ratelimit={"rpm": 2, "max_wait_s": 0.1})
    client.chat(ASK, model=CHAT, use_cache=False)
    client.chat(ASK, model=CHAT, use_cache=False)
    with pytest.raises(RateLimited):
        client.chat(ASK, model=CHAT, use_cache=False)
    assert len(chat_log(provider)) == 2


def test_embeddings_are_batched_cached_and_billed(provider):
    client = make_client(provider)
    texts = [f"policy number {i}" for i in range(5)]
    vectors = client.embed(texts, batch_size=2)
    assert len(vectors) == 5 and all(len(v) == 256 for v in vectors)
    calls = [e for e in provider.request_log() if e["endpoint"] == "embeddings"]
    assert len(calls) == 3
    again = client.embed(texts[:3] + ["a new text"])
    assert again[:3] == vectors[:3]
    calls = [e for e in provider.request_log() if e["endpoint"] == "embeddings"]
    assert len(calls) == 4
    assert round(client.ledger.spend(), 8) == round(sum(e["cost"] for e in calls), 8)


def test_an_embedding_never_fails_over_to_a_chat_model(provider):
    # "*" -> lab-mini is the chat models' fallback: an embedding model without an entry of its
    # own (MiniLM) used to fail over to a chat model at /v1/embeddings
    client = make_client(provider, retry=RetryPolicy(max_attempts=1))
    assert "lab-embed-minilm-2026-11" not in client.config.fallbacks
    with pytest.raises(ProviderUnavailable):
        client.embed(["refund policy"], model="lab-embed-minilm-2026-11", extra_headers=fault("status=503"))
    tried = [e["model_requested"] for e in provider.request_log() if e["endpoint"] == "embeddings"]
    assert tried == ["lab-embed-minilm-2026-11"]
    assert client.config.routes_for("lab-chat-2026-06") == ["lab-chat-2026-06", MINI]  # chat keeps "*"
    # nor to the context fallback (lab-large, a chat model) when the input is too long
    with pytest.raises(ProviderUnavailable, match="context_length"):
        client.embed(["refund policy"], extra_headers=fault("context_length"))
    tried = [e["model_requested"] for e in provider.request_log() if e["endpoint"] == "embeddings"]
    assert tried == ["lab-embed-minilm-2026-11", "lab-embed-2026-01"]


def test_bad_api_key_is_one_clear_error_and_missing_key_a_config_error():
    from labkit.errors import ConfigError, ProviderError
    from labkit.provider.config import ProviderConfig
    from labkit.provider.server import serve_in_thread

    with serve_in_thread(ProviderConfig(api_keys=["the-right-key"])) as strict:
        client = make_client(strict, api_key="wrong-key")
        with pytest.raises(ProviderError, match="rejected the API key"):
            client.chat(ASK, model=CHAT)
        assert len(strict.request_log()) == 1  # a 401 is not retried or failed over
    with pytest.raises(ConfigError):
        ResilientClient(ClientConfig(api_key=""))


def test_the_sdk_create_path_behaves_the_same(provider):
    client = make_client(provider, sdk_fast_path=False)
    r = client.chat(ASK, model=CHAT, extra_headers=fault("status=503;times=1"))
    assert r.status == "ok" and r.attempts == 2 and r.cost > 0
    stream = client.stream_chat(ASK, model=MINI)
    assert "".join(stream) == stream.result.content and stream.result.usage["completion_tokens"] > 0
    assert len(client.embed(["one", "two"])[1]) == 256


def test_breaker_returns_to_the_primary_soon_after_it_recovers(provider):
    # the client's clock is a fake one, moved 50 ms per call: the assertions are about the
    # order of events, not about how fast this machine happens to be today
    clock = FakeClock()
    provider.set_fault(CHAT, "status=503")  # the primary is down for the first second
    client = make_client(provider, retry=RetryPolicy(max_attempts=1), clock=clock,
                         breaker={"min_volume": 2, "error_rate": 0.5, "open_s": 0.3, "window_s": 30})
    served = []
    for tick in range(60):                  # 3 s of fake time
        if tick == 20:
            provider.clear_faults()         # recovered at 1.0 s
        served.append((round(clock(), 2), client.chat(ASK, model=CHAT, use_cache=False).model_served))
        clock.advance(0.05)
    assert served[0][1] == MINI  # down: the fallback answers
    back = next(t for t, m in served if m == CHAT)
    assert 1.0 <= back <= 1.0 + 0.3 + 0.05  # the first probe after recovery: within one open period
    assert all(m == CHAT for t, m in served if t > back)
    chat_attempts = len(chat_log(provider, CHAT))
    assert chat_attempts < len(served)  # while open, most calls never touched the primary


def test_a_call_refused_by_open_breakers_is_not_now_and_says_when_to_come_back(provider):
    clock = FakeClock()
    provider.set_fault("*", "status=503")
    client = make_client(provider, retry=RetryPolicy(max_attempts=1), clock=clock,
                         breaker={"min_volume": 1, "error_rate": 0.5, "open_s": 30, "window_s": 60})
    first = client.chat(ASK, model=CHAT, use_cache=False)  # both routes tried and failed: a real failure
    assert first.status == "cannot_answer" and first.attempts == 2 and first.retry_after_s is None
    clock.advance(10)
    sent = len(chat_log(provider))
    r = client.chat(ASK, model=CHAT, use_cache=False)      # every route skipped: "not now"
    assert r.status == "cannot_answer" and r.attempts == 0 and r.retry_after_s == pytest.approx(20.0)
    client.config.raise_on_failure = True
    with pytest.raises(CallDeferred) as deferred:
        client.chat(ASK, model=CHAT, use_cache=False)
    assert deferred.value.retry_after_s == pytest.approx(20.0)
    assert isinstance(deferred.value, ProviderUnavailable)  # callers that catch "unavailable" still do
    assert len(chat_log(provider)) == sent                   # neither reached the provider
    clock.advance(20)                                        # the breakers may probe: a real attempt again
    with pytest.raises(ProviderUnavailable) as failed:
        client.chat(ASK, model=CHAT, use_cache=False)
    assert not isinstance(failed.value, CallDeferred)


def test_slow_response_headers_fail_over_after_one_timeout(provider):
    provider.set_fault(CHAT, "latency=3")
    client = make_client(provider, timeouts={"connect_s": 1, "deadline_s": 10, "ttft_s": 0.5, "idle_s": 0.5})
    r = client.chat(ASK, model=CHAT)
    assert r.model_served == MINI  # one timed-out attempt on the slow route (below), not a retry
    [attempt] = [a for a in read_events("attempt") if a["route"] == CHAT]
    assert attempt["error_kind"] == "timeout"


def test_call_ids_are_uuid4_shaped_unique_and_cost_no_system_call(provider, monkeypatch):
    # one id per request on the gateway's hot path: drawn from the telemetry id generator,
    # not uuid.uuid4() (an os.urandom system call per call, ~3% of a gateway request's CPU)
    import uuid

    def no_urandom() -> uuid.UUID:
        raise AssertionError("uuid4 called on the request path")

    monkeypatch.setattr(uuid, "uuid4", no_urandom)
    client = make_client(provider)
    for i in range(3):
        client.chat([{"role": "user", "content": f"Summarise: note {i} of the call id test."}], model=CHAT)
    ids = [e["call_id"] for e in read_events("call")]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(len(i) == 32 and i[12] == "4" and i[16] in "89ab" for i in ids)
