"""Views of a text for the number finders: other digit scripts read as ASCII digits, OCR's letter O read as zero (round 17).

Why hand-written: libphonenumber and the date rules read a phone number or a date written in
Persian ("۰۹۱۲ ۵۵۵ ۴۳۲۱"), Arabic-Indic, Bengali or Devanagari digits only in part (a trunk ``0``
is a ``۰`` there, and the date patterns say ``0-9``), and a scan of a paper form reads the zero of a
date as a letter ("D.O.B. O3/12/1961"). Both views keep every character where it is (one character
for one), so a span found in the view is the same span of the text as written.

- :func:`ascii_digit_view`: every decimal digit of any script (Unicode category Nd) as its ASCII
  digit; ``None`` when the text has none but ASCII ones.
- :func:`ocr_zero_view`: a letter ``O``/``o`` inside a run of digits and date separators that has
  three digits or more ("O4.11.1949", "19O7") as ``0``; ``None`` when there is none. Words are left
  alone: the run must stand between non-letters ("Go2", "Oslo 2020" keep their letters).

Example:
    >>> ascii_digit_view("تلفن: ۰۹۱۲ ۵۵۵ ۴۳۲۱")
    'تلفن: 0912 555 4321'
    >>> ocr_zero_view("geb. O3.1O.1961 in Graz")
    'geb. 03.10.1961 in Graz'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")


@cache
def _digit_table() -> dict[int, str]:
    """Every non-ASCII decimal digit (category Nd) of the Basic Multilingual Plane to its ASCII digit,
    built once (~370 code points; the digits above it are mathematical styles and rare scripts)."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.decimal(ch))
    return table


@cache
def _digit_class() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(cp)) for cp in _digit_table()) + "]")


def ascii_digit_view(text: str) -> str | None:
    """``text`` with every digit of another script as its ASCII digit, or ``None`` when it has none."""
    if text.isascii() or not _digit_class().search(text):
        return None
    return text.translate(_digit_table())


_OCR_HINT = re.compile(r"\d[./-]?[Oo]|[Oo][./-]?\d")
# a run of digits, O/o and the separators of a date or a number, standing between non-letters
_OCR_RUN = re.compile(r"(?<![^\W\d_])[0-9Oo](?:[0-9Oo]|[./-](?=[0-9Oo]))+(?![^\W\d_])")


def ocr_zero_view(text: str) -> str | None:
    """``text`` with a letter O read as zero inside a run of three digits or more, or ``None``."""
    if not _OCR_HINT.search(text):  # one C-level scan: most texts have no letter O beside a digit
        return None
    parts: list[str] = []
    pos = 0
    for m in _OCR_RUN.finditer(text):
        run = m.group(0)
        if ("O" in run or "o" in run) and sum(c.isdigit() for c in run) >= 3:
            parts += [text[pos:m.start()], run.replace("O", "0").replace("o", "0")]
            pos = m.end()
    if not parts:
        return None
    parts.append(text[pos:])
    return "".join(parts)
