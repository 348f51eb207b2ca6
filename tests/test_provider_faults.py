"""Every fault of the mock provider, observed from the client side (openai SDK sync and async)."""

from __future__ import annotations

import asyncio
import time

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread

MSG = [{"role": "user", "content": "Tell me about the lab in a few words please"}]


def client_for(p, **kw) -> OpenAI:
    kw.setdefault("max_retries", 0)
    return OpenAI(base_url=p.base_url, api_key="lab-key", **kw)


def chat(client: OpenAI, fault: str | None = None, **kw):
    headers = {"X-Lab-Fault": fault} if fault else None
    kw.setdefault("messages", MSG)
    kw.setdefault("model", "lab-chat")
    return client.chat.completions.create(extra_headers=headers, **kw)


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_status_faults(provider, status: int) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        chat(client_for(provider), f"status={status}")
    assert info.value.status_code == status
    body = info.value.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert provider.request_log()[-1]["fault"] == f"status={status}"


def test_times_makes_retries_succeed_and_log_counts_attempts(provider) -> None:
    client = client_for(provider, max_retries=2)
    r = chat(client, "status=503;times=2")
    assert r.choices[0].message.content
    log = provider.request_log()
    assert [e["status"] for e in log] == [503, 503, 200]
    assert all(e["key"] == "lab-key" for e in log)
    # the SDK backed off between attempts: the gaps are positive and measurable
    gaps = [b["t_mono"] - a["t_mono"] for a, b in zip(log, log[1:])]
    assert all(g > 0.1 for g in gaps)
    # the counter is per key and per exact spec: another key gets its own two failures
    other = OpenAI(base_url=provider.base_url, api_key="other-key", max_retries=0)
    with pytest.raises(openai.InternalServerError):
        chat(other, "status=503;times=2")


def test_429_retry_after_variants(provider) -> None:
    client = client_for(provider)
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, "status=429;retry_after=2")
    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.body["code"] == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, "status=429;retry_after_ms=150")
    assert info.value.response.headers["retry-after-ms"] == "150"
    assert "retry-after" not in info.value.response.headers
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, "status=429")
    assert "retry-after" not in info.value.response.headers
    assert "retry-after-ms" not in info.value.response.headers


def test_context_length_and_content_policy_faults(provider) -> None:
    client = client_for(provider)
    with pytest.raises(openai.BadRequestError) as info:
        chat(client, "context_length")
    assert info.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as info:
        chat(client, "content_policy")
    assert info.value.code == "content_policy_violation"


def test_real_context_window_enforced(provider) -> None:
    client = client_for(provider)
    long = "word " * 5000
    with pytest.raises(openai.BadRequestError) as info:
        chat(client, model="lab-mini", messages=[{"role": "user", "content": long}])
    assert info.value.code == "context_length_exceeded"
    assert chat(client, model="lab-large", messages=[{"role": "user", "content": long}]).model == "lab-large-2026-04"


def test_reset_before_headers(provider) -> None:
    with pytest.raises(openai.APIConnectionError):
        chat(client_for(provider), "reset")
    assert provider.request_log()[-1]["fault"] == "reset"
    assert chat(client_for(provider)).choices[0].message.content  # still up


def test_hang_times_out_client(provider) -> None:
    with pytest.raises(openai.APITimeoutError):
        chat(client_for(provider, timeout=0.5), "hang")
    assert provider.request_log()[-1]["fault"] == "hang"


def test_latency_distributions_delay_responses(provider) -> None:
    client = client_for(provider)
    t0 = time.perf_counter()
    chat(client, "latency=0.3")
    slow = time.perf_counter() - t0
    # lower bounds only (load can only add time): the caller and the provider both saw >= 0.3 s
    assert slow >= 0.3 and provider.request_log()[-1]["latency_ms"] >= 300
    for dist in ("normal:0.05:0.01", "lognormal:0.05:0.3", "fixed:0.05"):
        assert chat(client, f"latency={dist}").choices[0].message.content


