"""The two ends of an address span, set right after the finders have spoken (issue 15, round 14).

Why: on hand-written text (seen fresh10) the address finders found the street but set its ends
wrong in a few shared ways: a UK postcode cut in half ("… Leeds LS" with "6 1QT" left outside), an
Australian, Philippine or Indian postcode after the state or town left out ("… Ballarat VIC" +
" 3350"), a six-digit PIN cut to five, a unit, flat, plot or lot word before the house number left
out ("Flat 2, 14 Cavendish Road", "Plot 1123, …", "Lot 14 Banksia Drive", "No. 7, 2nd Main Road"),
and, the other way, the end of the sentence before ("ist. Mariahilfer Straße …") or the start of
the sentence after ("… 50674 Köln. Für Rückfragen") taken in.

What it does: :func:`tidy_address` moves the ends of one span, never finds one
(:func:`street_postcode_town_spans`, round 15, finds the addresses that end in a postcode and town
but have no street type word: "Vinohradská 1233/45, 120 00 Praha 2", "Ερμού 25, 105 63 Αθήνα"):

- the end: a token cut in the middle is completed (``LS`` -> ``LS6``; ``12200`` -> ``122001``); a UK
  inward code after an outward code is taken (``LS6`` + `` 1QT``); a 4-digit postcode after a state
  code (``NSW 2022``), or a 4- or 6-digit one after the span's last word when only punctuation, a dash
  or the line's end follows it, is taken; a house-number suffix (``221-H``) and what the street rules
  take after it (``, 1016 DV Amsterdam``) are taken;
- the end, since round 15: after at most two short parts (a floor, a flat, a building: ", 3. th.",
  ", Hinterhaus 2. OG", ", Bâtiment C"), a European postcode and a capitalised town ("…Vestergade 8"
  + ", 1. sal, 8000 Aarhus C"), unless the span has its postcode and town already;
- the start: a unit word and its number before the span (``Flat 2,``, ``Unit 5,``, ``Plot``, ``Lot``,
  ``Km``, ``No.``, ``H.No.``, ``Blk``, ``Bât. B,``) is taken;
- a sentence end inside the span: a span that opens with a lower-case word of three letters or more
  and a full stop before a capital (``ist. Mariahilfer``; not a street word such as ``str.``), or with a
  short lower-case word before a capital (a preposition: ``an Bahnhofstrasse``; not ``rue``, ``via``),
  starts after it; a span whose tail after ``. `` has no digit and no comma
  (``Köln. Für Rückfragen``) ends before it.

The unit words are general knowledge of UK, Indian, Nigerian, Philippine, Australian and French
addresses (written for this module; none taken from a set).

Example:
    >>> t = "Ship to Flat 2, 14 Cavendish Road, Leeds LS6 1QT today"
    >>> s, e = tidy_address(t, 15, 35 + 8)
    >>> t[s:e]
    'Flat 2, 14 Cavendish Road, Leeds LS6 1QT'
"""

from __future__ import annotations

import functools
import re

from labkit.controls.pii_address import extend_address
from labkit.controls.pii_address_vocab import words as address_words
from labkit.controls.pii_name_cues import fold
from labkit.controls.pii_names import UPPER, english_frequencies

# the second half of a UK postcode after its outward code ("LS6" + " 1QT")
_UK_INWARD = re.compile(r"[ ]\d[A-Z]{2}\b")
_UK_OUTWARD = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?")
# a postcode of 4 or 6 digits after the last word (AU/PH 4, IN 6), then only punctuation or the line's end
_TAIL_POSTCODE = re.compile(r"[ ]?[-–]?[ ]?(?:\d{4}|\d{6})(?=[ \t]*(?:[.,;:)?!\"]|[ ][—–-]|\n|$))")
# a state or territory code of two or three capitals, then a 4-digit postcode ("NSW 2022", "SA 5251")
_STATE_POSTCODE = re.compile(r"[ ]\d{4}\b")
# a letter or number glued to the house number with a dash ("221-H", "22-B")
_HOUSE_SUFFIX = re.compile(r"-[A-Za-z0-9]{1,3}\b")
# a unit, flat, plot or lot word with its number, right before the span
_UNIT_BEFORE = re.compile(
    r"(?:(?<=[\s,(:;\"'“])|^)(?:Flat|Unit|Apt|Apartment|Suite|Plot|Lot|Km|No|H\.[ ]?No|House[ ]No|Shop|Block|Blk|"
    r"Bât|Bat|Bldg|Building)\.?[ ]?(?:[0-9A-Z][\w/-]*[ ]?,?[ ]?(?:\d+(?:e|er|ème)?[ ]étage[ ]?,[ ]?)?)?$")
