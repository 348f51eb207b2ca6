"""Postal addresses written in scripts without letter case, by the shape of the run (issue 15, round 11).

Why: the address rules of :mod:`labkit.controls.pii_address` read the Latin view of a text and lean
on capitalised words and on street words of Latin, Cyrillic and Greek spelling. An address written in
Arabic, Persian, Thai, Devanagari, Bengali, Georgian, Hebrew, Hangul or CJK characters becomes lower-case or unspaced Latin there
and is not a candidate (seen fresh8: addresses R 0.162; ar_DZ 5/55, fa_IR 0/55, th_TH 2/55, zh_CN 1/55).

What it does: :func:`caseless_address_spans` reads the text as written. It takes maximal *runs* of
caseless-script words and digit groups (any script's digits: ``৭৬৯``) joined by blanks, commas (also the
Arabic ``،``), a dash, a dot (``ถ.ทหารแท้``) or a line break (one blank line at most) before a word
(a line of bare numbers is a phone list); a form's unit line in English (``Apt. 455``) counts as one
of its numbers. It calls a run an address when it holds at least two caseless words (or, in scripts
written without blanks between words - Thai, Lao, Myanmar, Khmer, CJK - four letters) and a number,
and has one of the shapes the postal systems of these scripts share:

- **house first**: the run, or its part after a comma or a line break, opens with a house number
  followed by words (``6 نهج فارس عين البيضاء``, ``72/46 सावित्री …``, ``815/5 ถนนถนิมมาศ …``; in
  ``شركة النور, 7 نهج الحرية`` the address starts at the ``7``);
- **postcode last**: it closes with a postcode of 4-7 digits after a word (``… টাঙ্গাইল, ৫৮৬৯``,
  ``… चक्रधरपुर-774626``), or of up to 10 digits when it also opens with a house number (Iran);
- **house in the middle**: ``<street> 15, <town>`` (``რუსთაველის ქ. 27, ქუთაისი``, Hebrew likewise);
- **house last**: three words or more, then the number, and a parenthesised locality after it if
  there is one (Korean road addresses: ``경기도 수원시 팔달로 118 (매산동)``);
- **numbered CJK blocks**: two or more numbers, at least one followed by a house, floor, room or block
  counter from libpostal's Chinese and Japanese dictionaries (``号 號 楼 樓 层 室 栋 番 階``) or the
  Japanese ``丁目`` (``横林7丁目25番16号``).

After the run, what the Latin rules take after a street is taken too (a ``Country 12345`` line:
:func:`labkit.controls.pii_address.extend_address`). A run never takes a Latin letter (except one glued between two CJK characters, ``徐街v座``), so in Latin
prose the address ends where the prose resumes. Guards: a number of more than 7 digits inside the run,
or more than five numbers, is a phone or an account, not an address; a house number written as a date
(``2020-03-05``, ``12/05/1990``) is not a house, nor a year alone after words (``در سال 1985``) a
postcode; a run of more than 24 tokens is prose, not an address;
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

from labkit.controls.pii_address import extend_address
from labkit.controls.pii_address_window import address_windows
from labkit.controls.pii_script import char_class

# libpostal zh/ja number.txt, level_types_numbered.txt, unit_types_numbered.txt, building_types.txt
_CJK_COUNTERS = ("丁目", "号", "號", "楼", "樓", "层", "層", "室", "栋", "棟", "番", "階", "座")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_MAX_TOKENS = 24


@cache
def _caseless_class() -> str:
    """A regex character class of caseless letters and combining marks (Basic Multilingual Plane).

    Built from the Unicode categories rather than listed by script: a letter that is neither upper
    nor lower case (Arabic, Hebrew, Indic, Thai, CJK, kana, Hangul ...) and every combining mark
    (Indic vowel signs, Arabic harakat), so a word of any such script is one token. Georgian
    Mkhedruli is added: Unicode gives it Mtavruli capitals, but they are not used to mark names or
    places (as :mod:`labkit.controls.pii_script` treats it).
    """
    def keep(cp: int, ch: str) -> bool:
        cat = unicodedata.category(ch)
        return ((cat in ("Lo", "Lm") and not (ch.isupper() or ch.islower())) or cat in ("Mn", "Mc")
                or 0x10D0 <= cp <= 0x10FF or cp in (0x200C, 0x200D))  # zero-width (non-)joiner: "श्रेष्‍ठ"

    return char_class(keep, start=0x0370)


_NUM = r"\d+(?:[/-]\d+)*"


@cache
def _word_rx() -> str:
    c = _caseless_class()
    # a geresh, gershayim or apostrophe between letters stays inside the word (Hebrew "ג'ו", "רלב\"ג");
    # one Latin letter glued between CJK characters too ("徐街v座")
    return rf"{c}+(?:(?:['\"׳״’]|[A-Za-z](?={c})){c}+)*"


# a unit in English words inside such an address ("… ถนนธาราธร\n Apt. 455\n นครราชสีมา …"): a form's
# second address line; it counts as a number of the run, never as its house
_UNIT = r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Floor)\.?[ ]#?\d{1,5}(?![\w])"


@cache
def _run_rx() -> re.Pattern[str]:
    c = _caseless_class()
    token = rf"(?:{_word_rx()}|{_UNIT}|{_NUM})"
    # a line break (one blank line at most) joins only when a word or a unit follows: a line of bare
    # numbers is a phone list
    sep = rf"(?:[ \t]*[,،.\-][ \t]*(?:\n[ \t]*(?={c}))?|[ \t]*\n[ \t]*(?:\n[ \t]*)?(?={c}|{_UNIT})|[ \t]+|)"
    # a run never starts right after a hyphen: "ACC-00001", "CON-0002도" are record ids, and their
    # digits opened an "address" with the caseless words after them (round 14, from the seen fresh9
    # red-team payloads: "ACC-<ADDRESS_1>" hid the pasted request from the model)
    return re.compile(rf"(?<![\w-]){token}(?:{sep}{token})*")


@cache
def _token_rx() -> re.Pattern[str]:
    return re.compile(rf"(?P<num>{_UNIT}|{_NUM})|{_word_rx()}")


# a parenthesised locality after the house number ("… 929 (서윤김오면)")
_PAREN_TAIL = re.compile(r"[ \t]*\((?P<w>[^()\n\dA-Za-z]{1,30})\)")
_GATE = re.compile(r"\d")


def _is_cjk(s: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" for ch in s)


# scripts written without blanks between words (Thai, Lao, Myanmar, Khmer, CJK): one token may hold
# a whole street name, so letters are counted instead of words
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff]")


def _enough_words(words: list[tuple[int, int, bool]], unspaced: bool, letters: int) -> bool:
    return len(words) >= 2 or (unspaced and sum(e - s for s, e, _ in words) >= letters)


def _house_like(s: str) -> bool:
    """A house number: parts of at most 5 digits, not written as a date."""
    return not _DATE.match(s) and all(len(p) <= 5 for p in re.split(r"[/-]", s))


def _accept(run: str) -> tuple[int, int] | None:
    """The address inside ``run`` (offsets in it), or None: the shapes of the module doc."""
    toks = [(m.start(), m.end(), m.group("num") is not None) for m in _token_rx().finditer(run)]
    nums = [i for i, t in enumerate(toks) if t[2]]
    words = [t for t in toks if not t[2]]
    if not nums or not words or len(toks) > _MAX_TOKENS or len(nums) > 5:
        return None
    cjk = _is_cjk(run)
    unspaced = _UNSPACED.search(run) is not None
    if not _enough_words(words, unspaced, 4):
        return None
    text_of = [run[s:e] for s, e, _ in toks]
    digits = [sum(ch.isdigit() for ch in text_of[i]) for i in nums]

    def sep_before(i: int) -> str:
        return run[toks[i - 1][1]:toks[i][0]] if i else ""

    # house first: the run, or its part after a comma or line break, opens with a house number
    # followed by words ("مرزوق, 1 بلدية بن يحيى, سور الغزلان" starts at the "1")
    first = next((i for i in nums if (i == 0 or any(ch in sep_before(i) for ch in ",،\n"))
                  and i + 1 < len(toks) and not toks[i + 1][2] and _house_like(text_of[i])
                  and _enough_words([t for t in toks[i:] if not t[2]], unspaced, 6)), None)
    lo = first if first is not None else 0
    last = len(toks) - 1
    post_last = (toks[last][2] and not toks[last - 1][2]
                 and (4 <= digits[-1] <= 7 or (first is not None and digits[-1] <= 10)))
    inner = digits[:-1] if post_last else digits
    if any(d > 7 for d in inner):
        return None
    # house in the middle: "<street> 15, <town>" (Georgian, Hebrew)
    middle = any(0 < i < last and not toks[i - 1][2] and any(c in run[toks[i][1]:toks[i + 1][0]] for c in ",،，")
                 and not toks[i + 1][2] and _house_like(text_of[i]) for i in nums)
    # house last: three words or more, then the number ("경상북도 김포시 도산대길 929")
    house_last = toks[last][2] and len(words) >= 3 and not toks[last - 1][2] and _house_like(text_of[last])
    counters = cjk and len(nums) >= 2 and any(run.startswith(k, toks[i][1]) for i in nums for k in _CJK_COUNTERS)
    if first is None and len(nums) == 1 and re.fullmatch(r"(?:1[89]|20)\d\d", text_of[last]):
        post_last = house_last = False   # "… در سال 1985": a year after words, not a postcode or a house
    if first is None and not (post_last or middle or house_last or counters):
        return None
    return toks[lo][0], toks[last][1]


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
        # the address's ends inside the prose around it, per sentence (round 18: pii_address_window)
        toks = [(t.start(), t.end(), t.group("num") is not None) for t in _token_rx().finditer(run)]
        for ws, we in address_windows(run, toks):
            span = _accept(run[ws:we])
            if span is None:
                continue
            s, e = m.start() + offset + ws + span[0], m.start() + offset + ws + span[1]
            tail = _PAREN_TAIL.match(text, e) if text[e - 1].isdigit() else None
            # then what the Latin rules take after an address: a unit, "Country 12345" on the next line
            out.append((s, extend_address(text, tail.end() if tail else e)))
    return out


@cache
def _heading_rx() -> re.Pattern[str]:
    w = _word_rx()
    # a quoted card (an e-mail reply's "> " before each line, or bullets a copy turned into "?")
    # may open with an empty quoted line
    quote = r"(?:[>|?•*]+[ \t]*(?:\n[>|?•*]+[ \t]*)?)?"
    return re.compile(rf"[ \t]*{quote}(?P<h>{w}(?:[ \t]+{w}){{0,2}})[ \t]*\n")


def caseless_heading(text: str) -> tuple[int, int] | None:
    """The first line of ``text`` when it is one to three caseless-script words alone on their line
    (``سرين بومدين\\n…``): where a contact card or a letter names its holder. The caller decides
    whether the rest of the text is such a card.

    Example:
        >>> t = "ریم طحراوي\\n4 حي بوشامة المنيعة"
        >>> s, e = caseless_heading(t)
        >>> t[s:e]
        'ریم طحراوي'
    """
    m = _heading_rx().match(text)
    return (m.start("h"), m.end("h")) if m else None
