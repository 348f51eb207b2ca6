"""Addresses as the value of a form field, and after a recipient's name (issue 15, round 16).

Why: a form, a record or a shipping label says where the address is: "Address: 17 Rue King Ouest,
Sherbrooke QC J1H 1P8", "Lakcím: 9021 Győr, Baross Gábor út 14.", "ঠিকানা: গ্রাম: …", "Eircode A65 F4E2",
"Recipient: NAME, street …". The address finders read street words, house numbers and postcodes of
known layouts: an address that opens with a town (Russian and Ukrainian "г. Казань, ул. …"), a
postcode (Hungarian "9021 Győr, …"), a unit or building ("Flat 2, …", "H.No 14, Sector 9-C, …"),
a village or a farm, or that is written in a caseless script without the units they read, goes
unseen or is cut. The label, or the recipient's name before it, says what follows is an address.

What it holds (general knowledge of forms and postal labels, written for this module; no label or
value is taken from a PII set):

- :data:`ADDRESS_FIELD_LABELS` and :data:`POSTCODE_LABELS`: the labels of an address or a
  postcode field in about 35 languages;
- :data:`RECIPIENT_LABELS`: the words that open a shipping line, "recipient" or "deliver to", after
  which a name, a comma (or a dash) and the address follow on the same line;
- :func:`field_address_spans`: those values, as ADDRESS (and the recipient's name as NAME).

A value is an address only when it holds a digit or three comma-separated parts, no e-mail or link,
and is not a placeholder ("see above", "on file"); it ends at the line's end, a tab, a bar, two
spaces, a phone label after a comma (", tel. …") or a sentence's end (a full stop after a number or
a word of four letters, then a capital).

Example:
    >>> t = "Получатель: Ирина Лебедева, Самара, ул. Ленинградская, 12, кв. 40"
    >>> [(k, t[s:e]) for k, s, e in field_address_spans(t)]
    [('NAME', 'Ирина Лебедева'), ('ADDRESS', 'Самара, ул. Ленинградская, 12, кв. 40')]
"""

from __future__ import annotations

import re

from labkit.controls.pii_name_cues import LEAD_WORDS, fold
from labkit.controls.pii_name_fields import Candidates, is_name_value, labelled_fields
from labkit.controls.pii_names import everyday_not_first

_ADDRESS_LABELS = """
address|addr|home address|mailing address|postal address|street address|residential address|permanent address
current address|billing address|shipping address|delivery address|correspondence address|registered address
address line 1|new address|service address|site address|property address
adresse|anschrift|wohnanschrift|lieferadresse|rechnungsadresse|postanschrift|wohnort|neue adresse
adresse postale|adresse de livraison|adresse de facturation|domicile
dirección|direccion|domicilio|dirección de envío|indirizzo|indirizzo di consegna|residenza|endereço|endereco|morada
adres|adres zamieszkania|adres korespondencyjny|adresa|adresa bydliště|bydliště|trvalé bydliště|bydlisko
adresă|adresa de domiciliu|domiciliu|cím|lakcím|szállítási cím|levelezési cím|osoite|postiosoite|toimitusosoite
adresse|postadresse|leveringsadresse|adress|postadress|leveransadress|adresi|ev adresi|teslimat adresi
alamat|alamat rumah|alamat pengiriman|tirahan|address sa|anwani|địa chỉ|dia chi
адрес|адрес доставки|адрес регистрации|адрес проживания|адреса|адреса доставки|διεύθυνση|כתובת|כתובת מגורים
العنوان|عنوان|آدرس|نشانی|पता|ঠিকানা|முகவரி|ที่อยู่|地址|住所|주소|收货地址|收貨地址|送付先|お届け先
"""
_POSTCODE_LABELS = """
postcode|post code|postal code|zip|zip code|zipcode|eircode|pin code|pincode|plz|postleitzahl|code postal|cap
código postal|codigo postal|postnummer|postinumero|irányítószám|kod pocztowy|psč|cod poștal|posta kodu
kode pos|poskod|почтовый индекс|індекс|индекс|ταχυδρομικός κώδικας|מיקוד
"""
_RECIPIENT_LABELS = """
recipient|deliver to|ship to|send to|consignee|addressee|empfänger|lieferung an|destinataire|livrer à
destinatario|consegna a|destinatário|entregar a|ontvanger|bezorgen bij|mottagare|modtager|mottaker
vastaanottaja|odbiorca|příjemce|príjemca|címzett|destinatar|alıcı|penerima|kirim ke|tatanggap|pa-deliver kay
mpokeaji|người nhận|получатель|отримувач|παραλήπτης|נמען|المستلم|گیرنده|प्राप्तकर्ता|প্রাপক|பெறுநர்|ผู้รับ
收件人|收货人|收貨人|受取人|수령인|받는 분
"""


