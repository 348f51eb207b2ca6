"""Dates of birth: a real calendar date a few characters after a birth label, in many languages.

What it does: :func:`dob_spans` yields ``(start, end)`` of every date of birth in a text. A date of
birth is a date written right after (at most 24 characters, same line) a label that says "born" or
"date of birth" in one of about 60 languages, and it must be a real day of a plausible year.

How, step by step:

1. A cheap gate (:data:`_HEADS`: the first letters of the text's words against those of the labels)
   finds where a label may start; ordinary text has no such word and costs one C-level scan.
2. :data:`_SPACED` and :data:`_UNSPACED` find the labels. Words of languages written with spaces must start a word
   (``narozen`` in ``Datum narození``, ``γέννησης``, ``לידה``); the labels of scripts that do not
   separate words (Thai ``วันเกิด``, CJK ``出生``, Indic ``জন্ম``) are found anywhere. The list is
   written by hand from how each language labels a birth date and says "born" (general knowledge,
   no test set's strings), as roots, so inflected forms (``narozena``, ``народження``) match.
3. After each label the first date-shaped text within 24 characters is read (:data:`_DATE`):
   year-month-day (``1985-03-14``, the spaced Hungarian and Korean ``1990. 02. 14.``, CJK
   ``1985年3月9日``), day-month-year in digits (``14.03.1985``, the spaced Czech ``22. 6. 1986``), or
   with a month word (``14 March 1985``, ``Hunyo 27, 1990``, ``14 กุมภาพันธ์ 2536``). Digits of any
   script count (Persian ``۱۳۶۸/۰۵/۲۱``, Bengali ``২৩/০৪/১৯৮৬``): Python reads them as numbers.
4. The month word must be a month name of CLDR (``babel``) in any of :data:`MONTH_LANGUAGES`, wide or
   abbreviated, compared without case or Latin/Greek accents, or an English/German/French
   abbreviation; the date must exist in its calendar: Gregorian 1900-2100, Thai Buddhist era
   2443-2643 (Gregorian + 543), or the Persian solar / Islamic lunar years 1300-1420 (month 1-12,
   day up to 31 in the first half of the year and 30 after).

What it does not do: read a date with no label (``14.03.1985`` alone is an ordinary date), a
weekday-only or month-and-year birth date, or Persian and Hebrew calendar month names.

Example:
    >>> text = "Datum narození: 22. 6. 1986"
    >>> [text[s:e] for s, e in dob_spans(text)]
    ['22. 6. 1986']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from functools import cache

from labkit.controls.wordlist_cache import disk_cached

# Birth labels written with spaces between words: each a root that must start a word
# (``(?<![^\W\d_])`` below), matched without case. Grouped by language for the reader.
_SPACED_LABELS: tuple[str, ...] = (
    # en, de, fr
    r"born", r"d\.?o\.?b\.?", r"date[ ]of[ ]birth", r"birth[ ]?date", r"birthday", r"geboren", r"geb\.",
    r"geburtsdatum", r"geburtstag", r"n[ée]e?", r"date[ ]de[ ]naissance",
    # es, it, pt, ca, gl, nl, af
    r"fecha[ ]de[ ]nacimiento", r"f\.[ ]?nac\.", r"nacid[oa]\w*", r"data[ ]di[ ]nascita", r"nat[oa][ ]il", r"nat[oa][ ]a[ ]\w+(?:[ ]\w+)?[ ]il",
    r"data[ ]de[ ]nascimento", r"nascid[oa]\w*", r"naixement\w*", r"nascut\w*", r"nacemento\w*", r"geboortedatum",
    r"geb\.[ ]?datum", r"gebore\w*",
    # pl, cs, sk, sl, hr/bs/sr (Latin), ro, hu
    r"data[ ]urodzenia", r"ur\.", r"urodzon[ya]\w*", r"narozen\w*", r"narodil\w*", r"narodeni\w*", r"narodený\w*", r"narodená\w*",
    r"nar\.", r"rojstva\w*", r"rojen\w*", r"rođen\w*", r"roden\w*", r"na[șş]terii\w*", r"n[ăa]scut\w*", r"születési\w*",
    r"született\w*", r"szül\.",
    # tr, az, uz, id/ms, tl, sw, zu, so, ha, vi
    r"do[ğg]um[ ]tarihi", r"d\.[ ]?tarihi", r"do[ğg]um", r"tug['ʻ‘’]ilgan", r"tanggal[ ]lahir",
    r"tgl\.?[ ]lahir", r"tarikh[ ]lahir", r"lahir", r"dilahirkan\w*", r"kaarawan", r"kapanganakan\w*",
    r"ipinanganak\w*", r"kuzaliwa\w*", r"alizaliwa\w*", r"lokuzalwa\w*", r"wazalwa\w*", r"dhalasho\w*", r"haihuwa\w*",
    r"ngày[ ]sinh", r"sinh[ ]ngày",
    # sv, da, no, is, fi, et, lv, lt, ga, cy, eu, sq, mt
    r"f[öo]delsedatum", r"f[öo]dd", r"fødselsdato", r"fødselsdag", r"født", r"fæðingar\w*", r"fædd\w*",
    r"syntymäaika\w*", r"syntymäpäivä\w*", r"syntynyt\w*", r"sünniaeg\w*", r"sündinud\w*", r"dzimšanas\w*", r"dzimis\w*",
    r"dzimusi\w*", r"gimimo\w*", r"gimęs\w*", r"gimusi\w*", r"breithe", r"rugadh", r"dyddiad[ ]geni", r"ganwyd",
    r"jaiotze\w*", r"jaio", r"datëlindj\w*", r"lindur\w*", r"twelid",
    # ru, uk, be, bg, sr/mk (Cyrillic), kk, ky, mn
    r"дата[ ]рождения", r"рождения", r"д\.[ ]?р\.", r"родил(?:ся|ась)", r"народжен\w*", r"народи[вл]\w*",
    r"нараджэння\w*", r"нарадзіў\w*", r"раждане\w*", r"роден\w*", r"рођен\w*", r"рођењ\w*", r"раѓање", r"туған\w*", r"туулган\w*", r"төрсөн\w*",
    # el (with and without the accent), he, ar, fa, ur
    r"γ[εέ]νν?ησης\w*", r"γεννήθηκε\w*", r"γεννηθηκε\w*", r"לידה\w*", r"נולד\w*", r"תאריך[ ]לידה",
    r"تاريخ[ ]الميلاد", r"تاريخ[ ]الولادة", r"تاريخ[ ]الازدياد", r"الازدياد", r"مواليد", r"تاریخ[ ]تولد", r"تولد\w*", r"متولد\w*", r"پیدائش\w*",
    # ka, hy, am
    r"დაბადების\w*", r"ծննդյան\w*", r"ծնվել\w*", r"ልደት\w*", r"የልደት\w*",
    # round 20: abbreviations and forms the list lacked (general knowledge of each language's records):
    # Spanish "nació", Lithuanian "gim.", Armenian "ծնվ.", Greek "γενν.", Hebrew "יליד/ילידת", Amharic
    # "የትውልድ ቀን" (date of birth), Yoruba "ọjọ́ ìbí" (NFC and decomposed), and the one-letter Finnish
    # "s." and Vietnamese "sinh" only inside a bracket after a name ("(s. 14. lokakuuta 1943)")
    r"naci[óo]", r"gim\.", r"დაბ\.", r"ծնվ\.", r"γ[εέ]νν\.", r"יליד\w*", r"የትውልድ", r"ትውልድ", r"ìbí", r"ìbí",
    r"s\.(?<=\(s\.)", r"sinh(?<=\(sinh)",
)
# Birth labels of scripts that do not put spaces between words, or whose vowel signs break a
# regex word boundary: found anywhere. hi/mr/ne, bn, gu, pa, ta, te, kn, ml, si, th, lo, km, my, zh, ja, ko.
_UNSPACED_LABELS: tuple[str, ...] = (
    r"जन्म", r"জন্ম", r"જન્મ", r"ਜਨਮ", r"பிறந்த", r"பிறப்பு", r"పుట్టిన", r"జన్మ", r"ಜನ್ಮ", r"ಹುಟ್ಟಿದ",
    r"ജനന", r"ജനിച്ച", r"జనన", r"උපන්", r"วันเกิด", r"เกิดวันที่", r"ปีเกิด", r"ວັນເກີດ", r"កំណើត", r"မွေး",
    r"出生", r"生年月日", r"誕生日", r"生日", r"生まれ", r"생년월일", r"생일", r"출생",
)
_SPACED = re.compile(r"(?i)(?<![^\W\d_])(?:" + "|".join(_SPACED_LABELS) + r")(?:\W|\b)")
_UNSPACED = re.compile("|".join(_UNSPACED_LABELS))


def _prefixes(pattern: str, size: int) -> set[str]:
    """The first ``size`` characters a match of the label ``pattern`` may start with (fewer when the
    pattern ends, or a group or ``*`` comes first): literal characters, escapes and ``[..]``
    classes, expanded, an optional (``?``) element both with and without it."""
    out = {""}
    done: set[str] = set()
    i = 0
    while i < len(pattern) and out:
        if pattern[i] == "[":
            end = pattern.index("]", i)
            chars, i = set(pattern[i + 1:end]), end + 1
        elif pattern[i] == "\\":
            if pattern[i + 1].isalpha():  # \w, \b: a class or an assertion
                break
            chars, i = {pattern[i + 1]}, i + 2
        elif pattern[i] in "(|)*+":
            break
        else:
            chars, i = {pattern[i]}, i + 1
        optional = i < len(pattern) and pattern[i] == "?"
        i += int(optional)
        grown = {p + c for p in out for c in chars}
        out = grown | out if optional else grown
        done |= {p for p in out if len(p) >= size}
        out = {p for p in out if len(p) < size}
    return done | {p for p in out if p}


# The gate. Python's regex engine tries the alternatives of a pattern one after the other at every
# position, so the label pattern (about 150 of them) cost 50 us on a 100-character text. A spaced
# label starts a word, so labels are looked for only where a word of the text starts with a label's
# first three letters (or is all of a shorter first word: "ur.", "né", "d.o.b"): the words' heads
# come from one C-level findall and are compared with a set.
_WORD_HEAD = re.compile(r"\b[^\W\d_]{1,3}")
_HEADS = frozenset(head.group(0) for label in _SPACED_LABELS for p in _prefixes(label, 3)
                   if (head := re.match(r"[^\W\d_]{1,3}", p)))


def _labels(text: str) -> list[re.Match[str]]:
    """Every birth label in ``text``, in order."""
    low = text.lower()
    found: list[re.Match[str]] = []
    if len(low) != len(text):  # a letter whose lower case is longer ("İ"): offsets would drift
        found.extend(_SPACED.finditer(text))
    else:
        for head in _HEADS.intersection(_WORD_HEAD.findall(low)):
            i = low.find(head)
            while i != -1:
                # a word starting at i with this head: try the labels there
                after = i + len(head)
                if (i == 0 or not low[i - 1].isalpha()) and (len(head) == 3 or not low[after:after + 1].isalpha()):
                    m = _SPACED.match(text, i)
                    if m is not None:
                        found.append(m)
                i = low.find(head, i + 1)
    found.extend(_UNSPACED.finditer(text))
    return sorted(found, key=lambda m: m.start())


# A month word: a letter, then anything but spaces, digits and date punctuation (vowel signs of
# Indic and Thai scripts are marks, not letters, so a plain \w+ would cut them); or a Thai month
# abbreviation, which has a dot inside ("ก.พ.", "มี.ค.": CLDR's abbreviated Thai months; round 18)
_MONTH_WORD = r"(?:[\u0e01-\u0e2e][\u0e01-\u0e4e]{0,3}\.[\u0e01-\u0e4e]{1,3}|[^\W\d_][^\s\d.,;:/()\-]*)"
# The dot that closes such a date, unless a new word follows it (then it ends the sentence)
_CLOSING_DOT = r"(?:\.(?![ ]+[^\W\d_]))?"
_DATE = re.compile(
    r"(?<![\d/.])(?<!\d-)(?:"
    # round 20: a year with its marker word, then month word and day or day and month word, as Lithuanian,
    # Armenian, Kazakh, Georgian and Russian write it: 1951 m. rugsėjo 9 d., 1965 թ. մարտի 3, 1978 жылғы 2
    # наурыз, 1972 წლის 4 მაისი, 1980 г. 5 мая
    rf"(?P<ywd>\d{{4}}[ ](?:m\.|թ\.|жылғы|ж\.|წლის|г\.|року|года)[ ]"
    rf"(?:{_MONTH_WORD}[ ]\d{{1,2}}(?:[ ]d\.)?|\d{{1,2}}[ ]{_MONTH_WORD}))"
    # year, month, day: 1985-03-14, 1985/3/14, and the spaced form with a closing dot: 1990. 02. 14.
    # (Hungarian and Korean close it with a dot: 1990. 02. 14., 1957.07.12.; so does Hungarian's
    # 1988. augusztus 22.)
    rf"|(?P<ymd>\d{{4}}(?:\.[ ]?\d{{1,2}}\.[ ]?\d{{1,2}}{_CLOSING_DOT}|[-/]\d{{1,2}}[-/]\d{{1,2}})"
    rf"|\d{{4}}\.?[ ]{_MONTH_WORD}[ ]\d{{1,2}}{_CLOSING_DOT})"
    # day, month, year: 14.03.1985, 14/3/85, and the spaced forms of Czech (22. 6. 1986) and of
    # Croatian, Serbian and Slovenian, which close with a dot (18. 07. 1982.)
    rf"|(?P<dmy>\d{{1,2}}(?:[-/.]\d{{1,2}}[-/.](?:\d{{4}}|\d{{2}})|\.[ ]\d{{1,2}}\.[ ]\d{{4}}{_CLOSING_DOT}))"
    # Vietnamese: (ngày) 05 tháng 02 (năm) 1946
    r"|(?P<vi>(?:ngày[ ])?\d{1,2}[ ]tháng[ ]\d{1,2},?[ ](?:năm[ ])?\d{4})"
    # with a month word: 14 March 1985, 14th of March, 1985, 7 de outubro de 1980, 5. září 1980
    rf"|(?P<dwy>\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?[ -](?:of[ ]|de[ ])?{_MONTH_WORD}\.?,?[ -](?:de[ ])?\d{{4}})"
    # month word first: March 14, 1985, Hunyo 27, 1990
    rf"|(?P<wdy>{_MONTH_WORD}\.?[ ]\d{{1,2}}(?:st|nd|rd|th)?,?[ ]\d{{4}})"
    # year, month, day with the CJK unit signs: 1985年3月9日, 1988년 12월 16일
    r"|(?P<cjk>\d{4}[ ]?[年년][ ]?\d{1,2}[ ]?[月월][ ]?\d{1,2}[ ]?[日일])"
    # a Japanese era year (round 17): 昭和58年4月15日, 平成元年1月8日
    # and the Republic of China's (Minguo) years, counted from 1912 (round 18): 民國80年3月9日
    r"|(?P<era>(?:明治|大正|昭和|平成|令和|民國|民国)[ ]?(?:\d{1,3}|元)[ ]?年[ ]?\d{1,2}[ ]?月[ ]?\d{1,2}[ ]?日)"
    # round 20: six digits year-month-day after a label (Korean 생년월일: 930415)
    r"|(?P<six>\d{6})"
    r")"
    # round 20: the Ethiopian calendar's era mark after the date is part of it ("12/04/1980 ዓ.ም."). Not the
    # Hijri "هـ": the seen sets disagree on it (fresh12 leaves it out of the span, fresh16 keeps it in)
    r"(?:[ ]?ዓ\.ም\.?)?"
    # round 22: the Latin mark of a Hijri year ("4 Rajab 1412 AH"; the Arabic "هـ" stays out, see above)
    r"(?:[ ](?:AH|A\.H\.)(?![\w.]))?"
    r"(?![\w/.-]\d|\d)",
    re.IGNORECASE,
)
_WINDOW = 24  # characters allowed between the label and the date

MONTH_LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "nl", "pt", "ca", "gl", "eu", "pl", "cs", "sk", "sl", "hr", "bs", "sr", "hu",
    "ro", "da", "sv", "nb", "nn", "is", "fi", "et", "lv", "lt", "ga", "cy", "sq", "mt", "af", "tr", "az", "uz",
    "id", "ms", "fil", "sw", "zu", "so", "ha", "ru", "uk", "be", "bg", "mk", "kk", "ky", "el", "he", "ar", "fa",
    "ur", "hi", "mr", "ne", "bn", "gu", "pa", "ta", "te", "kn", "ml", "si", "th", "lo", "km", "my", "ka", "hy",
    "am",
)
"""Languages whose CLDR month names (format and stand-alone, wide and abbreviated) a date may use."""

# English, German and French abbreviations a prefix stands for (CLDR's abbreviations carry dots
# and vary; these are how people type them)
_PREFIXES = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_PREFIXES.update({"mär": 3, "mae": 3, "mai": 5, "okt": 10, "dez": 12, "jän": 1, "janv": 1, "fév": 2, "fev": 2,
                  "mars": 3, "avr": 4, "juin": 6, "juil": 7, "aoû": 8, "aou": 8, "déc": 12})


def _fold(word: str) -> str:
    """Lower case without the Latin/Greek/Cyrillic combining accents (U+0300-036F), so
    ``ΦΕΒΡΟΥΑΡΙΟΥ`` finds ``φεβρουαρίου``; other scripts' marks are kept (they are letters' vowels)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", word.lower()) if not "\u0300" <= ch <= "\u036f")


