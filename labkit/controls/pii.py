"""PII detection and reversible redaction: patterns, validators and packaged data, no NER model.

What it does: finds e-mail addresses, phone numbers, payment cards, IBANs, national ids
(US SSN, UK NINO, French NIR), IP addresses, dates of birth, person names and postal addresses
in free text; replaces each with a stable placeholder such as ``<EMAIL_1>`` or ``<NAME_1>``
before anything leaves for the model provider; and puts the
original values back (re-hydrates) in the answer for a caller who may see them. The Direct
API client calls :func:`redact_messages` on every outgoing request, so no other pattern has
to think about it.

How: each entity type has a candidate regular expression and, where one exists, a validator
that removes look-alikes — Luhn, network first digits and product-code cues for cards (12 digits
only for Maestro), ISO 13616 mod-97 and the per-country length for IBANs, the SSA rules for SSNs,
the HMRC prefix rules for NINOs, ``python-stdnum`` for the French NIR, octet ranges for IPv4,
:mod:`ipaddress` for IPv6, a real calendar date after a birth label in about 60 languages, in any
script's digits and in the Gregorian, Thai Buddhist or Persian/Islamic years (:mod:`labkit.controls.pii_dob`,
since round 15) for dates of birth; bare-digit
national ids (CPF, PESEL, T.C. Kimlik, Aadhaar, China's resident id) after their cue word and only
with valid check digits (``python-stdnum``). Phones: a broad candidate, shape and cue rules (NANP
layouts, a trunk 0, a label such as "Mobile:" in English or 15 other languages), then libphonenumber
(``phonenumbers``) must call it a possible number for one of :data:`PHONE_REGIONS`, or it is written in
the national layout of one of :data:`LAYOUT_REGIONS` and valid there. Names and addresses come from
:mod:`labkit.controls.pii_names` (census
name lists, word frequencies, titles and cues) and :mod:`labkit.controls.pii_address` (street
patterns), whose spans' ends :mod:`labkit.controls.pii_address_edges` sets (postcodes, unit words), with
Chinese and Korean addresses by their administrative units from :mod:`labkit.controls.pii_address_admin`,
and, since round 16, names and addresses read from the form around them: a labelled field's value
(:mod:`labkit.controls.pii_name_fields`, :mod:`labkit.controls.pii_address_fields`), a shipping line's
recipient, a phrase that announces an address. Literal ``\\n`` escapes are blanked before scanning, offsets unchanged. Overlapping
candidates are resolved longest-first, so a card number is never also reported as a phone number.

What it does not do: run a language model. NER libraries (spaCy, Presidio's default recogniser)
need model downloads this lab cannot do; names and addresses are found from what packages ship,
which misses names with no cue that no list knows (see README, "PII on public data"). It also
does not decide who may see re-hydrated output — that is the caller's authorisation.

Fail closed: any unexpected error inside detection or redaction raises
:class:`~labkit.errors.RedactionFailed`, so a bug never lets raw text through.

Example:
    >>> r = redact("Mail jane.doe@example.com or call +44 20 7946 0958.")
    >>> r.text
    'Mail <EMAIL_1> or call <PHONE_1>.'
    >>> rehydrate("I wrote to <EMAIL_1>.", r.mapping)
    'I wrote to jane.doe@example.com.'
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from anyascii import anyascii
from pydantic import BaseModel, Field, model_validator
from stdnum.fr import nir as _fr_nir

from labkit.controls.pii_address import address_spans
from labkit.controls.pii_address_admin import admin_address_spans, glued_overrun, latin_admin_address_spans
from labkit.controls.pii_address_bounds import settle_address_spans
from labkit.controls.pii_address_caseless import caseless_address_spans, caseless_heading
from labkit.controls.pii_address_edges import street_postcode_town_spans, tidy_address
from labkit.controls.pii_address_fields import field_address_spans
from labkit.controls.pii_digits import ascii_digit_view, ocr_zero_view
from labkit.controls.pii_dob import dob_spans, is_weekday, month_numbers, weekday_names
from labkit.controls.pii_name_chat import chat_name_spans, form_labels
from labkit.controls.pii_name_coref import mention_spans
from labkit.controls.pii_name_cues import FORM_LABELS, GROUP_WORDS, LATIN_SIGN_OFFS, TITLE_WORDS, fold, label_key
from labkit.controls.pii_name_edges import cut_lead_words, cut_unknown_role, join_name_parts
from labkit.controls.pii_name_fields import field_label_spans, field_name_spans, label_candidates, trim_name
from labkit.controls.pii_name_letter import letter_frame_spans
from labkit.controls.pii_name_openers import function_word_opener, workplace_place
from labkit.controls.pii_name_roster import caps_surname_before, roster_name_spans, trim_other_script
from labkit.controls.pii_names import (
    UPPER,
    caseless_common,
    caseless_cue_spans,
    everyday_opener,
    is_first_name,
    is_known_name,
    is_territory,
    load_all,
    lower_case_cue_spans,
    lower_case_position_spans,
    name_spans,
    sign_off_spans,
    strip_caseless_title,
)
from labkit.controls.pii_script import latin_view
from labkit.errors import RedactionFailed
from labkit.jsonlines import read_models

ENTITY_TYPES: tuple[str, ...] = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB", "NAME", "ADDRESS")

# On equal length the earlier type wins (a Luhn-valid card beats a phone-shaped digit run).
_PRIORITY = {t: i for i, t in enumerate(
    ("CARD", "IBAN", "NATIONAL_ID", "EMAIL", "IP", "DOB", "PHONE", "ADDRESS", "NAME"))}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected PII value: its type and the ``[start, end)`` span in the text."""

    type: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Redaction:
    """The redacted text, the placeholder -> original mapping, and what was found."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


# --- validators ---------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment cards.

    Example:
        >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
        (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ISO 13616 lengths for the countries most likely to appear; others only need 15-34 chars.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26,
}


def iban_ok(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) has its country's length and passes mod-97.

    Example:
        >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82 WEST 1234 5698 7654 33")
        (True, False)
    """
    s = iban.replace(" ", "").upper()
    if not (15 <= len(s) <= 34) or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(number) % 97 == 1


def ssn_ok(area: str, group: str, serial: str, cued: bool = False) -> bool:
    """US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000.

    With a cue ("SSN", "social security number", "ITIN") the 900-999 areas count too: they are
    taxpayer ids (ITINs), and a person's number written after such a cue is PII either way.
    """
    a = int(area)
    return a != 0 and a != 666 and (a < 900 or cued) and group != "00" and serial != "0000"


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_ok(prefix: str) -> bool:
    """UK NINO prefix rules: D, F, I, Q, U, V never used; O not second; some pairs reserved."""
    p = prefix.upper()
    return (
        p[0] not in "DFIQUV"
        and p[1] not in "DFIQUVO"
        and p not in _NINO_BAD_PREFIXES
    )


# --- candidate patterns -------------------------------------------------------------------

# Scripts written without spaces between words (Thai, kana, Han, Hangul, full-width forms): a value
# glued to one of their letters ("邮箱sunli@…", "联系电话139-1088-2233", "02-3456-7890으로") still
# stands apart from it, where a Latin letter or digit glued to it would make it part of a longer token.
# Ethiopic (round 22) writes spaces, but its prepositions are letters glued to the next word ("በ0911 …",
# by/at 0911 …), so a value after an Ethiopic letter stands apart too.
_SPACELESS = "\u0e00-\u0e7f\u1200-\u139f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
_WORD_NOT_SPACELESS = rf"[^\W{_SPACELESS}]"

_EMAIL = re.compile(
    rf"(?<!{_WORD_NOT_SPACELESS}|[.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{{0,63}})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    rf"(?!{_WORD_NOT_SPACELESS}|-)"
)

# Runs of digit groups separated by one space or dash; Luhn decides which windows are cards.
_DIGIT_RUN = re.compile(r"(?<![\d-])\d+(?:[ -]\d+)*(?!\d)")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_NEAR = re.compile(r"(?i)\b(?:ssn|itin|social[ ]security|tax(?:payer)?[ ]id)\b[^\n]{0,30}$")
# French social security number (NIR/INSEE): 15 digits, spaces allowed; python-stdnum checks
# the sex digit, month, department and the mod-97 key.
_NIR = re.compile(r"(?<![\w-])[12478] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])")
_SSN_CUE = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\b[\s:#=]*(?:is\s+)?(\d{3})(\d{2})(\d{4})\b")

_NINO = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-Da-d])(?![A-Za-z0-9])")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d|\w)")
_VERSION_CUE = re.compile(r"(?i)(?:\b(?:version|ver|release|build|firmware|v|rv:)\.?\s*(?:is\s+|to\s+|of\s+)?|\bv|\brv:)$")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])")

# Phones: a broad candidate (digits, separators, parentheses, an optional extension); the shape
# and cue rules below and libphonenumber (`phonenumbers`) decide.
# A comma glued before the number (not a thousands comma after a digit) is a CSV field boundary: a
# comma and a digit right after the number are then the next field ("…,646-555-0111,364-44-9665").
# A hyphen before the number blocks it (a part of an id: "ACC-0521 555 …"), except after a Hebrew
# one-letter prefix, which Hebrew joins to a number with a hyphen ("ב-052-…": "at 052-…"; round 18).
# French writes an extension "poste" ("418 555-0163 poste 204"). (After a comma, the sets' gold
# disagrees: fresh14 takes ", poste 204", fresh12 leaves ", extension 4" out; neither is taken.)
# (the lookahead first: a position where no number can start is left at once, before the lookbehinds;
# round 18, the scan 10 -> 4 us per text of datasets/eval)
_PHONE = re.compile(
    rf"(?=[(+\d])(?<!{_WORD_NOT_SPACELESS}|[+/.])(?<!(?<![בלמהושכ])-)(?<![^\W\d_][בלמהושכ]-)(?<!\d,)(?P<csv>(?<=,))?"
    r"(?:\+|\(\+?)?\d[\d ().\-/]{5,26}\d"
    r"(?P<ext>[ ]?(?:x|ext\.?|extension|poste|#)[ ]?\d{1,6})?"
    rf"(?(csv)(?!{_WORD_NOT_SPACELESS}|[./-]\d)|(?!{_WORD_NOT_SPACELESS}|[.,/-]\d))"
)
# Cue words: unambiguous ones may stand two words before the number ("call me on"); words that
# are also ordinary nouns ("desk", "office") count only as a label right before it ("Desk: ").
_PHONE_CUE = re.compile(
    r"(?i)(?:\b(?:phone|tel|telephone|mobile|mob|cell|call|fax|contact number|whatsapp|sms|landline|hotline|"
    r"telefon|handy|mobil|rufnummer|portable|t[ée]l[ée]phone|t[ée]l)\b[^\n\w]{0,4}(?:\w+\W{1,3}){0,2}"
    r"|\b(?:desk|office|direct|home|work|ph|text|dial|fixe|switchboard)[ ]?[:.][ ]*)$")