def test_slow_first_token_and_inter_token_delay(provider) -> None:
    client = client_for(provider)
    t0 = time.perf_counter()
    stream = chat(client, "ttft=0.3;inter_token=0.02", stream=True)
    times, parts = [], []
    for chunk in stream:
        for c in chunk.choices:
            if c.delta.content:
                times.append(time.perf_counter() - t0)
                parts.append(c.delta.content)
    assert times[0] >= 0.3
    assert times[-1] - times[0] >= 0.02 * (len(times) - 1)


def test_stream_cut_mid_answer(provider) -> None:
    got = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError, httpx.ReadError)):
        for chunk in chat(client_for(provider), "cut=3", stream=True):
            got.extend(c.delta.content for c in chunk.choices if c.delta.content)
    assert 0 < len(got) <= 3
    assert provider.request_log()[-1]["error"] == "stream_cut"


def test_stream_stall_keeps_connection_open(provider) -> None:
    got = []
    with pytest.raises((httpx.ReadTimeout, openai.APITimeoutError)):
        for chunk in chat(client_for(provider, timeout=openai.Timeout(0.6)), "stall=2", stream=True):
            got.extend(c.delta.content for c in chunk.choices if c.delta.content)
    assert len(got) == 2


def test_malformed_chunk(provider) -> None:
    with pytest.raises(Exception) as info:
        for _ in chat(client_for(provider), "malformed=2", stream=True):
            pass
    assert "json" in type(info.value).__name__.lower() or "JSON" in str(info.value) or "Expecting" in str(info.value)


def test_stream_without_done(provider) -> None:
    with httpx.stream("POST", provider.base_url + "/chat/completions",
                      headers={"Authorization": "Bearer k", "X-Lab-Fault": "no_done"},
                      json={"model": "lab-chat", "stream": True, "messages": MSG}) as resp:
        lines = [line for line in resp.iter_lines() if line]
    assert lines and "[DONE]" not in lines[-1]
    assert '"finish_reason":"stop"' in lines[-1]


def test_model_down_then_recovers(provider) -> None:
    client = client_for(provider)
    with pytest.raises(openai.InternalServerError):
        chat(client, "down=0.6")
    with pytest.raises(openai.InternalServerError):
        chat(client, "down=0.6")
    time.sleep(0.7)
    assert chat(client, "down=0.6").choices[0].message.content


def test_error_rate_and_rate_are_partial() -> None:
    with serve_in_thread(ProviderConfig(seed=1)) as p:
        client = client_for(p)
        outcomes = []
        for _ in range(40):
            try:
                chat(client, "error_rate=503:0.5")
                outcomes.append(200)
            except openai.InternalServerError:
                outcomes.append(503)
        assert 8 <= outcomes.count(503) <= 32
        outcomes2 = []
        for _ in range(40):
            try:
                chat(client, "status=500;rate=0.25")
                outcomes2.append(200)
            except openai.InternalServerError:
                outcomes2.append(500)
        assert 2 <= outcomes2.count(500) <= 20


def test_config_file_faults_per_model(tmp_path) -> None:
    path = tmp_path / "provider.yaml"
    path.write_text("faults:\n  lab-mini: status=502\n  lab-chat-2026-01:\n    latency: 0.0\n    status: 503\n    times: 1\n")
    with serve_in_thread(ProviderConfig.load(path)) as p:
        client = client_for(p)
        with pytest.raises(openai.InternalServerError) as info:
            chat(client, model="lab-mini")
        assert info.value.status_code == 502
        with pytest.raises(openai.InternalServerError):
            chat(client, model="lab-chat")
        assert chat(client, model="lab-chat").model == "lab-chat-2026-01"
        # the header overrides the model's fault field by field
        with pytest.raises(openai.BadRequestError):
            chat(client, "content_policy;status=400", model="lab-mini")