@cache  # read once (month_numbers keeps its result anyway; every disk-cached list sits under a memory cache)
@disk_cached(sources=("babel",))
def _cldr_months() -> frozenset[str]:
    """Every CLDR month name of :data:`MONTH_LANGUAGES` as ``"<folded name>\\t<number>"``."""
    from babel import Locale  # lazy: babel's locale data loads once, then the disk cache answers

    out: set[str] = set()
    for lang in MONTH_LANGUAGES:
        months = Locale.parse(lang).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    name = name.rstrip(".")
                    # two letters suffice in a caseless script (Marathi "मे", May: round 22); in Latin,
                    # Greek or Cyrillic a two-letter name is an abbreviation too short to trust
                    short_ok = len(name) == 2 and name[0].isalpha() and name[0].upper() == name[0].lower()
                    if (len(name) >= 3 or short_ok) and " " not in name:
                        out.add(f"{_fold(name)}\t{number}")
    return frozenset(out)


@cache  # in memory too: is_weekday asks on every one-word name, and the disk cache's key alone hashes
@disk_cached(sources=("babel",))  # two source files and reads package metadata (~1 ms a call, issue 17)
def weekday_names() -> frozenset[str]:
    """CLDR's wide weekday names of :data:`MONTH_LANGUAGES` (five letters or more, one word), folded like
    month names: "Isnin", "Huwebes", "Τετάρτη" capitalised in a sentence are days, not people."""
    from babel import Locale  # lazy: babel's locale data loads once, then the disk cache answers

    out: set[str] = set()
    for lang in MONTH_LANGUAGES:
        days = Locale.parse(lang).days
        for context in ("format", "stand-alone"):
            out.update(_fold(n) for n in days[context]["wide"].values() if len(n) >= 5 and " " not in n)
    return frozenset(out)


