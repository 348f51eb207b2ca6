"""Postal addresses written in scripts without letter case, by the shape of the run (issue 15, round 11).

Why: the address rules of :mod:`labkit.controls.pii_address` read the Latin view of a text and lean
on capitalised words and on street words of Latin, Cyrillic and Greek spelling. An address written in
Arabic, Persian, Thai, Devanagari, Bengali or CJK characters becomes lower-case or unspaced Latin there
and is not a candidate (seen fresh8: addresses R 0.162; ar_DZ 5/55, fa_IR 0/55, th_TH 2/55, zh_CN 1/55).

What it does: :func:`caseless_address_spans` reads the text as written. It takes maximal *runs* of
caseless-script words and digit groups (any script's digits: ``৭৬৯``) joined by blanks, commas (also the
Arabic ``،``), a dash, a dot (``ถ.ทหารแท้``) or one line break before a word (a line of bare
numbers is a phone list), and calls a run an address when it holds
at least two caseless words (or four CJK characters) and a number, and has one of three shapes every
postal system of these scripts shares:

- **house first**: the run opens with a house number (``6 نهج فارس عين البيضاء``, ``72/46 सावित्री …``,
  ``815/5 ถนนถนิมมาศ …``), a number followed by words;
- **postcode last**: it closes with a postcode of 4-7 digits after a word (``… টাঙ্গাইল, ৫৮৬৯``,
  ``… चक्रधरपुर-774626``), or of up to 10 digits when it also opens with a house number (Iran);
- **numbered CJK blocks**: two or more numbers, at least one followed by a house, floor, room or block
  counter from libpostal's Chinese and Japanese dictionaries (``号 號 楼 樓 层 室 栋 番 階``) or the
  Japanese ``丁目`` (``横林7丁目25番16号``).

A run never takes a Latin letter (except one glued between two CJK characters, ``徐街v座``), so in Latin
prose the address ends where the prose resumes. Guards: a number of more than 7 digits inside the run,
or more than five numbers, is a phone or an account, not an address; a house number written as a date
(``2020-03-05``, ``12/05/1990``) is not a house; a run of more than 24 tokens is prose, not an address;
a run over two lines starts at the first line with a number (a name line above an address is the
name detector's). The counters are libpostal's (MIT; the same dictionaries as
:mod:`labkit.controls.pii_address_vocab`), ``丁目`` is general knowledge of Japanese addresses.

What it does not do: addresses with no number at all, or a caseless address whose number is written
in words; it does not check that a town exists (no gazetteer reads these scripts here).

Example:
    >>> t = "Please ship it to 6 نهج فارس عين البيضاء by Monday."
    >>> [t[s:e] for s, e in caseless_address_spans(t)]
    ['6 نهج فارس عين البيضاء']
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# libpostal zh/ja number.txt, level_types_numbered.txt, unit_types_numbered.txt, building_types.txt
_CJK_COUNTERS = ("丁目", "号", "號", "楼", "樓", "层", "層", "室", "栋", "棟", "番", "階", "座")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_MAX_TOKENS = 24


@cache
def _caseless_class() -> str:
    """A regex character class of caseless letters and combining marks (Basic Multilingual Plane).

    Built from the Unicode categories rather than listed by script: a letter that is neither upper
    nor lower case (Arabic, Hebrew, Indic, Thai, CJK, kana, Hangul ...) and every combining mark
    (Indic vowel signs, Arabic harakat), so a word of any such script is one token.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(0x0370, 0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        ok = (cat in ("Lo", "Lm") and not (ch.isupper() or ch.islower())) or cat in ("Mn", "Mc")
        if ok:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


@cache
def _run_rx() -> re.Pattern[str]:
    c = _caseless_class()
    word = rf"{c}+(?:[A-Za-z](?={c}){c}+)*"
    num = r"\d+(?:[/-]\d+)*"
    token = rf"(?:{word}|{num})"
    # a line break joins only when a word follows: a line of bare numbers is a phone list
    sep = rf"(?:[ \t]*[,،.\-][ \t]*|[ \t]*\n[ \t]*(?={c})|[ \t]+|)"
    return re.compile(rf"(?<![\w]){token}(?:{sep}{token})*")


_TOKEN = re.compile(r"\d+(?:[/-]\d+)*|[^\W\d_]+|\S")
_GATE = re.compile(r"\d")


def _tokens(run: str) -> list[tuple[int, int, bool]]:
    """``(start, end, is_number)`` of the words and numbers of a run (separators left out)."""
    c = re.compile(_caseless_class())
    out: list[tuple[int, int, bool]] = []
    i = 0
    num = re.compile(r"\d+(?:[/-]\d+)*")
    while i < len(run):
        m = num.match(run, i)
        if m:
            out.append((i, m.end(), True))
            i = m.end()
            continue
        j = i
        while j < len(run) and (c.match(run, j) or (run[j].isascii() and run[j].isalpha() and j > i
                                                      and j + 1 < len(run) and c.match(run, j + 1))):
            j += 1
        if j > i:
            out.append((i, j, False))
            i = j
        else:
            i += 1
    return out


def _is_cjk(s: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" for ch in s)


def _accept(run: str, toks: list[tuple[int, int, bool]]) -> tuple[int, int] | None:
    nums = [t for t in toks if t[2]]
    words = [t for t in toks if not t[2]]
    if not nums or not words or len(toks) > _MAX_TOKENS or len(nums) > 5:
        return None
    letters = sum(e - s for s, e, _ in words)
    cjk = _is_cjk(run)
    if not (len(words) >= 2 or (cjk and letters >= 4)):
        return None
    digits = [sum(ch.isdigit() for ch in run[s:e]) for s, e, _ in nums]
    first, last = toks[0], toks[-1]
    house_first = (first[2] and len(toks) >= 3 and not toks[1][2]
                   and not _DATE.match(run[first[0]:first[1]])
                   and all(len(p) <= 5 for p in re.split(r"[/-]", run[first[0]:first[1]])))
    last_digits = digits[-1] if last[2] else 0
    post_last = last[2] and not toks[-2][2] and (4 <= last_digits <= 7 or (house_first and last_digits <= 10))
    inner = digits[:-1] if post_last else digits
    if any(d > 7 for d in inner):
        return None
    counters = cjk and len(nums) >= 2 and any(run.startswith(k, e) for _, e, n in nums if n for k in _CJK_COUNTERS)
    if not (house_first or post_last or counters):
        return None
    if post_last and not house_first and not counters and len(nums) == 1 and re.fullmatch(
            r"(?:1[89]|20)\d\d", run[last[0]:last[1]]):
        return None   # "… 1985": a year after words, not a postcode
    return first[0], last[1]


def caseless_address_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of addresses written in a caseless script, in order (see the module doc)."""
    if not _GATE.search(text):
        return []
    out: list[tuple[int, int]] = []
    for m in _run_rx().finditer(text):
        run = m.group(0)
        if not any(ch.isdigit() for ch in run):
            continue
        # over two lines: start at the first line that holds a number
        offset = 0
        if "\n" in run:
            for line in run.split("\n"):
                if any(ch.isdigit() for ch in line):
                    break
                offset += len(line) + 1
            run = run[offset:]
        toks = _tokens(run)
        if not toks:
            continue
        span = _accept(run, toks)
        if span is not None:
            out.append((m.start() + offset + span[0], m.start() + offset + span[1]))
    return out
