"""The gateway over HTTP with the official openai SDK: the same controls, no code changes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
from helpers import free_port

from labkit.direct.gateway import GatewayConfig, serve_in_thread

CHAT, MINI = "lab-chat-2026-01", "lab-mini-2026-03"
ASK = [{"role": "user", "content": "Summarise: The gateway adds controls. Clients need no changes. "
                                   "Every call is logged."}]


@pytest.fixture
def gateway(provider):
    config = GatewayConfig.load(None, upstream=provider.base_url,
                                retry={"max_attempts": 3, "base_s": 0.01},
                                # hang guards, not speed tests: a 1 s first-token limit timed
                                # out on a loaded machine (the provider answers in ~1 ms when idle)
                                timeouts={"connect_s": 2, "deadline_s": 20, "ttft_s": 5, "idle_s": 2},
                                breaker={"min_volume": 3, "open_s": 30})
    with serve_in_thread(config) as running:
        yield running


def sdk(gw, key: str = "caller-key") -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.base_url, api_key=key, max_retries=0)


def chat_log(provider) -> list[dict]:
    return [e for e in provider.request_log() if e["endpoint"] == "chat"]


def test_chat_through_the_gateway_with_labkit_headers(provider, gateway):
    raw = sdk(gateway).chat.completions.with_raw_response.create(model=CHAT, messages=ASK, temperature=0)
    r = raw.parse()
    assert r.choices[0].message.content and r.model == CHAT
    assert r.usage.prompt_tokens > 0 and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert raw.headers["x-labkit-status"] == "ok" and raw.headers["x-labkit-attempts"] == "1"
    assert float(raw.headers["x-labkit-cost"]) == chat_log(provider)[0]["cost"]


def test_retries_and_cache_through_the_gateway(provider, gateway):
    client = sdk(gateway)
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT, messages=ASK, temperature=0, extra_headers={"X-Lab-Fault": "status=503;times=2"})
    assert raw.headers["x-labkit-attempts"] == "3"
    assert [e["status"] for e in chat_log(provider)] == [503, 503, 200]
    again = client.chat.completions.with_raw_response.create(model=CHAT, messages=ASK, temperature=0)
    assert again.headers["x-labkit-cache"] == "hit" and len(chat_log(provider)) == 3


def test_retry_after_and_no_retry_on_400_through_the_gateway(provider, gateway):
    client = sdk(gateway)
    client.chat.completions.create(model=CHAT, messages=ASK,
                                   extra_headers={"X-Lab-Fault": "status=429;retry_after=0.3;times=1"})
    first, second = chat_log(provider)
    assert (first["status"], second["status"]) == (429, 200) and second["time"] - first["time"] >= 0.3
    provider.clear_log()
    # a content-policy 400 is neither retried nor routed to another model (issue 17)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=CHAT, messages=ASK,
                                       extra_headers={"X-Lab-Fault": "content_policy;times=1"})
    assert refused.value.code == "content_policy_violation"
    assert [(e["model_served"], e["status"]) for e in chat_log(provider)] == [(CHAT, 400)]


def test_fallback_and_breaker_through_the_gateway(provider, gateway):
    provider.set_fault(CHAT, "status=500")
    client = sdk(gateway)
    for _ in range(3):
        r = client.chat.completions.create(model=CHAT, messages=ASK, temperature=0.5)
        assert r.model == MINI  # the caller learns which model answered
    health = httpx.get(gateway.base_url.replace("/v1", "/healthz")).json()
    assert {b["route"]: b["state"] for b in health["breakers"]}[CHAT] == "open"
    before = len([e for e in chat_log(provider) if e["model_served"] == CHAT])
    client.chat.completions.create(model=CHAT, messages=ASK, temperature=0.5)
    assert len([e for e in chat_log(provider) if e["model_served"] == CHAT]) == before


def test_streaming_through_the_gateway(provider, gateway):
    stream = sdk(gateway).chat.completions.create(model=CHAT, messages=ASK, stream=True,
                                                  stream_options={"include_usage": True})
    text, usage, finish = "", None, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    assert text and finish == "stop" and usage.completion_tokens > 0


def test_stream_broken_after_output_is_an_error_for_the_sdk(provider, gateway):
    provider.set_fault(CHAT, "cut=3")
    stream = sdk(gateway).chat.completions.create(model=CHAT, messages=ASK, stream=True)
    received = []
    with pytest.raises(openai.APIError, match=r"interrupted|broke|cut"):
        for chunk in stream:
            received.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(received)


def test_stream_broken_before_output_fails_over_through_the_gateway(provider, gateway):
    provider.set_fault(CHAT, "cut=0")
    stream = sdk(gateway).chat.completions.create(model=CHAT, messages=ASK, stream=True)
    chunks = list(stream)
    assert "".join(c.delta.content or "" for ch in chunks for c in ch.choices)
    assert chunks[-1].model == MINI


def test_no_pii_reaches_the_provider_through_the_gateway(provider, gateway):
    text = "Summarise: Mail jane.doe@example.com about IBAN GB82 WEST 1234 5698 7654 32 today."
    r = sdk(gateway).chat.completions.create(model=CHAT, messages=[{"role": "user", "content": text}])
    log = chat_log(provider)
    assert log and not any(e["pii_seen"] for e in log)
    assert "<EMAIL_" not in (r.choices[0].message.content or "")


def test_budget_and_gateway_keys(provider, tmp_path: Path):
    cfg = tmp_path / "gateway.yaml"
    cfg.write_text(f"""
