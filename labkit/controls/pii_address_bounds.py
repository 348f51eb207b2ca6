"""Where an address span starts and ends, once every finder has spoken (issue 15, round 22).

Why: on hand-written text (seen fresh17) most address misses were not addresses left unfound but
addresses found with the wrong ends (overlap recall 0.74-0.90 against span-exact 0.43-0.69 on the
checks). Round 14's :func:`~labkit.controls.pii_address_edges.tidy_address` moves the ends of one span;
this module works on all the address spans of a text together, and on layouts that module does not know:

- *one address found in two pieces*: two spans apart by a short gap of unit words and numbers only
  ("Storgatan 12" + `` lgh `` + "1103, 903 26 Umeå", "RT 03/RW 05", ", 3. th., ") become one. A gap
  with a line break, a conjunction ("and", "und", "et") or a word of five letters or more keeps them apart;
- *the end, postcodes in two halves*: a Canadian postcode ("H2K" + `` 2Z3``), a country-prefixed one
  ("LT" + ``-01104 Vilnius``), after a province ("QC" + `` H7N 3K4``), a dotted state ("N" + ``.L.``), a district letter after the town
  ("København" + `` N``), a Turkish province after the district ("Yenimahalle" + ``/Ankara``);
- *the end, a town after a preposition*: a span that ends in its house number (≤ 4 digits) takes "à Vannes",
  "din Sibiu", "in Lokeren" (a short preposition and one or two capitalised words; not a month or weekday);
- *the end, run on past the address*: a span that already holds a number stops at a sentence end
  (". His mobile is …", ".⏎Heikki Saarinen, HR"), and in a caseless script or before a line break
  after a postcode of five or six digits ("… 500034 కు పంపబడింది", "… 641004⏎GSTIN");
- *the end, more*: a unit and building then a town and postcode after the street ("…Ave" + " 2, #09-117,
  Singapore 460418"); a date's day a town rule took in ("Umeå den 1") cut; a Korean particle after the last
  unit ("1203호로") and a Japanese verb phrase after the number ("…302へお届け…") cut;
- *the start, more*: a noun and a short preposition before the street ("Paket an Via …"; not a street word
  such as "Calle de"), a Japanese lead before the prefecture ("ご注文の品は東京都…");
- *the start*: the word for "address" in a caseless script inside the span (पत्ता, نشانی, ঠিকানা …):
  the address starts after it ("आपली जन्मतारीख … आणि पत्ता १२, …"); "your parcel" before the street
  in Indic scripts and Urdu (আপনার পার্সেল, உங்கள் பார்சல், మీ పార్సెల్, तुमचे पार्सल, آپ کا پارسل) is cut.

It moves ends only and never finds an address. The word lists are general knowledge of each language
(written for this module, none copied from an evaluation set). Regular expressions, not a library:
libpostal's parser would set these ends but needs a 2 GB model download (no internet at run time).

Example:
    >>> t = "Flytt till Storgatan 12 lgh 1103, 903 26 Umeå den 1 maj."
    >>> settle_address_spans(t, [(11, 23), (28, 45)])
    [(11, 45)]
"""

from __future__ import annotations

import re

from labkit.controls.pii_address_vocab import words as address_words
from labkit.controls.pii_dob import is_month_name, is_weekday

# a gap inside one address: unit words of at most four letters, numbers, '#', '/', '.', ',', ':' and spaces
_GAP = re.compile(r"[ ,./#:-]*(?:(?:[^\W\d_]{1,4}|\d{1,4}[a-zA-Z]?)(?!\w)[ ,./#:-]*){0,4}")
_CONJUNCTIONS = frozenset({"and", "or", "und", "oder", "et", "ou", "y", "o", "e", "i", "og", "och", "en", "ja",
                           "és", "a", "và", "dan", "at", "ve", "и", "или", "та", "і", "al", "to",
                           "vs", "from", "von", "de", "du", "des", "van", "nach", "til", "för"})
_MAX_GAP = 16

