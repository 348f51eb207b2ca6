"""Error shapes and status codes, and bad input of every kind answered cleanly."""

from __future__ import annotations

import socket

import httpx
import openai
import pytest
from openai import OpenAI

from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread

AUTH = {"Authorization": "Bearer lab-key"}
GOOD = {"model": "lab-chat", "messages": [{"role": "user", "content": "hi"}]}


def assert_openai_error(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["message"] and "Traceback" not in err["message"]
    if code:
        assert err["code"] == code
    return err


def healthy(p) -> bool:
    r = httpx.post(p.base_url + "/chat/completions", headers=AUTH, json=GOOD)
    return r.status_code == 200


def test_missing_and_invalid_keys() -> None:
    with serve_in_thread(ProviderConfig(api_keys=["good-key"])) as p:
        r = httpx.post(p.base_url + "/chat/completions", json=GOOD)
        assert_openai_error(r, 401, "missing_api_key")
        with pytest.raises(openai.AuthenticationError) as info:
            OpenAI(base_url=p.base_url, api_key="wrong-key-123", max_retries=0).chat.completions.create(**GOOD)
        assert info.value.code == "invalid_api_key"
        assert "wrong-key-123" not in info.value.message  # the key is masked
        assert OpenAI(base_url=p.base_url, api_key="good-key").chat.completions.create(**GOOD).choices
        log = p.request_log()
        assert [e["status"] for e in log] == [401, 401, 200]


def test_any_non_empty_key_by_default(provider) -> None:
    r = httpx.post(provider.base_url + "/chat/completions", headers={"Authorization": "Bearer x"}, json=GOOD)
    assert r.status_code == 200
    r = httpx.post(provider.base_url + "/chat/completions", headers={"Authorization": "Basic"}, json=GOOD)
    assert_openai_error(r, 401)


def test_unknown_model_404(provider) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        OpenAI(base_url=provider.base_url, api_key="k").chat.completions.create(
            model="gpt-nope", messages=GOOD["messages"])
    assert info.value.code == "model_not_found"
    r = httpx.post(provider.base_url + "/embeddings", headers=AUTH, json={"model": "nope", "input": "x"})
    assert_openai_error(r, 404, "model_not_found")
    r = httpx.get(provider.base_url + "/models/nope", headers=AUTH)
    assert_openai_error(r, 404, "model_not_found")


BAD_BODIES = [
    b"not json",
    b"{",
    b"[1, 2]",
    b'"a string"',
    b"{}",
    b'{"model": 5, "messages": []}',
    b'{"model": "lab-chat"}',
    b'{"model": "lab-chat", "messages": []}',
    b'{"model": "lab-chat", "messages": "hi"}',
    b'{"model": "lab-chat", "messages": [1]}',
    b'{"model": "lab-chat", "messages": [{"role": "wizard", "content": "x"}]}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": 5}]}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": [1, 2]}]}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "temperature": 9}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "tools": {"a": 1}}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "tool_choice": "maybe"}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "response_format": "json"}',
    b'{"model": "lab-chat", "messages": [{"role": "user", "content": "x"}], "stream_options": 3}',
    b'{"model": "lab-chat", "messages": [{"role": "assistant", "tool_calls": "x"}]}',
    b'{"model": "lab-embed-2026-01", "messages": [{"role": "user", "content": "x"}]}',
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_bad_chat_bodies_are_400(provider, raw: bytes) -> None:
    r = httpx.post(provider.base_url + "/chat/completions", headers={**AUTH, "content-type": "application/json"},
                   content=raw)
    assert_openai_error(r, 400)
    assert healthy(provider)


BAD_EMBED = [
    {"model": "lab-embed"},
    {"model": "lab-embed", "input": ""},
    {"model": "lab-embed", "input": []},
    {"model": "lab-embed", "input": [""]},
    {"model": "lab-embed", "input": [{"a": 1}]},
    {"model": "lab-embed", "input": "x", "dimensions": 9999},
    {"model": "lab-embed", "input": "x", "dimensions": "big"},
    {"model": "lab-embed", "input": "x", "encoding_format": "hex"},
    {"model": "lab-chat", "input": "x"},
    {"input": "x"},
]


@pytest.mark.parametrize("body", BAD_EMBED)
def test_bad_embedding_bodies_are_400(provider, body: dict) -> None:
    r = httpx.post(provider.base_url + "/embeddings", headers=AUTH, json=body)
    assert_openai_error(r, 400)


def test_token_array_embeddings_accepted(provider) -> None:
    r = httpx.post(provider.base_url + "/embeddings", headers=AUTH, json={"model": "lab-embed", "input": [[1, 2, 3]]})
    assert r.status_code == 200 and len(r.json()["data"][0]["embedding"]) == 256


def test_body_too_large_413() -> None:
    with serve_in_thread(ProviderConfig(max_body_bytes=4096)) as p:
        big = {"model": "lab-chat", "messages": [{"role": "user", "content": "x" * 10_000}]}
        assert_openai_error(httpx.post(p.base_url + "/chat/completions", headers=AUTH, json=big), 413,
                            "request_too_large")

        def chunked():
            for _ in range(10):
                yield b"x" * 1000

        r = httpx.post(p.base_url + "/chat/completions", headers=AUTH, content=chunked())
        assert_openai_error(r, 413)
        assert healthy(p)


def test_bad_fault_header_is_400(provider) -> None:
    r = httpx.post(provider.base_url + "/chat/completions", headers={**AUTH, "X-Lab-Fault": "explode=1"}, json=GOOD)
    err = assert_openai_error(r, 400)
    assert err["param"] == "X-Lab-Fault" and "explode" in err["message"]
    r = httpx.post(provider.base_url + "/chat/completions", headers={**AUTH, "X-Lab-Fault": "status=abc"}, json=GOOD)
    assert_openai_error(r, 400)


def test_unknown_path_and_method(provider) -> None:
    assert_openai_error(httpx.get(provider.url + "/v1/nothing", headers=AUTH), 404)
    assert httpx.get(provider.base_url + "/chat/completions", headers=AUTH).status_code == 405


def test_raw_garbage_on_socket_does_not_kill_server(provider) -> None:
    for payload in (b"GARBAGE\r\n\r\n", b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 99\r\n\r\n{",
                    b"\x00\x01\x02" * 100):
        with socket.create_connection(("127.0.0.1", provider.port), timeout=2) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            try:
                sock.recv(1024)
            except OSError:
                pass
    assert healthy(provider)


def test_request_log_admin_path_and_file(tmp_path) -> None:
    path = tmp_path / "requests.jsonl"
    with serve_in_thread(ProviderConfig(request_log_path=str(path))) as p:
        httpx.post(p.base_url + "/chat/completions", headers=AUTH, json=GOOD)
        httpx.post(p.base_url + "/chat/completions", headers=AUTH, json={"model": "nope", "messages": GOOD["messages"]})
        data = httpx.get(p.url + "/lab/requests").json()["data"]
        assert [e["status"] for e in data] == [200, 404]
        since = httpx.get(p.url + "/lab/requests", params={"since": data[0]["seq"]}).json()["data"]
        assert len(since) == 1
        httpx.delete(p.url + "/lab/requests")
        assert p.request_log() == []
    lines = path.read_text().splitlines()
    assert len(lines) == 2


def test_config_errors_are_one_line(tmp_path) -> None:
    from labkit.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("rpm: -3\n")
    with pytest.raises(ConfigError, match="rpm"):
        ProviderConfig.load(bad)
    bad.write_text("faults:\n  lab-chat: 'status=abc'\n")
    with pytest.raises(ConfigError, match="status"):
        ProviderConfig.load(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        ProviderConfig.load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        ProviderConfig.load(tmp_path / "missing.yaml")