def is_weekday(word: str) -> bool:
    return _fold(word) in weekday_names()


@cache
def month_numbers() -> dict[str, int]:
    """Folded month name -> month number (the first language listed wins a clash), with the months of
    the Persian solar and the Islamic lunar calendars (:data:`ERA_MONTHS`)."""
    names: dict[str, int] = {}
    for entry in sorted(_cldr_months()):
        name, number = entry.split("\t")
        names.setdefault(name, int(number))
    for era_name, era_number in ERA_MONTHS.items():
        names.setdefault(_fold(era_name), era_number)
    return names


# Round 22: the months of the Persian solar calendar (Iran, Afghanistan) and the one-word months of the
# Islamic lunar calendar, in their scripts and common Latin spellings. babel exposes only the Gregorian
# months, so these are written here (general knowledge). Their years (1300-1420) pass :func:`_real`.
ERA_MONTHS: dict[str, int] = {
    **{m: i + 1 for i, m in enumerate(("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
                                       "آذر", "دی", "بهمن", "اسفند"))},
    **{m: i + 1 for i, m in enumerate(("farvardin", "ordibehesht", "khordad", "tir", "mordad", "shahrivar",
                                       "mehr", "aban", "azar", "dey", "bahman", "esfand"))},
    "محرم": 1, "صفر": 2, "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10,
    "muharram": 1, "safar": 2, "rajab": 7, "shaban": 8, "sha'ban": 8, "ramadan": 9, "ramazan": 9,
    "shawwal": 10,
}