# the second half of a Canadian postcode ("H2K" + " 2Z3")
_CA_FSA = re.compile(r"[A-Z]\d[A-Z]")
_CA_LDU = re.compile(r"[ ]\d[A-Z]\d\b")
# a country-prefixed postcode and its town after the two capitals ("LT" + "-01104 Vilnius")
_PREFIXED_POSTCODE = re.compile(r"-\d{4,5}(?:[ ][^\W\d_][^\W\d_'’-]*)?(?=[ \t]*(?:[.,;:)!?]|\n|$))")
# a dotted abbreviation after one capital ("N" + ".L.")
_DOTTED = re.compile(r"\.(?:[A-Z]\.)*")
# a Canadian postcode after a province code ("QC" + " H7N 3K4")
_CA_POSTCODE = re.compile(r"[ ][A-Z]\d[A-Z][ ]\d[A-Z]\d\b")
# a one-letter district after a town ("København" + " N"), then punctuation, a lower-case word or the end
_DISTRICT = re.compile(r"[ ][A-Z](?=[.,;:)!?]|[ ]+[a-zß-ÿ]|\s*$|\n)")
# a province after a district, slash-joined ("Yenimahalle" + "/Ankara")
_SLASH_TOWN = re.compile(r"/[A-ZÀ-ÞÇŞİÖÜĞ][^\W\d_]+(?=[ \t]*(?:[.,;:)!?]|\n|$))")
# a short preposition and a capitalised town of one or two words after the house number ("à Vannes")
_PREPOSITION_TOWN = re.compile(
    r"[ ](?:à|a|din|in|en|em|w|we|v|ve|u|i|na|te|ad|aus|bei|di|da|ở|tại|в|во|у|ў)[ ]"
    r"[A-ZÀ-ÞĀ-ſА-Я][^\W\d_'’]+(?:[ -][A-ZÀ-ÞĀ-ſА-Я][^\W\d_'’]+)?(?=[ \t]*(?:[.,;:)!?]|\n|$|[ ][^\W\d_]))")
# a sentence end inside a span: a word of five letters or more, or a token of four or more ending in a digit
# (a postcode: "X2K7", "641004"; not a floor "2." or an ordinal "23."), a full stop, white space and a letter
_SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{5})|(?<=[\w]{3}\d))\.(?=\s+[^\W\d_])")
# a postcode of five or six digits (any script's digits) and what follows it in the span: it ends an
# address written town-last (the span has a comma before it); a Korean one opens the address instead
_POSTCODE_THEN = re.compile(r"(?<!\d)\d{5,6}(?!\d)")

# after the span: a street's number after its type word (" 2" after "Ave"), a unit ("#09-117"), a building's
# name, then a town and a postcode of four to six digits ("…, #27-15 International Plaza, Singapore 079903")
_UNIT_TOWN_TAIL = re.compile(
    r"(?P<num>[ ]\d{1,3}[A-Z]?(?=,))?(?:,[ ]#\d{1,3}-\d{1,4})?(?:[ ][A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2})?"
    r",[ ][A-Z][a-z]+(?:[ ][A-Z][a-z]+)?[ ]\d{4,6}(?=[ \t]*(?:[.,;:)!?]|\n|$))")
# a date's day after a postcode and town, taken in by a town rule ("Umeå den 1" of "… den 1 januari"; not
# "Ghorofa ya 2", a floor, with no postcode before it)
_DAY_AFTER_TOWN = re.compile(r"(?<=[^\W\d_])[ ][a-zß-ÿ]{2,5}[ ]\d{1,2}$")
# a noun and a preposition of direction before the street ("Paket an Via …", "Lieferung nach Hauptstraße 5"):
# a closed list, since "am", "van", "de" open street names ("Am Markt", "Kade van …")
_NOUN_PREPOSITION = re.compile(r"([A-ZÀ-Þ][a-zß-ÿ]{2,15})[ ](an|nach|to|at|à|au|aux|para|per|naar|til|till|ke|pe)[ ]"
                               r"(?=[A-ZÀ-Þ])")
# Korean particles glued to the last unit ("1203호로", to …): cut; Japanese: a polite lead before the
# prefecture ("ご注文の品は東京都…") and the verb phrase after the number ("…302へお届けします")
_KO_PARTICLE = re.compile(r"(?<=[호층동지])(?:으로|로|에서|에|까지)$")
_JA_PREFECTURE = re.compile(r"(?:東京都|北海道|大阪府|京都府|[\u4e00-\u9fff]{2,3}県)")
_JA_TAIL = re.compile(r"(?<=[\d０-９\u30a0-\u30ff階号地目室])[へにまで][\u3040-\u309f\u4e00-\u9fff]*$")