_SENTENCE_BEFORE = re.compile(r"([a-zß-ÿ]{3,12})\.[ ](?=[A-ZÀ-Þ])")
# a short lower-case word (a preposition: "an", "to", "à") opening the span before a capital
_PREPOSITION_BEFORE = re.compile(r"([a-zß-ÿ]{1,4})[ ](?=[A-ZÀ-Þ])")
_SENTENCE_AFTER = re.compile(r"(?<=[^\W\d_]{4})\.[ ]+[A-ZÀ-Þa-zß-ÿ][^\d,]*$")


# A European postcode written before its town: 5 digits (DE, FR, ES, IT), 4 (AT, CH, DK, NO, HU, BE,
# NL with its two letters), 3+2 (CZ, SK, GR, SE), 4-3 (PT), 2-3 (PL), with a country prefix ("D-", "A-")
_POSTCODE = r"(?:[A-Z]{1,2}-)?(?:\d{5}|\d{4}(?:[ ][A-Z]{2})?|\d{3}[ ]\d{2}|\d{4}-\d{3}|\d{2}-\d{3})"
# the town: one to three words, the first capitalised in any script, and a district mark ("Praha 2",
# "København N", "Aarhus C")
_TOWN = r"(?P<town>[^\W\d_][^\W\d_'’]*(?:[ -][^\W\d_][^\W\d_'’]*){0,2}(?:[ ](?:\d{1,2}|[A-Z]))?)"
_POSTCODE_TOWN_TAIL = re.compile(
    r"(?P<rest>(?:/\d{1,4}[a-zA-Z]?)*[^,\n]{0,16}?)(?:,[ ]?[^,\n]{1,20}?){0,2}?,[ ]?" + _POSTCODE + "[ ]" + _TOWN
    + r"(?=[ \t]*(?:[.,;:)!?]|\n|$))")

_HAS_POSTCODE_TOWN = re.compile(r"(?<![\w-])" + _POSTCODE + r"[ ][^\W\d_]")


def _postcode_town_tail(text: str, end: int) -> int:
    """The end of an address that goes on, after at most two short parts (a floor, a flat, a
    building: ", 3. th.", ", Hinterhaus 2. OG", ", Bâtiment C"), with a postcode and a capitalised
    town: "…Vestergade 8" + ", 1. sal, 8000 Aarhus C". The town's words must be capitalised and the
    parts between may not end a sentence."""
    if _HAS_POSTCODE_TOWN.search(text, max(0, end - 60), end):
        return end  # it has its postcode and town already: what follows is another address
    m = _POSTCODE_TOWN_TAIL.match(text, end)
    if m is None or not all(w[:1].isupper() for w in re.split(r"[ -]", m.group("town")) if not w.isdigit()):
        return end
    if re.search(r"[.!?][ ]+[^\W\d_]{4}", text[end:m.start("town")]):
        return end  # a sentence ended in between
    return m.end()


# A whole address ending in a postcode and town, with no street type word the street rules know:
# "Vinohradská 1233/45, 120 00 Praha 2", "Ερμού 25, 105 63 Αθήνα", "Thorvald Meyers gate 51, 0555 Oslo",
# "C/ Alcalá 214, 3º izq., 28028 Madrid": a capitalised street of one to four words and a house
# number, at most two short parts, the postcode and the town, on one line.
_STREET_NUMBER_TOWN = re.compile(
    r"(?<![\w/.-])(?P<street>(?:C/[ ])?[" + UPPER + r"\u0386-\u038f\u0391-\u03a9\u0400-\u042f][^\W\d_'’.]*\.?"
    r"(?:[ -][^\W\d_][^\W\d_'’.]*\.?){0,3})"
    r"[ ](?P<num>\d{1,4}[a-zA-Z]?(?:/\d{1,4}[a-zA-Z]?)?)(?:,[ ]?[^,\n]{1,20}?){0,2}?,[ ]?" + _POSTCODE + "[ ]" + _TOWN
    + r"(?=[ \t]*(?:[.,;:)!?]|\n|$))")
_EVERYDAY_STREET = 200  # an English word this frequent (the lab's list; "invoice" 1,407) opens no street


def street_postcode_town_spans(text: str) -> list[tuple[int, int]]:
    """Addresses of :data:`_STREET_NUMBER_TOWN`. The street is the longest tail of its words that
    opens with a capitalised word, no acronym and no English word of the lab's list ("Invoice 7,
    …"), and whose other words are capitalised or street types ("Thorvald Meyers gate"; not
    "Rechnung geht an Bahnhofstrasse"); the town's words are capitalised; the parts between hold no
    postcode and town of their own (that is a second address)."""
    out: list[tuple[int, int]] = []
    for m in _STREET_NUMBER_TOWN.finditer(text):
        if not all(w[:1].isupper() for w in re.split(r"[ -]", m.group("town")) if not w.isdigit()):
            continue
        if _HAS_POSTCODE_TOWN.search(text, m.end("num"), m.start("town") - 1):
            continue
        start = _street_start(text, m.start("street"), m.end("street"))
        if start is not None:
            out.append((start, m.end()))
    return out