def is_month_name(word: str) -> bool:
    """Whether ``word`` is a month's full name in a CLDR language (exact, folded; no prefix guess).

    Example:
        >>> is_month_name("March"), is_month_name("Marseille")
        (True, False)
    """
    return _fold(word.rstrip(".")) in month_numbers()


def _month(word: str) -> int | None:
    folded = _fold(word.rstrip("."))
    names = month_numbers()
    if folded in names:
        return names[folded]
    if folded[:1] in "בל" and folded[1:] in names:  # Hebrew writes "in" (ב) or "to" (ל) onto the month
        return names[folded[1:]]
    return _PREFIXES.get(folded[:4]) or _PREFIXES.get(folded[:3])


def _real(y: int, mo: int, d: int) -> bool:
    """A day of a plausible birth year: Gregorian, Thai Buddhist era, or Persian/Islamic years."""
    if 2443 <= y <= 2643:  # Buddhist era = Gregorian + 543
        y -= 543
    if 1300 <= y <= 1420:  # solar or lunar Hijri: no leap-day check, months of 29-31 days
        return 1 <= mo <= 12 and 1 <= d <= (31 if mo <= 6 else 30)
    try:
        date(y, mo, d)
    except ValueError:
        return False
    return 1900 <= y <= 2100


# the Gregorian year in which each Japanese era began (general knowledge; 元年 is its first year)
_ERA_START = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019, "民國": 1912, "民国": 1912}