# The word "address" in caseless scripts: the address starts after it
ADDRESS_WORDS: frozenset[str] = frozenset({
    "पत्ता", "पता", "ঠিকানা", "முகவரி", "చిరునామా", "ವಿಳಾಸ", "വിലാസം", "સરનામું", "ਪਤਾ", "ଠିକଣା",
    "پتہ", "پتا", "نشانی", "آدرس", "عنوان", "العنوان", "ที่อยู่", "住所", "地址", "주소", "მისამართი",
    "አድራሻ", "Հասցե", "հասցե", "מען", "כתובת", "ठेगाना", "ලිපිනය", "လိပ်စာ", "អាសយដ្ឋាន", "ທີ່ຢູ່"})
# "your" before "parcel"/"order" at the start of the span (Indic scripts and Urdu): the two words go
YOUR_WORDS: frozenset[str] = frozenset({
    "আপনার", "তোমার", "உங்கள்", "உன்", "మీ", "నీ", "तुमचे", "तुमचा", "तुमची", "आपले", "आपला", "आपली",
    "आपका", "आपकी", "आपके", "तुम्हारा", "तुम्हारी", "ਤੁਹਾਡਾ", "ਤੁਹਾਡੀ", "તમારું", "તમારો", "ನಿಮ್ಮ",
    "നിങ്ങളുടെ", "ଆପଣଙ୍କ", "آپ کا", "آپ کی", "آپ کے", "تمہارا", "تمہاری"})


def _caseless(ch: str) -> bool:
    return ch.isalpha() and ch.upper() == ch.lower()


def _gap_joins(first: str, gap: str) -> bool:
    """Whether ``gap`` (the text between two address pieces) is a unit part of one address whose first
    piece is ``first``: that piece holds its house number (not a word taken alone, "Reid-Herring"), and
    the gap is no bare colon (a time of day, "11:00", read as two numbers)."""
    if not gap or len(gap) > _MAX_GAP or "\n" in gap or ";" in gap or gap == ":" or _GAP.fullmatch(gap) is None:
        return False
    if not any(c.isdigit() for c in first) or gap.lstrip(" ").startswith((":", "：")):
        return False  # no number in the first piece, or it ends at a label ("ঠিকানা: গ্রাম …")
    return not any(w.lower() in _CONJUNCTIONS for w in re.findall(r"[^\W\d_]+", gap))


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and out[-1][1] <= s and _gap_joins(text[out[-1][0]:out[-1][1]], text[out[-1][1]:s]):
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        elif out and s < out[-1][1]:
            out.append((s, e))  # overlapping spans: the detector's longest-wins pass settles them
        else:
            out.append((s, e))
    return out


def _start(text: str, start: int, end: int) -> int:
    """``start`` moved past an address word inside the span, or past "your parcel" at its start."""
    span = text[start:end]
    m = _NOUN_PREPOSITION.match(span)
    if m and m.group(1).lower() not in _street_words() and m.group(2) not in _street_words() \
            and any(c.isdigit() for c in span[m.end():]):
        return start + m.end()
    if (ja := _JA_PREFECTURE.search(span)) and ja.start() > 0 and re.search(r"[\u3040-\u309f]", span[:ja.start()]):
        return start + ja.start()
    if any(_caseless(c) for c in span):
        for m in re.finditer(r"[^\s:：,،]+", span):
            if m.group(0) in ADDRESS_WORDS and re.search(r"\d|[^\W\d_]", span[m.end():]) \
                    and any(c.isdigit() for c in span[m.end():]):
                start_after = start + m.end()
                # a second word of the label ending in a colon goes too ("العنوان الوطني:", national address)
                if (nxt := re.match(r"[ ]+[^\s:：,،\d]+[:：]", text[start_after:end])) is not None:
                    start_after += nxt.end()
                while start_after < end and text[start_after] in " :：\t":
                    start_after += 1
                start = start_after
                span = text[start:end]
        words = span.split(" ")
        for k in (2, 1):
            if len(words) > k + 1 and " ".join(words[:k]) in YOUR_WORDS:
                cut = len(" ".join(words[:k + 1])) + 1
                if any(c.isdigit() for c in span[cut:]):
                    start += cut
                break
    return start


