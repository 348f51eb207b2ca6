"""The cost ledger reconciles exactly with the provider's request log after a mixed workload:
plain calls, retries, fallbacks, context-length failover, streams (whole, failed over and
interrupted), cache hits, embeddings and validation repairs."""

from __future__ import annotations

from collections import defaultdict

import pytest
from pydantic import BaseModel, Field

from labkit.controls.retry import RetryPolicy
from labkit.direct import ClientConfig, ResilientClient
from labkit.errors import StreamInterrupted

CHAT, MINI = "lab-chat-2026-01", "lab-mini-2026-03"


class Strict(BaseModel):
    code: str = Field(pattern=r"^NEVER$")


def test_ledger_matches_provider_log_exactly(provider):
    client = ResilientClient(ClientConfig(
        base_url=provider.base_url, retry=RetryPolicy(max_attempts=3, base_s=0.01),
        timeouts={"connect_s": 1, "deadline_s": 10, "ttft_s": 1, "idle_s": 0.5},
        breaker={"min_volume": 100}))  # keep every route in play for this workload

    def ask(text: str) -> list[dict]:
        return [{"role": "user", "content": f"Summarise: {text} The ledger must add up. Costs are real."}]

    client.chat(ask("plain"), model=CHAT)
    client.chat(ask("plain"), model=CHAT)                                    # cache hit
    client.chat(ask("retried"), model=CHAT, extra_headers={"X-Lab-Fault": "status=503;times=2"})
    client.chat(ask("context"), model=CHAT, extra_headers={"X-Lab-Fault": "context_length;times=1"})
    "".join(client.stream_chat(ask("streamed"), model=MINI))
    "".join(client.stream_chat(ask("streamed"), model=MINI))               # cache hit (stream)
    client.embed([f"text {i}" for i in range(7)], batch_size=3)
    client.chat([{"role": "user", "content": "Extract.\nCode: ABC"}], model=MINI, output_model=Strict,
                pattern="jobs")                                              # two billed attempts + fallback
    provider.set_fault(CHAT, "status=500")
    client.chat(ask("fallback"), model=CHAT, use_cache=False)               # 3 failed, then mini
    provider.set_fault(CHAT, "cut=0")
    "".join(client.stream_chat(ask("cut early"), model=CHAT, use_cache=False))  # fails over to mini
    provider.set_fault(CHAT, "cut=2")
    with pytest.raises(StreamInterrupted):
        "".join(client.stream_chat(ask("cut late"), model=CHAT, use_cache=False))
    provider.clear_faults()

    log = provider.request_log()
    billed_log = [e for e in log if e["status"] == 200 and not e.get("error")]
    rows = client.ledger.rows()
    billed_rows = [r for r in rows if r["billed"]]

    assert len(billed_rows) == len(billed_log)
    assert round(sum(r["cost"] for r in billed_rows), 8) == round(sum(e["cost"] for e in billed_log), 8)
    by_model_ledger: dict[str, float] = defaultdict(float)
    by_model_log: dict[str, float] = defaultdict(float)
    for r in billed_rows:
        by_model_ledger[r["model_served"]] += r["cost"]
    for e in billed_log:
        by_model_log[e["model_served"]] += e["cost"]
    assert {m: round(v, 8) for m, v in by_model_ledger.items()} == {m: round(v, 8) for m, v in by_model_log.items()}
    # the failures were recorded, unbilled
    kinds = defaultdict(int)
    for r in rows:
        kinds[r["kind"]] += 1
    assert kinds["cache_hit"] == 2 and kinds["failed_attempt"] >= 6
    assert all(r["cost"] == 0 for r in rows if not r["billed"])
    # and the workload really exercised failures the provider saw
    assert sum(1 for e in log if e["status"] != 200 or e.get("error")) >= 6