# The same cue in other languages (es, it, pt, nl, pl, tr, ru, ar, hi, zh, ja, ko, vi, id, sv): words of
# a script without spaces or with combining marks stand without word boundaries ("联系电话139…").
_PHONE_CUE_OTHER = re.compile(
    r"(?i)(?:\b(?:tel[ée]fono|m[óo]vil|celular|cel|tel[ée]fone|telem[óo]vel|telefoon|mobiel|mobiele|bellen|"
    r"llamar|ll[áa]mame|ll[áa]male|m[áa]rcale|m[áa]rcame|cellulare|chiamare|chiamami|kom[óo]rka|telefonu|"
    r"gsm|телефон|тел|моб|мобильный|сотовый|điện[ ]thoại|đt|sđt|di[ ]động|telepon|telp|ponsel|"
    r"mobilnummer|mobiltelefon|ring)\b"
    r"|هاتف|الهاتف|جوال|الجوال|موبايل|मोबाइल|फ़ोन|फोन|दूरभाष|电话|電話|手机|手機|携帯|連絡先|联系方式|연락처|전화|"
    r"휴대폰|핸드폰|문의)[^\n\w]{0,4}(?:\w+\W{1,3}){0,3}$")
_PHONE_AFTER = re.compile(r"(?i)^[ ]?[-–(]?[ ]?(?:office|fax|mobile|cell|home|work|desk|direct|tel)\b")
_NOT_PHONE_CUE = re.compile(
    r"(?i)\b(?:order|invoice|inv|ref|reference|ticket|account|acct|po|id|no|number|sku|serial|tracking|case|"
    r"part|batch|ean|isbn|barcode|epoch|build|version|release|kb|quote|item|lot)\b"
    r"(?:[\s.#:-]*(?:is|was|no|nr|num|number|id|ref|#))*[\s.#:-]*$")
# The same in other languages (de, es, it, pt, nl, pl, tr, ru, hi, zh, ja, ko): an order, invoice,
# parcel or reference number is not a phone number (nor a card)
_NOT_NUMBER_CUE_OTHER = re.compile(
    r"(?i)(?:\b(?:nr|bestellung|bestellnummer|auftrag|rechnung|sendung|pedido|referencia|factura|ordine|fattura|"
    r"riferimento|encomenda|fatura|refer[êe]ncia|bestelling|factuur|zam[óo]wieni[ae]|faktura|przesy[łl]ki|"
    r"sipari[şs]|fatura|заказ[а]?|сч[её]т|накладная)\b|订单号?|单号|注文番号|注文|伝票番号|주문번호|주문|송장번호|ऑर्डर)"
    r"[^\n\w]{0,3}(?:\w+\W{1,3}){0,1}$")
# a number label with nothing before it that names what it numbers ("nr ", "No. ", "number: ", "№ ")
# (round 18: "her number is 0300 …" says only that a number follows, as "number:" does)
_BARE_NUMBER_WORD = re.compile(r"(?i)(?:nr|no|num|number|n°|nº|№)(?:[ ]+(?:is|was))?[\s.#:-]*")
_NANP = re.compile(r"^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}$")
_DATEISH = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2})(?!\d|[./-]\d)")
_BAD_SEPARATORS = re.compile(r"[ .\-/]{2,}|\(\(|\)\)|\(\)")
# Regions whose national formats a number without a country code may be in, in the order tried:
# the lab's users are in the EU/EEA, Switzerland, the UK, North America, Australia and New Zealand
# (the first eleven were the list up to round 4; the rest were added in round 5, when fresh2 showed
# Portuguese, Polish, Danish, Swedish and Austrian numbers written without a country code).
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "IT", "ES", "NL", "CH", "AT", "BE", "IE",
    "BG", "CY", "CZ", "DK", "EE", "FI", "GR", "HR", "HU", "LT", "LU", "LV", "MT", "PL", "PT", "RO", "SE",
    "SI", "SK", "IS", "LI", "NO", "CA", "AU", "NZ")
# Those of them whose national numbers have no trunk prefix (no leading 0): "962 681 299" (PT),
# "600 791 322" (PL), "93 57 12 78" (DK). Read from libphonenumber's metadata, not written by hand.
def _has_trunk_prefix(region: str) -> bool:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:  # every region above ships metadata; a future phonenumbers without one fails loudly
        raise RedactionFailed(f"phonenumbers has no metadata for region {region}")
    return bool(meta.national_prefix)


_NO_TRUNK_REGIONS: tuple[str, ...] = tuple(r for r in PHONE_REGIONS if not _has_trunk_prefix(r))
# A number grouped the way such numbers are written: three or four groups of two or three digits,
# eight or nine digits in all, single spaces (round amounts with spaced thousands, "125 000 000",
# and amounts followed by a currency are ruled out where it is used)
_GROUPED_NATIONAL = re.compile(r"^[1-9]\d{1,2}(?: \d{2,3}){2,3}$")
_AMOUNT_AFTER = re.compile(r"(?i)^\s?(?:[€$£¥]|eur|usd|gbp|chf|kr|sek|dkk|nok|pln|zł|czk|kč|ft|huf|lei|ron)")

# --- detection ----------------------------------------------------------------------------

# Cheap gates before the regexes: most prompt text has no digit, no "@" and no DOB cue, and a
# C-level scan for one character is far cheaper than running every pattern over it.
_ANY_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=8)
def _digits_in(text: str) -> int:
    """How many digits ``text`` holds. A cheap gate before the number finders: a card needs 12,
    a phone number 7 and every national id format but the codice fiscale 6, so most prose (a
    chat turn with an order number) skips their scans without changing what they find. (Four
    finders ask about the same text in turn: it is counted once.)"""
    return len(_ANY_DIGIT.findall(text))

_CARD_CUE = re.compile(r"(?i)\b(?:card|cc|visa|master ?card|amex|american express|maestro|discover|diners|jcb|"
                       r"credit|debit|payment|pay|charge|karte|carte)\b")
_NOT_CARD_CUE = re.compile(r"(?i)\b(?:ean|gtin|upc|barcode|isbn|sku|article|art|part|serial|sn|order|tracking|"
                           r"invoice|inv|ref|reference|batch|lot|item|account|acct|kb)\b[^\n\d]{0,12}$")


def _card_shaped(digits: str, group_lengths: list[int]) -> bool:
    """Card numbers never start with 0 and are printed whole, in fours, or 4-6-5 / 4-6-4.

    12 digits only for Maestro (IIN 50, 56-69), the one network that issues them.
    """
    if digits[0] == "0" or len(set(digits)) == 1:
        return False
    if len(digits) == 12 and not (digits[:2] == "50" or "56" <= digits[:2] <= "69"):
        return False
    if len(group_lengths) == 1:
        return True
    if group_lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in group_lengths[:-1]) and 1 <= group_lengths[-1] <= 4


def _card_context_ok(text: str, start: int, digits: str) -> bool:
    # Networks issue cards starting 2-6 (Visa 4, Mastercard 2/5, Amex/Diners/JCB 3, Discover,
    # Maestro and UnionPay 6). Other first digits, or a product/order code cue ("EAN", "SKU",
    # "invoice") before the number, need a card cue: one EAN-13 in ten passes Luhn by chance.
    before = text[max(0, start - 40):start]
    if (_NOT_CARD_CUE.search(before) or _NOT_NUMBER_CUE_OTHER.search(before)) and not _CARD_CUE.search(before[-25:]):
        return False
    return digits[0] in "23456" or bool(_CARD_CUE.search(before))


def _card_candidates(text: str) -> Iterator[Finding]:
    if _digits_in(text) < 12:  # the shortest card (a 12-digit Maestro) has 12 digits
        return
    # Take whole runs of digit groups, then find Luhn-valid windows of 12-19 digits on group
    # boundaries, left to right and longest first: a card next to an order number or a second
    # card must not hide inside one over-long regex match.
    for m in _DIGIT_RUN.finditer(text):
        raw = m.group(0)
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", raw)]
        if sum(e - s for s, e in groups) < 12:
            continue
        i = 0
        while i < len(groups):
            count, ends = 0, []
            for j in range(i, len(groups)):
                count += groups[j][1] - groups[j][0]
                if count > 19:
                    break
                if count >= 12:
                    ends.append(j)
            hit = None
            for j in reversed(ends):
                s, e = groups[i][0], groups[j][1]
                digits = re.sub(r"\D", "", raw[s:e])
                if len(digits) == 12 and (i > 0 or j < len(groups) - 1):
                    continue  # a 12-digit Maestro only as a whole run, not a slice of a longer one
                if (_card_shaped(digits, [ge - gs for gs, ge in groups[i:j + 1]]) and luhn_ok(digits)
                        and _card_context_ok(text, m.start() + s, digits)):
                    hit = (j, s, e)
                    break
            if hit is None:
                i += 1
                continue
            j, s, e = hit
            yield Finding("CARD", m.start() + s, m.start() + e, raw[s:e])
            i = j + 1


def _iban_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    pos = 0
    while (m := _IBAN.search(text, pos)) is not None:
        raw = m.group(0)
        expected = _IBAN_LENGTHS.get(raw[:2])
        # The greedy pattern may run into a following code (even a second IBAN): trim to the
        # country's length, and rescan right after what was taken.
        lengths = [expected] if expected else range(34, 14, -1)
        found = None
        for n in lengths:
            count, end = 0, 0
            for idx, ch in enumerate(raw):
                if ch != " ":
                    count += 1
                    if count == n:
                        end = idx + 1
                        break
            if end and (end == len(raw) or raw[end] == " ") and iban_ok(raw[:end]):
                found = Finding("IBAN", m.start(), m.start() + end, raw[:end])
                break
        if found is not None:
            yield found
            pos = found.end
        else:
            pos = m.start() + 1