def _end(text: str, start: int, end: int) -> int:
    """``end`` cut at a run-on past the address, or moved over a postcode or town left outside."""
    m: re.Match[str] | None
    span = text[start:end]
    if any(c.isdigit() for c in span):
        for m in _SENTENCE_END.finditer(text, start, end):
            before = text[start:m.start()]
            last = re.search(r"([^\W\d_]+)$", before)
            if any(c.isdigit() for c in before) and not (last and _street_abbreviation(last.group(1))):
                end = m.start()
                break
        for m in _POSTCODE_THEN.finditer(text, start, end):
            tail = text[m.end():end]
            if tail and "," in text[start:m.start()] and "," not in tail and (
                    tail[0] == "\n" or (tail[0] == " " and len(tail) > 1 and _caseless(tail[1]))):
                end = m.end()
                break
    span = text[start:end]
    if (m := _KO_PARTICLE.search(span)) or (m := _JA_TAIL.search(span)):
        return start + m.start()
    if (m := _DAY_AFTER_TOWN.search(span)) and m.group(0).split()[0] not in _street_words() and re.search(
            r"\d[ ][^\W\d_]+$", span[:m.start()]):
        return start + m.start()  # "Umeå den 1"; not a street word before a house number ("Gábor út 14")
    if (m := _UNIT_TOWN_TAIL.match(text, end)) and (not m.group("num") or _ends_in_street_type(span)):
        return m.end()
    token_start = end
    while token_start > start and text[token_start - 1].isalnum():
        token_start -= 1
    token = text[token_start:end]
    if _CA_FSA.fullmatch(token) and (m := _CA_LDU.match(text, end)):
        return m.end()
    if len(token) == 2 and token.isupper() and (m := _CA_POSTCODE.match(text, end)):
        return m.end()  # a province code, then the whole postcode ("QC" + " H7N 3K4")
    if len(token) == 2 and token.isupper() and token.isalpha() and (m := _PREFIXED_POSTCODE.match(text, end)):
        return m.end()
    if len(token) == 1 and token.isupper() and (m := _DOTTED.match(text, end)) and (
            len(m.group(0)) > 1 or re.search(r"[A-Z]\.$", text[start:token_start])):
        return m.end()  # "N" + ".L.", "B.C.S" + "."; not the full stop after "Aarhus C"
    town_after_postcode = token[:1].isupper() and len(token) > 2 and re.search(
        r"\d[ ]" + re.escape(token) + "$", text[start:end])
    if town_after_postcode and ((m := _DISTRICT.match(text, end)) or (m := _SLASH_TOWN.match(text, end))):
        return m.end()
    if token.isdigit() and len(token) <= 4 and (m := _PREPOSITION_TOWN.match(text, end)) and not (
            is_month_name(town := m.group(0).split()[-1]) or is_weekday(town)):
        return m.end()  # a house number, then "à Vannes"; not a postcode, not "in March"
    return end


def _ends_in_street_type(span: str) -> bool:
    """Whether ``span`` ends in a street type word ("Avenue") or a short capitalised one ("Ave", "Rd"),
    after which a number is the street's own ("Bedok North Ave 2")."""
    w = re.search(r"([^\W\d_]+)\.?$", span)
    return w is not None and (w.group(1).lower() in _street_words() or (len(w.group(1)) <= 4 and w.group(1).istitle()))


def _street_abbreviation(word: str) -> bool:
    """Whether ``word`` is a street or unit word or ends in one ("Hauptstr", "Stiebitzstr"): its full stop
    is an abbreviation's, no sentence end."""
    low = word.lower()
    return any(low[-k:] in _street_words() for k in range(3, len(low) + 1))


_STREET_WORDS: frozenset[str] | None = None


def _street_words() -> frozenset[str]:
    global _STREET_WORDS
    if _STREET_WORDS is None:
        _STREET_WORDS = frozenset(w.lower().rstrip(".") for kind in ("street_types", "units")
                                  for w in address_words(kind))
    return _STREET_WORDS


def settle_address_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The address ``spans`` of ``text`` with pieces of one address joined and their ends set as the
    module docstring says. Spans that overlap are returned as they are (the detector settles them)."""
    out = []
    for s, e in _merge(text, spans):
        s = _start(text, s, e)
        e = _end(text, s, e)
        if e > s:
            out.append((s, e))
    return out