upstream: {provider.base_url}
keys: {{team-a-token: team-a, team-b-token: team-b}}
budget:
  per_key_usd: {{team-a: 0.0}}
fallbacks:
  "*": [{MINI}]
""")
    with serve_in_thread(GatewayConfig.load(cfg)) as gw:
        with pytest.raises(openai.AuthenticationError):
            sdk(gw, "stolen").chat.completions.create(model=CHAT, messages=ASK)
        with pytest.raises(openai.RateLimitError, match="team-a"):
            sdk(gw, "team-a-token").chat.completions.create(model=CHAT, messages=ASK)
        assert sdk(gw, "team-b-token").chat.completions.create(model=CHAT, messages=ASK).choices
        assert len(chat_log(provider)) == 1


def test_embeddings_models_and_metrics(provider, gateway):
    client = sdk(gateway)
    emb = client.embeddings.create(model="lab-embed-2026-01", input=["refund policy", "leave policy"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 256
    assert CHAT in [m.id for m in client.models.list()]
    client.chat.completions.create(model=CHAT, messages=ASK)
    metrics = httpx.get(gateway.base_url.replace("/v1", "/metrics")).text
    assert 'labkit_model_calls_total{model="lab-chat-2026-01",pattern="direct",status="ok"} 1.0' in metrics
    assert 'labkit_breaker_state{route="lab-chat-2026-01"} 0.0' in metrics


def test_bad_requests_get_openai_shaped_errors(gateway):
    client = sdk(gateway)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT, messages=[])
    r = httpx.post(gateway.base_url + "/chat/completions", content=b"{not json",
                   headers={"authorization": "Bearer k"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_gateway_serve_command(provider, tmp_path: Path):
    port = free_port()
    cfg = tmp_path / "gw.yaml"
    cfg.write_text('fallbacks:\n  "*": [lab-mini-2026-03]\ntimeouts: {deadline_s: 5}\n')
    env = {**os.environ, "LABKIT_VAR": str(tmp_path / "var")}
    proc = subprocess.Popen([sys.executable, "-m", "labkit.cli", "gateway", "serve", "--upstream",
                             provider.base_url, "--port", str(port), "--config", str(cfg)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}/v1"
        for _ in range(200):
            try:
                httpx.get(base.replace("/v1", "/healthz"), timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        r = openai.OpenAI(base_url=base, api_key="k").chat.completions.create(model=CHAT, messages=ASK)
        assert r.choices[0].message.content
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "labkit.cli", "gateway", "serve", "--config",
                          str(tmp_path / "missing.yaml")], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: cannot read gateway config")


def test_json_schema_responses_are_validated_with_one_repair(provider, gateway):
    import json as _json

    text = "Extract the invoice.\nInvoice number: INV-0042\nTotal: 120.50"
    good = {"type": "object", "required": ["invoice_number", "total"],
            "properties": {"invoice_number": {"type": "string"}, "total": {"type": "number"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "invoice", "schema": good}}
    r = sdk(gateway).chat.completions.create(model=CHAT, messages=[{"role": "user", "content": text}],
                                             response_format=fmt)
    assert _json.loads(r.choices[0].message.content)["invoice_number"] == "INV-0042"
    strict = {**good, "properties": {**good["properties"],
                                         "invoice_number": {"type": "string", "pattern": "^NEVER$"}}}
    provider.clear_log()
    raw = sdk(gateway).chat.completions.with_raw_response.create(
        model=CHAT, messages=[{"role": "user", "content": text + " (again)"}],
        response_format={"type": "json_schema", "json_schema": {"name": "invoice", "schema": strict}})
    # the mock's first answer breaks the pattern; the repair turn carries the errors and schema
    assert raw.headers["x-labkit-status"] == "ok" and raw.headers["x-labkit-validation"] == "repaired"
    assert _json.loads(raw.parse().choices[0].message.content)["invoice_number"] == "NEVER"
    first, second = chat_log(provider)
    assert first["model_served"] == second["model_served"] == CHAT
    assert "did not validate" in second["prompt_text"]


def test_the_gateway_takes_one_key_and_bills_the_key_it_authenticated(provider):
    from labkit.controls.budget import CostLedger

    config = GatewayConfig.load(None, upstream=provider.base_url,
                                keys={"key-alice": "alice", "key-bob": "bob"})
    body = {"model": CHAT, "messages": ASK}
    with serve_in_thread(config) as gw:
        url = gw.base_url + "/chat/completions"
        for headers in ([("Authorization", "Bearer key-alice"), ("Authorization", "Bearer key-bob")],
                        [("Authorization", "Bearer key-alice"), ("X-API-Key", "key-bob")],
                        [("X-API-Key", "key-alice"), ("X-API-Key", "key-bob")],
                        [("Authorization", "key-alice")]):
            r = httpx.post(url, json=body, headers=headers)
            assert r.status_code == 401, (headers, r.text)
            assert r.json()["error"]["code"] == "invalid_api_key", r.text
            r = httpx.get(gw.base_url + "/models", headers=headers)
            assert r.status_code == 401, (headers, r.text)
        assert httpx.get(gw.base_url + "/models").status_code == 401  # keys configured: one is needed
        r = httpx.post(url, json=body, headers=[("X-API-Key", "key-bob")])
        assert r.status_code == 200, r.text
    assert [row["key"] for row in CostLedger().rows(kind="completion")] == ["bob"]
    assert len(chat_log(provider)) == 1  # the refused requests never reached the provider


def test_a_redacting_gateway_loads_the_pii_word_lists_before_serving():
    """The detector's lists (about 2 s of CPU) load before the first request, not in the first
    callers' latency (behind an unlocked cache, 50 users once got 8 requests/s for seconds)."""
    import subprocess
    import sys

    probe = ("from labkit.direct.gateway import GatewayConfig, create_app\n"
             "from labkit.controls import pii_names\n"
             "create_app(GatewayConfig(upstream='http://127.0.0.1:9/v1'))\n"
             "print(pii_names._gazetteer.cache_info().currsize, pii_names._european_words.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["1", "1"]
