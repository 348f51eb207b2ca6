"""The digit-count gates in front of the number finders (``labkit.controls.pii._digits_in``).

A card needs 12 digits, a phone number 7, a national id (codice fiscale aside) 6, an IPv4
address 4 digits and 3 dots: a text with fewer skips those scans (issue 17: PII detection was the
gateway's largest control cost). A gate may only save time, never a finding, so each boundary
case sits exactly at its threshold, and the whole public and lab PII sets are scanned with the
gates open and shut and must give the same findings.
"""

from __future__ import annotations

import json
import re

import pytest

from labkit.controls import pii
from labkit.controls.pii_public import build_fresh4_cases
from labkit.settings import datasets_dir


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Maestro card: 5018 0000 0009", "CARD", "5018 0000 0009"),           # 12 digits, the shortest card
    ("Mobile: 5550100", "PHONE", "5550100"),                                # 7 digits, the shortest phone
    ("Her insurance record: AB 12 34 56 C", "NATIONAL_ID", "AB 12 34 56 C"),  # 6 digits
    ("On file: AB 12 34 56 C", "NATIONAL_ID", "AB 12 34 56 C"),            # 6 digits, no cue
    ("CF: RSSMRA85T10A562S", "NATIONAL_ID", "RSSMRA85T10A562S"),            # a codice fiscale: 7 digits
    ("Server at abcd::ef today", "IP", "abcd::ef"),                         # IPv6 with no digit at all
    ("Reach it at 10.0.0.1", "IP", "10.0.0.1"),                             # 4 digits, 3 dots
    ("BORN 12.03.1980 in Leeds", "DOB", "12.03.1980"),                      # the DOB cue in capitals
])
def test_a_value_at_its_gates_threshold_is_still_found(text: str, kind: str, value: str) -> None:
    pii._CLEAN.clear()
    assert [(f.type, f.text) for f in pii.detect(text)] == [(kind, value)]


def _texts() -> list[str]:
    texts = [c["text"] for c in build_fresh4_cases() if isinstance(c.get("text"), str)]
    with open(datasets_dir() / "eval" / "pii_cases.jsonl", encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def test_the_gates_change_no_finding_on_the_pii_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts()
    assert len(texts) > 1000

    def findings() -> list[list[tuple[str, int, int]]]:
        pii._CLEAN.clear()
        return [[(f.type, f.start, f.end) for f in pii.detect(t)] for t in texts]

    gated = findings()
    monkeypatch.setattr(pii, "_digits_in", lambda text: 10**6)  # every digit gate open
    assert findings() == gated


# --- the capitals gate in front of the name finder (pii._capitals_matter) ---------------------

@pytest.mark.parametrize(("text", "names"), [
    ("name: Mai nishino", ["Mai"]),                       # after a label, an everyday word is a name
    ("Troy met Frau Lindqvist.", ["Troy", "Lindqvist"]),  # a first name opening the text
    ("Best regards,\nAnna Tran", ["Anna Tran"]),          # a signature after a salutation
])
def test_a_name_behind_the_capitals_gate_is_still_found(text: str, names: list[str]) -> None:
    pii._CLEAN.clear()
    assert pii._capitals_matter(text)
    assert [f.text for f in pii.detect(text) if f.type == "NAME"] == names


@pytest.mark.parametrize("text", [
    "Labels: billing, technical, account\nMy invoice shows a double charge. (#41)",
    "Please summarise the ticket. The customer wants a refund!",
])
def test_everyday_sentence_openers_close_the_gate(text: str) -> None:
    assert not pii._capitals_matter(text)


@pytest.mark.parametrize("text", [
    "Regards,\nMy",           # a line after a salutation
    "Name:\nMay",             # a line after a label
    "Hello. Mr Young left.",  # a title opens the sentence
    "The ID is wrong",        # an acronym
    "see J. Smith",           # an initial
])
def test_capitals_that_may_be_names_open_the_gate(text: str) -> None:
    assert pii._capitals_matter(text)


def _variants(texts: list[str]) -> list[str]:
    """Each text as written, lower-cased but its first letter, and with every sentence opened by
    a capital (the shapes where only sentence openers are capitalised)."""
    def sentence_case(t: str) -> str:
        return re.sub(r"(^|[.!?\n:]\s*)(\w)", lambda m: m.group(1) + m.group(2).upper(), t.lower())
    return texts + [t[:1] + t[1:].lower() for t in texts] + [sentence_case(t) for t in texts]


def test_the_capitals_gate_changes_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _variants(_texts())

    def findings() -> list[list[tuple[str, int, int]]]:
        pii._CLEAN.clear()
        return [[(f.type, f.start, f.end) for f in pii.detect(t)] for t in texts]

    gated = findings()
    closed = sum(not pii._capitals_matter(t) for t in texts)
    assert closed > 500  # the gate does close on many of them
    monkeypatch.setattr(pii, "_capitals_matter", lambda text: True)
    assert findings() == gated
