"""The memo of clean texts changes what is scanned, never what is sent (issue 17, overhead)."""

from __future__ import annotations

import pytest

from labkit.controls.pii import redact_messages
from labkit.controls.redaction_memo import CleanTexts, redact_known
from labkit.direct import ClientConfig, ResilientClient

SYSTEM = {"role": "system", "content": "You are a helpful assistant for the billing team."}
CASES = [
    [SYSTEM, {"role": "user", "content": "My invoice shows a double charge."}],
    [SYSTEM, {"role": "user", "content": "Call me on +44 20 7946 0958 or mail jane.doe@example.com"}],
    [SYSTEM, {"role": "user", "content": "Mail jane.doe@example.com"},
     {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
         "name": "send_email", "arguments": '{"to": "jane.doe@example.com"}'}}]},
     {"role": "tool", "tool_call_id": "c1", "content": "sent to jane.doe@example.com"}],
    [SYSTEM, {"role": "user", "content": [{"type": "text", "text": "card 4111 1111 1111 1111"}]}],
    [{"role": "user", "content": "My invoice shows a double charge."}, SYSTEM],
]


@pytest.mark.parametrize("messages", CASES)
def test_the_memo_gives_what_redact_messages_gives(messages):
    memo = CleanTexts()
    expected = redact_messages(messages)
    for _ in range(3):  # cold, then warm: the same messages and the same placeholder mapping
        assert redact_known(messages, memo) == expected


def test_only_clean_plain_texts_are_remembered_and_the_memo_is_bounded():
    memo = CleanTexts(max_entries=3, max_chars=60)
    redact_known(CASES[2], memo)
    assert memo.known(SYSTEM["content"])
    assert not memo.known("Mail jane.doe@example.com")  # held PII: always scanned again
    assert not memo.known("sent to jane.doe@example.com")  # a tool result: never remembered
    redact_known([{"role": "user", "content": "x" * 61}], memo)
    assert not memo.known("x" * 61)  # too long to keep
    for i in range(5):
        redact_known([{"role": "user", "content": f"plain text {i}"}], memo)
    assert len(memo) <= 3


def test_the_client_scans_a_repeated_system_prompt_once_and_still_redacts(provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    try:
        for i in range(2):
            provider.clear_log()
            client.chat([SYSTEM, {"role": "user", "content": f"Summarise: mail jane.doe@example.com ({i})"}],
                        use_cache=False)
            sent = str(provider.request_log())
            assert "jane.doe@example.com" not in sent and "<EMAIL_1>" in sent
        assert client.clean_texts.known(SYSTEM["content"])
    finally:
        client.close()