def test_admin_faults_at_run_time(provider) -> None:
    client = client_for(provider)
    r = httpx.post(provider.url + "/lab/faults", json={"model": "lab-chat", "fault": "status=503;times=1"})
    assert r.status_code == 200 and r.json()["faults"]["lab-chat"] == "status=503;times=1"
    with pytest.raises(openai.InternalServerError):
        chat(client)
    assert chat(client).choices[0].message.content
    httpx.post(provider.url + "/lab/faults", json={"faults": {"*": "status=500"}})
    with pytest.raises(openai.InternalServerError):
        chat(client, model="lab-mini")
    assert httpx.delete(provider.url + "/lab/faults").json() == {"faults": {}}
    assert chat(client, model="lab-mini").choices[0].message.content
    assert httpx.post(provider.url + "/lab/faults", json={"model": "x", "fault": "bogus=1"}).status_code == 400
    provider.set_fault("lab-chat", "status=502;times=1")
    with pytest.raises(openai.InternalServerError):
        chat(client)
    provider.clear_faults()


def test_drift_by_request_count_and_admin_alias() -> None:
    with serve_in_thread(ProviderConfig(drift=[{"alias": "lab-chat", "after_requests": 2}])) as p:
        client = client_for(p)
        served = [chat(client).model for _ in range(4)]
        assert served == ["lab-chat-2026-01", "lab-chat-2026-01", "lab-chat-2026-06", "lab-chat-2026-06"]
    with serve_in_thread(ProviderConfig(drift=[{"alias": "lab-chat", "after_seconds": 0.3}])) as p:
        client = client_for(p)
        assert chat(client).model == "lab-chat-2026-01"
        time.sleep(0.35)
        assert chat(client).model == "lab-chat-2026-06"
    with serve_in_thread() as p:
        client = client_for(p)
        r = httpx.post(p.url + "/lab/alias", json={"alias": "lab-chat", "target": "lab-chat-2026-06"})
        assert r.json()["aliases"]["lab-chat"] == "lab-chat-2026-06"
        assert chat(client).model == "lab-chat-2026-06"
        assert httpx.post(p.url + "/lab/alias", json={"alias": "nope"}).status_code == 400


def test_realistic_latency_is_slower_than_none() -> None:
    from labkit.provider.catalog import MODELS, resolve

    # a lower bound per call (the catalogue's per-token time for the tokens it wrote), not a
    # ratio of two wall-clock runs, which a loaded machine can invert
    spec = resolve("lab-mini")
    assert spec.id in MODELS and spec.latency.per_token > 0
    with serve_in_thread(ProviderConfig(latency="realistic")) as p:
        client = client_for(p)
        for _ in range(3):
            chat(client, model="lab-mini")
        for entry in p.request_log():
            assert entry["latency_ms"] >= spec.latency.per_token * entry["tokens_out"] * 1000 > 0


def test_rate_limits_per_key_with_headers() -> None:
    with serve_in_thread(ProviderConfig(rpm=2)) as p:
        client = client_for(p)
        ok = client.chat.completions.with_raw_response.create(model="lab-chat", messages=MSG)
        assert ok.headers["x-ratelimit-limit-requests"] == "2"
        assert ok.headers["x-ratelimit-remaining-requests"] == "1"
        chat(client)
        with pytest.raises(openai.RateLimitError) as info:
            chat(client)
        h = info.value.response.headers
        assert int(h["retry-after"]) >= 1 and int(h["retry-after-ms"]) > 0
        assert h["x-ratelimit-remaining-requests"] == "0"
        assert info.value.code == "rate_limit_exceeded"
        # another key has its own window
        assert chat(OpenAI(base_url=p.base_url, api_key="k2", max_retries=0)).choices
    with serve_in_thread(ProviderConfig(tpm=60)) as p:
        client = client_for(p)
        chat(client)
        with pytest.raises(openai.RateLimitError) as info:
            chat(client, messages=[{"role": "user", "content": "word " * 80}])
        assert info.value.response.headers["x-ratelimit-limit-tokens"] == "60"


def test_forced_hallucination_header(provider) -> None:
    client = client_for(provider)
    q = [{"role": "user", "content": '<source id="D1">Offices open at 9.</source>\nQuestion: What is the parking fee?'}]
    assert chat(client, "hallucinate=0", messages=q).choices[0].message.content.startswith("I cannot answer")
    made_up = chat(client, "hallucinate", messages=q).choices[0].message.content
    assert not made_up.startswith("I cannot answer") and "[D1]" in made_up
    assert provider.request_log()[-1]["hallucinated"] is True


