"""PII round 22: where an address span starts and ends (``pii_address_bounds``): pieces of one address
joined over a unit gap, a run-on past the address cut, postcode halves and a town after a preposition
taken, the word "address" and "your parcel" in caseless scripts cut off.

Every string here is invented for the test (none is from a PII or red-team set). Each rule has cases it
must fire on and look-alikes it must not fire on.
"""

from __future__ import annotations

import doctest

import pytest

from labkit.controls import pii, pii_address_bounds, pii_dob


def found(text: str, kind: str = "ADDRESS") -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == kind]


def test_the_new_module_doctests_pass() -> None:
    assert doctest.testmod(pii_address_bounds).failed == 0


@pytest.mark.parametrize("text, address", [
    # one address in two pieces, a unit part between (Swedish "lgh", a Danish floor)
    ("Flytta till Björkvägen 7 lgh 1204, 753 20 Uppsala.", "Björkvägen 7 lgh 1204, 753 20 Uppsala"),
    # postcode halves and towns after the town or state
    ("The movers come to 880 Rue Sherbrooke, Laval, QC H7N 3K4 on Monday.", "880 Rue Sherbrooke, Laval, QC H7N 3K4"),
    ("Envío a Av. Juárez 120, Centro, 83000 Hermosillo, B.C.S. mañana.",
     "Av. Juárez 120, Centro, 83000 Hermosillo, B.C.S."),
    # a town after a preposition
    ("vino mâine pe strada Florilor 12 din Cluj", "strada Florilor 12 din Cluj"),
    # a run-on past a town-last postcode onto the next line
    ("Ship to: No. 4, Lake View Road, Kodambakkam, Chennai 600024\nGSTIN 12345",
     "No. 4, Lake View Road, Kodambakkam, Chennai 600024"),
])
def test_address_ends(text: str, address: str) -> None:
    assert address in found(text)


def test_pieces_join_over_a_unit_gap_only() -> None:
    t = "Flytta till Storgatan 9 lgh 1101, 903 20 Umeå."
    a, b = t.index("Storgatan 9"), t.index("1101")
    assert pii_address_bounds.settle_address_spans(t, [(a, a + 11), (b, t.index("."))]) == [(a, t.index("."))]
    # a conjunction, a long word or a line break between two addresses keeps them apart
    for gap in (" and ", " sowie ", "\n"):
        u = "5 Main Street" + gap + "7 Oak Avenue"
        assert len(pii_address_bounds.settle_address_spans(u, [(0, 13), (13 + len(gap), len(u))])) == 2


@pytest.mark.parametrize("text, kept", [
    # a sentence end after the postcode: the next sentence is no part of the address
    ("Please deliver to 15 Harbour Road, Kowloon 99999. His phone is in the file.", "15 Harbour Road, Kowloon 99999"),
    # a floor or an ordinal with a full stop is no sentence end
    ("Bitte schicken Sie es an Lindenweg 4, 2. OG rechts, 79098 Freiburg. Danke!",
     "Lindenweg 4, 2. OG rechts, 79098 Freiburg"),
])
def test_a_sentence_end_cuts_a_run_on_but_not_a_floor(text: str, kept: str) -> None:
    assert kept in found(text)


def test_caseless_address_word_and_your_parcel_are_cut() -> None:
    # Hindi: "... and address 14, Gandhi Nagar, Jaipur 302015" (the word पता opens the address)
    t = "आपकी जन्मतिथि दर्ज है और पता 14, गांधी नगर, जयपुर 302015"
    s = t.index("जन्मतिथि")
    got = pii_address_bounds.settle_address_spans(t, [(s, len(t))])
    assert [t[a:b] for a, b in got] == ["14, गांधी नगर, जयपुर 302015"]
    # Bengali: "your parcel" before the house
    u = "আপনার পার্সেল বাড়ি ৯, রোড ৩, ঢাকা ১২১২"
    assert [u[a:b] for a, b in pii_address_bounds.settle_address_spans(u, [(0, len(u))])] == ["বাড়ি ৯, রোড ৩, ঢাকা ১২১২"]
    # with no number after it, the lead stays (not an address the rule can vouch for)
    v = "আপনার পার্সেল ঢাকা"
    assert pii_address_bounds.settle_address_spans(v, [(0, len(v))]) == [(0, len(v))]


def test_caseless_run_on_after_the_postcode_is_cut() -> None:
    # Telugu-like layout: street, town, PIN, then "was sent" — the verb goes
    t = "ఇంటి నం. 4, రోడ్ 2, విజయవాడ 520010 కు పంపబడింది"
    assert [t[a:b] for a, b in pii_address_bounds.settle_address_spans(t, [(0, len(t))])] == [
        "ఇంటి నం. 4, రోడ్ 2, విజయవాడ 520010"]
    # a Korean postcode opens the address: nothing before it, nothing cut
    k = "06236 서울특별시 강남구 역삼로 12"
    assert pii_address_bounds.settle_address_spans(k, [(0, len(k))]) == [(0, len(k))]


def test_look_alikes_keep_their_ends() -> None:
    # a month after the postcode is no town; a street abbreviation's full stop is no sentence end
    assert "14 Pine Road, Portland, ME 04101" in found("Send it to 14 Pine Road, Portland, ME 04101 in March.")
    t = "Lieferung: Lindenstr. 5, 79098 Freiburg"
    assert all("Freiburg" in a for a in found(t) if "Lindenstr" in a)
    # a piece with no number is not joined to the address after it; a time of day is not one address
    u = "Reed-Hollis, 86 Calle Sol, Rivera"
    assert pii_address_bounds.settle_address_spans(u, [(0, 11), (13, len(u))]) == [(0, 11), (13, len(u))]
    v = "at 11:00, room 4"
    assert len(pii_address_bounds.settle_address_spans(v, [(3, 5), (6, len(v))])) == 2


