"""The PII detector's memo of clean texts changes what is scanned, never what is sent.

``labkit.controls.pii.detect`` remembers, per process, texts in which it found nothing (system
prompts and earlier turns repeat on every request); these tests hold it to giving the same
redaction as a cold scan, to never keeping a text with PII, and to staying bounded.
"""

from __future__ import annotations

import pytest

from labkit.controls import pii
from labkit.controls.pii import redact_messages
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


@pytest.fixture
def cold(monkeypatch):
    """An empty memo for the test (the process-wide one is left as it was)."""
    monkeypatch.setattr(pii, "_CLEAN", {})
    return pii


@pytest.mark.parametrize("messages", CASES)
def test_the_memo_gives_what_a_cold_scan_gives(cold, messages):
    expected = redact_messages(messages)
    for _ in range(3):  # warm: the same messages and the same placeholder mapping
        assert redact_messages(messages) == expected


def test_only_clean_texts_are_remembered_as_text_and_the_memo_is_bounded(cold, monkeypatch):
    monkeypatch.setattr(pii, "_CLEAN_MAX", 8)
    monkeypatch.setattr(pii, "_CLEAN_MAX_CHARS", 60)
    redact_messages(CASES[2])
    assert SYSTEM["content"] in pii._CLEAN
    assert "Mail jane.doe@example.com" not in pii._CLEAN  # held PII: kept by its spans only (below)
    assert "sent to jane.doe@example.com" not in pii._CLEAN
    assert not any(isinstance(k, str) and "jane" in k for k in pii._CLEAN)
    redact_messages([{"role": "user", "content": "x" * 61}])
    assert "x" * 61 not in pii._CLEAN  # too long to keep
    monkeypatch.setattr(pii, "_CLEAN_MAX", 3)
    for i in range(5):
        redact_messages([{"role": "user", "content": f"plain text {i}"}])
    assert len(pii._CLEAN) <= 3


def test_the_client_scans_a_repeated_system_prompt_once_and_still_redacts(cold, provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    try:
        for i in range(2):
            provider.clear_log()
            client.chat([SYSTEM, {"role": "user", "content": f"Summarise: mail jane.doe@example.com ({i})"}],
                        use_cache=False)
            sent = str(provider.request_log())
            assert "jane.doe@example.com" not in sent and "<EMAIL_1>" in sent
        assert SYSTEM["content"] in pii._CLEAN
    finally:
        client.close()


def test_a_clean_text_with_nothing_known_is_returned_without_the_replacement_steps(cold, monkeypatch):
    # issue 17: the fast path of redact(); with nothing found and an empty mapping the text goes out as is
    def boom(*_args, **_kwargs):
        raise AssertionError("the replacement steps ran for a clean text")

    monkeypatch.setattr(pii, "_propagate", boom)
    r = pii.redact(SYSTEM["content"], {})
    assert (r.text, r.mapping, r.findings) == (SYSTEM["content"], {}, [])
    assert pii.redact(SYSTEM["content"]).text == SYSTEM["content"]  # mapping=None too


def test_a_clean_text_still_gets_the_values_known_from_earlier_messages(cold):
    # the fast path needs an empty mapping: a value found in an earlier message is replaced here too,
    # although the detector finds nothing in this text on its own
    mapping: dict[str, str] = {}
    first = pii.redact("Mr. Ottokar Wendelin called about the order.", mapping)
    assert "<NAME_1>" in first.text, first.text
    later = pii.redact("Wendelin will call back tomorrow.", mapping)
    assert pii.detect("Wendelin will call back tomorrow.") == []
    assert later.text == "<NAME_2> will call back tomorrow."
    assert mapping == {"<NAME_1>": "Ottokar Wendelin", "<NAME_2>": "Wendelin"}


@pytest.mark.parametrize("messages", CASES)
def test_the_fast_path_gives_what_the_full_steps_give(cold, monkeypatch, messages):
    fast = redact_messages(messages)
    monkeypatch.setattr(pii, "_CLEAN", {})
    real_detect = pii.detect

    def detect_then_full(text):  # a finding list that is empty but not falsy-shortcut: the full steps
        return _NotEmptyLooking(real_detect(text))

    monkeypatch.setattr(pii, "detect", detect_then_full)
    assert redact_messages(messages) == fast


class _NotEmptyLooking(list):
    """A list of findings that is truthy even when empty: makes redact() take its full steps."""

    def __bool__(self) -> bool:
        return True


DIRTY = "Please ask Marta Kowalczyk about it, or mail marta.k@example.com."


def test_a_text_with_findings_is_answered_by_its_spans_the_second_time(cold, monkeypatch):
    # issue 17: a chat's earlier turn with PII in it is scanned once, not on every request
    first = pii.detect(DIRTY)
    assert {f.type for f in first} == {"NAME", "EMAIL"}
    scans = []
    real_scan = pii._scan
    monkeypatch.setattr(pii, "_scan", lambda text: scans.append(text) or real_scan(text))
    assert pii.detect(DIRTY) == first
    assert scans == []  # from the memo
    other = DIRTY.replace("Marta", "Maria")  # another text (same length): scanned, its own findings
    assert next(f.text for f in pii.detect(other)) == "Maria Kowalczyk" and scans == [other]


def test_the_memo_of_findings_keeps_neither_the_text_nor_its_values(cold):
    pii.detect(DIRTY)
    assert DIRTY not in pii._CLEAN
    keys = [k for k in pii._CLEAN if not isinstance(k, str)]
    assert len(keys) == 1 and isinstance(keys[0], bytes) and len(keys[0]) == 16
    assert all(isinstance(t, str) and t in pii.ENTITY_TYPES and isinstance(s, int) and isinstance(e, int)
               for t, s, e in pii._CLEAN[keys[0]])
    held = repr(list(pii._CLEAN.items()))
    assert "Marta" not in held and "example.com" not in held
    # the key is a keyed hash: not the text's plain BLAKE2b digest
    import hashlib
    assert keys[0] != hashlib.blake2b(DIRTY.encode(), digest_size=16).digest()


def test_the_memo_of_findings_is_bounded_with_the_clean_texts(cold, monkeypatch):
    monkeypatch.setattr(pii, "_CLEAN_MAX", 3)
    for i in range(7):
        pii.detect(f"mail jane{i}@example.com")
        pii.detect(f"plain text {i}")
    assert len(pii._CLEAN) <= 3
    monkeypatch.setattr(pii, "_CLEAN_MAX_CHARS", 20)
    pii._CLEAN.clear()
    long_dirty = "x" * 10 + " mail jane@example.com"
    assert [f.type for f in pii.detect(long_dirty)] == ["EMAIL"] and len(pii._CLEAN) == 0  # too long to keep


def test_a_conversation_redacts_the_same_with_its_earlier_turns_remembered(cold):
    turns = [SYSTEM, {"role": "user", "content": DIRTY},
             {"role": "assistant", "content": "I will ask Marta Kowalczyk."},
             {"role": "user", "content": "Also call +44 20 7946 0958 and tell Marta."}]
    cold_result = redact_messages(turns)
    for _ in range(3):  # each later request resends the same turns: answered from the memo
        assert redact_messages(turns) == cold_result
    assert sum(1 for k in pii._CLEAN if isinstance(k, bytes)) >= 2
