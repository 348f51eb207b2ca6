"""The two ends of an address span, set right after the finders have spoken (issue 15, round 14).

Why: on hand-written text (seen fresh10) the address finders found the street but set its ends
wrong in a few shared ways: a UK postcode cut in half ("… Leeds LS" with "6 1QT" left outside), an
Australian, Philippine or Indian postcode after the state or town left out ("… Ballarat VIC" +
" 3350"), a six-digit PIN cut to five, a unit, flat, plot or lot word before the house number left
out ("Flat 2, 14 Cavendish Road", "Plot 1123, …", "Lot 14 Banksia Drive", "No. 7, 2nd Main Road"),
and, the other way, the end of the sentence before ("ist. Mariahilfer Straße …") or the start of
the sentence after ("… 50674 Köln. Für Rückfragen") taken in.

What it does: :func:`tidy_address` moves the ends of one span, never finds one:

- the end: a token cut in the middle is completed (``LS`` -> ``LS6``; ``12200`` -> ``122001``); a UK
  inward code after an outward code is taken (``LS6`` + `` 1QT``); a 4-digit postcode after a state
  code (``NSW 2022``), or a 4- or 6-digit one after the span's last word when only punctuation, a dash
  or the line's end follows it, is taken; a house-number suffix (``221-H``) and what the street rules
  take after it (``, 1016 DV Amsterdam``) are taken;
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


@functools.cache
def _street_words() -> frozenset[str]:
    """libpostal's street types and their abbreviations in every language (lower-case)."""
    return frozenset(w.lower().rstrip(".") for kind in ("street_types", "units") for w in address_words(kind))


def tidy_address(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` of an address span of ``text`` with its ends set as described above."""
    # a sentence end inside: "ist. Mariahilfer Straße …" starts after it (not "St. Kilda Road")
    m = _SENTENCE_BEFORE.match(text, start, end) or _PREPOSITION_BEFORE.match(text, start, end)
    if m and m.group(1) not in _street_words():  # not "str. Mihai Eminescu", "ul. Długa", "rue Victor"
        start = m.end()
    m = _SENTENCE_AFTER.search(text, start, end)
    if m and m.start() > start:
        end = m.start()
    # a token cut in the middle is completed
    while end < len(text) and end > start and text[end - 1].isalnum() and text[end].isalnum():
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
    # a unit word and its number before the span
    m = _UNIT_BEFORE.search(text, max(0, start - 24), start)
    if m and m.end() == start:
        start = m.start()
    return start, end