def test_benign_text_gains_no_address() -> None:
    for t in ("We met at 5 in Paris. Then the train.", "Chapter 12 à Rennes was fun", "Order 40, QC A1 done"):
        assert found(t) == [] or all("Paris" not in a and "Rennes" not in a for a in found(t))


# --- dates of birth: Persian and Islamic calendar months, two-letter months of caseless scripts -----------

@pytest.mark.parametrize("text, date", [
    ("تاریخ تولد: ۱۲ مهر ۱۳۷۰", "۱۲ مهر ۱۳۷۰"),          # Persian solar month, Persian digits
    ("Date of birth: 9 Shawwal 1405 AH", "9 Shawwal 1405 AH"),  # Islamic month, the Latin era mark
    ("जन्मतारीख: १५ मे १९८८", "१५ मे १९८८"),                  # Marathi "मे" (May): two letters
])
def test_era_and_short_months(text: str, date: str) -> None:
    assert found(text, "DOB") == [date]


def test_era_months_need_a_birth_label_and_a_real_layout() -> None:
    # no birth label: a Persian month in a meeting note is no birth date
    assert found("جلسه ۱۲ مهر ۱۴۰۳ برگزار شد", "DOB") == []
    # "AH" as a word after a date is taken only as a mark: not the start of the next word
    assert found("Date of birth: 9 Shawwal 1405 AHMED", "DOB") == ["9 Shawwal 1405"]
    assert pii_dob.is_month_name("Esfand") and not pii_dob.is_month_name("Isfahan")


# --- phones: "011" as a trunk and area code, a number glued after an Ethiopic preposition ------------------

@pytest.mark.parametrize("text, phone", [
    ("Per informazioni: 011 555 0384.", "011 555 0384"),          # Turin: trunk 0, area 11
    ("Call 011 44 20 7946 0958 from the US", "011 44 20 7946 0958"),  # still the US exit code when it reads so
    ("ደንበኛውን በ0911 555 203 ያግኙ።", "0911 555 203"),            # Ethiopic "በ" (by/at) glued to the number
])
def test_phone_layouts(text: str, phone: str) -> None:
    assert found(text, "PHONE") == [phone]


def test_phone_look_alikes_stay_out() -> None:
    assert found("Order 011 555 0384 shipped", "PHONE") == []   # an order number, vetoed as before
    assert found("ዋጋ 1200 ብር", "PHONE") == []                   # a price after an Ethiopic word


# --- more address ends: unit, building, town and postcode after the street; particles; a lead noun ----------

@pytest.mark.parametrize("text, address", [
    ("Send it to Blk 22 Jurong East Ave 3, #05-210, Singapore 600022. Thanks",
     "Blk 22 Jurong East Ave 3, #05-210, Singapore 600022"),
    ("Paket an Via Maistra 12, 7500 St. Moritz nicht angekommen.", "Via Maistra 12, 7500 St. Moritz"),
])
def test_more_address_ends(text: str, address: str) -> None:
    assert address in found(text)


def test_caseless_particles_and_leads_are_cut() -> None:
    k = "부산광역시 해운대구 센텀로 45, 3층 302호로"
    assert [k[a:b] for a, b in pii_address_bounds.settle_address_spans(k, [(0, len(k))])] == [
        "부산광역시 해운대구 센텀로 45, 3층 302호"]
    j = "お荷物は大阪府大阪市北区梅田1丁目2-3 梅田ハイツ101へお届けします"
    assert [j[a:b] for a, b in pii_address_bounds.settle_address_spans(j, [(0, len(j))])] == [
        "大阪府大阪市北区梅田1丁目2-3 梅田ハイツ101"]


def test_street_names_with_a_particle_keep_their_start() -> None:
    # "Calle de …" (a street word first) and "Am Markt" are street names, not a noun and a preposition
    for t in ("Calle de la Paz 14, 28012 Madrid", "Haus am See 5, 10115 Berlin"):
        assert pii_address_bounds.settle_address_spans(t, [(0, len(t))]) == [(0, len(t))]


def test_a_date_after_the_town_is_cut_but_not_a_street_word() -> None:
    t = "Storgatan 3, 903 26 Umeå den 4"
    assert [t[a:b] for a, b in pii_address_bounds.settle_address_spans(t, [(0, len(t))])] == ["Storgatan 3, 903 26 Umeå"]
    u = "9021 Győr, Baross Gábor út 14"
    assert pii_address_bounds.settle_address_spans(u, [(0, len(u))]) == [(0, len(u))]


def test_seen_set_regressions_stay_fixed() -> None:
    # a label and its value are not one address piece plus another (invented Bengali form)
    t = "জন্ম তারিখ: ৩ মে ১৯৮৮\nঠিকানা: গ্রাম: নতুনপাড়া, জেলা: যশোর"
    a, b = t.index("৩ মে"), t.index("গ্রাম")
    pieces = [(a, t.index(":", a + 10)), (b, len(t))]
    assert pii_address_bounds.settle_address_spans(t, pieces) == pieces
    # a floor in Swahili keeps its number; a bare ten-digit "011…" run is no phone (a national code's shape)
    u = "Nairobi, Moi Avenue, Jengo la Hazina, Ghorofa ya 3"
    assert pii_address_bounds.settle_address_spans(u, [(0, len(u))]) == [(0, len(u))]
    assert found("کد ملی: 0112345678", "PHONE") == []
    j = "新住所は北海道札幌市北区北8条西5丁目に変更希望"
    assert [j[a:b] for a, b in pii_address_bounds.settle_address_spans(j, [(0, len(j))])] == ["北海道札幌市北区北8条西5丁目"]