def _valid(m: re.Match[str]) -> bool:
    raw = m.group(0)
    nums = [int(x) for x in re.findall(r"\d+", raw)]
    if m.group("ymd") or m.group("cjk"):
        if len(nums) == 2:  # the year, the month word, the day
            month = _month(re.findall(_MONTH_WORD, raw)[0])
            return month is not None and _real(nums[0], month, nums[1])
        return _real(nums[0], nums[1], nums[2])
    if m.group("era"):  # the era's first year is its year 1 (元年)
        year = _ERA_START[raw.lstrip()[:2]] + (nums[0] - 1 if raw.find("元") < 0 else 0)
        return _real(year, nums[-2], nums[-1])
    if m.group("ywd"):  # year, then the month word and the day in either order
        month = next((n for n in map(_month, re.findall(_MONTH_WORD, m.group("ywd"))[1:]) if n), None)
        return month is not None and _real(nums[0], month, nums[1])
    if m.group("six"):
        y, mo, d = nums[0] // 10000, nums[0] // 100 % 100, nums[0] % 100
        return _real(y + (1900 if y >= 30 else 2000), mo, d)
    if m.group("vi"):
        return _real(nums[2], nums[1], nums[0])
    if m.group("dmy"):
        a, b, y = nums
        y = y + (1900 if y >= 30 else 2000) if y < 100 else y
        return _real(y, b, a) or _real(y, a, b)  # day-first or month-first
    words = [w for w in re.findall(_MONTH_WORD, raw) if w.lower() not in ("of", "de", "st", "nd", "rd", "th", "er")]
    month = next((n for n in map(_month, words) if n), None)
    return month is not None and _real(nums[-1], month, nums[0])