# Other countries' personal id numbers, checked by python-stdnum (check digits, embedded dates).
# Formats distinctive enough to stand alone: Italian codice fiscale, Swiss AHV (756...), Swedish
# personnummer and Finnish henkilötunnus (a birth date, a separator, a check), Spanish DNI/NIE.
_ID_FORMATS: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    # (cheap gate, pattern, python-stdnum module); a gate is one simple run most text lacks
    (re.compile(r"[A-Z]{6}"),
     re.compile(r"(?<![\w-])[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![\w-])"),
     "it.codicefiscale"),
    (re.compile(r"756"), re.compile(r"(?<![\w.-])756[.]?\d{4}[.]?\d{4}[.]?\d{2}(?![\w-]|\.\d)"), "ch.ssn"),
    (re.compile(r"\d{6}[-+]"), re.compile(r"(?<![\w+-])(?:\d{2})?\d{6}[-+]\d{4}(?![\w-])"), "se.personnummer"),
    (re.compile(r"\d{6}[-+A]"), re.compile(r"(?<![\w+-])\d{6}[-+A]\d{3}[0-9A-Y](?![\w-])"), "fi.hetu"),
    (re.compile(r"\d{8}-?[A-Z]"), re.compile(r"(?<![\w-])\d{8}-?[A-Z](?![\w-])"), "es.dni"),
    (re.compile(r"\d{7}-?[A-Z]"), re.compile(r"(?<![\w-])[XYZ]-?\d{7}-?[A-Z](?![\w-])"), "es.nie"),
    # Brazil's CPF in its printed form 000.000.000-00 (bare, its 11 digits need a cue: _CHECKED_IDS)
    (re.compile(r"\.\d{3}-\d\d"), re.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-]|[.-]\d)"), "br.cpf"),
)
# Ids that are bare digit runs, taken only after their own cue word and only when their check digits
# hold (python-stdnum): a ticket or order number of the same length passes a checksum by chance, so the
# cue is the evidence, the checksum the confirmation. Some cues are short or ordinary words ("TC",
# "CPF") or written in a script without spaces ("身份证440305…"), so unlike :data:`_ID_CUE` they do
# not take an unchecked value.
_CHECKED_IDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(?:\bcpf|\bcadastro[ ]de[ ]pessoas?[ ]f[íi]sicas?)\b[\s:#.ºnN°]*$"), "br.cpf"),
    (re.compile(r"(?i)\b(?:numer[ ])?pesel\b[\s:#.]*(?:nr\.?[\s:]*)?$"), "pl.pesel"),
    (re.compile(r"(?i)(?:\bt\.?[ ]?c\.?(?:[ ]?kimlik)?|\bkimlik|\btckn)\b\.?"
                r"(?:[ ]?(?:no|numaras[ıi])\b\.?)?[\s:#.]*$"), "tr.tckimlik"),
    (re.compile(r"(?i)(?:\baadh?aa?r\b|\buidai?\b|आधार)[^\n\d]{0,16}$"), "in_.aadhaar"),
    (re.compile(r"(?:身份证|身份證|公民身份号码|居民身份证)[^\n\d]{0,6}$"
                r"|(?i:\b(?:resident|citizen)[ ]id(?:entity)?(?:[ ]card)?(?:[ ](?:no|number))?)[\s:#.]*$"), "cn.ric"),
)
_CHECKED_CUE_WORDS = ("cpf", "cadastro", "pesel", "kimlik", "tc", "t.c", "tckn", "aadh", "uid", "आधार", "身份",
                      "resident", "citizen")
# a run of digits in groups (a last X: China's check character); glued to a letter of a script without
# spaces is allowed ("身份证440305…")
_CHECKED_VALUE = re.compile(r"(?<![0-9A-Za-z./-])\d(?:[ .-]?\d){8,17}[ ]?[\dXx]?(?![0-9A-Za-z-]|[.-]\d)")
# A cue that says the next value is a person's id number (English, German, French, Spanish,
# Italian, Dutch, Portuguese, Polish, Nordic, Czech): after it, an id-shaped value is taken
# whatever its checksum says (fail closed: a mistyped or test number is still meant as an id).
_ID_CUE = re.compile(
    r"(?i)\b(?:ssn|social[ ]security(?:[ ]number|[ ]no\.?)?|national[ ]insurance(?:[ ]number)?|nino|"
    r"national[ ]id(?:entity|entification)?(?:[ ]number|[ ]no\.?)?|personal[ ]id(?:entification)?(?:[ ]number)?|"
    r"id(?:entity)?[ ]card[ ]number|passport[ ]number|tax[ ]id(?:entification)?(?:[ ]number)?|"
    r"bsn|burgerservicenummer|sofinummer|pesel|cpr(?:-nummer)?|personnummer|f[øo]dselsnummer|henkil[öo]tunnus|"
    r"kennitala|rodn[ée][ ][čc][íi]slo|codice[ ]fiscale|dni|nie|nif|nuss|ahv(?:-nummer)?|avs|"
    r"sozialversicherungsnummer|steuer-?id|num[ée]ro[ ]de[ ]s[ée]curit[ée][ ]sociale|"
    r"n[úu]mero[ ]de[ ]identifica[cç][ãa]o|cart[ãa]o[ ]de[ ]cidad[ãa]o|numer[ ]pesel)\b"
    r"[\s:#=.-]*(?:(?:is|was|ist|est|es|è|is:)[\s:]+)?$")
_ID_VALUE = re.compile(r"(?<![\w-])[A-Z0-9](?:[A-Z0-9]|[ .\-/](?=[A-Z0-9])){5,22}(?![\w-])")


@cache
def _stdnum(name: str) -> Any:
    import importlib

    return importlib.import_module(f"stdnum.{name}")


# Cheap gate for the cue rule: most text has no id cue word
_ID_CUE_WORDS = ("ssn", "social", "insurance", "nino", "national", "personal", "passport", "tax", "bsn",
                 "burgerservice", "sofinummer", "pesel", "cpr", "personnummer", "dselsnummer", "henkil", "kennitala",
                 "rodn", "codice", "dni", "nie", "nif", "nuss", "ahv", "avs", "sozialversicherung", "steuer",
                 "curit", "identifica", "cidad", "id card")


def _other_id_candidates(text: str, digits: int) -> Iterator[Finding]:
    """Ids of the formats in :data:`_ID_FORMATS`, and id-shaped values after a cue; ``digits``
    is how many digits ``text`` holds (every format but the codice fiscale needs 7 or more, a
    cued value 6)."""
    for gate, rx, module in _ID_FORMATS:
        if (digits < 6 and module != "it.codicefiscale") or not gate.search(text):
            continue
        for m in rx.finditer(text):
            if _stdnum(module).is_valid(m.group(0)):
                yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))
    if digits < 6:
        return
    low = text.lower()
    if digits >= 9 and any(word in low for word in _CHECKED_CUE_WORDS):
        yield from _checked_id_candidates(text)
    if not any(word in low for word in _ID_CUE_WORDS):
        return
    for m in _ID_VALUE.finditer(text):
        # The value pattern also takes capitalised words before the number ("PESEL 87041209151" is
        # one match): try it from each word of the match, so a cue written in capitals stays a cue.
        starts = [0] + [i + 1 for i, ch in enumerate(m.group(0)) if ch == " "]
        for offset in starts:
            start = m.start() + offset
            value = text[start:m.end()]
            # an id after a cue: six digits or more, and not a date or a phrase of words
            if sum(c.isdigit() for c in value) < 6 or _DATEISH.match(value):
                break
            if _SSN.fullmatch(value):
                break  # US-SSN-shaped: the SSA rules decide (below); "000-12-3456" is no one's number
            if offset and _NINO.fullmatch(value):
                break  # NINO-shaped after a capitalised cue ("NINO ZZ123456C"): the HMRC rules decide (below)
            if _ID_CUE.search(text[max(0, start - 45):start]):
                yield Finding("NATIONAL_ID", start, m.end(), value)
                break


def _checked_id_candidates(text: str) -> Iterator[Finding]:
    """Values of :data:`_CHECKED_IDS`: after the format's cue, and valid by its check digits; the
    longest valid prefix ending on a digit group is taken (the run may go on into other digits)."""
    for m in _CHECKED_VALUE.finditer(text):
        before = text[max(0, m.start() - 40):m.start()]
        for cue, module in _CHECKED_IDS:
            if not cue.search(before):
                continue
            raw = m.group(0)
            ends = [len(raw)] + [i for i in range(len(raw) - 1, 0, -1) if raw[i] in " .-" and raw[i - 1].isdigit()]
            hit = next((e for e in ends if _stdnum(module).is_valid(raw[:e])), None)
            if hit is not None:
                yield Finding("NATIONAL_ID", m.start(), m.start() + hit, raw[:hit])
                break


def _national_id_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    digits = _digits_in(text)
    yield from _other_id_candidates(text, digits)
    if digits < 6:  # a NINO has 6 digits, SSNs 9, a NIR 13: none fits in fewer
        return
    for m in _SSN.finditer(text):
        cued = bool(_SSN_NEAR.search(text[max(0, m.start() - 40):m.start()]))
        if ssn_ok(m.group(1), m.group(3), m.group(4), cued):
            yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))
    for m in _NIR.finditer(text):
        if _fr_nir.is_valid(m.group(0)):
            yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))
    for m in _SSN_CUE.finditer(text):
        if ssn_ok(m.group(1), m.group(2), m.group(3)):
            yield Finding("NATIONAL_ID", m.start(1), m.end(3), text[m.start(1):m.end(3)])
    for m in _NINO.finditer(text):
        prefix, suffix = m.group(1), m.group(5)
        # Mixed case is prose, not an id ("is 12 34 56 a"); accept all-upper or all-lower.
        if not (prefix.isupper() and suffix.isupper()) and not (prefix.islower() and suffix.islower()):
            continue
        if prefix.islower() and " " in m.group(0):
            continue
        if nino_ok(prefix):
            yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))


