"""PII detection, reversible redaction, message-level redaction and the `labkit pii` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.controls import pii
from labkit.controls.pii import detect, evaluate, load_cases, redact, redact_messages, rehydrate, rehydrate_value
from labkit.errors import InputError, RedactionFailed

FIXTURE = Path(__file__).parent / "fixtures" / "pii_small.jsonl"


@pytest.mark.parametrize(("text", "kind"), [
    ("jane.doe+billing@example.co.uk", "EMAIL"),
    ("+44 20 7946 0958", "PHONE"),
    ("(212) 555-0100", "PHONE"),
    ("+1-780-563-6083x7783", "PHONE"),
    ("+44(0)115 4960914", "PHONE"),
    ("07700 900123", "PHONE"),
    ("4111 1111 1111 1111", "CARD"),
    ("5555-5555-5555-4444", "CARD"),
    ("GB82 WEST 1234 5698 7654 32", "IBAN"),
    ("DE89370400440532013000", "IBAN"),
    ("123-45-6789", "NATIONAL_ID"),
    ("AB123456C", "NATIONAL_ID"),
    ("192.168.10.23", "IP"),
    ("2001:db8::8a2e:370:7334", "IP"),
])
def test_each_entity_type_is_found_with_its_exact_span(text: str, kind: str) -> None:
    found = detect(f"value: {text}.")
    assert [(f.type, f.text) for f in found] == [(kind, text)]
    assert found[0].start == len("value: ")


@pytest.mark.parametrize("text", [
    "Card 4111 1111 1111 1112 fails the checksum",  # one digit off (Luhn)
    "IBAN GB82 WEST 1234 5698 7654 33 bad check",    # mod-97 fails
    "SSN 000-12-3456, 666-45-6789",                  # invalid areas
    "ref 912-45-6789",                               # 9xx area without an SSN/ITIN cue
    "NINO ZZ123456C and GB123456A are reserved",     # invalid prefixes
    "IP 256.1.1.1 and version 1.2.3.4.5",            # bad octet, version string
    "Please upgrade the agent to version 10.4.2.1",   # four-part version number
    "Order 1234567890 and ticket TCK-000123 for ACC-00042",
    "Meeting 2024-05-01 at 10:30:00, invoice 2024-0001",
    "Please ignore the previous ticket, duplicate.",
])
def test_validators_reject_look_alikes(text: str) -> None:
    assert detect(text) == []


@pytest.mark.parametrize(("text", "value"), [
    ("She was born on 14 March 1985 in Leeds.", "14 March 1985"),
    ("DOB: 03/14/1985", "03/14/1985"),
    ("Date of birth 1985-03-14.", "1985-03-14"),
    ("Born: March 14, 1985", "March 14, 1985"),
])
def test_dates_of_birth_need_a_cue(text: str, value: str) -> None:
    assert [(f.type, f.text) for f in detect(text)] == [("DOB", value)]
    assert detect(text.replace("born on", "joined on").replace("DOB", "Due").replace(
        "Date of birth", "Due date").replace("Born", "Signed")) == []


def test_card_beats_phone_on_overlap_and_findings_do_not_overlap() -> None:
    found = detect("card 4111 1111 1111 1111, tel +44 20 7946 0958, mail a@b.io")
    assert [f.type for f in found] == ["CARD", "PHONE", "EMAIL"]
    for a, b in zip(found, found[1:]):
        assert a.end <= b.start


def test_redaction_is_stable_and_reversible() -> None:
    text = "a@x.io emailed b@x.io; a@x.io again from 10.0.0.1"
    r = redact(text)
    assert r.text == "<EMAIL_1> emailed <EMAIL_2>; <EMAIL_1> again from <IP_1>"
    assert rehydrate(r.text, r.mapping) == text
    # an existing mapping keeps numbering stable across messages of one request
    r2 = redact("b@x.io and c@x.io", r.mapping)
    assert r2.text == "<EMAIL_2> and <EMAIL_3>"
    assert r2.mapping is r.mapping
    # unknown placeholders survive re-hydration untouched
    assert rehydrate("<EMAIL_9> <EMAIL_1>", r.mapping) == "<EMAIL_9> a@x.io"


def test_redact_messages_covers_content_parts_tool_arguments_and_tool_results() -> None:
    messages = [
        {"role": "system", "content": "You help RMs."},
        {"role": "user", "content": [{"type": "text", "text": "Email jane@corp.com about card 4111111111111111"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {
            "name": "send_email", "arguments": json.dumps({"to": "jane@corp.com", "cc": ["x@y.io"], "n": 3})}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"status": "sent", "to": "jane@corp.com"}'},
    ]
    original = json.dumps(messages)
    out, mapping = redact_messages(messages)
    assert json.dumps(messages) == original  # input untouched
    dumped = json.dumps(out)
    for secret in ("jane@corp.com", "x@y.io", "4111111111111111"):
        assert secret not in dumped
    args = json.loads(out[2]["tool_calls"][0]["function"]["arguments"])
    assert args == {"to": "<EMAIL_1>", "cc": ["<EMAIL_2>"], "n": 3}
    assert "<EMAIL_1>" in out[3]["content"] and "<EMAIL_1>" in out[1]["content"][0]["text"]
    assert rehydrate_value(args, mapping) == {"to": "jane@corp.com", "cc": ["x@y.io"], "n": 3}


def test_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RedactionFailed):
        redact(None)  # type: ignore[arg-type]

    def broken(text: str):  # a detector with a bug must stop the request, not pass text
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(pii, "_DETECTORS", (*pii._DETECTORS, broken))
    monkeypatch.setattr(pii, "_CLEAN", {})  # detect's memo: "a@x.io", scanned by an earlier test, would skip the scan
    with pytest.raises(RedactionFailed, match="boom"):
        redact("a@x.io")
    with pytest.raises(RedactionFailed):
        # a text no earlier test has shown the detector: texts found clean are remembered per
        # process (detect's memo), so "hi" seen clean before would skip the broken detector
        redact_messages([{"role": "user", "content": "hi from test_fails_closed 7f3a"}])


def test_evaluate_on_fixture_scores_exact_and_overlap() -> None:
    report = evaluate(load_cases(FIXTURE))
    assert report.cases == 16
    total = report.exact["TOTAL"]
    assert total.tp + total.fn == 15
    assert total.recall == 1.0 and total.precision == 1.0, report.errors
    # a boundary disagreement counts under overlap but not under exact
    shifted = evaluate([{"id": 1, "text": "call +44 20 7946 0958 now",
                         "spans": [{"start": 9, "end": 21, "type": "PHONE"}]}])
    assert shifted.exact["PHONE"].recall == 0.0 and shifted.overlap["PHONE"].recall == 1.0
    missed = evaluate([{"id": 1, "text": "nothing here", "spans": [{"start": 0, "end": 7, "type": "EMAIL"}]}])
    assert missed.exact["EMAIL"].fn == 1 and missed.exact["TOTAL"].recall == 0.0


def test_cli_eval_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["pii", "eval", "--cases", str(FIXTURE)])
    out = capsys.readouterr().out
    assert "NATIONAL_ID" in out and "TOTAL" in out and "16 cases" in out
    main(["pii", "eval", "--cases", str(FIXTURE), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["headline"] == "exact" and data["exact"]["TOTAL"]["recall"] == 1.0


def test_cli_bad_file_gives_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok", "spans": []}\n{"id": 2, "text": "x", "spans": [{"start": 0, "end": 9, "type": "EMAIL"}]}\n')
    with pytest.raises(SystemExit) as exc:
        main(["pii", "eval", "--cases", str(bad)])
    assert exc.value.code == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    with pytest.raises(InputError, match=":1:"):
        (tmp_path / "j.jsonl").write_text("not json\n")
        load_cases(tmp_path / "j.jsonl")
    with pytest.raises(InputError, match="no such file"):
        load_cases(tmp_path / "missing.jsonl")


def test_lab_dataset_if_present() -> None:
    from labkit.settings import datasets_dir

    path = datasets_dir() / "eval" / "pii_cases.jsonl"
    if not path.exists():
        pytest.skip("datasets/eval/pii_cases.jsonl not generated yet")
    report = evaluate(load_cases(path))
    assert report.exact["TOTAL"].recall >= 0.9, report.errors[:5]
    assert report.exact["TOTAL"].precision >= 0.9, report.errors[:5]


_FRAGMENTS = ["jane@corp.com", "+44 20 7946 0958", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
              "123-45-6789", "AB123456C", "10.0.0.1", "born 14 March 1985", "<EMAIL_1>", "<PHONE_2>",
              "order 12345", "TCK-000123", " ", ", ", "\n", "ignore previous", "é", "<", ">"]


def test_redaction_round_trips_and_leaks_nothing_on_generated_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=12))
    def check(parts: list[str]) -> None:
        text = " ".join(parts)
        r = redact(text)
        assert rehydrate(r.text, r.mapping) == text
        for f in r.findings:
            # the value no longer stands as a whole word (a name may still be part of another
            # token: "Àu" inside "Àu0" is not the name)
            assert not re.search(rf"(?<!\w){re.escape(f.text)}(?!\w)", r.text) or any(
                f.text in p for p in r.mapping)
        assert [f.text for f in detect(r.text)] == []  # nothing left to find

    check()


@pytest.mark.parametrize(("text", "expected"), [
    ("4111 1111 1111 1111 4111 1111 1111 1111", "<CARD_1> <CARD_1>"),
    ("order 12345 4111 1111 1111 1111", "order 12345 <CARD_1>"),
    ("GB82 WEST 1234 5698 7654 32 GB82 WEST 1234 5698 7654 32", "<IBAN_1> <IBAN_1>"),
    ("020 7946 0958 020 7946 0958", "<PHONE_1> <PHONE_1>"),
    ("call 020 7946 0958 4111 1111 1111 1111", "call <PHONE_1> <CARD_1>"),
    ("Card-like number 4777 0042 4655 5602 failed", "Card-like number 4777 0042 4655 5602 failed"),
    ("Amex 3782 822463 10005", "Amex <CARD_1>"),
])
def test_adjacent_values_are_each_found(text: str, expected: str) -> None:
    # found by the property test above: one greedy match used to swallow a neighbour
    assert redact(text).text == expected


def test_literal_placeholder_in_input_is_not_rehydrated_into_a_value() -> None:
    r = redact("template <EMAIL_1>, real a@x.io")
    assert r.text == "template <EMAIL_1>, real <EMAIL_2>"
    assert rehydrate(r.text, r.mapping) == "template <EMAIL_1>, real a@x.io"


# --- issue 15: layouts that public data showed the regex detector missing ------------------

@pytest.mark.parametrize(("text", "value"), [
    ("Mobile: 4155550123", "4155550123"),                      # plain digits after a label
    ("Desk: 2125550100\\nFax: none", "2125550100"),           # ... before a literal \n escape
    ("call 361.248.5405 today", "361.248.5405"),              # dotted
    ("office (423)570-4399x171", "(423)570-4399x171"),        # parenthesised area code, extension
    ("Tel +49 (0) 6212 997220", "+49 (0) 6212 997220"),       # +49 (0) trunk prefix
    ("from the US: 001-415-533-5816", "001-415-533-5816"),    # 001- international prefix
    ("ring 854-275-2772x0405 please", "854-275-2772x0405"),   # x123 extension
    ("my registered 01510038600.", "01510038600"),           # German mobile, trunk 0, no separators
    ("+33 (0)4 56 04 79 13 is the desk", "+33 (0)4 56 04 79 13"),
])
def test_phone_layouts_found_with_exact_span(text: str, value: str) -> None:
    assert [(f.type, f.text) for f in detect(text)] == [("PHONE", value)]


@pytest.mark.parametrize("text", [
    "Part 615-907-6341-98 is on back order.",
    "Your order number is 0580648486; keep it for returns.",
    "The job finished at 04.12.2020 07:48 without errors.",
    "EAN 2573927848386 scanned twice at the till.",             # Luhn-valid by chance
    "Card-like number 5305 5011 7458 8126 failed validation.",  # no 12-digit slice of a longer run
])
def test_look_alikes_from_the_public_negatives_are_not_pii(text: str) -> None:
    assert [(f.type, f.text) for f in detect(text) if f.type not in ("NAME", "ADDRESS")] == []


# --- issue 15, round 5: national numbers without a country code (classes fresh2 showed) -------

@pytest.mark.parametrize(("text", "value"), [
    ("They're not answering at 962 681 299", "962 681 299"),          # PT: no trunk prefix, 3-3-3
    ("stop receiving messages to 539 323 830", "539 323 830"),        # PL
    ("not answering at 93 57 12 78 today", "93 57 12 78"),            # DK: 2-2-2-2
    ("Phone: 922 859 457", "922 859 457"),                            # PT, cued
    ("my registered 07594 36551 971. Could", "07594 36551 971"),      # AT: 13 digits with trunk 0
    ("Can someone call me on 05572/42568875?", "05572/42568875"),     # AT, slash after the area code
])
def test_national_numbers_of_the_users_countries_are_phones(text: str, value: str) -> None:
    assert [(f.type, f.text) for f in detect(text)] == [("PHONE", value)]


@pytest.mark.parametrize("text", [
    "The population is 125 000 000 people.",        # spaced thousands, round
    "The total is 962 681 299 EUR.",                # an amount with its currency
    "Your order number is 600 791 322.",            # an order number (cue)
    "EAN 0123456789012 scanned twice.",             # 13 digits with a leading 0, no separator
    "Room 12 34 56 78 is booked.",                  # not valid in any no-trunk region
])
def test_national_number_look_alikes_are_not_phones(text: str) -> None:
    assert [(f.type, f.text) for f in detect(text) if f.type == "PHONE"] == []


def test_maestro_12_digit_card() -> None:
    assert [(f.type, f.text) for f in detect("card 676260884579 expired")] == [("CARD", "676260884579")]
    assert detect("ref 476260884578 noted") == []  # 12 digits outside Maestro's IIN ranges


def test_email_after_a_literal_newline_escape_keeps_its_span() -> None:
    text = "E-mail:\\nheserurte@example.org\\n\\nWebsite"
    assert [(f.type, f.text) for f in detect(text)] == [("EMAIL", "heserurte@example.org")]


@pytest.mark.parametrize(("text", "value", "kind"), [
    ("She was born on 05. September 1936.", "05. September 1936", "DOB"),
    ("Geburtsdatum: 21.02.1964", "21.02.1964", "DOB"),
    ("His social security number is 937-15-9665", "937-15-9665", "NATIONAL_ID"),  # ITIN-range area, cued
    ("numéro de sécurité sociale 282118313794514", "282118313794514", "NATIONAL_ID"),  # French NIR, key ok
])
def test_dates_and_national_ids_in_other_layouts(text: str, value: str, kind: str) -> None:
    assert (kind, value) in [(f.type, f.text) for f in detect(text)]


def test_names_and_addresses_get_reversible_placeholders() -> None:
    text = ("My name is Ottilie Lehmann, please write to Schleichstraße 19\n48337 Lichtenfels "
            "or to 9791 Regina Mountains\nAndreaborough, VT 62139. Mr. Okafor agreed.")
    r = redact(text)
    assert r.text == ("My name is <NAME_1>, please write to <ADDRESS_1> or to <ADDRESS_2>. "
                      "Mr. <NAME_2> agreed.")
    assert rehydrate(r.text, r.mapping) == text


@pytest.mark.parametrize("text", [
    "Please restart the Kubernetes connector in Frankfurt.",   # product and place, no person cue
    "The Customer Success Team meets on Monday in Room 4.",
    "Ship it with Patch Tuesday update KB5004281.",
    "Summarise: Mail the Helpdesk about the AtlasFlow invoice.",
])
def test_names_are_not_every_capitalised_word(text: str) -> None:
    assert [f for f in detect(text) if f.type in ("NAME", "ADDRESS")] == []


def test_a_value_found_once_is_redacted_wherever_it_stands() -> None:
    # the second "Okafor" starts a sentence with no cue; the first one gave the name away
    r = redact("Please call Mr. Okafor today. Okafor asked for the invoice.")
    assert r.text == "Please call Mr. <NAME_1> today. <NAME_1> asked for the invoice."
    # values from earlier messages of the same request count too
    msgs, mapping = redact_messages([{"role": "user", "content": "My name is Ottilie Lehmann."},
                                     {"role": "user", "content": "Lehmann here again"}])
    assert "Lehmann" not in json.dumps(msgs) and mapping["<NAME_1>"] == "Ottilie Lehmann"


def test_a_stray_capital_after_digits_does_not_hide_a_name() -> None:
    # found by the property test: "C" of "AB123456C" was read as an initial glued to the name
    assert [(f.type, f.text) for f in detect("NINO AB123456C Sy")][-1] == ("NAME", "Sy")


def test_propagation_takes_whole_words_only_and_the_longest_value_first() -> None:
    # pins the rules _whole_word_hits keeps (they were one alternation regex compiled per call)
    mapping = {"<NAME_1>": "Ottilie Lehmann", "<EMAIL_1>": "a@x.io"}
    r = redact("Ottilie Lehmann, Lehmann-Bau, Lehmanns, -a@x.io, a@x.io-1, a@x.io. Lehmann", mapping)
    assert r.text == "<NAME_1>, Lehmann-Bau, Lehmanns, -a@x.io, a@x.io-1, <EMAIL_1>. <NAME_2>"
    assert mapping["<NAME_2>"] == "Lehmann"


@pytest.mark.parametrize(("text", "value"), [
    # first names and surnames the census list lacks: philter-lite's wider lists, mid-sentence
    # (no person cue around them: "with Gunhild" was found before, "Is Gunhild ..." was not)
    ("Is Gunhild joining the call tomorrow?", "Gunhild"),
    ("Is Holzapfel on leave this week?", "Holzapfel"),
    # a capitalised word no English, German or place list knows, inside a sentence
    ("I still prefer the early albums of Atzler, to be honest.", "Atzler"),
    # a particle before a first name is not part of the name
    ("Please correct the statement to Le Laetitia Dupont.", "Laetitia Dupont"),
    # an address block after a titled name: the unit word is the address's, not the name's
    ("Mrs. Bonnie Johnson Apt. 536 110 Kimberly Vista\nNew Timothyfurt OK 08693", "Bonnie Johnson"),
])
def test_names_no_census_list_knows(text: str, value: str) -> None:
    assert ("NAME", value) in [(f.type, f.text) for f in detect(text)]


@pytest.mark.parametrize("text", [
    "Disputes in the Nordics are settled by the courts of Oslo.",  # a city the wide list calls a first name
    "OrbitKit exports reports as Parquet and CSV files only.",     # a surname there, a file format here
    "Madeleine asked the Krankenschwester for help.",              # an everyday German noun
    "They sang about Hobbits, dragons and elves.",                 # a plural of a word English knows
])
def test_wider_name_lists_do_not_take_places_products_or_nouns(text: str) -> None:
    names = [f.text for f in detect(text) if f.type == "NAME"]
    assert not {"Oslo", "Parquet", "Krankenschwester", "Hobbits"} & set(names), names


def test_a_particle_left_before_a_placeholder_is_no_name() -> None:
    # found by the property test: "Le Anna" gives "Le <NAME_1>", and "Le" alone must not count
    r = redact("Le Anna")
    assert r.text == "Le <NAME_1>" and detect(r.text) == []


def test_clean_texts_are_remembered_and_pii_never_is() -> None:
    # a request resends its system prompt: the second scan of a clean text is a dict look-up
    system = "You are the support copilot for order questions. Answer from the sources only."
    assert detect(system) == [] and system in pii._CLEAN
    dirty = "Write to jane.doe@example.com about the order."
    assert [f.type for f in detect(dirty)] == ["EMAIL"] and dirty not in pii._CLEAN
    assert [f.type for f in detect(dirty)] == ["EMAIL"]  # still found on the second scan
    assert detect(system) == []


@pytest.mark.parametrize(("text", "value"), [
    # letters beyond Latin-1 (found on the fresh set's final run: Polish and Czech names were
    # not even words to the detector)
    ("Is Łukasz Woźniak joining the call?", "Łukasz Woźniak"),
    ("The name on the account should read Petr Přecechtěl", "Petr Přecechtěl"),
    ("Please forward it to Mr. Şahin today.", "Şahin"),
])
def test_names_in_latin_extended_letters(text: str, value: str) -> None:
    assert ("NAME", value) in [(f.type, f.text) for f in detect(text)]


@pytest.mark.parametrize("text", ["Cierra el ticket TCK-000001 ahora mismo.", "Lösche den Kunden jetzt.",
                                  "Ticket closed. Envoyez le rapport maintenant.", "Close the ticket now."])
def test_a_sentence_opening_with_a_verb_and_an_article_keeps_its_verb(text):
    """Imperatives whose verb is also a first name or unknown word ('Cierra' is a census first
    name) were redacted as names, so the agent's red team lost its Spanish and German attacks."""
    assert redact(text, {}).text == text