def _street_start(text: str, start: int, end: int) -> int | None:
    """Where the street of ``text[start:end]`` starts (see :func:`street_postcode_town_spans`)."""
    words = [(w.start(), w.group(0)) for w in re.finditer(r"[^ -]+", text[start:end])]
    for k, (offset, first) in enumerate(words):
        if first == "C/":
            continue  # Spanish "calle": the street starts here if the word after it qualifies
        first = first.rstrip(".")
        if not first[:1].isupper() or first.isupper() or english_frequencies().get(first.lower(), 0) >= _EVERYDAY_STREET:
            continue
        if all(w[:1].isupper() or w.lower().rstrip(".") in _street_words() for _, w in words[k + 1:]):
            return start + (words[k - 1][0] if k and words[k - 1][1] == "C/" else offset)
    return None


@functools.cache
def _street_words() -> frozenset[str]:
    """libpostal's street types and their abbreviations in every language (lower-case)."""
    return frozenset(w.lower().rstrip(".") for kind in ("street_types", "units") for w in address_words(kind))


def _caseless_letter(ch: str) -> bool:
    """A letter of a script without letter case (Thai, CJK, Arabic …): glued to a number, another word."""
    return ch.isalpha() and ch.upper() == ch.lower()


# The word "address" (and its compounds: "Leveringsadresse", "Postadres", "Toimitusosoite") is the field's
# label, not part of the address (round 21): a span's first word ending in one of these roots (folded) is
# cut off when an address follows it. General knowledge of the word in each language, not from a set.
_LABEL_ROOTS = ("address", "adresse", "adres", "adresa", "adrese", "adresas", "adressi", "aadress", "osoite",
                "anschrift", "indirizzo", "direccion", "endereco", "morada", "domicilio", "naslov", "heimilisfang",
                "adresi", "adress", "adreca", "helbidea", "cyfeiriad", "seoladh", "diefthynsi", "adrec")
_LABEL_WORD = re.compile(r"([^\W\d_][\w'’-]*)[ \t]+(?=[\w\u0600-\u06ff])")
# a phone or e-mail label after the town, cut with the comma before it ("…, 1070 Wien, Tel")
_TRAILING_LABEL = re.compile(r"(?i)[ \t]*[,;][ \t]*(?:tel|tél|telf|tlf|ph|phone|mob|mobile|fax|gsm|cel|cell|handy|"
                             r"puh|telefon|telefone|telefono|teléfono|email|e-mail|тел|телефон)\.?$")


def _cut_label_word(text: str, start: int, end: int) -> int:
    """``start`` moved past a first word that is the word "address" or a compound of it."""
    m = _LABEL_WORD.match(text, start, end)
    if m is None or m.end() >= end:
        return start
    word = fold(m.group(1))
    return m.end() if word.endswith(_LABEL_ROOTS) else start


def tidy_address(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` of an address span of ``text`` with its ends set as described above."""
    # the word "address" or a compound of it before the street, a phone label after the town (round 21)
    start = _cut_label_word(text, start, end)
    if (m := _TRAILING_LABEL.search(text, start, end)) is not None and m.start() > start:
        end = m.start()
    # a sentence end inside: "ist. Mariahilfer Straße …" starts after it (not "St. Kilda Road")
    m = _SENTENCE_BEFORE.match(text, start, end) or _PREPOSITION_BEFORE.match(text, start, end)
    if m and m.group(1) not in _street_words():  # not "str. Mihai Eminescu", "ul. Długa", "rue Victor"
        start = m.end()
    m = _SENTENCE_AFTER.search(text, start, end)
    if m and m.start() > start:
        end = m.start()
    # a token cut in the middle is completed
    while end < len(text) and end > start and text[end - 1].isalnum() and text[end].isalnum() \
            and not (text[end - 1].isdigit() and _caseless_letter(text[end])):  # "10110แล้ว": a word after (round 18)
        end += 1
    # a UK outward code followed by its inward code
    token_start = end
    while token_start > start and text[token_start - 1].isalnum():
        token_start -= 1
    token = text[token_start:end]
    if (_UK_OUTWARD.fullmatch(token) and (m := _UK_INWARD.match(text, end))) or (2 <= len(token) <= 3 and token.isupper() and token.isalpha() and (m := _STATE_POSTCODE.match(text, end))) or (end > start and text[end - 1].isalpha() and (m := _TAIL_POSTCODE.match(text, end))):
        end = m.end()
    elif token.isdigit() and (m := _HOUSE_SUFFIX.match(text, end)):
        # "Keizersgracht 221" + "-H": the suffix, then the postcode and town the street rules take after it
        end = extend_address(text, m.end())
    # the postcode and town after the street, past a short unit part or two (round 15)
    end = _postcode_town_tail(text, end)
    # a unit word and its number before the span
    m = _UNIT_BEFORE.search(text, max(0, start - 24), start)
    if m and m.end() == start:
        start = m.start()
    return start, end
