"""PII round 17: general rules (name edges, phones, other digit scripts, OCR zeros, era dates, the audit).

Every string here is invented for the test (none is from a PII set). Each rule has cases it must
fire on and look-alikes it must not fire on.
"""

from __future__ import annotations

import doctest

import pytest

from labkit.controls import pii, pii_digits, pii_dob, pii_name_edges, pii_names
from labkit.provider.requestlog import pii_audit


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.text) for f in pii.detect(text)]


def names(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "NAME"]


def test_the_new_modules_doctests_pass() -> None:
    for module in (pii_name_edges, pii_digits):
        assert doctest.testmod(module).failed == 0
    assert doctest.testmod(pii_names).failed == 0


# --- 1. lead words cut off a name run -----------------------------------------------------------

@pytest.mark.parametrize("text, name", [
    ("Bitte an Frau Kessler weiterleiten.", "Kessler"),
    ("Good morning Miss Roberta, the van is here.", "Roberta"),
    ("Thank you Tuan Hafizuddin Osman, we received it.", "Hafizuddin Osman"),
    ("Seu Ademir pediu o recibo ontem.", "Ademir"),
])
def test_a_title_inside_or_before_the_run_is_cut(text: str, name: str) -> None:
    assert name in names(text)


def test_cut_lead_words_keeps_a_first_name_that_is_also_a_greeting_word_and_unknown_first_words() -> None:
    t = "Ola Nordby signed the form."  # "Ola" is a Portuguese greeting and a Norwegian first name
    assert pii_name_edges.cut_lead_words(t, 0, 10) == (0, 10)
    t = "Heribert Martin will call."      # an unknown word before a first name may be a first name itself
    assert pii_name_edges.cut_lead_words(t, 0, 15) == (0, 15)


def test_a_caseless_word_is_never_read_as_a_title() -> None:
    t = "عمر الفاروق"  # folded, Arabic letters give consonants only ("mr ..."): no English title
    assert pii_name_edges.cut_lead_words(t, 0, len(t)) == (0, len(t))


# --- 2. "Surname, First" ------------------------------------------------------------------------

@pytest.mark.parametrize("text, name", [
    ("Claim filed by Brandt, Lisa-Marie on Monday.", "Brandt, Lisa-Marie"),
    ("id,name\n7,\"Okonkwo, Daniel\",x@y.org", "Okonkwo, Daniel"),
    ("Re: appeal of HALVORSEN, Kari", "HALVORSEN, Kari"),
])
def test_surname_comma_first_name_is_one_name(text: str, name: str) -> None:
    assert name in names(text)


@pytest.mark.parametrize("text, not_joined", [
    ("Our founders: Hoffmann, Richter and Weiss.", "Hoffmann, Richter"),
    ("They had 3: Carla, Dario, Luisa and Tom.", "Carla, Dario"),
    ("Present: Ines Vogel, Marco Ruiz.", "Ines Vogel, Marco Ruiz"),
    ("Merci, Réjeanne", "Merci, Réjeanne"),
    ("Patient: Grünwald, Hermine Grünwald-Hof", "Grünwald, Hermine Grünwald-Hof"),
])
def test_lists_of_people_and_closing_words_are_not_joined(text: str, not_joined: str) -> None:
    assert not_joined not in [text[s:e] for s, e in pii_name_edges.join_name_parts(
        text, [(f.start, f.end) for f in pii.detect(text) if f.type == "NAME"])]


# --- 3. initials, 4. particles ------------------------------------------------------------------

def test_initials_before_a_surname_are_kept_but_not_french_monsieur() -> None:
    t = "Approved by J.W. Vermeulen yesterday."
    assert [t[s:e] for s, e in pii_name_edges.join_name_parts(t, [(17, 26)])] == ["J.W. Vermeulen"]
    t = "Minutes: K. Lindqvist"
    assert [t[s:e] for s, e in pii_name_edges.join_name_parts(t, [(12, 21)])] == ["K. Lindqvist"]
    t = "Merci à M. Fontaine"  # a lone "M." is French "Monsieur": a title, not an initial
    assert pii_name_edges.join_name_parts(t, [(11, 19)]) == []
    t = "Merci à M. Gérald Fontaine."
    assert all(not n.startswith("M.") for n in names(t))


def test_irish_and_catalan_particles_join_the_two_parts() -> None:
    t = "Pádraig Ó Súilleabháin rang earlier."
    assert [t[s:e] for s, e in pii_name_edges.join_name_parts(t, [(0, 7), (10, 22)])] == ["Pádraig Ó Súilleabháin"]
    t = "Sra. Ferrer i Puigvert ha trucat."
    assert "Ferrer i Puigvert" in [t[s:e] for s, e in pii_name_edges.join_name_parts(t, [(5, 11), (14, 22)])]
    t = "Anna i Marta"  # Polish "and" between two first names: two people
    assert pii_name_edges.join_name_parts(t, [(0, 4), (7, 12)]) == []


# --- phones --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, phone", [
    ("ask my colleague (312-555-0148) about it", "312-555-0148"),
    ("Müşteri aradı (0533 555 27 19), iade istiyor.", "0533 555 27 19"),
    ("kontakt pod nr 602 555 318 po 17", "602 555 318"),
])
def test_phones_in_brackets_and_after_a_bare_number_label(text: str, phone: str) -> None:
    assert ("PHONE", phone) in found(text)