def _ip_candidates(text: str) -> Iterator[Finding]:
    # an IPv4 address has 4 digits and 3 dots; an IPv6 one compresses (::) or has 7 colons
    if not ("::" in text or text.count(":") >= 7 or (text.count(".") >= 3 and _digits_in(text) >= 4)):
        return
    for m in _IPV4.finditer(text):
        # "version 10.4.2.1" is a four-part version number, not an address
        if _VERSION_CUE.search(text[max(0, m.start() - 20):m.start()]):
            continue
        yield Finding("IP", m.start(), m.end(), m.group(0))
    for m in _IPV6.finditer(text):
        raw = m.group(0)
        # "10:30:00" is a time; a real IPv6 either compresses (::) or has all eight groups.
        if "::" not in raw and raw.count(":") < 7:
            continue
        try:
            ipaddress.IPv6Address(raw)
        except ValueError:
            continue
        yield Finding("IP", m.start(), m.end(), raw)


def _phone_possible(core: str, intl: bool) -> bool:
    """libphonenumber's view: a possible number (length and country code) for some region.

    Fake and fictitious numbers (555, unassigned area codes) are still someone's number in the
    text, so this asks "possible", not "valid" (assigned ranges).
    """
    regions = ("DE",) if intl and not core.lstrip("(").startswith("+") else PHONE_REGIONS
    if intl and core.startswith("011"):
        regions = ("US",)
    return _parses_in(core, regions, phonenumbers.is_possible_number)


def _parses_in(core: str, regions: Iterable[str], accept: Callable[[phonenumbers.PhoneNumber], bool]) -> bool:
    """Whether ``core`` read as a number of one of ``regions`` passes ``accept`` (tried in order)."""
    for region in regions:
        try:
            number = phonenumbers.parse(core, region)
        except phonenumbers.NumberParseException:
            continue
        if accept(number):
            return True
    return False


def _valid_somewhere(core: str) -> bool:
    """A number grouped like a phone number (two to five groups) and valid (an assigned range) in
    one of :data:`PHONE_REGIONS` or :data:`LAYOUT_REGIONS` (round 17: after a bare number label)."""
    if not 2 <= len(_digit_groups(core)) <= 5:
        return False
    return _parses_in(core, PHONE_REGIONS + LAYOUT_REGIONS, phonenumbers.is_valid_number)


def _national_without_trunk(core: str, digits: str, after: str) -> bool:
    """A national number of a country without a trunk prefix, grouped like one and valid there
    (assigned ranges, not just a possible length): "962 681 299" (PT). Round thousands and an
    amount's currency (``after``: the text that follows) rule it out."""
    return (bool(_GROUPED_NATIONAL.match(core)) and 8 <= len(digits) <= 9 and not core.endswith(" 000")
            and not _AMOUNT_AFTER.match(after) and _parses_in(core, _NO_TRUNK_REGIONS, phonenumbers.is_valid_number))


# Regions outside :data:`PHONE_REGIONS` whose numbers a text may carry written the way the country
# writes them (`_national_layout`): the most populous countries and the largest economies of Asia,
# Latin America, Africa and the Middle East.
LAYOUT_REGIONS: tuple[str, ...] = (
    "CN", "HK", "TW", "JP", "KR", "IN", "PK", "BD", "ID", "PH", "VN", "TH", "MY", "SG", "BR", "MX", "AR", "CO",
    "CL", "PE", "TR", "RU", "UA", "NG", "ZA", "KE", "EG", "MA", "SA", "AE", "IL")


def _digit_groups(s: str) -> list[int]:
    return [len(g) for g in re.findall(r"\d+", s)]


_FORMAT_GROUP = re.compile(r"\(\\d(?:\{(\d+)(?:,(\d+))?\})?\)")