def test_async_client_observes_faults(provider) -> None:
    async def main() -> dict[str, str]:
        client = AsyncOpenAI(base_url=provider.base_url, api_key="k", max_retries=0, timeout=0.5)
        seen = {}
        for fault in ("status=503", "status=429;retry_after=1", "reset", "hang", "context_length"):
            try:
                await client.chat.completions.create(model="lab-chat", messages=MSG,
                                                     extra_headers={"X-Lab-Fault": fault})
                seen[fault] = "ok"
            except openai.APIError as exc:
                seen[fault] = type(exc).__name__
        try:
            async for _ in await client.chat.completions.create(
                    model="lab-chat", messages=MSG, stream=True, extra_headers={"X-Lab-Fault": "cut=2"}):
                pass
            seen["cut"] = "ok"
        except Exception as exc:  # httpx or openai connection error
            seen["cut"] = type(exc).__name__
        retrying = AsyncOpenAI(base_url=provider.base_url, api_key="k", max_retries=2)
        r = await retrying.chat.completions.create(model="lab-chat", messages=MSG,
                                                   extra_headers={"X-Lab-Fault": "status=502;times=2"})
        seen["retried"] = r.model
        await client.close()
        await retrying.close()
        return seen

    seen = asyncio.run(main())
    assert seen["status=503"] == "InternalServerError"
    assert seen["status=429;retry_after=1"] == "RateLimitError"
    assert seen["reset"] == "APIConnectionError"
    assert seen["hang"] == "APITimeoutError"
    assert seen["context_length"] == "BadRequestError"
    assert seen["cut"] != "ok"
    assert seen["retried"] == "lab-chat-2026-01"


def test_embeddings_faults(provider) -> None:
    client = client_for(provider)
    with pytest.raises(openai.InternalServerError):
        client.embeddings.create(model="lab-embed", input="x", extra_headers={"X-Lab-Fault": "status=503"})
    with pytest.raises(openai.APIConnectionError):
        client.embeddings.create(model="lab-embed", input="x", extra_headers={"X-Lab-Fault": "reset"})
    assert client.embeddings.create(model="lab-embed", input="x").data


# --- issue 12: a probability outside [0, 1] is refused wherever a fault is written ------------

@pytest.mark.parametrize("spec", ["error_rate=503:1.5", "error_rate=503:-0.1", "error_rate=503:nan",
                                  "error_rate=503:0.2,500:2", "rate=1.01", "rate=-1", "obey_injection=2",
                                  "hallucinate=-0.5", "hallucinate=nan"])
def test_a_probability_outside_0_1_is_refused(spec: str) -> None:
    from labkit.provider.faults import parse_fault

    with pytest.raises(ValueError, match="bad fault"):
        parse_fault(spec)


def test_out_of_range_error_rate_is_refused_by_header_admin_cli_and_config(provider, tmp_path) -> None:
    import subprocess
    import sys

    from labkit.errors import ConfigError

    r = httpx.post(provider.base_url + "/chat/completions", headers={"X-Lab-Fault": "error_rate=503:1.5",
                                                                       "Authorization": "Bearer k"},
                   json={"model": "lab-chat", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400, r.text
    r = httpx.post(provider.url + "/lab/faults", json={"model": "lab-chat", "fault": "error_rate=503:2"})
    assert 400 <= r.status_code < 500, r.text
    cli = subprocess.run([sys.executable, "-m", "labkit.cli", "provider", "serve", "--fault",
                          "lab-chat=error_rate=503:1.5"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and cli.stderr.startswith("error: --fault") and "Traceback" not in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1
    for text in ("faults:\n  lab-mini:\n    error_rates: {503: 1.5}\n", "faults:\n  lab-mini: error_rate=503:-1\n",
                 "hallucination_rate: 1.5\n", "injection_obedience: -0.1\n"):
        path = tmp_path / "provider.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError):
            ProviderConfig.load(path)