def _labels(block: str) -> frozenset[str]:
    return frozenset(w.strip().lower() for line in block.strip().splitlines() for w in line.split("|") if w.strip())


ADDRESS_FIELD_LABELS: frozenset[str] = _labels(_ADDRESS_LABELS)
POSTCODE_LABELS: frozenset[str] = _labels(_POSTCODE_LABELS)
RECIPIENT_LABELS: frozenset[str] = _labels(_RECIPIENT_LABELS)


def _alt(labels: frozenset[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(labels, key=len, reverse=True))


# an address field's value (its label found by :func:`~labkit.controls.pii_name_fields.labelled_fields`):
# the rest of the line up to a tab or a bar ("Sok. No: 5" keeps its colon)
_ADDRESS_VALUE = re.compile(r"[ \t]*(?P<value>[^\n\t|]+)")
# cheap gates: a phrase or a recipient label needs one of these words in the text (lower case)
_PHRASE_KEYS = ("addr", "adres", "adress", "indirizzo", "direcci", "endere", "адрес", "osoittee", "alamat",
                "địa chỉ", "anwani")
# an address in a sentence after a phrase that announces it ("his address is …", "по адресу: …",
# "đến địa chỉ số 27 …", "osoitteeseen …"): the colon optional; not an IP, MAC, e-mail or web address
_ADDRESS_PHRASES = """
address is|new address is|address will be|adres is|adresse ist|adresse est|à l'adresse|a l'adresse
dirección es|a la dirección|en la dirección|indirizzo è|all'indirizzo|endereço é|no endereço|para o endereço
naar het adres|op het adres|an die adresse|na adres|na adresu|pod adresem|osoitteeseen|adresine|adresi şu
по адресу|на адрес|за адресою|на адресу|ke alamat|di alamat|alamatnya|địa chỉ|sa address na|kwa anwani
"""
_PHRASE_FIELD = re.compile(
    rf"(?i)(?<![\w-])(?<!ip )(?<!mac )(?<!mail )(?<!web )(?<!wallet )(?<!server )(?<!email )"
    rf"(?:{_alt(_labels(_ADDRESS_PHRASES))})(?:[ ](?:suivante|following|below|indiquée|siguiente|seguente|seguinte"
    r"|volgende|folgende|nouvelle|nueva|nuova|nova))?[ \t]*[:：]?[ \t]+(?P<value>[^\n\t|]+)")
# an Irish Eircode after its label ("Eircode A65 F4E2"): unlike most postcodes, one Eircode is one
# building, so it locates a person alone (a postcode alone is not an ADDRESS in the public sets'
# labelling: Presidio calls it ZIP_CODE)
_EIRCODE = re.compile(r"(?i)(?<![^\W_])eircode[ \t]*[:：]?[ \t]*(?P<value>[AC-FHKNPRTV-Y]\d[\dW][ ]?[0-9AC-FHKNPRTV-Y]{4})(?![\w-])")
# the lines after an address field's first line that go on with the address (a multi-line block):
# short, no label, no e-mail, not a phone number, not a sentence
_NEXT_LINE = re.compile(r"\n[ \t]*(?P<line>[^\n:：@]{2,80}?)[ \t]*(?=\n|$)")
_NOT_ADDRESS_LINE = re.compile(r"(?i)^(?:tel|tél|phone|ph|mob|mobile|cell|fax|e-?mail|dob|date|ref|iban|id|hp)\b"
                               r"|^[+(]?[\d() .-]{7,}$|[.!?]$")
# a recipient: the label, an optional colon, then a name up to a comma or a dash, then the address
_RECIPIENT = re.compile(
    rf"(?i)(?:^|(?<=[\s(:,;.]))(?:{_alt(RECIPIENT_LABELS)})[ \t]*[:：]?[ \t]+"
    r"(?P<name>[^\n,，:;@\d]{2,60}?)[ \t]*(?:,|，|[ ]—[ ]|[ ]–[ ]|[ ]-[ ])[ \t]*(?P<value>[^\n\t|]+)")
# a recipient label's first word must be a word of the text (a set intersection: "recipient", "deliver",
# "получатель"); a label glued to its colon in a wide script ("收件人：") is found from the colons
_RECIPIENT_OPENERS = frozenset(w.split()[0] for w in RECIPIENT_LABELS)
_WORD_EDGES = ":：,.;()[]\"'“”«»"
# where an address value ends: a phone or e-mail label after a comma, two spaces, a sentence end
# (a full stop after a number or a word of four letters and more, then a capital or the text's end)
_VALUE_END = re.compile(
    r"[ ]{2}|[ ][—–][ ]|(?:^|,[ ]?)(?i:tel|tél|tlf|tfn|puh|phone|ph|mob|mobile|cell|hp|call|e-?mail|dob|тел|τηλ)\b[.:]?"
    r"|(?<=[\d\w]{4})\.(?=\s+[^\W\d_])|(?<=\d)\.(?=\s+[^\W\d_])|(?<=\d)\.$|[.!?](?=\s*$)")
_EMAIL_OR_LINK = re.compile(r"@|https?:|www\.")
_DIGIT = re.compile(r"\d")
# what an address field holds when it holds no address
_NO_VALUE = re.compile(r"(?i)^(?:n/?a|none|unknown|tbd|tba|same(?: as above)?|see (?:above|below|attached)|as above"
                       r"|on file|withheld|redacted|not provided|not given|-+)$"
                       # a value that opens by saying where the address is, not what it is ("on file as CON-0001")
                       r"|^(?:on file|on record|in (?:the|our|your|my) |see |same |as (?:above|before|per)|unknown|not |"
                       r"unchanged|pending|attached|below|above)")


def _address_value(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The address inside the raw field value ``text[s:e]``, or ``None`` when it is no address."""
    value = text[s:e]
    if (cut := _VALUE_END.search(value)) is not None:
        value = value[:cut.start()]
    lead = len(value) - len(value.lstrip(" \t\"'“‘«〒"))
    value = value.strip(" \t\"'“”‘’«»〒").rstrip(",;")
    if len(value) < 5 or len(value) > 160 or _EMAIL_OR_LINK.search(value) or _NO_VALUE.match(value):
        return None
    if not (_DIGIT.search(value) or value.count(",") + value.count("،") + value.count("，") >= 2):
        return None  # an address holds a number (house, postcode) or at least three parts
    if not any(c.isalpha() for c in value):
        return None  # a number alone is no address ("Address: 12")
    return s + lead, s + lead + len(value)


# An address that opens with its unit or building and closes with its postcode, on one line: "Flat 3, 22
# Mill Road, Hove BN3 1AA", "Apt 4, The Granary, Quay Lane, Cork T12 X5P2", "House 9, Street 4, G-6/2,
# Islamabad 44000", "No. 8, Jalan Ampang 3/2, 50450 Kuala Lumpur". A unit word (English and the
# Commonwealth's, Malay, Swahili) and its number, then two to six comma-separated parts of no sentence
# (no full stop before a space, no colon), the last with a UK or Irish postcode, or a postcode of four to six
# digits with or before a town.
_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}|[AC-FHKNPRTV-Y]\d[\dW][ ][0-9AC-FHKNPRTV-Y]{4}|\d{4,6})"
_TOWN = r"[A-Z][^\W\d_]+(?:[ ][A-Z][^\W\d_]+){0,2}"
_UNIT_FIRST = re.compile(
    r"(?<![\w-])(?:Flat|Apt|Apartment|Unit|Suite|Studio|Room|House|H\.No|Blk|Block|Plot|Shop|Lot|No|Nyumba Na)"
    r"\.?[ ]?#?\d+[A-Za-z]?(?:-\d+)?,"
    r"(?P<parts>(?:[ ][^,\n:;@]{2,40}?,){1,6}?)"
    # the last part: a postcode, after a town or alone ("Hove BN3 3RE", "D08 R2Y4", "Islamabad 44000"),
    # or a postcode before its town ("47300 Petaling Jaya"), then perhaps a region (", Selangor")
    rf"[ ](?:(?:[^,\n:;@]{{1,40}}?[ ])?{_POSTCODE}|\d{{4,6}}[ ]{_TOWN})(?:,[ ]{_TOWN})?(?![\w-])")
_UNIT_WORDS = ("Flat", "Apt", "Apartment", "Unit", "Suite", "Studio", "Room", "House", "H.No", "Blk", "Block", "Plot",
               "Shop", "Lot", "No", "Nyumba")  # a gate: the pattern runs only where one stands
_SENTENCE_INSIDE = re.compile(r"[a-z]{3,}\.[ ]|[!?]")
_CAPITAL_WORD = re.compile(r"\b[A-Z][a-z]{2,}")


def _unit_first_spans(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for m in _UNIT_FIRST.finditer(text):
        before = text[:m.start()].rstrip(" ")
        if before and (before[-1] == "." or before.split()[-1][:1].isupper()) and before[-1] not in ",:;\n":
            continue  # "Jl. Diponegoro No. 45": a house number after its street, not a unit opening an address
        span = text[m.start():m.end()]
        parts = [p.strip() for p in m.group("parts").split(",") if p.strip()]
        if _SENTENCE_INSIDE.search(span) or not all(p[:1].isupper() or p[:1].isdigit() or p[:1] == "#"
                                                    for p in parts) or not _CAPITAL_WORD.search(span):
            continue  # each part a name or a number ("page 12, line 20000" is no address)
        if all(everyday_not_first(w) for w in _CAPITAL_WORD.findall(span)):
            continue  # only everyday words ("Unit 3, Build 2024, Release 5, Patch 11000"): no place named
        out.append((m.start(), m.end()))
    return out


def _block_end(text: str, end: int, line_end: int) -> int:
    """Where a multi-line address that a field opens ends: its first line's value ends at ``end`` (the
    whole line when ``end == line_end``); up to four lines after it that go on with the address
    ("Address: Studio 27o\nDuncan Loaf\nHarveybury\nHA0P 0BH")."""
    if end != line_end:
        return end
    for _ in range(4):
        m = _NEXT_LINE.match(text, end)
        if m is None or _NOT_ADDRESS_LINE.search(m.group("line")):
            break
        end = m.end("line")
    return end


def field_address_spans(text: str, candidates: Candidates | None = None) -> list[tuple[str, int, int]]:
    """``(type, start, end)`` of addresses given as a field's value ("Address: …", "Postcode: IV2 4WR")
    or after a recipient's name ("Recipient: NAME, address"; the name as NAME when it reads as one).

    Example:
        >>> t = "Lakcím: 9021 Győr, Baross Gábor út 14.\\nEircode A65 F4E2."
        >>> [(k, t[s:e]) for k, s, e in field_address_spans(t)]
        [('ADDRESS', '9021 Győr, Baross Gábor út 14'), ('ADDRESS', 'A65 F4E2')]
    """
    out: list[tuple[str, int, int]] = []
    if ":" in text or "：" in text:
        for _, _, vs in labelled_fields(text, ADDRESS_FIELD_LABELS, candidates):
            if (m := _ADDRESS_VALUE.match(text, vs)) is not None and (
                    span := _address_value(text, *m.span("value"))) is not None:
                out.append(("ADDRESS", span[0], _block_end(text, span[1], m.end("value"))))
    lower = text.lower()
    words = frozenset(w.strip(_WORD_EDGES) for w in lower.split())
    phrases = any(k in lower for k in _PHRASE_KEYS)
    for m in _PHRASE_FIELD.finditer(text) if phrases else ():
        if (span := _address_value(text, *m.span("value"))) is not None:
            out.append(("ADDRESS", span[0], _block_end(text, span[1], m.end("value"))))
    out.extend(("ADDRESS", *m.span("value")) for m in _EIRCODE.finditer(text) if "ircode" in lower)
    if "," in text and any(w in text for w in _UNIT_WORDS) and _DIGIT.search(text):
        out.extend(("ADDRESS", s, e) for s, e in _unit_first_spans(text))
    recipient = not _RECIPIENT_OPENERS.isdisjoint(words) or bool(labelled_fields(text, RECIPIENT_LABELS, candidates))
    for m in _RECIPIENT.finditer(text) if recipient else ():
        name_s, name_e = m.span("name")
        name = text[name_s:name_e].strip()
        while (first := name.split(" ", 1))[1:] and fold(first[0].rstrip(".")) in LEAD_WORDS:
            name = first[1].lstrip()  # "Fam. Berardi", "Bw. Juma Otieno": the title is not the name
        if not is_name_value(name):
            continue  # "Deliver to the front desk, …": no person, so no shipping line
        name_s += text[name_s:name_e].rindex(name)
        out.append(("NAME", name_s, name_s + len(name)))
        if (span := _address_value(text, *m.span("value"))) is not None:
            out.append(("ADDRESS", *span))
    return out
