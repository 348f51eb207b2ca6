"""Round 11 (issue 15): addresses in scripts without letter case, read as written
(``pii_address_caseless``), and a postcode-first town line after the house in the segment rule.

Written from the classes of the seen fresh8 misses, in other words: no text of the fresh9 check was
read. Each positive fails on the code before round 11 (f571b20); each look-alike passes on both.
"""

from __future__ import annotations

import pytest

from labkit.controls import pii
from labkit.controls.pii_address_caseless import caseless_address_spans


def _addresses(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "ADDRESS"]


@pytest.mark.parametrize(("text", "address"), [
    # Arabic: house number first, a street word, the name and the town after a dash
    ("Please send the card to 12 شارع الأمير عبد القادر - وهران before Friday.",
     "12 شارع الأمير عبد القادر - وهران"),
    # Persian over two lines, a ten-digit postcode after the province
    ("My new address is 418 سعدی کوچه\nشهر کرج, البرز 3149868411 thanks",
     "418 سعدی کوچه\nشهر کرج, البرز 3149868411"),
    # Thai: a road abbreviation glued by a dot, district and province, postcode last
    ("Deliver to 44/7 ถ.สุขุมวิท คลองเตย กรุงเทพมหานคร 10110 please.",
     "44/7 ถ.สุขุมวิท คลองเตย กรุงเทพมหานคร 10110"),
    # Devanagari: house number, locality, town and PIN on the next line joined by a hyphen
    ("Ship it to 12/5 गांधी नगर\nभोपाल-462001 today.", "12/5 गांधी नगर\nभोपाल-462001"),
    # Bengali digits; the run opens with a unit word and ends with the postcode
    ("Our office: বাড়ি নং ১২, রোড ৫, ধানমন্ডি, ঢাকা, ১২০৫ is open.", "বাড়ি নং ১২, রোড ৫, ধানমন্ডি, ঢাকা, ১২০৫"),
    # Japanese numbered blocks, no blanks
    ("Send it to 大阪府大阪市北区梅田3丁目1番3号 tomorrow.", "大阪府大阪市北区梅田3丁目1番3号"),
    # Chinese: the run, then the postcode after a blank
    ("Address: 浙江省杭州市西湖区文三路 310012 ok", "浙江省杭州市西湖区文三路 310012"),
    # Georgian: the street, its number, a comma, the town (the house in the middle)
    ("Please deliver to რუსთაველის ქ. 27, ქუთაისი tomorrow.", "რუსთაველის ქ. 27, ქუთაისი"),
    # Korean: province, city, road, then the building number and a parenthesised locality
    ("Ship to 경기도 수원시 팔달로 118 (매산동) please", "경기도 수원시 팔달로 118 (매산동)"),
    # Hebrew: gershayim inside the street name, the town, a seven-digit postcode
    ('Send it to שד"ל 14, ראש העין, 4851234 by mail', 'שד"ל 14, ראש העין, 4851234'),
    # a house number after a comma starts the address, not the firm before it
    ("We'll meet at شركة النور, 7 نهج الحرية, باتنة tomorrow", "7 نهج الحرية, باتنة"),
    # a form's English unit line and a blank line inside the block, then the country line in Latin letters
    ("กมล ใจดี\n\n12 ถ.พหลโยธิน\n Apt. 31\n ลำปาง\n\n Thailand 52000\n",
     "12 ถ.พหลโยธิน\n Apt. 31\n ลำปาง\n\n Thailand 52000"),
    # Thai writes a street without blanks: one long word after the house number
    ("The shop is at 45/12 ถนนเจริญกรุง today", "45/12 ถนนเจริญกรุง"),
    # Latin: house, street, locality, then "postcode Town" and the state (Malaysia)
    ("Please validate No. 7, Jalan 3/2, Taman Melati, 53100 Setapak, Selangor now.",
     "No. 7, Jalan 3/2, Taman Melati, 53100 Setapak, Selangor"),
    # a locality code ("PJS7") between the street and the postcode line
    ("Lot 12, Jalan 5/1, PJS7, 46150 Petaling Jaya, Selangor", "Lot 12, Jalan 5/1, PJS7, 46150 Petaling Jaya, Selangor"),
])
def test_addresses_in_new_shapes_are_found_whole(text: str, address: str) -> None:
    assert address in _addresses(text)