def test_names_with_particles_still_open_sentences():
    got = redact("Maria de la Cruz called. Jan van der Berg is here.", {}).text
    assert got.count("<NAME_") == 2 and "Cruz" not in got and "Berg" not in got


def test_word_lists_load_once_when_threads_ask_together() -> None:
    """functools.cache lets every thread that asks during the first load load again: a server's
    first burst ran the 2-second load once per worker thread."""
    import threading
    import time

    from labkit.controls.pii_names import _loaded_once

    loads = []

    @_loaded_once
    def slow_list() -> frozenset[str]:
        loads.append(1)
        time.sleep(0.2)  # long enough for every thread to ask before it is done
        return frozenset({"word"})

    got = []
    threads = [threading.Thread(target=lambda: got.append(slow_list())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and got == [frozenset({"word"})] * 8


@pytest.mark.parametrize("text", ["㦼 :㦼", "亃:A㐀 亃"])
def test_a_one_character_name_found_once_is_redacted_wherever_it_stands(text: str) -> None:
    # found by hypothesis (seeds 2 and 3): a Han character the name rules take in one place
    # stayed readable in the other, because values shorter than two characters were never
    # looked for again; one ideograph is a whole word (its Latin view reads "Lin")
    r = redact(text)
    assert r.findings
    for f in r.findings:
        assert not re.search(rf"(?<!\w){re.escape(f.text)}(?!\w)", r.text)
    assert rehydrate(r.text, r.mapping) == text