@cache
def _layout_shapes(region: str) -> frozenset[tuple[int, ...]] | None:
    """Every digit grouping :func:`_national_layout` can accept for ``region``, from libphonenumber's
    national formats: each format's group lengths (``(\\d{3})(\\d{3,4})`` gives 3+3 and 3+4), written
    with and without its trunk-prefix rule (``0\\1``, ``8 (\\1)``), and with the trunk then taken
    off the way :func:`_national_layout` takes it off. A superset of what the parse there can
    produce, so checking it first skips the region's parse (about 40 us each, 31 regions: an IP
    address or a build number cost 1 ms) and never skips a number the parse would accept.
    ``None`` when a format's pattern is not plain digit groups (then every number is parsed)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return None
    trunk = meta.national_prefix or ""
    shapes: set[tuple[int, ...]] = set()
    for fmt in meta.number_format:
        pattern, layout = fmt.pattern or "", fmt.format or ""
        ranges = [(int(lo or 1), int(hi or lo or 1)) for lo, hi in _FORMAT_GROUP.findall(pattern)]
        if not ranges or _FORMAT_GROUP.sub("", pattern) or not layout:
            return None
        lengths: list[list[int]] = [[]]
        for lo, hi in ranges:
            lengths = [ls + [n] for ls in lengths for n in range(lo, hi + 1)]
        formats = [layout]
        rule, first = fmt.national_prefix_formatting_rule, re.search(r"\\\d", layout)
        if rule and first:  # the rule takes the place of the format's first group ("\\2 15-\\3" too)
            formats.append(layout[:first.start()] + rule.replace("\\1", first.group(0)) + layout[first.end():])
        for ls in lengths:
            written: list[str] = []
            for body in formats:
                for i, n in reversed(list(enumerate(ls, 1))):
                    body = body.replace(f"\\{i}", "1" * n)
                written.append(body)
            for w in written:
                want = _digit_groups(w)
                shapes.add(tuple(want))
                if trunk and want:
                    cut = [want[0] - len(trunk)] + want[1:] if want[0] > len(trunk) else want[1:]
                    shapes.add(tuple(cut))
    return frozenset(shapes)


def _national_layout(core: str, digits: str) -> bool:
    """A number written exactly as one of :data:`LAYOUT_REGIONS` writes its national numbers and valid
    there (an assigned range, not only a possible length): the digit groups are those of
    libphonenumber's national format for that region, separators aside, a trunk prefix the writer left
    out aside — "(11) 98765-4321" (BR), "138 1234 5678" (CN), "02-3456-7890" (KR), "98765 43210" (IN).
    A bare digit run is never enough: the layout is the evidence."""
    groups = _digit_groups(core)
    if len(groups) < 2 or len(digits) < 9:
        return False  # eight digits in two fours are as often an order or a parcel number
    shape = tuple(groups)
    for region in LAYOUT_REGIONS:
        shapes = _layout_shapes(region)
        if shapes is not None and shape not in shapes:
            continue  # no national format of the region groups digits this way: skip the parse
        try:
            number = phonenumbers.parse(core, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number_for_region(number, region):
            continue
        written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        want = _digit_groups(written)
        prefix = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk = prefix.national_prefix if prefix is not None else None
        if trunk and not digits.startswith(trunk) and re.sub(r"\D", "", written).startswith(trunk) and want:
            # the writer left the trunk prefix out ("98765 43210" for "098765 43210")
            want = [want[0] - len(trunk)] + want[1:] if want[0] > len(trunk) else want[1:]
        if want == groups:
            return True
    return False


def _phone_check(text: str, start: int, end: int, ext: str) -> Finding | None:
    if text.startswith("(", start) and text.count(")", start, end) < text.count("(", start, end):
        # "(+44 24 7696 0321)", "(0532 555 18 64)", "(208-555-0193)": the parentheses hold the number;
        # they are not part of it (round 17: any number in brackets, not only one with "+")
        start += 1
    raw = text[start:end]
    core = raw[: len(raw) - len(ext)] if ext else raw
    digits = re.sub(r"\D", "", core)
    if not 7 <= len(digits) <= 15 or _BAD_SEPARATORS.search(core.replace(") ", ")").replace(" (", "(")):
        return None
    if core.count("(") != core.count(")") or _DATEISH.match(core) or re.fullmatch(r"\d{3}-\d{2}-\d{4}", core):
        return None  # unbalanced, a date, or SSN-shaped
    before = text[max(0, start - 40):start]
    cued = bool(_PHONE_CUE.search(before) or _PHONE_AFTER.match(text[end:end + 12])
                or _PHONE_CUE_OTHER.search(before))
    intl = core.startswith(("+", "(+")) or bool(re.match(r"00[1-9]", core))
    # "011" is the US exit code ("011 44 …") only when the rest makes an international number; otherwise
    # it is a trunk 0 and an area code (Turin, Belgrade, Johannesburg, Delhi: "011 555 0384"; round 22)
    # (a bare ten-digit run "011…" stays unread, as before: an Iranian national code has that shape)
    intl = intl or (core.startswith("011") and (_phone_possible(core, True) or not re.search(r"[ ().-]", core)))
    if not intl:
        veto = _NOT_PHONE_CUE.search(before) or _NOT_NUMBER_CUE_OTHER.search(before)
        if veto and not cued and not (_BARE_NUMBER_WORD.fullmatch(veto.group(0)) and _valid_somewhere(core)):
            # an order, invoice or reference number is no phone; a bare "nr"/"no."/"number" says only
            # "a number follows" (round 17): then a number valid in one of the regions may be a phone
            return None
        # national layouts: NANP (212) 555-0100 / 212-555-0100 / 212.555.0100, or a trunk 0
        # (020 7946 0958, (04580) 730215, 0144466550); any digits after a cue ("Mobile: ...")
        # (Austrian numbers run to 13 digits with the trunk 0 - "05572/42568875" - allowed when
        # written with a separator, so an EAN-13 starting with 0 is not one)
        trunk = core.startswith(("0", "(0")) and (
            9 <= len(digits) <= 12 or (len(digits) == 13 and bool(re.search(r"[ /().-]", core))))
        # or a national number of a country without a trunk prefix (checked last: it parses)
        shaped = (_NANP.match(core) or trunk or (cued and len(digits) <= 12)
                  or _national_without_trunk(core, digits, text[end:end + 5]))
        # the layout rule reads the whole run only: not a window cut from "4471-2231-0098"
        # (and not an amount: "962 681 299 EUR")
        whole = not re.match(r"[ ./-]?\d", text[end:end + 2]) and not _AMOUNT_AFTER.match(text[end:end + 5])
        if not (shaped and _phone_possible(core, intl)) and not (whole and _national_layout(core, digits)):
            return None
        return Finding("PHONE", start, end, raw)
    if not _phone_possible(core, intl):
        return None
    return Finding("PHONE", start, end, raw)


def _phone_candidates(text: str) -> Iterator[Finding]:
    if _digits_in(text) < 7:  # libphonenumber's shortest number here has 7 digits (_phone_check)
        return
    pos = 0
    while True:
        m = _PHONE.search(text, pos)
        if m is None:
            return
        found = _phone_check(text, m.start(), m.end(), m.group("ext") or "")
        if found is None:
            # The pattern may have run into a neighbouring number ("020 7946 0958 4111 ..."):
            # try the shorter windows that end on a group boundary, longest first.
            body = m.group(0)
            for cut in sorted((g.end() for g in re.finditer(r"\d+", body)), reverse=True)[1:]:
                sub = _PHONE.fullmatch(text, m.start(), m.start() + cut)
                if sub is not None and (found := _phone_check(text, sub.start(), sub.end(), sub.group("ext") or "")):
                    break
        if found is not None:
            yield found
            pos = found.end
        else:
            # Not a phone, nor any prefix of it. Do not rescan from inside the run: the tail of
            # a card-like or account number ("4777 0042 4655 5602") is not a phone number.
            pos = m.end()


def _email_candidates(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding("EMAIL", m.start(), m.end(), m.group(0))


def _dob_candidates(text: str) -> Iterator[Finding]:
    # a date has four digits or more (a two-digit year: 1/2/85); labels and dates: pii_dob
    # (an era's first year has no digits: 平成元年1月8日 has three; round 18)
    if not _ANY_DIGIT.search(text) or (_digits_in(text) < 4 and "元" not in text):
        return
    for start, end in dob_spans(text):
        yield Finding("DOB", start, end, text[start:end])


_UPPER_GATE = re.compile(f"[{UPPER}]")
_OPENS_SENTENCE = ".!?\n"


def _capitals_matter(text: str) -> bool:
    """Whether any capital letter in ``text`` could be part of a person's name.

    The gate in front of the name finder (issue 17: names and addresses took about 40 of the 65 us
    a chat turn's scan took, more with cold caches). Names are runs of capitalised words; a text
    whose only capitals open a sentence (at the start, after ``.!?`` or a bare line break) with an
    everyday word followed by lower case ("Labels: billing ...", "My invoice shows ...") holds
    none, and skips the scan. Any other capital opens the gate: inside or at the end of a token
    ("McDonald", "ID", "J."), after a lower-case word or a label ("name: Mai"), on a line after a
    colon or a comma ("Regards,\\nMy"), or opening a sentence with a word that may be a name or a
    title (:func:`labkit.controls.pii_names.everyday_opener`). Not used for addresses: those typed
    in lower case ("zobelallee 9-5\\n63292 haldensleben") are found by street words and numbers.
    A gate may only save time, never a finding: ``tests/test_pii_gates.py`` scans the PII sets, and
    their lower-cased and sentence-cased variants, with the gate open and shut.
    """
    n = len(text)
    for m in _UPPER_GATE.finditer(text):
        i = m.start()
        if i > 0 and (text[i - 1].isalnum() or text[i - 1] in "'’-_./@#&"):
            return True  # a capital inside a token: "McDonald", "O'Brien", "PO-Box"
        j = i + 1
        while j < n and text[j].islower():
            j += 1
        if j < n and (text[j].isalnum() or text[j] in "'’-_.&@"):
            return True  # the word goes on: an acronym, an initial, a hyphenated or dotted word
        k = i - 1
        while k >= 0 and text[k] in " \t\"“‘«(*>-–":
            k -= 1
        if k >= 0 and text[k] not in _OPENS_SENTENCE:
            return True  # a capitalised word inside a sentence, or after a label ("name: Mai")
        if k >= 0 and text[k] == "\n":
            k -= 1
            while k >= 0 and text[k] in " \t\r":
                k -= 1
            if k >= 0 and text[k] in ":,;":
                return True  # a line after a label or a salutation ("Name:\nMy", "Regards,\nMy")
        if not everyday_opener(text[i:j]):
            return True  # a sentence opened by a word that may be a name or a place
    return False


def _name_candidates(text: str) -> Iterator[Finding]:
    # names in lower case after a greeting or a verb of contact ("hey tyler"): before the capitals gate
    for s, e in lower_case_cue_spans(text):
        yield Finding("NAME", s, e, text[s:e])
    for s, e in lower_case_position_spans(text):  # a chat speaker, a vocative, an @-mention (round 17)
        yield Finding("NAME", s, e, text[s:e])
    if not _capitals_matter(text):
        return
    for s, e in name_spans(text):
        yield Finding("NAME", s, e, text[s:e])


def _address_candidates(text: str) -> Iterator[Finding]:
    # not _capitals_matter: addresses typed in lower case ("zobelallee 9-5\n63292 haldensleben")
    # are found by their street words and numbers alone
    if not _UPPER_GATE.search(text):
        return
    for s, e in address_spans(text):
        yield Finding("ADDRESS", s, e, text[s:e])


_DETECTORS: tuple[Callable[[str], Iterable[Finding]], ...] = (
    _email_candidates, _card_candidates, _iban_candidates, _national_id_candidates,
    _ip_candidates, _dob_candidates, _phone_candidates, _address_candidates, _name_candidates,
)


# The detectors whose rules read letters (capitalised words, name lists, street words): in a text
# with Greek, Cyrillic or other non-Latin letters they read a transliterated view of it.
_LETTER_DETECTORS = frozenset({_address_candidates, _name_candidates})


# The finders that read digits only (a phone number, a date): they read the digit views of pii_digits
_NUMBER_DETECTORS = frozenset({_phone_candidates, _dob_candidates})


_POSTCODE_GATE = re.compile(r"\d,[ ]?(?:[^,\n]{1,20},[ ]?){0,2}\d{2}")
_LABEL_WORD = re.compile(r"[^\s:;,./()|]+")


# CJK and Hangul syllables: a name written in them has two to four (a Japanese full name five or
# six with its space left out); a "name" of seven or more is a clause ("第三季度销售报告已上传至共享盘")
_WIDE_SYLLABLE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_MAX_NAME_SYLLABLES = 6


def _clause_of_wide_script(span: str) -> bool:
    return len(_WIDE_SYLLABLE.findall(span)) > _MAX_NAME_SYLLABLES


def _weekday_alone(text: str, start: int, end: int) -> bool:
    """A one-word "name" inside a sentence that is a weekday of some language and no name a list
    knows ("… sa Huwebes", "… την Τετάρτη"; not "Domingo", which the surname lists know). At a
    sentence's start it may be a person: Greek "Παρασκευή" and "Κυριακή" are also women's names."""
    span = text[start:end]
    before = text[:start].rstrip(" \t")
    mid = bool(before) and before[-1] not in ".!?:\n\"'«“"
    return mid and " " not in span and is_weekday(span) and not is_known_name(span)


def _only_form_labels(span: str) -> bool:
    """Whether every word of ``span`` is a form label or a group a greeting addresses
    (:data:`~labkit.controls.pii_name_cues.FORM_LABELS`, ``GROUP_WORDS``)."""
    words = _LABEL_WORD.findall(span)
    return bool(words) and all((key := label_key(w)) in FORM_LABELS or key in GROUP_WORDS for w in words)


def _scan(text: str) -> list[Finding]:
    """Every detector's candidates in ``text``; names and addresses are looked for in the Latin
    view of a text that has non-Latin letters (:func:`labkit.controls.pii_script.latin_view`),
    their spans mapped back to ``text``."""
    latin = latin_view(text, caseless_common)
    # the number finders read digits of every script as ASCII ones ("۰۹۱۲ ۵۵۵ ۴۳۲۱"), and the date finder
    # also a letter O as zero inside a number ("O4/11/1949"): round 17, one character for one
    digits = ascii_digit_view(text)
    out: list[Finding] = []
    for detector in _DETECTORS:
        if detector in _NUMBER_DETECTORS:
            view = digits if digits is not None else text
            out.extend(Finding(f.type, f.start, f.end, text[f.start:f.end]) for f in detector(view))
            if detector is _dob_candidates and (ocr := ocr_zero_view(view)) is not None:
                out.extend(Finding(f.type, f.start, f.end, text[f.start:f.end]) for f in detector(ocr))
            continue
        if latin is None or detector not in _LETTER_DETECTORS:
            out.extend(detector(text))
            continue
        view, starts = latin
        for f in detector(view):
            s, e = starts[f.start], starts[f.end]
            if f.type == "NAME":
                s, e = strip_caseless_title(text, s, e)  # "श्री सुनील शिंदे": the title is not the name
                if is_territory(text[s:e]):
                    continue  # "Азербайджан", "Сьерра-Леоне": a country in its own script, not a person
            out.append(Finding(f.type, s, e, text[s:e]))
    # the writer's name under a closing formula, on the text as written (round 15)
    out.extend(Finding("NAME", s, e, text[s:e]) for s, e in sign_off_spans(text))
    # the value of a name field ("Surname: FARQUHARSON", "Patient: Whitcombe, Rosalind", "שם פרטי: אלון"),
    # on the text as written, any script (round 16)
    labelled = label_candidates(text)  # the words before each colon, once for the three field rules
    field_names = []
    for s, e in field_name_spans(text, labelled):
        s, e = strip_caseless_title(text, s, e)  # "নাম: মোছাম্মৎ শিরিন আক্তার": the title is not the name
        field_names.append(Finding("NAME", s, e, text[s:e]))
    labels = field_label_spans(text, labelled)
    # a street, a house number, a postcode and a town, on the text as written, any script (round 15)
    if _POSTCODE_GATE.search(text):
        out.extend(Finding("ADDRESS", s, e, text[s:e]) for s, e in street_postcode_town_spans(text))
    # Vietnamese and Turkish addresses by their units, on the text as written (round 14)
    out.extend(Finding("ADDRESS", s, e, text[s:e]) for s, e in latin_admin_address_spans(text))
    if latin is not None:
        # names in scripts without letter case, by the cue words and honorifics around them
        for s, e in caseless_cue_spans(text):
            s, e = strip_caseless_title(text, s, e)  # "आदरणीय शर्मा जी": "dear" is not the name (round 16)
            out.append(Finding("NAME", s, e, text[s:e]))
        # the addressee and the signature of a letter, by the letter's layout (round 18)
        out.extend(Finding("NAME", s, e, text[s:e]) for s, e in letter_frame_spans(text))
        # addresses written in such a script, read as written (round 11)
        # Chinese and Korean addresses by their administrative units, largest first (round 14): where one
        # is found, its ends are exact, and a run of the shape rules over it ("…12楼前台") gives way
        admin = admin_address_spans(text, caseless_common)
        out.extend(Finding("ADDRESS", s, e, text[s:e]) for s, e in admin)
        out.extend(Finding("ADDRESS", s, e, text[s:e]) for s, e in caseless_address_spans(text)
                   if not any(glued_overrun(text, s, e, a, b) for a, b in admin))
        # a contact card in such a script opens with its holder's name on a line of its own: the first
        # line, when an address, phone or e-mail follows below it and the line is no place or firm
        head = caseless_heading(text)
        if head is not None and not caseless_common(text[head[0]:head[1]]) and any(
                f.type in _CARD_TYPES and f.start > head[1] for f in out):
            s, e = strip_caseless_title(text, *head)  # "山田 太郎様": the honorific is not the name
            out.append(Finding("NAME", s, e, text[s:e]))
    # a "name" made of form labels only is the label ("Navn:", "Nimi:", "שם מלא:", "อีเมล"), one made of
    # group words the group a greeting addresses ("Kedves Kollégák!"): round 15; a function word of another
    # language opening a sentence ("Tu", "Будь", "Der Assistent") or a town before "office" is none (round 19)
    out = [f for f in out if f.type != "NAME" or not (_only_form_labels(f.text) or _clause_of_wide_script(f.text)
                                                      or _weekday_alone(text, f.start, f.end)
                                                      or function_word_opener(text, f.start, f.end)
                                                      or workplace_place(text, f.start, f.end)
                                                      or any(f.start < le and ls < f.end for ls, le in labels))]
    # a title of address alone before its abbreviation dot is no name ("Fam. Berardi", "Mevr. de Vries"):
    # round 16; a title that is also a first name stays ("Don.")
    out = [f for f in out if not (f.type == "NAME" and text[f.end:f.end + 1] == "." and _lone_title(f.text))]
    # a closing formula on its own line is no name ("Viele Grüße", "Un abrazo,", "Ta,"): round 16
    out = [f for f in out if not (f.type == "NAME" and _closing_line(text, f))]
    # a name field's value is a name by its label: no clause rule (a kana reading has 6-10 syllables)
    out.extend(field_names)
    # the speakers of a lower-case chat transcript, their mentions and names after a person marker, on
    # the text as written, any cased script (round 19): a speaker's label is a name, not a form label
    out.extend(Finding("NAME", s, e, text[s:e]) for s, e in chat_name_spans(text))
    # initials and a surname, "Surname, First" entries of lists and cells, a name under a closing line,
    # and the speakers of a caseless transcript (round 20: pii_name_roster, pii_name_chat)
    out.extend(Finding("NAME", s, e, text[s:e]) for s, e in roster_name_spans(text))
    # a Turkish title or case suffix after a name is not part of it ("Zeynep Hanım", "Aydın'ın"): round 16
    for i, f in enumerate(out):
        if f.type == "NAME" and (span := trim_name(text, f.start, f.end)) != (f.start, f.end):
            out[i] = Finding("NAME", span[0], span[1], text[span[0]:span[1]])
    # a name's ends (round 17): lead words a run absorbed cut off ("Frau", "Hälsningar", "Semnează"), then
    # "Surname, First", initials and Irish or Catalan particles joined (the longest span wins in detect)
    for i, f in enumerate(out):
        if f.type == "NAME" and (span := cut_lead_words(text, f.start, f.end)) != (f.start, f.end):
            out[i] = Finding("NAME", span[0], span[1], text[span[0]:span[1]])
    # a first word no name list knows before a known first name, opening a sentence or line (round 21)
    for i, f in enumerate(out):
        if f.type == "NAME" and (span := cut_unknown_role(text, f.start, f.end)) != (f.start, f.end):
            out[i] = Finding("NAME", span[0], span[1], text[span[0]:span[1]])
    # a role or verb in a caseless script before or after a Latin name is cut off (round 20)
    for i, f in enumerate(out):
        if f.type == "NAME" and (span := trim_other_script(text, f.start, f.end)) != (f.start, f.end):
            out[i] = Finding("NAME", span[0], span[1], text[span[0]:span[1]])
    joined = join_name_parts(text, [(f.start, f.end) for f in out if f.type == "NAME"])
    out.extend(Finding("NAME", s, e, text[s:e]) for s, e in joined)
    # a surname in capitals before a first name ("LE GOFF Yann"): round 20
    caps = caps_surname_before(text, [(f.start, f.end) for f in out if f.type == "NAME"])
    out.extend(Finding("NAME", s, e, text[s:e]) for s, e in caps)
    # the labels of a form ("Doğum Tarihi:", "Heimilisfang:", "Мекенжайы:") are no names (round 20)
    if (form := form_labels(text)):
        out = [f for f in out if f.type != "NAME" or not any(ls <= f.start and f.end <= le for ls, le in form)]
    # an address's ends: a postcode cut in half or left out, a unit word before it, a sentence end inside
    for i, f in enumerate(out):
        if f.type == "ADDRESS":
            s, e = tidy_address(text, f.start, f.end)
            if (s, e) != (f.start, f.end):
                out[i] = Finding("ADDRESS", s, e, text[s:e])
    # the value of an address field, an Eircode, and a shipping line's name and address (round 16), after
    # the ends are tidied: the label set them. In a caseless script the finders that read it as written
    # know its ends better (a name and honorific after "住所：…"), so there the field gives way
    fields = [Finding(kind, s, e, text[s:e]) for kind, s, e in field_address_spans(text, labelled)]
    if fields:
        found = [(f.start, f.end) for f in out if f.type == "ADDRESS"]
        out.extend(f for f in fields if f.type == "NAME" or not _has_caseless(f.text)
                   or not any(f.start < e and s < f.end for s, e in found))
    # pieces of one address joined, run-ons cut, postcode halves and a town after a preposition taken, over
    # every address span found, the fields' too (round 22: pii_address_bounds)
    addresses = [(f.start, f.end) for f in out if f.type == "ADDRESS"]
    if addresses and (settled := settle_address_spans(text, addresses)) != sorted(addresses):
        out = [f for f in out if f.type != "ADDRESS"] + [Finding("ADDRESS", s, e, text[s:e]) for s, e in settled]
    return out


def _closing_line(text: str, f: Finding) -> bool:
    """Whether ``f`` stands on a line that is a closing formula and nothing else ("Viele Grüße",
    "Un abrazo,": :data:`~labkit.controls.pii_name_cues.LATIN_SIGN_OFFS`)."""
    start = text.rfind("\n", 0, f.start) + 1
    end = text.find("\n", f.end)
    line = text[start:end if end >= 0 else len(text)].strip().rstrip(",!.:").strip()
    return len(line) <= 40 and fold(line) in LATIN_SIGN_OFFS


def _lone_title(span: str) -> bool:
    """Whether ``span`` is one word, a title of address or role (:data:`TITLE_WORDS`) that no list knows
    as a first name."""
    return " " not in span and fold(span) in TITLE_WORDS and not is_first_name(span)


def _has_caseless(span: str) -> bool:
    """Whether ``span`` holds a letter of a script without letter case (Han, kana, Arabic, Thai …)."""
    return any(c.isalpha() and c.upper() == c.lower() for c in span)


_CARD_TYPES = frozenset({"ADDRESS", "PHONE", "EMAIL"})


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def _unescape_view(text: str) -> tuple[str, list[int]]:
    """``text`` as a reader sees it through its backslash escapes, and where each character came from.

    Tool output and JSON copied into a prompt carry escapes. A literal ``\\n`` would be read as
    the first letter of the e-mail or name after it, and a phone number right after it looks
    glued to a word, so ``\\n`` and ``\\r`` become a line break and other one-letter escapes
    blanks. ``\\uXXXX`` becomes the character it stands for: ``json.dumps`` writes "José García"
    as ``Jos\\u00e9 Garc\\u00eda``, and read as written the name was cut at the escape
    ("Jos" found, the rest sent on). Returns the view and ``starts``: view character ``i`` came
    from ``text[starts[i]:starts[i + 1]]`` (``starts`` has one more entry than the view), so
    a span of the view maps back to the exact span of ``text`` that holds it.
    """
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        parts.append(text[pos:m.start()])
        starts.extend(range(pos, m.start()))
        esc = m.group(1)
        if len(esc) == 5:  # \uXXXX: one character, spanning the six of its escape
            parts.append(chr(int(esc[1:], 16)))
            starts.append(m.start())
        else:  # two characters for two, as before
            parts.append("\n " if esc in "nr" else "  ")
            starts.extend((m.start(), m.start() + 1))
        pos = m.end()
    parts.append(text[pos:])
    starts.extend(range(pos, len(text) + 1))
    return "".join(parts), starts


_ADDRESS_EDGE = " \t,;:-–/|()"


def _postcode_like(text: str, address: Finding, phone: Finding) -> bool:
    """A "phone number" that closes an address right after a word, with no comma, semicolon or line
    between, and no "+": a postcode's place ("VER 02155-6685", "البرز 0434300212"), left to the address."""
    if phone.end != address.end or text.startswith("+", phone.start):
        return False
    gap = text[address.start:phone.start].rstrip(" \t")
    return not gap.endswith((",", ";", "\n", "،", "，")) and "\n" not in text[len(gap) + address.start:phone.start]


def _outside_phones(text: str, address: Finding, phones: list[Finding]) -> Finding | None:
    """``address`` without the phone numbers inside it: the longest piece between them (its separators
    trimmed) when it keeps a letter and a digit or three characters more than a few; ``None`` when nothing
    of an address is left. Unchanged when no phone number lies inside it."""
    inside = sorted((p.start, p.end) for p in phones if address.start <= p.start and p.end <= address.end
                    and not _postcode_like(text, address, p))
    if not inside:
        return address
    pieces, pos = [], address.start
    for s, e in inside:
        pieces.append((pos, s))
        pos = e
    pieces.append((pos, address.end))
    trimmed = []
    for s, e in pieces:
        while s < e and text[s] in _ADDRESS_EDGE:
            s += 1
        while e > s and text[e - 1] in _ADDRESS_EDGE:
            e -= 1
        trimmed.append((s, e))
    s, e = max(trimmed, key=lambda p: p[1] - p[0])
    piece = text[s:e]
    if e - s < 8 or not any(c.isalpha() for c in piece):
        return None
    return Finding("ADDRESS", s, e, piece)


def detect(text: str) -> list[Finding]:
    """All PII findings in ``text``, non-overlapping (longest wins), in text order.

    Raises :class:`RedactionFailed` on any internal error (fail closed).

    Example:
        >>> [(f.type, f.text) for f in detect("Card 4111 1111 1111 1111, SSN 123-45-6789")]
        [('CARD', '4111 1111 1111 1111'), ('NATIONAL_ID', '123-45-6789')]
    """
    if not isinstance(text, str):
        raise RedactionFailed(f"cannot scan {type(text).__name__} for PII; expected text")
    if text in _CLEAN:
        return []
    key = None
    if len(text) <= _CLEAN_MAX_CHARS:
        key = _found_key(text)
        spans = _CLEAN.get(key)
        if spans is not None:  # scanned before (an earlier turn of the conversation): the same findings
            return [Finding(kind, start, end, text[start:end]) for kind, start, end in spans]
    try:
        if "\\" in text:
            # scan what the escapes stand for; report spans of the text as written
            view, starts = _unescape_view(text)
            candidates = [Finding(f.type, starts[f.start], starts[f.end], text[starts[f.start]:starts[f.end]])
                          for f in _scan(view)]
        else:
            candidates = _scan(text)
        dobs = [c for c in candidates if c.type == "DOB"]
        if dobs:
            # a birth date is no part of an address: the caseless address rules read "1985年3月9日\n住所"
            # (numbers with unit signs, a heading word) as one; the address candidate gives way
            candidates = [c for c in candidates if c.type != "ADDRESS"
                          or all(c.end <= d.start or c.start >= d.end for d in dobs)]
        phones = [c for c in candidates if c.type == "PHONE"]
        if phones:
            # a phone number is no part of an address (round 17): an address rule that ran on past the town
            # into the number after it ("…, Dhaka 1230, 01819-555612") or began at a name and number before
            # the street gives way to the number; the address keeps its longer side of it
            kept = [_outside_phones(text, c, phones) if c.type == "ADDRESS" else c for c in candidates]
            candidates = [c for c in kept if c is not None]
        candidates.sort(key=lambda f: (-(f.end - f.start), _PRIORITY[f.type], f.start))
        taken: list[Finding] = []
        for cand in candidates:
            if all(cand.end <= t.start or cand.start >= t.end for t in taken):
                taken.append(cand)
        taken.sort(key=lambda f: f.start)
        if any(t.type == "NAME" for t in taken):
            taken = _with_mentions(text, taken)
    except Exception as exc:  # fail closed: a bug must never let raw text through
        raise RedactionFailed(f"PII detection failed: {type(exc).__name__}: {exc}") from exc
    if not taken and len(text) <= _CLEAN_MAX_CHARS:
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()  # crude, but a full cache only costs one round of re-scans
        _CLEAN[text] = None
    elif key is not None and all(f.text == text[f.start:f.end] for f in taken):
        # only spans are kept, so a finding must be rebuilt exactly from them (every finding is its span's text)
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN[key] = tuple((f.type, f.start, f.end) for f in taken)
    return taken


def _with_mentions(text: str, taken: list[Finding]) -> list[Finding]:
    """``taken`` with the other mentions of its names (round 21, :mod:`labkit.controls.pii_name_coref`):
    a mention that overlaps no finding is added; one that holds one name finding and nothing else
    ("Ollie Pemberton" where a rule found "Pemberton") takes its place. Two findings are not merged: a
    rule that found "ayşe" and "abla" apart (a name and an honorific) knew better."""
    names = [(t.start, t.end) for t in taken if t.type == "NAME"]
    out = list(taken)
    for s, e in mention_spans(text, names):
        over = [t for t in out if t.start < e and s < t.end]
        if not over:
            out.append(Finding("NAME", s, e, text[s:e]))
        elif len(over) == 1 and over[0].type == "NAME" and s <= over[0].start and over[0].end <= e and (
                (over[0].start, over[0].end) != (s, e)):
            out = [t for t in out if t not in over]
            out.append(Finding("NAME", s, e, text[s:e]))
    out.sort(key=lambda f: f.start)
    return out


# Texts in which nothing was found, remembered per process: every request resends its system
# prompt and instructions, and a chat resends its earlier turns, so the same clean text is
# scanned again and again for the same answer. Only texts with no finding are kept as
# themselves, so the cache holds no value the detector recognises as PII. (Plain dict
# operations are atomic under the GIL, so the gateway's threads may share it.)
#
# Texts in which something was found are remembered in the same dict by their spans only (issue 17:
# a chat's earlier turn with a name or an e-mail in it was scanned again on every request). The key
# is a keyed hash of the text (BLAKE2b, 16 bytes, with a random key drawn per process), the value the
# findings' ``(type, start, end)``: neither the text nor any value in it is kept, and without the key,
# which never leaves the process, a hash cannot be matched against guessed texts. A str key never
# equals a bytes key, so the two kinds share one bound, and clearing the dict forgets both.
_CLEAN: dict[str | bytes, tuple[tuple[str, int, int], ...] | None] = {}
_CLEAN_MAX = 4096
_CLEAN_MAX_CHARS = 8192
_FOUND_HASH = hashlib.blake2b(digest_size=16, key=os.urandom(16))  # copied per text: the key is set up once


def _found_key(text: str) -> bytes:
    h = _FOUND_HASH.copy()
    h.update(text.encode("utf-8", "surrogatepass"))  # "surrogatepass": any str, lone surrogates included
    return h.digest()


# --- redaction ----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<(EMAIL|PHONE|CARD|IBAN|NATIONAL_ID|IP|DOB|NAME|ADDRESS)_(\d+)>")


def redact(text: str, mapping: dict[str, str] | None = None) -> Redaction:
    """Replace every PII value in ``text`` by a placeholder like ``<EMAIL_1>``.

    The same value gets the same placeholder. Pass the ``mapping`` of an earlier call (it is
    updated in place and returned) to keep numbering stable across the messages of one request.
    A value found once is replaced wherever else it stands as a whole word in the text, and so
    is every value already in ``mapping``: names are found from context ("Mr. Sy", "named Sy"),
    and a second mention without that context must not leak what the first one gave away.

    Example:
        >>> r = redact("a@x.io wrote to b@x.io, then a@x.io again")
        >>> r.text, r.mapping
        ('<EMAIL_1> wrote to <EMAIL_2>, then <EMAIL_1> again', {'<EMAIL_1>': 'a@x.io', '<EMAIL_2>': 'b@x.io'})
        >>> redact("call 020 7946 0958", r.mapping).text
        'call <PHONE_1>'
    """
    findings = detect(text)
    mapping = {} if mapping is None else mapping
    if not findings and not mapping:
        # nothing found and no value known from earlier messages: nothing to replace or to look for
        # again, so the text goes out as it is (the common case: a system prompt, a clean turn; the
        # steps below would build a counter and two dicts to reach the same answer, ~4 us a message)
        return Redaction(text, mapping, findings)
    try:
        findings = _propagate(text, findings, mapping)
        by_value = {v: k for k, v in mapping.items()}
        counters: Counter[str] = Counter()
        for known in mapping:
            m = _PLACEHOLDER.fullmatch(known)
            if m:
                counters[m.group(1)] = max(counters[m.group(1)], int(m.group(2)))
        out: list[str] = []
        pos = 0
        for f in findings:
            placeholder = by_value.get(f.text)
            if placeholder is None:
                counters[f.type] += 1
                placeholder = f"<{f.type}_{counters[f.type]}>"
                # a literal "<EMAIL_1>" already in the text must not be re-hydrated into a value
                while placeholder in text:
                    counters[f.type] += 1
                    placeholder = f"<{f.type}_{counters[f.type]}>"
                mapping[placeholder] = f.text
                by_value[f.text] = placeholder
            out.append(text[pos:f.start])
            out.append(placeholder)
            pos = f.end
        out.append(text[pos:])
        return Redaction("".join(out), mapping, findings)
    except Exception as exc:
        raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc


def _propagate(text: str, findings: list[Finding], mapping: dict[str, str]) -> list[Finding]:
    """Add the other whole-word occurrences of values already found (here or in ``mapping``)."""
    known: dict[str, str] = {}
    for placeholder, value in mapping.items():
        m = _PLACEHOLDER.fullmatch(placeholder)
        if m and _word_sized(value):
            known.setdefault(value, m.group(1))
    for f in findings:
        if _word_sized(f.text):
            known.setdefault(f.text, f.type)
    # a later "Lehmann" alone after "Ottilie Lehmann": each capitalised part of a name counts too
    # (as its own value, so re-hydration gives back exactly what was written)
    for value, kind in list(known.items()):
        if kind == "NAME" and " " in value:
            for part in value.split():
                if len(part) >= 3 and part[0].isupper():
                    known.setdefault(part, "NAME")
    if not known:
        return findings
    taken = [(f.start, f.end) for f in findings]
    extra: list[Finding] = []
    for s, e, value in _whole_word_hits(text, known):
        if all(e <= ts or s >= te for ts, te in taken):
            extra.append(Finding(known[value], s, e, value))
            taken.append((s, e))
    if not extra:
        return findings
    return sorted(findings + extra, key=lambda f: f.start)


def _word_sized(value: str) -> bool:
    """Whether ``value`` is long enough to be looked for again: two characters or more, or one
    character that is a word by itself (a Han, Hangul or kana syllable: ``亃`` found as a name in
    one place must not stay readable in another; its Latin view ``Lin`` is a whole name)."""
    return len(value) >= 2 or (value.isalpha() and len(anyascii(value)) >= 2)


# A value stands as a whole word when no word character, "@", ".", "+" or "-" is glued to its
# start, and no word character, "@", "-" or ".<word>" (an e-mail's domain) to its end.
_GLUED_BEFORE = re.compile(r"[\w@.+-]")
_GLUED_AFTER = re.compile(r"[\w@-]|\.\w")


def _whole_word_hits(text: str, values: Iterable[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping whole-word occurrences of ``values`` in ``text``, left to right, the
    longest value first where several start at one place: ``(start, end, value)``.

    Plain ``str.find`` per value rather than one alternation regex: the values differ on every
    request, and compiling a fresh pattern cost more than the rest of the scan.
    """
    hits: list[tuple[int, int, str]] = []
    for value in values:
        i = text.find(value)
        while i != -1:
            e = i + len(value)
            if not (i and _GLUED_BEFORE.match(text, i - 1)) and not _GLUED_AFTER.match(text, e):
                hits.append((i, -len(value), value))
            i = text.find(value, i + 1)
    hits.sort()
    out: list[tuple[int, int, str]] = []
    pos = 0
    for s, neg_len, value in hits:
        if s >= pos:
            out.append((s, s - neg_len, value))
            pos = s - neg_len
    return out


def rehydrate(text: str, mapping: dict[str, str]) -> str:
    """Put the original values back for every known placeholder in ``text``.

    Unknown placeholders are left as they are (the model may invent ``<EMAIL_9>``).

    Example:
        >>> rehydrate("Reply to <EMAIL_1>", {"<EMAIL_1>": "a@x.io"})
        'Reply to a@x.io'
    """
    if not mapping or not text:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _redact_json_string(raw: str, fn: Callable[[str], str]) -> str:
    # Tool arguments are JSON text: redact the string leaves so the JSON stays valid.
    try:
        parsed = json.loads(raw)
    except (ValueError, TypeError):
        return fn(raw)
    return json.dumps(_map_strings(parsed, fn), ensure_ascii=False)


# One text that takes every detector's path: name cue and title, phone, street and postcode,
# e-mail, IBAN, card, date of birth, a national id after its cue word.
_WARM_UP_TEXT = ("Warm-up: Mrs. Maria Schmidt (born 12.03.1981), +49 30 1234567, Hauptstrasse 5, 10115 Berlin, "
                 "maria@example.com, IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, "
                 "SSN 123-45-6789, PESEL 44051401359; taxi in Lisbon with Gunhild Holzapfel.")


def warm_up() -> None:
    """Load everything the detector builds lazily, now: a server calls it before it takes traffic.

    The word lists, street vocabulary, patterns and id validators load on first use (about 3 s
    of CPU in all, once per process), and which of them a text needs depends on the text: a
    sample redaction warms only what its text reaches (the national-id validators, for one,
    were left to a later user's request). This loads every list
    (:func:`labkit.controls.pii_names.load_all`), imports every id validator, then redacts one
    text that takes every path. Safe to call again (free after the first time) and from threads.

    Example:
        >>> warm_up()
    """
    load_all()
    for _gate, _rx, module in _ID_FORMATS:
        _stdnum(module)
    for _cue, module in _CHECKED_IDS:
        _stdnum(module)
    month_numbers()  # the CLDR month names a date of birth may be written with (round 15)
    weekday_names()
    redact(_WARM_UP_TEXT)


def redact_messages(
    messages: list[dict[str, Any]], mapping: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Redact every message of a chat request; returns new messages and the shared mapping.

    Handles string content, content-part lists (``{"type": "text", "text": ...}``), tool-call
    arguments (JSON strings, redacted leaf by leaf) and tool results. The input is not changed.

    Example:
        >>> msgs, m = redact_messages([{"role": "user", "content": "I am a@x.io"},
        ...     {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
        ...      "function": {"name": "lookup", "arguments": '{"email": "a@x.io"}'}}]}])
        >>> msgs[0]["content"], msgs[1]["tool_calls"][0]["function"]["arguments"]
        ('I am <EMAIL_1>', '{"email": "<EMAIL_1>"}')
    """
    mapping = {} if mapping is None else mapping
    if not isinstance(messages, list):
        raise RedactionFailed("messages must be a list of dicts")

    def red(s: str) -> str:
        return redact(s, mapping).text

    try:
        out: list[dict[str, Any]] = []
        for msg in messages:
            if not isinstance(msg, dict):
                raise RedactionFailed(f"message must be a dict, got {type(msg).__name__}")
            # copy only what is rewritten (deepcopy of every message costs more than the scan)
            new = dict(msg)
            content = new.get("content")
            if isinstance(content, str):
                new["content"] = red(content)
            elif isinstance(content, list):
                new["content"] = [
                    {**part, "text": red(part["text"])} if isinstance(part, dict) and isinstance(part.get("text"), str)
                    else copy.deepcopy(part) for part in content]
            if new.get("tool_calls"):
                calls = []
                for call in new["tool_calls"]:
                    call = copy.deepcopy(call)
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                        fn["arguments"] = _redact_json_string(fn["arguments"], red)
                    calls.append(call)
                new["tool_calls"] = calls
            out.append(new)
        return out, mapping
    except RedactionFailed:
        raise
    except Exception as exc:
        raise RedactionFailed(f"PII redaction of messages failed: {type(exc).__name__}: {exc}") from exc


def rehydrate_value(value: Any, mapping: dict[str, str]) -> Any:
    """Re-hydrate every string inside ``value`` (str, list, dict, JSON text stays JSON text).

    Use it for tool-call arguments the model returns, so tools see real values.

    Example:
        >>> rehydrate_value({"to": "<EMAIL_1>", "cc": ["<EMAIL_1>"]}, {"<EMAIL_1>": "a@x.io"})
        {'to': 'a@x.io', 'cc': ['a@x.io']}
    """
    return _map_strings(value, lambda s: rehydrate(s, mapping))


# --- evaluation ---------------------------------------------------------------------------

class Span(BaseModel):
    """One labelled PII span in an evaluation case."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    type: str = Field(min_length=1)


class PiiCase(BaseModel):
    """One labelled case: a text and its expected spans (JSON lines format)."""

    id: str | int
    text: str
    spans: list[Span] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spans_inside_text(self) -> PiiCase:
        for s in self.spans:
            if not s.start < s.end <= len(self.text):
                raise ValueError(f"span {s.start}-{s.end} is outside the text (length {len(self.text)})")
        return self


def load_cases(path: str | Path) -> list[PiiCase]:
    """Read a JSON lines file of labelled cases; a bad line raises InputError with its number."""
    return read_models(path, PiiCase)


class TypeScore(BaseModel):
    """Precision, recall and F1 for one entity type (or the micro total)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


class PiiReport(BaseModel):
    """Scores per entity type and micro totals, under exact and overlap matching.

    ``exact`` (same type, same start and end) is the headline: a span that is only partly
    redacted still leaks part of the value. ``overlap`` (same type, spans intersect, matched
    one to one) shows whether a miss is a boundary disagreement rather than a missed entity.
    """

    cases: int
    exact: dict[str, TypeScore]
    overlap: dict[str, TypeScore]
    errors: list[dict[str, Any]] = Field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "headline": "exact",
                "exact": {k: v.as_dict() for k, v in self.exact.items()},
                "overlap": {k: v.as_dict() for k, v in self.overlap.items()},
                "errors": self.errors}


def evaluate(cases: Iterable[PiiCase | dict[str, Any]], max_errors: int = 50) -> PiiReport:
    """Score :func:`detect` against labelled cases; per type plus a ``TOTAL`` (micro) row.

    Example:
        >>> rep = evaluate([{"id": 1, "text": "mail a@x.io", "spans": [{"start": 5, "end": 11, "type": "EMAIL"}]}])
        >>> rep.exact["EMAIL"].recall, rep.exact["TOTAL"].precision
        (1.0, 1.0)
    """
    exact: dict[str, TypeScore] = defaultdict(TypeScore)
    overlap: dict[str, TypeScore] = defaultdict(TypeScore)
    errors: list[dict[str, Any]] = []
    n = 0
    for raw in cases:
        case = raw if isinstance(raw, PiiCase) else PiiCase.model_validate(raw)
        n += 1
        gold = {(s.start, s.end, s.type) for s in case.spans}
        pred = {(f.start, f.end, f.type) for f in detect(case.text)}
        for t in {g[2] for g in gold} | {p[2] for p in pred}:
            g_t = {g for g in gold if g[2] == t}
            p_t = {p for p in pred if p[2] == t}
            tp = len(g_t & p_t)
            exact[t].tp += tp
            exact[t].fp += len(p_t) - tp
            exact[t].fn += len(g_t) - tp
            # one-to-one overlap matching, greedy in text order
            unmatched = sorted(p_t)
            otp = 0
            for g in sorted(g_t):
                hit = next((p for p in unmatched if p[0] < g[1] and g[0] < p[1]), None)
                if hit is not None:
                    unmatched.remove(hit)
                    otp += 1
            overlap[t].tp += otp
            overlap[t].fp += len(p_t) - otp
            overlap[t].fn += len(g_t) - otp
        if gold != pred and len(errors) < max_errors:
            errors.append({
                "id": case.id,
                "missed": [{"type": g[2], "text": case.text[g[0]:g[1]]} for g in sorted(gold - pred)],
                "spurious": [{"type": p[2], "text": case.text[p[0]:p[1]]} for p in sorted(pred - gold)],
            })
    for table in (exact, overlap):
        total = TypeScore()
        for score in table.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        table["TOTAL"] = total
    order = [t for t in ENTITY_TYPES if t in exact] + sorted(t for t in exact if t not in ENTITY_TYPES and t != "TOTAL") + ["TOTAL"]
    return PiiReport(cases=n, exact={t: exact[t] for t in order}, overlap={t: overlap[t] for t in order},
                     errors=errors)