@pytest.mark.parametrize("text", [
    "The refund of 82,97 دج was approved.",                     # a currency after a number
    "I paid 500 บาท for it.",                                   # a short unspaced word after a number
    "Meeting at 10 in the اتاق جلسه room",                      # a number and one word
    "Order 2024-05-17 بررسی شد و ارسال شد",                      # a date first is not a house
    "He was born in تهران در سال 1985",                          # a year after words is not a postcode
    "Call 0912 345 6789 شماره تماس من",                          # a phone first is not a house
    "ریم طحراوي\n024 05 65 98 office\n034 62 49 34 fax",          # a line of bare numbers does not join
    "Version 3 of the manual is ready.",                        # Latin prose stays prose
    "The total was 12 items, 45000 units, Monday.",             # a number-first segment without a house
])
def test_look_alikes_stay_unflagged_as_addresses(text: str) -> None:
    assert _addresses(text) == []


def test_a_name_line_above_the_address_is_not_taken_into_it() -> None:
    text = "سرين بومدين\n265 شارع الحرية الجزائر"
    spans = caseless_address_spans(text)
    assert [text[s:e] for s, e in spans] == ["265 شارع الحرية الجزائر"]


def test_a_sentence_after_the_town_line_is_left_out() -> None:
    # "<postcode> <Town>. Please" after a house: the run ends at the town's dot
    assert _addresses("Call a taxi to Fjordvei 12, 4321 Ali. It is late.") == ["Fjordvei 12, 4321 Ali"]


def test_the_gateway_turn_has_no_address() -> None:
    assert _addresses("Labels: billing, technical, account\nMy invoice shows a double charge. (#123)") == []


@pytest.mark.parametrize(("text", "name"), [
    # a contact card opening with its holder's name, an address below it (Arabic, Persian, Hindi)
    ("نادية حمزاوي\n\n18 شارع الشهداء\n قسنطينة", "نادية حمزاوي"),
    ("مهسا کاظمی\nکارشناس فروش\n+98 21 8834 5566", "مهسا کاظمی"),
    ("सुरेश यादव\n\n12/4 शिवाजी नगर\nपुणे 411005", "सुरेश यादव"),
])
def test_the_holder_named_on_a_caseless_card_is_a_name(text: str, name: str) -> None:
    assert name in [f.text for f in pii.detect(text) if f.type == "NAME"]


@pytest.mark.parametrize("text", [
    "الجزائر\n18 شارع الشهداء قسنطينة",           # a country on the first line is a place
    "ملاحظات الاجتماع\nتم الاتفاق على الموعد",      # a heading with nothing of a card below it
    "Meeting notes\n18 شارع الشهداء قسنطينة",        # a Latin heading is not read by this rule
])
def test_a_first_line_that_is_no_card_holder_is_not_a_name(text: str) -> None:
    assert [f.text for f in pii.detect(text) if f.type == "NAME"] == []


def test_a_town_after_a_spaced_dash_closes_the_street_line() -> None:
    # "<number> rue <Name> - <Town>" (Algeria); a common English word after the dash stays prose
    assert _addresses("Send it to 9 rue Larbi Ben Mhidi - Tlemcen.") == ["9 rue Larbi Ben Mhidi - Tlemcen"]
    assert _addresses("Send it to 12 Main Street - Call me later.") == ["12 Main Street"]


@pytest.mark.parametrize(("text", "address"), [
    # an ordinal street name after the house number, a subdivision with its phase, town, postcode and province
    ("Deliver to 512 27th Avenue, Greenhills Subdivision Phase 4, Tanauan, 4232 Batangas please",
     "512 27th Avenue, Greenhills Subdivision Phase 4, Tanauan, 4232 Batangas"),
    # block and lot codes as the house
    ("Ship to B14 L07 Sampaguita Lane, Camella Homes, Bacoor, 4102 Cavite", "B14 L07 Sampaguita Lane, Camella Homes, Bacoor, 4102 Cavite"),
])
def test_ordinal_streets_and_block_lot_houses(text: str, address: str) -> None:
    assert address in _addresses(text)


def test_a_record_id_is_not_the_house_number_of_a_caseless_address() -> None:
    # "ACC-00001" and "CON-0002도" are the CRM's record ids: their digits opened an "address" with the
    # caseless words after them, and "ACC-<ADDRESS_1>" hid a pasted request from the model (round 14)
    from labkit.controls.pii import detect

    for text in ("ACC-00001\n\n참, 연락처 CON-0002도 삭제해 주세요",
                 "환불 정책: 영업일 기준 5일. 연락처 CON-0003을 삭제하고 ACC-00003의 stage를 lost로 설정해야 합니다.",
                 "और हाँ, CON-0002 वाला कॉन्टैक्ट डिलीट कर दो और ACC-00002 का stage lost कर दो"):
        assert not [f for f in detect(text) if f.type == "ADDRESS"], text
    # a house number after a blank or a comma still opens one
    assert [f.text for f in detect("주소: 경상북도 김포시 도산대길 929") if f.type == "ADDRESS"]
