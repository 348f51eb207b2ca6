"""Round 13 (issue 15): the claimed types on hand-written text — phones glued to their neighbours or
written in other countries' layouts, national ids checked by their check digits after their cue, dates
of birth after a birth label in other languages. Each positive fails on the code before round 13
(126eb6c); each look-alike passes on both. Numbers are libphonenumber's example numbers or built with
python-stdnum's check-digit functions, words from general knowledge, none taken from a check's texts.
"""

from __future__ import annotations

import pytest

from labkit.controls import pii


def _found(text: str, kind: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == kind]


@pytest.mark.parametrize(("text", "phone"), [
    # a CSV row: the number glued to the comma of the field before it, and to the next field's digits
    ("7,Ada Byrne,ada@example.org,415-555-0142,512-88-1234\n", "415-555-0142"),
    ('8,"12 Elm St, Dayton, OH 45402",937-555-0199\n', "937-555-0199"),
    # glued to a letter of a script written without spaces, before or after the number
    ("请拨打手机131 2345 6789联系我。", "131 2345 6789"),
    ("연락처는 010-2000-0000으로 주세요.", "010-2000-0000"),
    # an international number inside parentheses: the parentheses are not part of it
    ("Please ring Ms Hale (+44 20 7946 0018) before noon.", "+44 20 7946 0018"),
    ("Rückruf an Herrn Berger (+43 1 5866 120), bitte.", "+43 1 5866 120"),
    # written the way the country writes it, valid there: Brazil's area code in parentheses, China,
    # Mexico, Russia's trunk 8, India's 5+5 with the trunk 0 left out
    ("Me liga: (11) 96123-4567 amanhã.", "(11) 96123-4567"),
    ("o escritório atende pelo (11) 2345-6789.", "(11) 2345-6789"),
    ("找到了，131 2345 6789", "131 2345 6789"),
    ("mi número es 55 5123 4567 por si acaso", "55 5123 4567"),
    ("звоните 8 (912) 345-67-89 вечером", "8 (912) 345-67-89"),
    ("got it 81234 56789 will call", "81234 56789"),
    # after a phone label in another language
    ("मोबाइल: 8123 456789", "8123 456789"),
    ("Teléfono: 4412 3456 78", "4412 3456 78"),
])
def test_phone_found(text: str, phone: str) -> None:
    assert phone in _found(text, "PHONE")


@pytest.mark.parametrize("text", [
    # order, parcel and reference numbers in other languages, whole or a window of a longer run
    "Die Bestellung Nr. 4711-0815 wurde versandt.",
    "Referencia de pago: 5521-2231-0098.",
    "Numer przesyłki: 6290 1234 5678 9012",
    "ご注文番号 5521-2231-0098 の商品",
    "订单号 131 2345 6789 已发货",
    "주문번호 2026110455881 상품",
    # amounts, versions and thousands are not phone numbers, glued or not
    "Total: 1,234,567 units, 12,345,678 EUR",
    "build 4.12.0.1 released",
])
def test_look_alike_not_a_phone_or_card(text: str) -> None:
    assert not [f for f in pii.detect(text) if f.type in ("PHONE", "CARD")]


@pytest.mark.parametrize(("text", "value"), [
    ("CPF: 123.456.789-09", "123.456.789-09"),
    ("pagou com cartão; 123.456.789-09 é o documento", "123.456.789-09"),  # the printed form alone
    ("CPF 12345678909.", "12345678909"),
    ("Kowalski Jan, PESEL 85120312343, zam. Kraków", "85120312343"),
    ("T.C. Kimlik No: 12345678950", "12345678950"),
    ("şikayetçi. TC 12345678950.", "12345678950"),
    ("My Aadhaar number is 2345 6789 0124.", "2345 6789 0124"),
    ("आधार संख्या: 2345 6789 0124", "2345 6789 0124"),
    ("身份证号：320106199003071234", "320106199003071234"),
    ("员工，身份证320106199003071234，", "320106199003071234"),
])
def test_checked_national_id_found(text: str, value: str) -> None:
    assert _found(text, "NATIONAL_ID") == [value]


@pytest.mark.parametrize("text", [
    # the same digits without their cue: a ticket or order number may pass a checksum by chance
    "ticket 85120312343 closed",
    "order 12345678950 shipped",
    "ref 320106199003071234",
    "batch 2345 6789 0124",
    # after a short cue but failing the check digits (a PESEL after its cue word is taken whatever its
    # checksum: the older cue rule fails closed)
    "TC 12345678951",
    "CPF 12345678900",
    "身份证号：320106199003071237",
])
def test_checked_national_id_look_alike(text: str) -> None:
    assert _found(text, "NATIONAL_ID") == []


@pytest.mark.parametrize(("text", "dob"), [
    ("Fecha de nacimiento: 07/10/1980\n", "07/10/1980"),
    ("Data di nascita: 07/10/1980\n", "07/10/1980"),
    ("Paolo Conti, nato il 07/10/1980 a Bari", "07/10/1980"),
    ("Data de nascimento: 07/10/1980\n", "07/10/1980"),
    ("nascido em 7 de outubro de 1980.", "7 de outubro de 1980"),
    ("Geboortedatum: 07-10-1980\n", "07-10-1980"),
    ("Data urodzenia: 07.10.1980\n", "07.10.1980"),
    ("Jan Nowak (ur. 07.10.1980)", "07.10.1980"),
    ("Doğum tarihi: 07.10.1980\n", "07.10.1980"),
    ("Дата рождения: 07.10.1980\n", "07.10.1980"),
    ("تاريخ الميلاد: 1980/10/07\n", "1980/10/07"),
    ("जन्म तिथि: 07/10/1980\n", "07/10/1980"),
    ("Ngày sinh: 07/10/1980\n", "07/10/1980"),
    ("Tanggal lahir: 7 Oktober 1980\n", "7 Oktober 1980"),
    ("Födelsedatum: 1980-10-07", "1980-10-07"),
    # month names of more languages (CLDR): Russian and Ukrainian genitive, Azerbaijani, Turkish
    ("Дата рождения: 3 марта 1975", "3 марта 1975"),
    ("date of birth: 3 березня 1975", "3 березня 1975"),
    ("born on 5 sentyabr 1975", "5 sentyabr 1975"),
    ("Doğum tarihi: 5 Eylül 1975", "5 Eylül 1975"),
    ("生日1980年10月7日，", "1980年10月7日"),
    # a CJK date before another label: a birth date, and not an address
    ("出生日期：1980年10月7日\n住址：", "1980年10月7日"),
    ("生年月日：1980年10月7日\n住所：", "1980年10月7日"),
    ("생년월일: 1980년 10월 7일\n주소: ", "1980년 10월 7일"),
])
def test_dob_after_label_in_other_languages(text: str, dob: str) -> None:
    assert _found(text, "DOB") == [dob]
    assert _found(text, "ADDRESS") == []


@pytest.mark.parametrize("text", [
    "Fecha de entrega: 07/10/2026",
    "会议日期：2026年10月7日",
    "Data urodzenia: 31.02.1980",  # no such day
])
def test_dob_look_alike(text: str) -> None:
    assert _found(text, "DOB") == []


def test_email_glued_to_a_spaceless_script() -> None:
    assert _found("邮箱li.na@example.cn，谢谢", "EMAIL") == ["li.na@example.cn"]
    assert _found("write xa@b.com2 or x.y@b.io_z", "EMAIL") == []