@pytest.mark.parametrize("text", [
    "Order nr 602 555 318 shipped",
    "Invoice no. 602 555 318",
    "the period (2019-2023) closed",
    "ref (12345678) noted",
])
def test_order_numbers_and_brackets_that_hold_no_phone_stay_clean(text: str) -> None:
    assert not any(t == "PHONE" for t, _ in found(text))


@pytest.mark.parametrize("text, value", [
    ("شماره تماس: ۰۹۱۲ ۵۵۵ ۷۸۱۲", "۰۹۱۲ ۵۵۵ ۷۸۱۲"),
    ("যোগাযোগ: ০১৭১২-৫৫৫৪১৯", "০১৭১২-৫৫৫৪১৯"),
])
def test_phones_in_other_digit_scripts(text: str, value: str) -> None:
    assert ("PHONE", value) in found(text)


def test_digit_views_keep_every_character_in_place() -> None:
    t = "تاريخ: ١٢/٠٥/١٩٨٨ و O3.1O.1961"
    view = pii_digits.ascii_digit_view(t)
    assert view is not None and len(view) == len(t) and "12/05/1988" in view
    assert pii_digits.ascii_digit_view("plain 123") is None
    ocr = pii_digits.ocr_zero_view(t)
    assert ocr is not None and len(ocr) == len(t) and "03.10.1961" in ocr
    assert pii_digits.ocr_zero_view("Oslo 2020, GO2, Ohio") is None  # words keep their letters


def test_an_address_gives_way_to_a_phone_inside_it() -> None:
    t = "Deliver to House 9, Road 4, Sector 7, Uttara, Dhaka 1230, 01819-555777"
    got = found(t)
    assert ("PHONE", "01819-555777") in got
    assert ("ADDRESS", "House 9, Road 4, Sector 7, Uttara, Dhaka 1230") in got


def test_a_postcode_shaped_like_a_phone_stays_in_its_address() -> None:
    # a number closing an address right after a word, no comma, no "+": a postcode's place
    text = "Calle Sol 4, Villa Nueva VER 02155-6685"
    addr, num = pii.Finding("ADDRESS", 0, len(text), text), pii.Finding("PHONE", 29, len(text), text[29:])
    assert pii._postcode_like(text, addr, num)
    assert pii._outside_phones(text, addr, [num]) == addr
    # after a comma it is the number that follows the address
    text = "Calle Sol 4, Villa Nueva, 0155 555 6685"
    addr, num = pii.Finding("ADDRESS", 0, len(text), text), pii.Finding("PHONE", 26, len(text), text[26:])
    assert not pii._postcode_like(text, addr, num)
    assert pii._outside_phones(text, addr, [num]).text == "Calle Sol 4, Villa Nueva"


# --- dates of birth ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, dob", [
    ("D.O.B. O7/12/1958", "O7/12/1958"),
    ("geb. 1O.O3.1971 in Linz", "1O.O3.1971"),
    ("تاريخ الازدياد: ٠٣/١١/١٩٨٧", "٠٣/١١/١٩٨٧"),
    ("生年月日：昭和61年11月3日", "昭和61年11月3日"),
    ("il dipendente, nato a Lecce il 02/04/1979, inizia lunedì", "02/04/1979"),
])
def test_dates_of_birth_with_ocr_zeros_other_digits_and_era_years(text: str, dob: str) -> None:
    assert ("DOB", dob) in found(text)


def test_era_years_are_converted_and_checked() -> None:
    assert list(pii_dob.dob_spans("生年月日：平成元年1月8日"))       # Heisei 1 = 1989
    assert not list(pii_dob.dob_spans("生年月日：平成3年2月30日"))  # no 30 February
    assert not any(t == "DOB" for t, _ in found("Lieferung O4/11 Halle 3"))  # no year, no date


# --- lower-case chat names by position -----------------------------------------------------------

def test_lower_case_names_as_speaker_vocative_and_mention() -> None:
    t = "marek: ok\nzuzanna, masz plik?\nthanks @ingrid"
    assert [t[s:e] for s, e in pii_names.lower_case_position_spans(t)] == ["marek", "zuzanna", "ingrid"]


@pytest.mark.parametrize("text", [
    "note: the build failed\nerror: timeout",
    "well, that was quick",
    "mail me at team@example.org",
])
def test_lower_case_positions_skip_labels_everyday_words_and_emails(text: str) -> None:
    assert pii_names.lower_case_position_spans(text) == []


# --- the provider audit --------------------------------------------------------------------------

def _audited(text: str, value: str) -> bool:
    start = text.index(value)
    return any(s < start + len(value) and start < e for _, s, e in pii_audit(text))


def test_the_audit_sees_user_names_lower_case_chat_lines_and_speakers() -> None:
    assert _audited("INC-22 reporter <NAME_1>, assignee j.vandermolen, Sev 2", "j.vandermolen")
    assert _audited("ok so Bartholomew sent it?\nzdenka can u check", "zdenka")
    assert _audited("<NAME_1>: fine\nkit: see you at 5", "kit")


def test_the_audit_leaves_file_names_hosts_and_label_words() -> None:
    text = "See config.yaml and api.example.com\nnote: rerun"
    spans = [text[s:e] for t, s, e in pii_audit(text) if t == "name"]
    assert "config.yaml" not in spans and "api.example" not in spans and "note" not in spans