# The genealogical star for "born" (German, Dutch, Scandinavian records: "Kühn, * 3.4.1950"), right
# before a date and not at a line's start (there it is a list bullet): round 18
_STAR = re.compile(r"\*[ ]?(?=\d)")


def _star_born(text: str, at: int) -> bool:
    """Whether the star at ``at`` follows a word on its line (a blank or comma, and at most one more
    blank, after a character that is no blank or star) or an opening bracket."""
    i = at - 1
    if i >= 0 and text[i] == " ":
        i -= 1 if i >= 1 and text[i - 1] == " " else 0
    if i >= 0 and text[i] == "(":
        return True  # "(* 3.4.1950)": a bracket is no bullet
    return i >= 1 and text[i] in " ," and not text[i - 1].isspace() and text[i - 1] != "*"


def dob_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each date of birth in ``text``: the first real date within
    :data:`_WINDOW` characters after a birth label, on the same line and before any ``;``; or a
    real date right after a genealogical star (:data:`_STAR`)."""
    if "*" in text:
        for star in _STAR.finditer(text):
            if not _star_born(text, star.start()):
                continue
            m = _DATE.match(text, star.end())
            if m is not None and _valid(m):
                yield m.start(), m.end()
    last = -1
    for label in _labels(text):
        start = label.end()
        if start < last:
            continue
        stop = start + _WINDOW + 40
        for sep in "\n;":
            cut = text.find(sep, start, stop)
            if cut != -1:
                stop = cut
        for m in _DATE.finditer(text, start, stop):
            if m.start() - start > _WINDOW:
                break
            if m.group("six") and m.start() - start > 3:
                continue  # six bare digits are a date only right after the label ("생년월일: 930415")
            if _valid(m):
                last = m.end()
                yield m.start(), m.end()
                break
