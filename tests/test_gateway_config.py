"""The gateway's config file: bad files are one-line errors, as the provider's are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from labkit.direct.gateway import GatewayConfig, serve_in_thread
from labkit.errors import ConfigError


def _serve(cfg: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labkit.cli", "gateway", "serve", "--upstream",
                           "http://127.0.0.1:9/v1", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "LABKIT_VAR": str(tmp_path / "var")})


def _assert_one_line(proc: subprocess.CompletedProcess[str], start: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith(start), proc.stderr


@pytest.mark.parametrize("text,unknown", [
    ("upstrem: http://127.0.0.1:8100/v1\n", "upstrem"),
    ("retry:\n  max_attemps: 3\n", "retry.max_attemps"),
    ("budget:\n  per_key_usd: {a: 1.0}\n  per_kye: 2\n", "budget.per_kye"),
])
def test_unknown_keys_are_refused(tmp_path: Path, text: str, unknown: str) -> None:
    cfg = tmp_path / "gateway.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=f"unknown key\\(s\\) {unknown}"):
        GatewayConfig.load(cfg)
    _assert_one_line(_serve(cfg, tmp_path), f"error: gateway config {cfg}: unknown key(s) {unknown}")


def test_known_keys_still_load(tmp_path: Path) -> None:
    cfg = tmp_path / "gateway.yaml"
    cfg.write_text('upstream: http://127.0.0.1:8100/v1\nkeys: {t: team}\nretry: {max_attempts: 2}\n'
                   'fallbacks:\n  "*": [lab-mini-2026-03]\ntimeouts: {deadline_s: 5}\n')
    config = GatewayConfig.load(cfg)
    assert config.base_url == "http://127.0.0.1:8100/v1" and config.retry.max_attempts == 2


def test_a_non_utf8_config_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "gateway.yaml"
    cfg.write_bytes("redact_pii: true\n# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        GatewayConfig.load(cfg)
    _assert_one_line(_serve(cfg, tmp_path), f"error: gateway config {cfg} is not UTF-8")


def test_a_config_built_in_code_forwards_to_its_upstream(provider) -> None:
    # reported bug: GatewayConfig(upstream=...) kept ClientConfig's default base_url (port 8100),
    # because only GatewayConfig.load copied upstream into base_url
    config = GatewayConfig(upstream=provider.base_url)
    assert config.base_url == provider.base_url
    with serve_in_thread(config) as gw:
        sdk = openai.OpenAI(base_url=gw.base_url, api_key="caller-key", max_retries=0)
        reply = sdk.chat.completions.create(model="lab-chat-2026-01",
                                            messages=[{"role": "user", "content": "Summarise: hi."}])
    assert reply.model == "lab-chat-2026-01"
    assert [e for e in provider.request_log() if e["endpoint"] == "chat"], "the provider saw no call"
