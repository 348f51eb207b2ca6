"""Names and addresses written in non-Latin letters (issue 15, round 7): the Latin view of
:mod:`labkit.controls.pii_script` lets the Latin-script name and address rules read them.

Every example here was written for the test (none is from a fresh check's texts); each failed
before the view existed (the rules saw no capitalised word in Greek or Cyrillic letters)."""

from __future__ import annotations

import pytest

from labkit.controls import pii
from labkit.controls.pii_script import latin_view


def _found(text: str, kind: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == kind]


def test_latin_text_gets_no_view_so_the_latin_rules_see_it_unchanged() -> None:
    assert latin_view("Jürgen Preiß, Łukasz Żółć and José García, 12 Rue de l'Église") is None


def test_view_transliterates_keeps_case_and_maps_each_character_back() -> None:
    text = "Ask Щукин or Ђорђе Μαρίνου."
    view, starts = latin_view(text) or ("", [])
    assert view == "Ask Shchukin or Djordje Marinou."
    assert len(starts) == len(view) + 1
    s = view.index("Shchukin")
    assert text[starts[s]:starts[s + len("Shchukin")]] == "Щукин"
    s = view.index("Marinou")  # Greek "ου" is written "ou", two letters from two
    assert text[starts[s]:starts[s + len("Marinou")]] == "Μαρίνου"


def test_late_latin_letters_the_rules_cannot_read_are_folded_too() -> None:
    # "ə" (U+0259) lies outside Latin Extended-B, where the name rules' letter classes end
    view, _ = latin_view("Məmmədov") or ("", [])
    assert view == "Memmedov"


@pytest.mark.parametrize("text, name", [
    ("My name is Γιώργος Παπαδόπουλος.", "Γιώργος Παπαδόπουλος"),              # cue phrase
    ("Please add Σταυρούλα Κωνσταντίνου as a beneficiary.", "Σταυρούλα Κωνσταντίνου"),  # two rare words
    ("Hi Δέσποινα, your card is ready.", "Δέσποινα"),                           # greeting
    ("The refund was approved by Зоран Јовановић yesterday.", "Зоран Јовановић"),  # Serbian Cyrillic
])
def test_names_in_greek_and_cyrillic_letters_are_found_with_their_exact_span(text: str, name: str) -> None:
    assert _found(text, "NAME") == [name]


def test_a_name_in_greek_letters_is_redacted_and_comes_back() -> None:
    r = pii.redact("Please contact Αικατερίνη Δημητρίου about the invoice.")
    assert "Αικατερίνη" not in r.text and "<NAME_1>" in r.text
    assert pii.rehydrate(r.text, r.mapping) == "Please contact Αικατερίνη Δημητρίου about the invoice."


def test_lower_case_prose_in_other_scripts_is_not_a_name() -> None:
    assert _found("он сказал: καλημέρα, все хорошо, ο λογαριασμός είναι κλειστός", "NAME") == []


@pytest.mark.parametrize("text, address", [
    ("Send it to Ευριπίδου 14,\n54635 Θεσσαλονίκη please.", "Ευριπίδου 14,\n54635 Θεσσαλονίκη"),
    # a postcode with a letter prefix written with a space, in any script
    ("Ship to Lindenweg 7,\nD 12345 Musterstadt today", "Lindenweg 7,\nD 12345 Musterstadt"),
    ("Write to Ηρώδου 3,\nΤΚ 105 58 Αθήνα", "Ηρώδου 3,\nΤΚ 105 58 Αθήνα"),
])
def test_untyped_street_with_a_comma_and_a_prefixed_postcode_line_is_an_address(text: str, address: str) -> None:
    assert _found(text, "ADDRESS") == [address]


def test_house_number_and_untyped_street_followed_by_a_numbered_unit_is_an_address() -> None:
    text = "Ship it to:\n12 Παλαμά\n Suite 40\n Λάρισα\n Ελλάδα 41222\nThanks"
    assert _found(text, "ADDRESS") == ["12 Παλαμά\n Suite 40\n Λάρισα\n Ελλάδα 41222"]
    assert _found("Ship to 7 Birchwood Apt. 3B today", "ADDRESS") == ["7 Birchwood Apt. 3B"]
    # a unit word without a number is not a unit: "12 Widgets Unit price" is an order line
    assert _found("We sold 12 Widgets Unit price was low", "ADDRESS") == []


def test_the_provider_audit_sees_capitalised_words_in_greek_and_cyrillic_letters() -> None:
    from labkit.provider.requestlog import pii_audit

    text = "Please add Σταυρούλα Κωνσταντίνου and Зоран Јовановић to the account."
    seen = {text[s:e] for kind, s, e in pii_audit(text) if kind == "name"}
    assert {"Σταυρούλα", "Κωνσταντίνου", "Зоран", "Јовановић"} <= seen
    assert not [k for k, _, _ in pii_audit("все хорошо, ο λογαριασμός είναι κλειστός")]


def test_a_letter_written_as_an_apostrophe_stays_inside_the_name() -> None:
    # soft signs and the modifier apostrophe transliterate to "'" (found in fresh5 after its final run)
    view, _ = latin_view("Call Игорь now") or ("", [])
    assert view == "Call Igor now"
    assert _found("My name is Игорь Васильев, thanks.", "NAME") == ["Игорь Васильев"]
    assert _found("I'm so jealous! said Ольга to Лукʼян", "NAME")[-1] == "Лукʼян"
